package dev.harvest.ckan;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Jackson plumbing shared by the module: CKAN dicts are ordered maps of plain JSON values. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The deepest nesting of objects and arrays a whole response may have; deeper responses fail as a whole. */
    static final int MAX_RESPONSE_DEPTH = 1000;

    /** The deepest nesting of objects and arrays one remote record may have (the record itself is level 1). */
    static final int MAX_RECORD_DEPTH = 100;

    /**
     * Reads a response that holds many records ({@code package_search} pages, {@code package_show}): it accepts the
     * non-standard numbers {@code NaN} and {@code Infinity}, which Python's JSON encoder writes, so that one such value
     * fails only the record holding it (see {@link #recordProblem}); the nesting bound stays, at
     * {@value #MAX_RESPONSE_DEPTH} levels.
     */
    static final ObjectMapper TOLERANT_MAPPER = new ObjectMapper(JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_RESPONSE_DEPTH).build())
            .build())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * {@link #TOLERANT_MAPPER} with floating-point numbers read as doubles: the fallback for a response holding a
     * number whose exponent is beyond what {@link java.math.BigDecimal} takes ({@code 1e9999999999}), which then reads
     * as infinite and fails its record only.
     */
    static final ObjectMapper TOLERANT_DOUBLES_MAPPER = TOLERANT_MAPPER.copy()
            .disable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private static final TypeReference<LinkedHashMap<String, Object>> MAP_TYPE = new TypeReference<>() {};

    private Json() {}

    static JsonNode parse(String text) throws JsonProcessingException {
        return MAPPER.readTree(text);
    }

    static LinkedHashMap<String, Object> toMap(JsonNode node) {
        return MAPPER.convertValue(node, MAP_TYPE);
    }

    static LinkedHashMap<String, Object> parseObject(String text) throws JsonProcessingException {
        return MAPPER.readValue(text, MAP_TYPE);
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Value cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The parser's message without Jackson's source dump, for error messages shown to operators. */
    static String describe(JsonProcessingException e) {
        String location = e.getLocation() == null
                ? ""
                : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
        return e.getOriginalMessage() + location;
    }

    /**
     * What makes one remote record unfit to store, if anything: a number that is not finite ({@code NaN},
     * {@code Infinity}, which JSON cannot carry) or nesting deeper than {@value #MAX_RECORD_DEPTH} levels.
     *
     * @param record a record as read by {@link #TOLERANT_MAPPER}
     * @return the problem and where it is, e.g. {@code a number that is not finite or out of range (NaN) at
     *     extras[2].value}; empty if the record is fine
     */
    static Optional<String> recordProblem(JsonNode record) {
        StringBuilder path = new StringBuilder();
        String what = problem(record, 1, path);
        if (what == null) {
            return Optional.empty();
        }
        String where = path.length() > 0 && path.charAt(0) == '.' ? path.substring(1) : path.toString();
        return Optional.of(what + (where.isEmpty() ? "" : " at " + where));
    }

    /** The problem inside a node, with its path prepended to {@code path} on the way out. */
    private static String problem(JsonNode node, int depth, StringBuilder path) {
        if (node.isContainerNode() && depth > MAX_RECORD_DEPTH) {
            return "nesting deeper than " + MAX_RECORD_DEPTH + " levels";
        }
        if ((node.isDouble() || node.isFloat()) && !Double.isFinite(node.doubleValue())) {
            return "a number that is not finite or out of range (" + node.asText() + ")";
        }
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                String found = problem(field.getValue(), depth + 1, path);
                if (found != null) {
                    path.insert(0, "." + pathName(field.getKey()));
                    return found;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String found = problem(node.get(i), depth + 1, path);
                if (found != null) {
                    path.insert(0, "[" + i + "]");
                    return found;
                }
            }
        }
        return null;
    }

    private static String pathName(String key) {
        String shown = key.length() > 40 ? key.substring(0, 40) + "..." : key;
        return shown.replaceAll("[^\\x20-\\x7e]", "?");
    }

    static Map<String, Object> copy(Map<String, Object> map) {
        return new LinkedHashMap<>(map);
    }
}
