package dev.harvest.testkit;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine refused to create a harvest source: a bad name or URL, an unknown harvester, or a configuration the
 * harvester's {@code validateConfig} rejected. A test that checks a harvester's config validation asserts on
 * {@link #fieldErrors()}.
 *
 * <pre>{@code
 * InvalidSourceException refused = assertThrows(InvalidSourceException.class,
 *         () -> testBed.source("portal", server.url("/"), "{\"rows\": -1}"));
 * assertTrue(refused.fieldErrors().get("config").get(0).contains("rows"));
 * }</pre>
 */
public class InvalidSourceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Not serialised with the exception: tests never send one over the wire. */
    private final transient Map<String, List<String>> fieldErrors;

    /**
     * @param message the engine's message, naming every field and its problem
     * @param fieldErrors the messages per field ({@code name}, {@code url}, {@code source_type}, {@code frequency},
     *     {@code config}), as CKAN's {@code ValidationError} has them
     * @param cause the engine's exception
     */
    public InvalidSourceException(String message, Map<String, List<String>> fieldErrors, Throwable cause) {
        super(message, cause);
        Map<String, List<String>> copy = new LinkedHashMap<>();
        fieldErrors.forEach((field, messages) -> copy.put(field, List.copyOf(messages)));
        this.fieldErrors = java.util.Collections.unmodifiableMap(copy);
    }

    /**
     * The messages per field. A configuration the harvester rejected is under {@code config}, as
     * {@code Error parsing the configuration options: <the harvester's message>}.
     *
     * @return the messages, by field
     */
    public Map<String, List<String>> fieldErrors() {
        return fieldErrors;
    }
}
