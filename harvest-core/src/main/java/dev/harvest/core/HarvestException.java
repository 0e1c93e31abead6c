package dev.harvest.core;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A request the engine refuses: an unknown source or job, an invalid source, a job that cannot be created. The
 * message is meant for the operator; {@link #fieldErrors()} holds per-field validation messages when there are any.
 */
public class HarvestException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final Map<String, List<String>> fieldErrors;

    public HarvestException(String message) {
        super(message);
        this.fieldErrors = Map.of();
    }

    /**
     * A validation failure, as CKAN's {@code ValidationError}.
     *
     * @param fieldErrors messages per field
     */
    public HarvestException(Map<String, List<String>> fieldErrors) {
        super(describe(fieldErrors));
        this.fieldErrors = new LinkedHashMap<>(fieldErrors);
    }

    private static String describe(Map<String, List<String>> fieldErrors) {
        StringBuilder message = new StringBuilder("Validation error: ");
        String separator = "";
        for (Map.Entry<String, List<String>> field : fieldErrors.entrySet()) {
            for (String error : field.getValue()) {
                message.append(separator).append(field.getKey()).append(": ").append(error);
                separator = "; ";
            }
        }
        return message.toString();
    }

    /** @return messages per field; empty unless this is a validation failure */
    public Map<String, List<String>> fieldErrors() {
        return fieldErrors;
    }
}
