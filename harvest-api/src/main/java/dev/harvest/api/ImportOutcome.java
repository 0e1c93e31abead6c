package dev.harvest.api;

import java.util.Objects;

/**
 * What an import stage did. The engine turns it into the object's state, {@code package_id}, {@code current} flag
 * and {@code report_status}.
 */
public sealed interface ImportOutcome {

    /**
     * A dataset was created. Report status {@code added}.
     *
     * @param datasetId the local dataset id
     * @return the outcome
     */
    static ImportOutcome created(String datasetId) {
        return new Created(datasetId);
    }

    /**
     * An existing dataset was updated. Report status {@code updated}.
     *
     * @param datasetId the local dataset id
     * @return the outcome
     */
    static ImportOutcome updated(String datasetId) {
        return new Updated(datasetId);
    }

    /**
     * The dataset was deleted. Report status {@code deleted}; no object of the dataset stays current.
     *
     * @param datasetId the local dataset id
     * @return the outcome
     */
    static ImportOutcome deleted(String datasetId) {
        return new Deleted(datasetId);
    }

    /**
     * The dataset already matches the remote record; nothing was written. Report status {@code not modified}.
     *
     * @param datasetId the local dataset id, or {@code null} if the record maps to no dataset
     * @return the outcome
     */
    static ImportOutcome unchanged(String datasetId) {
        return new Unchanged(datasetId);
    }

    /**
     * The record is deliberately not imported (for example a remote harvest source). Report status
     * {@code not modified}; the object links to no dataset.
     *
     * @param reason why, logged
     * @return the outcome
     */
    static ImportOutcome skipped(String reason) {
        return new Skipped(reason);
    }

    /**
     * The import failed; the object ends {@code ERROR} with this message.
     *
     * @param message what went wrong
     * @return the outcome
     */
    static ImportOutcome failed(String message) {
        return new Failed(message);
    }

    /** @param datasetId the created dataset's id */
    record Created(String datasetId) implements ImportOutcome {
        /**
         * Requires the dataset id.
         *
         * @param datasetId the dataset's id
         */
        public Created {
            Objects.requireNonNull(datasetId, "datasetId");
        }
    }

    /** @param datasetId the updated dataset's id */
    record Updated(String datasetId) implements ImportOutcome {
        /**
         * Requires the dataset id.
         *
         * @param datasetId the dataset's id
         */
        public Updated {
            Objects.requireNonNull(datasetId, "datasetId");
        }
    }

    /** @param datasetId the deleted dataset's id */
    record Deleted(String datasetId) implements ImportOutcome {
        /**
         * Requires the dataset id.
         *
         * @param datasetId the dataset's id
         */
        public Deleted {
            Objects.requireNonNull(datasetId, "datasetId");
        }
    }

    /** @param datasetId the untouched dataset's id, or {@code null} */
    record Unchanged(String datasetId) implements ImportOutcome {}

    /** @param reason why the record was not imported */
    record Skipped(String reason) implements ImportOutcome {}

    /** @param message the object error to record */
    record Failed(String message) implements ImportOutcome {
        /**
         * Requires the message.
         *
         * @param message the object error to record
         */
        public Failed {
            Objects.requireNonNull(message, "message");
        }
    }
}
