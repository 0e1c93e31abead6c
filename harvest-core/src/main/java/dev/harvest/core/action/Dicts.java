package dev.harvest.core.action;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.api.HarvestJob;
import dev.harvest.core.auth.SecretMasking;
import dev.harvest.core.store.JobStats;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The result shapes of spec §5: job, source and status dicts, with ckanext-harvest's time format. */
final class Dicts {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private Dicts() {}

    /**
     * @param time a UTC time, or null
     * @return Python's {@code str(datetime)}: {@code YYYY-MM-DD HH:MM:SS.ffffff}, the microseconds left out when
     *     zero; null for null
     */
    static String time(LocalDateTime time) {
        if (time == null) {
            return null;
        }
        String text = SECONDS.format(time);
        int micros = time.getNano() / 1000;
        return micros == 0 ? text : text + "." + String.format("%06d", micros);
    }

    static String time(Instant time) {
        return time == null ? null : time(LocalDateTime.ofInstant(time, ZoneOffset.UTC));
    }

    /**
     * @param job the job
     * @param stats its counts by report status
     * @param summaries its error summaries, or null to leave them out (as {@code harvest_job_list} does)
     * @return {@code harvest_job_dictize}'s dict
     */
    static Map<String, Object> job(HarvestJob job, Map<String, Long> stats, JobStats summaries) {
        Map<String, Object> dict = new LinkedHashMap<>();
        dict.put("id", job.id());
        dict.put("created", time(job.created()));
        dict.put("gather_started", time(job.gatherStarted()));
        dict.put("gather_finished", time(job.gatherFinished()));
        dict.put("finished", time(job.finished()));
        dict.put("source_id", job.sourceId());
        dict.put("status", job.status());
        dict.put("stats", new LinkedHashMap<>(stats));
        if (summaries != null) {
            dict.put("object_error_summary", errorCounts(summaries.objectErrorSummary()));
            dict.put("gather_error_summary", errorCounts(summaries.gatherErrorSummary()));
        }
        return dict;
    }

    private static List<Map<String, Object>> errorCounts(List<JobStats.ErrorCount> counts) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (JobStats.ErrorCount count : counts) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("message", count.message());
            item.put("error_count", count.errorCount());
            list.add(item);
        }
        return list;
    }

    /**
     * @param config a source config
     * @param masked whether to mask its credentials
     * @return the config as shown
     */
    static String config(String config, boolean masked) {
        return masked ? SecretMasking.maskConfig(config) : config == null ? "" : config;
    }

    /**
     * Spec §2.6: every key of the config JSON is also a top-level key of the source dict.
     *
     * @param dict the source dict
     * @param shownConfig the config as shown (masked or not)
     * @return whether the config parsed as JSON (it is null in the dict otherwise)
     */
    static boolean copyConfigKeys(Map<String, Object> dict, String shownConfig) {
        if (shownConfig == null || shownConfig.isBlank()) {
            return true;
        }
        try {
            JsonNode node = JSON.readTree(shownConfig);
            if (node != null && node.isObject()) {
                for (Map.Entry<String, JsonNode> field : node.properties()) {
                    dict.putIfAbsent(field.getKey(), JSON.convertValue(field.getValue(), Object.class));
                }
            }
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
