package dev.harvest.api;

import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;

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

    /**
     * Tells the engine that a new listing of the remote starts in this gather, such as a second pass over the same
     * catalog. The engine's check that every page brings a guid not seen before applies within one listing, so a
     * harvester that lists the remote twice calls this before each listing. A harvester that lists it once need
     * not call it.
     *
     * <p>The default does nothing (an engine without gather bounds).
     */
    default void listingStarted() {}

    /**
     * Tells the engine how many records the remote says the current listing has (a {@code count} or
     * {@code totalResults} field), each time the remote says it. The engine stops the gather, with a gather error
     * naming the bound, once the listing has brought more distinct guids than this number plus a margin: a remote
     * whose pages never run out cannot fill the database.
     *
     * <p>The default does nothing (an engine without gather bounds).
     *
     * @param total the number of records the remote declares; negative values are ignored
     * @throws CancellationException if the gather must stop (a bound was exceeded, or the job was stopped); the
     *     harvester should let it propagate
     */
    default void declareTotal(long total) {}

    /**
     * Tells the engine that one page (one response) of a remote listing was read, with the guids it listed,
     * whether they were emitted, {@link #markPresent(String) marked present} or skipped. The engine then checks
     * the gather's bounds and the job: it stops the gather, with a gather error naming the reason, when this page
     * brought no guid that the current listing had not already brought (a remote that ignores its paging
     * parameter), when the gather exceeded its maximum number of objects or its wall time, or when the job was
     * aborted, timed out or taken over by another worker.
     *
     * <p>Call it after the page's records were emitted. The default does nothing (an engine without gather
     * bounds).
     *
     * @param guids the guids of the page's records, in any order
     * @throws CancellationException if the gather must stop; the harvester should let it propagate
     */
    default void pageDone(Collection<String> guids) {}

    /**
     * Whether the engine wants this gather to stop: its job was aborted or timed out, another worker took the
     * gather over, the process is shutting down, or a bound of the gather was exceeded. A harvester that does
     * long work between the engine's calls asks before each remote request.
     *
     * <p>The default says no (an engine that never cancels).
     *
     * @return true if the gather should stop as soon as it can
     */
    default boolean isCancelled() {
        return false;
    }

    /**
     * Throws if {@link #isCancelled()}: the cheapest way for a harvester to stop at a safe point, before each remote
     * request. Whatever the harvester returns after this threw, the engine records why the gather stopped and
     * infers no deletions.
     *
     * @throws CancellationException if the gather should stop
     */
    default void checkCancelled() {
        if (isCancelled()) {
            throw new CancellationException("The gather of job " + job().id() + " was stopped");
        }
    }
}
