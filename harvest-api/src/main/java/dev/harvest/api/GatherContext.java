package dev.harvest.api;

import java.util.Collection;
import java.util.Optional;
import java.util.Set;

/**
 * What a gather stage works with. Not thread-safe: call it from the thread that runs
 * {@link Harvester#gather(GatherContext)}.
 */
public interface GatherContext {

    /** @return the source being harvested */
    HarvestSource source();

    /** @return the job being gathered */
    HarvestJob job();

    /** @return the site-wide settings */
    Settings settings();

    /**
     * The most recent earlier job of this source that finished without errors: the start of an incremental
     * window (ckanext-harvest's {@code last_error_free_job}).
     *
     * @return that job, or empty if there is none
     */
    Optional<HarvestJob> lastErrorFreeJob();

    /**
     * Hands one remote record to the engine. The engine stores and queues objects in batches; a guid emitted twice
     * in one gather is kept once.
     *
     * @param object the record
     */
    void emit(NewHarvestObject object);

    /**
     * Tells the engine that a remote record still exists although it needs no harvest object (it did not change).
     * Only needed for incremental gathers that still want deletions: the engine deletes, after a
     * {@link GatherOutcome#fullListing() full listing}, the local datasets whose guid was neither emitted nor marked
     * present.
     *
     * @param guid the record's identity at the source
     */
    void markPresent(String guid);

    /**
     * Records a job-level error without ending the gather. Any gather error makes the job not error-free.
     *
     * @param message what went wrong, naming the remote resource
     */
    void gatherError(String message);

    /**
     * Which of these guids the source already provides locally (a dataset imported by an earlier harvest and not
     * deleted since). An incremental gather uses it to find remote records it has never harvested although they
     * were not modified recently (a filter was widened, a record became visible), and emits those too.
     *
     * @param guids guids of remote records, e.g. one page of a listing
     * @return the subset that the source already provides
     */
    default Set<String> knownGuids(Collection<String> guids) {
        return Set.of();
    }

    /** @return the number of distinct objects emitted so far */
    long emittedCount();
}
