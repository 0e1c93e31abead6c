package dev.harvest.api;

import java.util.Objects;

/** How a gather stage ended. */
public sealed interface GatherOutcome {

    /**
     * Every remote record was emitted or {@link GatherContext#markPresent(String) marked present}: records the
     * source held before and that were not seen now have disappeared from the remote, and their local datasets may
     * be deleted (subject to the deletion guard).
     *
     * @return the outcome
     */
    static GatherOutcome fullListing() {
        return new Completed(true);
    }

    /**
     * The gather listed only some records (for example, only those modified since the last harvest): nothing can
     * be inferred about records it did not see.
     *
     * @return the outcome
     */
    static GatherOutcome partialListing() {
        return new Completed(false);
    }

    /**
     * The listing could not be completed. The message becomes a gather error; objects already emitted are still
     * fetched and imported, but no deletion is inferred.
     *
     * @param message what went wrong, naming the remote resource
     * @return the outcome
     */
    static GatherOutcome failed(String message) {
        return new Failed(message);
    }

    /**
     * The gather finished.
     *
     * @param fullListing whether every remote record was seen
     */
    record Completed(boolean fullListing) implements GatherOutcome {}

    /**
     * The gather failed.
     *
     * @param message the gather error to record
     */
    record Failed(String message) implements GatherOutcome {
        /**
         * Requires a message.
         *
         * @param message the error to record
         */
        public Failed {
            Objects.requireNonNull(message, "message");
        }
    }
}
