package dev.harvest.examples.datajson;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.harvest.api.ConfigValidationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The configuration of a {@code datajson} harvest source: a JSON object with these optional keys.
 *
 * <ul>
 *   <li>{@code filters}: an object mapping a DCAT-US field to the value it must have; only datasets that match every
 *       filter are harvested. A field may be a dotted path into nested objects ({@code publisher.name}); a field
 *       holding an array matches when the array contains the value. Values are strings, numbers or booleans.
 *   <li>{@code defaults}: an object of DCAT-US fields given to every dataset that lacks them (applied before the
 *       filters), e.g. {@code {"accessLevel": "public"}}.
 *   <li>{@code timeout_seconds}: a positive integer, the connect and response timeout of the download, and how
 *       long a read may wait for more bytes (default {@value #DEFAULT_TIMEOUT_SECONDS}).
 * </ul>
 *
 * <p>The engine's own per-source keys ({@link dev.harvest.api.EngineSourceKeys}) are accepted but not used here;
 * the engine checks their types when a source is saved. {@code force_deletions} (boolean) and
 * {@code deletion_guard_max_share} (a number from 0 to 1), which tune its deletion guard, are checked here too.
 *
 * @param filters the required values by field, in order; never {@code null}
 * @param defaults the default fields; never {@code null}
 * @param timeout the download timeout
 */
public record DataJsonConfig(Map<String, JsonNode> filters, ObjectNode defaults, Duration timeout) {

    /** The download timeout when {@code timeout_seconds} is not set. */
    public static final int DEFAULT_TIMEOUT_SECONDS = 60;

    private static final Set<String> KNOWN_KEYS =
            Set.of("filters", "defaults", "timeout_seconds", "force_deletions", "deletion_guard_max_share",
                    "allow_takeover", "gather_max_objects", "gather_max_seconds", "gather_count_margin");
    private static final ObjectMapper JSON = new ObjectMapper();

    public DataJsonConfig {
        filters = Map.copyOf(filters);
        defaults = defaults.deepCopy();
    }

    /** @return the configuration of a source with an empty config */
    public static DataJsonConfig defaultConfig() {
        return new DataJsonConfig(Map.of(), JsonNodeFactory.instance.objectNode(),
                Duration.ofSeconds(DEFAULT_TIMEOUT_SECONDS));
    }

    /**
     * Parses and checks a source configuration.
     *
     * @param config the configuration as stored; {@code null} or blank means all defaults
     * @return the configuration
     * @throws ConfigValidationException naming the key that is unknown or has a wrong type
     */
    public static DataJsonConfig parse(String config) throws ConfigValidationException {
        if (config == null || config.isBlank()) {
            return defaultConfig();
        }
        JsonNode root;
        try {
            root = JSON.readTree(config);
        } catch (JsonProcessingException e) {
            throw new ConfigValidationException("The configuration is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || root.isMissingNode()) {
            return defaultConfig();
        }
        if (!root.isObject()) {
            throw new ConfigValidationException(
                    "The configuration must be a JSON object, not " + describe(root));
        }
        List<String> unknown = new ArrayList<>();
        root.fieldNames().forEachRemaining(key -> {
            if (!KNOWN_KEYS.contains(key)) {
                unknown.add(key);
            }
        });
        if (!unknown.isEmpty()) {
            throw new ConfigValidationException("Unknown configuration option" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown) + "; the datajson harvester knows defaults, filters, timeout_seconds"
                    + " and the engine's force_deletions, deletion_guard_max_share, allow_takeover, gather_max_objects,"
                    + " gather_max_seconds and gather_count_margin");
        }
        checkEngineKeys(root);
        return new DataJsonConfig(
                parseFilters(root.get("filters")), parseDefaults(root.get("defaults")), parseTimeout(root));
    }

    /** The engine reads these from the same JSON; a typo must not silently disable its deletion guard. */
    private static void checkEngineKeys(JsonNode root) throws ConfigValidationException {
        JsonNode force = root.get("force_deletions");
        if (force != null && !force.isBoolean()) {
            throw new ConfigValidationException("force_deletions must be true or false, not " + describe(force));
        }
        JsonNode share = root.get("deletion_guard_max_share");
        if (share != null && (!share.isNumber() || share.doubleValue() < 0 || share.doubleValue() > 1)) {
            throw new ConfigValidationException(
                    "deletion_guard_max_share must be a number from 0 to 1, not " + describe(share));
        }
    }

    private static Map<String, JsonNode> parseFilters(JsonNode filters) throws ConfigValidationException {
        if (filters == null || filters.isNull()) {
            return Map.of();
        }
        if (!filters.isObject()) {
            throw new ConfigValidationException("filters must be a JSON object mapping a dataset field to the value "
                    + "it must have, not " + describe(filters));
        }
        Map<String, JsonNode> parsed = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = filters.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> filter = it.next();
            if (filter.getKey().isBlank()) {
                throw new ConfigValidationException("filters has an empty field name");
            }
            JsonNode value = filter.getValue();
            if (!value.isTextual() && !value.isNumber() && !value.isBoolean()) {
                throw new ConfigValidationException("filters." + filter.getKey()
                        + " must be a string, number or boolean, not " + describe(value));
            }
            parsed.put(filter.getKey(), value);
        }
        return parsed;
    }

    private static ObjectNode parseDefaults(JsonNode defaults) throws ConfigValidationException {
        if (defaults == null || defaults.isNull()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!defaults.isObject()) {
            throw new ConfigValidationException(
                    "defaults must be a JSON object of dataset fields, not " + describe(defaults));
        }
        return (ObjectNode) defaults;
    }

    private static Duration parseTimeout(JsonNode root) throws ConfigValidationException {
        JsonNode timeout = root.get("timeout_seconds");
        if (timeout == null || timeout.isNull()) {
            return Duration.ofSeconds(DEFAULT_TIMEOUT_SECONDS);
        }
        if (!timeout.isIntegralNumber() || !timeout.canConvertToInt() || timeout.intValue() <= 0) {
            throw new ConfigValidationException(
                    "timeout_seconds must be a positive integer, not " + describe(timeout));
        }
        return Duration.ofSeconds(timeout.intValue());
    }

    /** Names a JSON value's type, and shows scalars, for error messages. */
    static String describe(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case STRING -> "the string \"" + node.textValue() + "\"";
            case NUMBER -> "the number " + node.numberValue();
            case BOOLEAN -> "the boolean " + node.booleanValue();
            case NULL -> "null";
            default -> node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /**
     * Whether a dataset passes every filter.
     *
     * @param dataset a DCAT-US dataset object
     * @return true if it has the required value of every filtered field
     */
    public boolean matches(JsonNode dataset) {
        for (Map.Entry<String, JsonNode> filter : filters.entrySet()) {
            if (!fieldMatches(valueAt(dataset, filter.getKey()), filter.getValue())) {
                return false;
            }
        }
        return true;
    }

    /**
     * Gives a dataset the default fields it lacks.
     *
     * @param dataset a DCAT-US dataset object, changed in place
     */
    public void applyDefaults(ObjectNode dataset) {
        defaults.fields().forEachRemaining(field -> {
            JsonNode present = dataset.get(field.getKey());
            if (present == null || present.isNull()) {
                dataset.set(field.getKey(), field.getValue().deepCopy());
            }
        });
    }

    private static JsonNode valueAt(JsonNode dataset, String dottedPath) {
        JsonNode direct = dataset.get(dottedPath);
        if (direct != null) {
            return direct;
        }
        JsonNode node = dataset;
        for (String step : dottedPath.split("\\.")) {
            node = node == null ? null : node.get(step);
        }
        return node;
    }

    private static boolean fieldMatches(JsonNode actual, JsonNode required) {
        if (actual == null) {
            return false;
        }
        if (actual.isArray()) {
            for (JsonNode item : actual) {
                if (scalarEquals(item, required)) {
                    return true;
                }
            }
            return false;
        }
        return scalarEquals(actual, required);
    }

    private static boolean scalarEquals(JsonNode actual, JsonNode required) {
        if (actual.isValueNode() && required.isValueNode()) {
            // "true" in a document and true in the config, or 2 and "2", mean the same thing to a reader.
            return actual.asText().equals(required.asText());
        }
        return actual.equals(required);
    }
}
