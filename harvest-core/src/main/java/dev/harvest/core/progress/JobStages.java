package dev.harvest.core.progress;

import java.util.Map;

/**
 * A job's objects counted by stage, from their {@code state}: waiting ({@code WAITING}), fetching ({@code FETCH}),
 * importing ({@code IMPORT}), done ({@code COMPLETE}) and errored ({@code ERROR}).
 *
 * @param waiting gathered objects no worker has claimed yet
 * @param fetching objects a worker claimed and is fetching
 * @param importing objects a worker fetched and is importing
 * @param done objects that ended {@code COMPLETE}
 * @param errored objects that ended {@code ERROR}
 */
public record JobStages(long waiting, long fetching, long importing, long done, long errored) {

    /** No objects. */
    public static final JobStages NONE = new JobStages(0, 0, 0, 0, 0);

    /**
     * @param countsByState object counts by {@code harvest_object.state}
     * @return the stages; unknown states are left out
     */
    public static JobStages of(Map<String, Long> countsByState) {
        return new JobStages(countsByState.getOrDefault("WAITING", 0L), countsByState.getOrDefault("FETCH", 0L),
                countsByState.getOrDefault("IMPORT", 0L), countsByState.getOrDefault("COMPLETE", 0L),
                countsByState.getOrDefault("ERROR", 0L));
    }

    /** @return every object of the job */
    public long total() {
        return waiting + fetching + importing + done + errored;
    }

    /** @return the objects that are finished, COMPLETE or ERROR */
    public long finished() {
        return done + errored;
    }

    /** @return the objects a worker holds (FETCH or IMPORT) */
    public long inProgress() {
        return fetching + importing;
    }

    /** @return {@code waiting 3, fetching 0, importing 0, done 12, errored 1} */
    @Override
    public String toString() {
        return "waiting " + waiting + ", fetching " + fetching + ", importing " + importing + ", done " + done
                + ", errored " + errored;
    }
}
