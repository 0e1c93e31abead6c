package dev.harvest.core;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.core.store.HarvestQueries.ObjectSummary;
import dev.harvest.core.store.JobStats;
import java.util.List;

/**
 * A job with its statistics, gather errors and objects: what {@code run_test} prints and the job report shows.
 *
 * @param job the job
 * @param source its source
 * @param stats counts per report status and error summaries
 * @param gatherErrors the job-level errors, newest first
 * @param objects the job's first {@value #OBJECT_LIMIT} objects with their errors, in gather order
 * @param objectsWithErrors the first {@value #OBJECT_LIMIT} objects that have errors, with their errors
 */
public record JobReport(HarvestJob job, HarvestSource source, JobStats stats, List<String> gatherErrors,
        List<ObjectSummary> objects, List<ObjectSummary> objectsWithErrors) {

    /** The most objects a report lists; the statistics count them all. */
    public static final int OBJECT_LIMIT = 1000;
}
