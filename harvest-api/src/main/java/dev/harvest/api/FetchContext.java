package dev.harvest.api;

import java.util.concurrent.CancellationException;

/** What a fetch stage works with. */
public interface FetchContext {

    /** @return the object's source */
    HarvestSource source();

    /** @return the object's job */
    HarvestJob job();

    /** @return the object to fetch */
    HarvestObject object();

    /** @return the site-wide settings */
    Settings settings();

    /**
     * Records an object error (stage {@code Fetch}) without failing the object.
     *
     * @param message what went wrong
     */
    void recordError(String message);

    /**
     * Whether the engine wants this fetch to stop: the object's job was aborted or timed out, another worker took
     * the object over (this worker's lease expired), or the process is shutting down. A harvester that makes
     * several remote requests for one object asks before each of them.
     *
     * <p>The default says no (an engine that never cancels).
     *
     * @return true if the fetch should stop as soon as it can
     */
    default boolean isCancelled() {
        return false;
    }

    /**
     * Throws if {@link #isCancelled()}. The engine then records nothing for this object on behalf of this worker:
     * a stopped job has already errored it, a worker that took it over finishes it, and an object given back at
     * shutdown is fetched again later.
     *
     * @throws CancellationException if the fetch should stop
     */
    default void checkCancelled() {
        if (isCancelled()) {
            throw new CancellationException("The fetch of object " + object().id() + " was stopped");
        }
    }
}
