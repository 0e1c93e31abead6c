package dev.harvest.core.store;

import java.util.List;

/**
 * How one claimed object ends: its final state and report status, the dataset it maps to, its place in the
 * {@code current} bookkeeping, fetched content to keep, and the object errors to record.
 *
 * @param objectId the object
 * @param sourceId its source
 * @param guid its guid
 * @param state COMPLETE or ERROR
 * @param report the report status
 * @param packageId the dataset, or null to keep the object's own
 * @param makeCurrent whether this object becomes the current object of its dataset and guid (created, updated)
 * @param uncurrent whether no object of the dataset stays current (deleted)
 * @param content fetched content to store, or null to keep the gathered content
 * @param errors object errors to record
 * @param afterFetch whether the object ends straight after fetch, without an import stage
 */
public record ObjectResult(String objectId, String sourceId, String guid, ObjectState state, ReportStatus report,
        String packageId, boolean makeCurrent, boolean uncurrent, String content, List<ObjectError> errors,
        boolean afterFetch) {

    public ObjectResult {
        errors = List.copyOf(errors);
        if (!state.isTerminal()) {
            throw new IllegalArgumentException("An object ends COMPLETE or ERROR, not " + state);
        }
    }

    /**
     * One object error.
     *
     * @param message what went wrong
     * @param stage {@code Fetch} or {@code Import} (or {@code Abort}, {@code Timeout})
     * @param line the document line, or null
     */
    public record ObjectError(String message, String stage, Integer line) {}
}
