package dev.harvest.core.store;

import java.util.List;
import java.util.Map;

/**
 * A job's statistics and error summaries, as ckanext-harvest's {@code harvest_job_dictize} (spec §3.10).
 *
 * @param counts {@code added}, {@code updated}, {@code not modified}, {@code errored}, {@code deleted}, plus
 *     {@code null} for objects not finished yet; {@code errored} counts objects with errors plus gather errors
 * @param objectErrorSummary up to 20 object error messages with their counts, most frequent first
 * @param gatherErrorSummary up to 20 gather error messages with their counts, most frequent first
 */
public record JobStats(
        Map<String, Long> counts, List<ErrorCount> objectErrorSummary, List<ErrorCount> gatherErrorSummary) {

    /**
     * @param message an error message
     * @param errorCount how often it occurred
     */
    public record ErrorCount(String message, long errorCount) {}

    /**
     * @param key a report status value
     * @return its count, 0 when absent
     */
    public long count(String key) {
        return counts.getOrDefault(key, 0L);
    }
}
