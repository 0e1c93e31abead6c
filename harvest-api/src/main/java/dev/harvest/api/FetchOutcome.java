package dev.harvest.api;

import java.util.Objects;

/** How a fetch stage ended. */
public sealed interface FetchOutcome {

    /**
     * Import the object with the content gathered earlier.
     *
     * @return the outcome
     */
    static FetchOutcome proceed() {
        return new Proceed(null);
    }

    /**
     * Import the object with this content, which the engine stores on the object.
     *
     * @param content the fetched document
     * @return the outcome
     */
    static FetchOutcome proceed(String content) {
        return new Proceed(Objects.requireNonNull(content, "content"));
    }

    /**
     * The record needs no import after all: the object completes as {@code not modified}.
     *
     * @return the outcome
     */
    static FetchOutcome unchanged() {
        return new Unchanged();
    }

    /**
     * The object cannot be fetched; it ends {@code ERROR} with this message.
     *
     * @param message what went wrong, naming the remote resource
     * @return the outcome
     */
    static FetchOutcome failed(String message) {
        return new Failed(message);
    }

    /**
     * Go on to import.
     *
     * @param content the fetched content, or {@code null} to keep the content stored at gather time
     */
    record Proceed(String content) implements FetchOutcome {}

    /** Nothing to import. */
    record Unchanged() implements FetchOutcome {}

    /**
     * Fetch failed.
     *
     * @param message the object error to record
     */
    record Failed(String message) implements FetchOutcome {
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
