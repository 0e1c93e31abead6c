package dev.harvest.testkit;

import java.util.List;
import java.util.Optional;

/**
 * One harvest object of a {@link HarvestResult}: what became of one remote record in one job.
 *
 * @param id the harvest object's id
 * @param guid the record's identity at the source, as the harvester emitted it
 * @param state the object's state: {@code COMPLETE} or {@code ERROR} once a job has finished ({@code WAITING},
 *     {@code FETCH} or {@code IMPORT} only in a job that was aborted mid-way)
 * @param reportStatus what the import did: {@code added}, {@code updated}, {@code deleted}, {@code not modified} or
 *     {@code errored}; {@code null} if the object never finished
 * @param packageId the local dataset the record maps to, or {@code null} if it maps to none (an error, a skipped
 *     record)
 * @param current whether this object is now the one that last imported its dataset successfully
 * @param content the document the engine stored for the object (gathered or fetched), or {@code null} if there was
 *     none
 * @param errors the object's error messages, oldest first; empty when it had none
 */
public record HarvestedObject(String id, String guid, String state, String reportStatus, String packageId,
        boolean current, String content, List<String> errors) {

    /**
     * Copies the error list, so that a result never changes after the fact.
     *
     * @param id the harvest object's id
     * @param guid the record's guid
     * @param state the object's state
     * @param reportStatus the import's report status, or {@code null}
     * @param packageId the local dataset, or {@code null}
     * @param current whether the object is its dataset's current one
     * @param content the stored document, or {@code null}
     * @param errors the error messages; {@code null} for none
     */
    public HarvestedObject {
        errors = errors == null ? List.of() : List.copyOf(errors);
    }

    /** @return the local dataset's id, or empty when the record maps to none */
    public Optional<String> datasetId() {
        return Optional.ofNullable(packageId);
    }

    /** @return whether the object recorded any error */
    public boolean hasErrors() {
        return !errors.isEmpty();
    }
}
