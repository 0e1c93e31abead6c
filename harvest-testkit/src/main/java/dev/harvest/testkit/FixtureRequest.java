package dev.harvest.testkit;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One request that a {@link FixtureServer} received: what a handler answers, and what a test inspects afterwards
 * through {@link FixtureServer#requests()}.
 *
 * <p>Immutable and thread-safe: the server records it while other requests are still being served.
 */
public final class FixtureRequest {

    private final String method;
    private final String path;
    private final String rawQuery;
    private final Map<String, List<String>> queryParameters;
    private final Map<String, List<String>> headers;
    private final String body;

    /**
     * A request as the server saw it. Tests rarely build one; it is public so that a handler can be unit-tested
     * without a server.
     *
     * @param method the HTTP method, e.g. {@code GET}
     * @param path the decoded path, e.g. {@code /oai}
     * @param rawQuery the query string as sent (still percent-encoded), or {@code null} when there was none
     * @param headers the request headers; names are matched without regard to case
     * @param body the request body as UTF-8 text; empty when there was none
     */
    public FixtureRequest(String method, String path, String rawQuery, Map<String, List<String>> headers,
            String body) {
        this.method = Objects.requireNonNull(method, "method");
        this.path = Objects.requireNonNull(path, "path");
        this.rawQuery = rawQuery;
        this.queryParameters = parseQuery(rawQuery);
        TreeMap<String, List<String>> caseInsensitive = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        if (headers != null) {
            headers.forEach((name, values) -> caseInsensitive.merge(name, List.copyOf(values), FixtureRequest::concat));
        }
        this.headers = Collections.unmodifiableMap(caseInsensitive);
        this.body = body == null ? "" : body;
    }

    /** @return the HTTP method, e.g. {@code GET} or {@code POST} */
    public String method() {
        return method;
    }

    /** @return the decoded path without the query, e.g. {@code /oai} */
    public String path() {
        return path;
    }

    /** @return the query string as sent, still percent-encoded, or empty when the URL had none */
    public Optional<String> rawQuery() {
        return Optional.ofNullable(rawQuery);
    }

    /**
     * The first value of a query parameter, decoded: {@code ?verb=ListRecords&set=a+b} gives {@code a b} for
     * {@code set}. A parameter given without {@code =} has the empty value.
     *
     * @param name the parameter name
     * @return its first value, or empty when the query does not have it
     */
    public Optional<String> query(String name) {
        List<String> values = queryParameters.get(name);
        return values == null ? Optional.empty() : Optional.of(values.get(0));
    }

    /**
     * Every value of a query parameter, decoded, in the order of the query ({@code ?fq=a&fq=b}).
     *
     * @param name the parameter name
     * @return its values; empty when the query does not have it
     */
    public List<String> queryValues(String name) {
        return queryParameters.getOrDefault(name, List.of());
    }

    /** @return every query parameter with all its decoded values, in the order of the query */
    public Map<String, List<String>> queryParameters() {
        return queryParameters;
    }

    /**
     * The first value of a header. Header names are not case-sensitive in HTTP, so neither is this lookup.
     *
     * @param name the header name, e.g. {@code Accept}
     * @return its first value, or empty when the request did not send it
     */
    public Optional<String> header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    /** @return every header with all its values; lookups in this map ignore the case of names */
    public Map<String, List<String>> headers() {
        return headers;
    }

    /** @return the request body as UTF-8 text (a CKAN action's JSON, a form); empty when there was none */
    public String body() {
        return body;
    }

    @Override
    public String toString() {
        return method + " " + path + (rawQuery == null ? "" : "?" + rawQuery);
    }

    private static Map<String, List<String>> parseQuery(String rawQuery) {
        Map<String, List<String>> parameters = new LinkedHashMap<>();
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String pair : rawQuery.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int equals = pair.indexOf('=');
                String name = decode(equals < 0 ? pair : pair.substring(0, equals));
                String value = equals < 0 ? "" : decode(pair.substring(equals + 1));
                parameters.computeIfAbsent(name, key -> new ArrayList<>()).add(value);
            }
        }
        Map<String, List<String>> frozen = new LinkedHashMap<>();
        parameters.forEach((name, values) -> frozen.put(name, List.copyOf(values)));
        return Collections.unmodifiableMap(frozen);
    }

    /** Decodes as a browser's form encoding does ({@code +} is a space): what OAI-PMH and CKAN clients send. */
    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            // A malformed escape is the client's bug to see in the recorded request, not a reason to drop it.
            return text;
        }
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return List.copyOf(all);
    }
}
