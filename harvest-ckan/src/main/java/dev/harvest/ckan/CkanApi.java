package dev.harvest.ckan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;

/**
 * The action API (v3) of one remote CKAN: builds {@code <base>/api/3/action/<action>} URLs, sends them through a
 * shared {@link HttpTransport}, and unwraps CKAN's {@code {"success": ..., "result": ...}} envelope.
 *
 * <p>Every failure becomes a {@link CkanRemoteException} whose message names the URL: a non-2xx status
 * ({@code HTTP error: <status> <url>}, followed by CKAN's error when the body is an error envelope), an HTML page or
 * other non-JSON body, a truncated body, an envelope with {@code success: false}. A message never quotes a body that
 * is not a CKAN error envelope: it names the status, content type and length instead.
 */
public final class CkanApi {

    private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
    /** The longest CKAN error explanation quoted in a message. */
    private static final int ERROR_LENGTH = 1000;

    private final HttpUrl base;
    private final String apiKey;
    private final String userAgent;
    private final HttpTransport transport;

    /**
     * @param baseUrl the CKAN's site URL, possibly with a path prefix ({@code https://example.org/data}); a trailing
     *     {@code /} is ignored
     * @param apiKey sent as the {@code Authorization} header, or {@code null}
     * @param userAgent the {@code User-Agent}, or {@code null} for {@link HttpTransport#DEFAULT_USER_AGENT}
     * @param transport the shared HTTP transport
     * @throws IllegalArgumentException if the URL is not an http(s) URL
     */
    public CkanApi(String baseUrl, String apiKey, String userAgent, HttpTransport transport) {
        this.base = parseBase(baseUrl);
        this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
        this.userAgent = userAgent == null || userAgent.isBlank() ? HttpTransport.DEFAULT_USER_AGENT : userAgent;
        this.transport = Objects.requireNonNull(transport, "transport");
    }

    /**
     * The base URL as ckanext-harvest uses it: the source URL without trailing {@code /}.
     *
     * @param url a source URL
     * @return the URL without trailing slashes
     */
    public static String stripTrailingSlashes(String url) {
        String trimmed = url == null ? "" : url.trim();
        int end = trimmed.length();
        while (end > 0 && trimmed.charAt(end - 1) == '/') {
            end--;
        }
        return trimmed.substring(0, end);
    }

    /** @return the base URL without trailing {@code /} */
    public String baseUrl() {
        return stripTrailingSlashes(base.toString());
    }

    /**
     * The URL of an action with query parameters, each encoded once.
     *
     * @param action e.g. {@code package_search}
     * @param params name/value pairs in order; {@code null} values are left out
     * @return the URL
     */
    public HttpUrl actionUrl(String action, List<Map.Entry<String, String>> params) {
        HttpUrl.Builder url = base.newBuilder();
        for (String segment : List.of("api", "3", "action", action)) {
            url.addPathSegment(segment);
        }
        for (Map.Entry<String, String> param : params) {
            if (param.getValue() != null) {
                url.addQueryParameter(param.getKey(), param.getValue());
            }
        }
        return url.build();
    }

    /**
     * Calls a read action with GET.
     *
     * @param action the action name
     * @param params the query parameters
     * @return the envelope's {@code result}
     * @throws CkanRemoteException if the call or the response is not right
     */
    public JsonNode get(String action, List<Map.Entry<String, String>> params) throws CkanRemoteException {
        return get(actionUrl(action, params));
    }

    /**
     * Calls a read action with GET.
     *
     * @param url the full action URL
     * @return the envelope's {@code result}
     * @throws CkanRemoteException if the call or the response is not right
     */
    public JsonNode get(HttpUrl url) throws CkanRemoteException {
        return result(fetch(url));
    }

    /**
     * Calls a read action whose result holds remote records, with GET, reading {@code NaN} and {@code Infinity} and
     * nesting up to {@value Json#MAX_RESPONSE_DEPTH} levels, so that the caller can refuse one record
     * ({@link Json#recordProblem}) rather than the whole response.
     *
     * @param url the full action URL
     * @return the envelope's {@code result}
     * @throws CkanRemoteException if the call or the response as a whole is not right
     */
    JsonNode getRecords(HttpUrl url) throws CkanRemoteException {
        Request request = requestBuilder(url).get().build();
        return result(envelope(transport.send(request, true), Json.TOLERANT_MAPPER));
    }

