package dev.harvest.core.action;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An action refused, as CKAN's action exceptions: each kind maps to one HTTP status and one {@code __type} of the
 * error envelope.
 */
public abstract class ActionException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    ActionException(String message) {
        super(message);
    }

    /** @return the HTTP status CKAN answers with */
    public abstract int status();

    /** @return the {@code __type} of CKAN's error envelope */
    public abstract String type();

    /** @return messages per field, for a validation error; empty otherwise */
    public Map<String, List<String>> fieldErrors() {
        return Map.of();
    }

    /** CKAN's {@code NotFound}: 404, {@code Not Found Error}. */
    public static final class NotFound extends ActionException {
        private static final long serialVersionUID = 1L;

        /** @param message what was not found */
        public NotFound(String message) {
            super(message);
        }

        @Override
        public int status() {
            return 404;
        }

        @Override
        public String type() {
            return "Not Found Error";
        }
    }

    /** CKAN's {@code NotAuthorized}: 403, {@code Authorization Error}. */
    public static final class NotAuthorized extends ActionException {
        private static final long serialVersionUID = 1L;

        /** @param message who may not do what */
        public NotAuthorized(String message) {
            super(message);
        }

        @Override
        public int status() {
            return 403;
        }

        @Override
        public String type() {
            return "Authorization Error";
        }
    }

    /** CKAN's {@code ValidationError}: 409, {@code Validation Error}, with messages per field. */
    public static final class Validation extends ActionException {
        private static final long serialVersionUID = 1L;

        private final Map<String, List<String>> fieldErrors;

        /** @param fieldErrors messages per field */
        public Validation(Map<String, List<String>> fieldErrors) {
            super(describe(fieldErrors));
            this.fieldErrors = new LinkedHashMap<>(fieldErrors);
        }

        /**
         * @param field the field
         * @param message what is wrong with it
         * @return a validation error of one field
         */
        public static Validation of(String field, String message) {
            return new Validation(Map.of(field, List.of(message)));
        }

        private static String describe(Map<String, List<String>> fieldErrors) {
            StringBuilder text = new StringBuilder();
            fieldErrors.forEach((field, messages) -> messages.forEach(message -> text
                    .append(text.length() == 0 ? "" : "; ").append(field).append(": ").append(message)));
            return text.toString();
        }

        @Override
        public Map<String, List<String>> fieldErrors() {
            return fieldErrors;
        }

        @Override
        public int status() {
            return 409;
        }

        @Override
        public String type() {
            return "Validation Error";
        }
    }

    /**
     * A request the current state refuses, e.g. ckanext-harvest's {@code HarvestJobExists} and
     * {@code HarvestSourceInactiveError} (an HTTP 500 in the original): 409, {@code Conflict Error}.
     */
    public static final class Conflict extends ActionException {
        private static final long serialVersionUID = 1L;

        /** @param message what conflicts */
        public Conflict(String message) {
            super(message);
        }

        @Override
        public int status() {
            return 409;
        }

        @Override
        public String type() {
            return "Conflict Error";
        }
    }
}
