package dev.harvest.core.progress;

/**
 * A running job's progress as one cheap statement reads it ({@link dev.harvest.core.store.HarvestQueries#jobProgress}):
 * the job's gather state, its objects by stage, and its gather errors.
 *
 * @param jobId the job
 * @param status its status
 * @param gatherStarted whether its gather has begun
 * @param gatherFinished whether its gather has ended (the object count is then final)
 * @param stages its objects by stage
 * @param gatherErrors its job-level errors
 */
public record JobProgress(String jobId, String status, boolean gatherStarted, boolean gatherFinished,
        JobStages stages, long gatherErrors) {

    /** @return errored objects plus gather errors: the errors so far */
    public long errors() {
        return stages.errored() + gatherErrors;
    }

    /**
     * @return the job's progress as a progress line shows it: {@code gathering N} or {@code gathered N}, the finished
     *     objects out of the gathered ones (final once the gather ended), and the errors so far
     */
    public ProgressSample sample() {
        long gathered = stages.total();
        String head = gatherFinished ? "gathered " + ProgressFormat.count(gathered)
                : gatherStarted ? "gathering " + ProgressFormat.count(gathered) : "waiting for the gather";
        ProgressSample.Total total = gatherFinished ? ProgressSample.Total.EXACT
                : gatherStarted ? ProgressSample.Total.GROWING : ProgressSample.Total.UNKNOWN;
        return new ProgressSample(head, stages.finished(), gathered, total, errors());
    }
}