    /**
     * Sends a GET and checks status, content type and envelope, returning the whole parsed envelope and its raw
     * text (the gather compares consecutive pages).
     *
     * @param url the full action URL
     * @return the response text and its parsed envelope
     * @throws CkanRemoteException if the call or the response is not right
     */
    Envelope fetch(HttpUrl url) throws CkanRemoteException {
        Request request = requestBuilder(url).get().build();
        return envelope(transport.send(request, true));
    }

    /**
     * Calls a write action with a JSON body (POST).
     *
     * @param action the action name, e.g. {@code package_create}
     * @param body the data dict
     * @return the envelope's {@code result}
     * @throws CkanRemoteException if the call or the response is not right
     */
    public JsonNode post(String action, Map<String, ?> body) throws CkanRemoteException {
        HttpUrl url = actionUrl(action, List.of());
        Request request = requestBuilder(url).post(RequestBody.create(Json.write(body), JSON)).build();
        return result(envelope(transport.send(request, false)));
    }

    /**
     * A parsed CKAN response.
     *
     * @param text the raw body
     * @param node the parsed envelope
     * @param url the requested URL
     */
    record Envelope(String text, JsonNode node, String url) {}

    private Request.Builder requestBuilder(HttpUrl url) {
        Request.Builder request = new Request.Builder().url(url)
                .header("User-Agent", userAgent)
                .header("Accept", "application/json");
        if (apiKey != null) {
            request.header("Authorization", apiKey);
        }
        return request;
    }

    static JsonNode result(Envelope envelope) throws CkanRemoteException {
        JsonNode result = envelope.node().get("result");
        if (result == null) {
            throw new CkanRemoteException("Response from " + envelope.url() + " has no \"result\"", envelope.url(),
                    200, null, null);
        }
        return result;
    }

    private static Envelope envelope(HttpTransport.HttpResponse response) throws CkanRemoteException {
        return envelope(response, Json.MAPPER);
    }

    /**
     * Checks status, content type and envelope. No message quotes the body: a remote (or a page it redirects to) may
     * put anything there, and messages end up in reports; they name status, content type and length instead. Only the
     * {@code error} of a CKAN error envelope is shown, as CKAN's own explanation.
     */
    static Envelope envelope(HttpTransport.HttpResponse response, ObjectMapper mapper)
            throws CkanRemoteException {
        String url = response.url();
        int status = response.status();
        String contentType = response.contentType() == null ? "" : response.contentType().toLowerCase(Locale.ROOT);
        boolean html = contentType.contains("html");
        JsonNode node = null;
        String parseError = null;
        if (!html) {
            try {
                node = mapper.readTree(response.body());
            } catch (JsonProcessingException e) {
                parseError = parseProblem(e);
            } catch (NumberFormatException e) {
                // Jackson's BigDecimal refuses exponents beyond int range (1e9999999999) with this, not a parse error.
                // Reading records, such a number fails its record only: read as a double, it is infinite.
                parseError = "a number is out of range";
                if (mapper == Json.TOLERANT_MAPPER) {
                    try {
                        node = Json.TOLERANT_DOUBLES_MAPPER.readTree(response.body());
                        parseError = null;
                    } catch (JsonProcessingException | NumberFormatException stillBad) {
                        parseError = stillBad instanceof JsonProcessingException jpe ? parseProblem(jpe) : parseError;
                    }
                }
            }
        }
        if (!response.isSuccessful()) {
            String detail = node == null ? "" : capped(ckanError(node));
            throw new CkanRemoteException("HTTP error: " + status + " " + url + (detail.isEmpty() ? "" : ": " + detail),
                    url, status, node == null ? null : errorType(node), null);
        }
        if (html) {
            throw new CkanRemoteException("Response from " + url + " is not JSON (" + describe(response)
                    + "; an error page or a login page?)", url, status, null, null);
        }
        if (node == null || node.isMissingNode()) {
            String what = response.body().isBlank() ? "is empty" : "is not valid JSON";
            throw new CkanRemoteException("Response from " + url + " " + what + " (" + describe(response)
                    + (parseError == null ? "" : "; " + parseError) + ")", url, status, null, null);
        }
        JsonNode success = node.get("success");
        if (!node.isObject() || success == null || !success.isBoolean()) {
            throw new CkanRemoteException("Response from " + url
                    + " is not a CKAN action API response (no boolean \"success\"; " + describe(response) + ")", url,
                    status, null, null);
        }
        if (!success.booleanValue()) {
            throw new CkanRemoteException("CKAN reported an error for " + url + ": " + capped(ckanError(node)), url,
                    status, errorType(node), null);
        }
        return new Envelope(response.body(), node, url);
    }

