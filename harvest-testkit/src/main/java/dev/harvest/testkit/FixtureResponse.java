package dev.harvest.testkit;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link FixtureServer} answers: a status, a content type, a body and optional extra headers.
 *
 * <p>Immutable: {@link #withHeader(String, String)} returns a copy, so that one response can be served to many
 * requests at once.
 *
 * <pre>{@code
 * server.serve("/oai", request -> request.query("resumptionToken").isPresent()
 *         ? FixtureResponse.ok("text/xml", PAGE_2)
 *         : FixtureResponse.ok("text/xml", PAGE_1));
 * server.serve("/gone", request -> FixtureResponse.status(410, "text/plain", "gone")
 *         .withHeader("Retry-After", "120"));
 * }</pre>
 */
public final class FixtureResponse {

    private final int status;
    private final String contentType;
    private final byte[] body;
    private final Map<String, List<String>> headers;

    private FixtureResponse(int status, String contentType, byte[] body, Map<String, List<String>> headers) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("HTTP status must be from 100 to 599, not " + status);
        }
        this.status = status;
        this.contentType = Objects.requireNonNull(contentType, "contentType");
        this.body = body == null ? new byte[0] : body.clone();
        this.headers = headers;
    }

    /**
     * A {@code 200 OK} response.
     *
     * @param contentType the {@code Content-Type}, e.g. {@code application/json}; add {@code ; charset=...} when the
     *     harvester under test must see one
     * @param body the body, sent as UTF-8
     * @return the response
     */
    public static FixtureResponse ok(String contentType, String body) {
        return status(200, contentType, body);
    }

    /**
     * A response with any status, e.g. a {@code 503} that a harvester must report, or a {@code 302} with a
     * {@code Location} header added by {@link #withHeader(String, String)}.
     *
     * @param status the HTTP status, 100 to 599
     * @param contentType the {@code Content-Type}
     * @param body the body, sent as UTF-8
     * @return the response
     */
    public static FixtureResponse status(int status, String contentType, String body) {
        return new FixtureResponse(status, contentType, body == null ? null : body.getBytes(StandardCharsets.UTF_8),
                Map.of());
    }

    /**
     * A response whose body is given as bytes, for documents that are not UTF-8 (an ISO-8859-1 XML file) or not
     * text at all.
     *
     * @param status the HTTP status, 100 to 599
     * @param contentType the {@code Content-Type}
     * @param body the body, sent as is
     * @return the response
     */
    public static FixtureResponse bytes(int status, String contentType, byte[] body) {
        return new FixtureResponse(status, contentType, body, Map.of());
    }

    /**
     * A copy with one more header value. {@code Content-Type} and {@code Content-Length} are set by the server and
     * cannot be given here.
     *
     * @param name the header name
     * @param value its value; a name given twice is sent twice
     * @return the new response
     * @throws IllegalArgumentException for {@code Content-Type} or {@code Content-Length}
     */
    public FixtureResponse withHeader(String name, String value) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (name.equalsIgnoreCase("Content-Type") || name.equalsIgnoreCase("Content-Length")) {
            throw new IllegalArgumentException(name + " is set by the server: give the content type to the factory");
        }
        Map<String, List<String>> copy = new LinkedHashMap<>();
        headers.forEach((key, values) -> copy.put(key, new ArrayList<>(values)));
        copy.computeIfAbsent(name, key -> new ArrayList<>()).add(value);
        Map<String, List<String>> frozen = new LinkedHashMap<>();
        copy.forEach((key, values) -> frozen.put(key, List.copyOf(values)));
        return new FixtureResponse(status, contentType, body, Collections.unmodifiableMap(frozen));
    }

    /** @return the HTTP status */
    public int status() {
        return status;
    }

    /** @return the {@code Content-Type} */
    public String contentType() {
        return contentType;
    }

    /** @return a copy of the body */
    public byte[] body() {
        return body.clone();
    }

    /** @return the body decoded as UTF-8, for assertions on a handler's answer */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** @return the extra headers, by name, in the order they were added */
    public Map<String, List<String>> headers() {
        return headers;
    }

    /** The body without a copy, for the server, which never changes it. */
    byte[] bodyBytes() {
        return body;
    }

    @Override
    public String toString() {
        return status + " " + contentType + " (" + body.length + " bytes)";
    }
}