    /** Status, content type and length of a response, for messages that must not quote its body. */
    static String describe(HttpTransport.HttpResponse response) {
        String type = response.contentType() == null || response.contentType().isBlank() ? "none"
                : response.contentType().replaceAll("[^\\x20-\\x7e]", "?");
        if (type.length() > 100) {
            type = type.substring(0, 100) + "...";
        }
        return "HTTP " + response.status() + ", Content-Type " + type + ", " + response.length() + " bytes";
    }

    /** Where and how the JSON broke, without the parser's quote of the offending text. */
    private static String parseProblem(JsonProcessingException e) {
        String where = e.getLocation() == null ? ""
                : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
        if (e instanceof com.fasterxml.jackson.core.io.JsonEOFException) {
            return "it ends early" + where + " (truncated?)";
        }
        if (e instanceof com.fasterxml.jackson.core.exc.StreamConstraintsException) {
            return "it is over a parser limit" + where + " (nesting depth or size)";
        }
        return "parse error" + where;
    }

    /** CKAN's error explanation on one line, at most {@value #ERROR_LENGTH} characters (a remote writes it). */
    private static String capped(String text) {
        String line = text.replaceAll("[\\p{Cntrl}\\u2028\\u2029]+", " ").strip();
        return line.length() <= ERROR_LENGTH ? line : line.substring(0, ERROR_LENGTH) + "... (" + line.length()
                + " characters)";
    }

    private static String errorType(JsonNode envelope) {
        JsonNode error = envelope.path("error");
        return error.hasNonNull("__type") ? error.get("__type").asText() : null;
    }

    /**
     * Renders CKAN's {@code error} dict readably: {@code Validation Error: name: That URL is already in use.}.
     *
     * @param envelope a parsed response
     * @return the rendered error, or empty if there is none
     */
    static String ckanError(JsonNode envelope) {
        JsonNode error = envelope.get("error");
        if (error == null || error.isNull()) {
            return "";
        }
        if (!error.isObject()) {
            return error.asText();
        }
        List<String> parts = new ArrayList<>();
        String type = errorType(envelope);
        if (error.hasNonNull("message")) {
            parts.add(error.get("message").asText());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = error.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals("__type") || field.getKey().equals("message")) {
                continue;
            }
            parts.add(field.getKey() + ": " + flatten(field.getValue()));
        }
        String body = String.join("; ", parts);
        if (type == null) {
            return body;
        }
        return body.isEmpty() ? type : type + ": " + body;
    }

    private static String flatten(JsonNode value) {
        if (value.isArray()) {
            List<String> items = new ArrayList<>();
            value.forEach(item -> items.add(flatten(item)));
            return String.join(", ", items);
        }
        if (value.isObject()) {
            List<String> items = new ArrayList<>();
            value.properties().forEach(f -> items.add(f.getKey() + ": " + flatten(f.getValue())));
            return "{" + String.join("; ", items) + "}";
        }
        return value.asText();
    }

    private static HttpUrl parseBase(String baseUrl) {
        String stripped = stripTrailingSlashes(baseUrl);
        HttpUrl url = HttpUrl.parse(stripped);
        if (url == null) {
            throw new IllegalArgumentException("Not an http(s) URL: '" + baseUrl + "'");
        }
        // Drop the empty segment HttpUrl keeps for a bare host, so segments are appended after the prefix.
        HttpUrl.Builder builder = url.newBuilder().query(null).fragment(null);
        if (url.pathSegments().size() == 1 && url.pathSegments().get(0).isEmpty()) {
            builder.removePathSegment(0);
        }
        return builder.build();
    }
}
