package dev.harvest.core.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Masks the credentials in a source's configuration before a caller who may not see them gets it ({@code api_key},
 * {@code password}, {@code token}, {@code secret}, {@code Authorization}, credentials, at any depth): the one rule
 * the action API, the web pages, the command line and the notification mails apply.
 */
public final class SecretMasking {

    /** What a masked value reads. */
    public static final String MASK = "********";

    private static final List<String> SECRET_KEYS =
            List.of("apikey", "password", "passwd", "token", "secret", "authorization", "credential");

    private static final ObjectMapper JSON = new ObjectMapper();

    private SecretMasking() {}

    /**
     * @param key a configuration key
     * @return whether its value is a credential
     */
    public static boolean isSecretKey(String key) {
        String normalised = key.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "");
        return SECRET_KEYS.stream().anyMatch(normalised::contains);
    }

    /**
     * @param config a configuration, usually a JSON object
     * @return it with every credential's value replaced by {@value #MASK} (unchanged when it has none); a
     *     configuration that is not JSON is masked whole when it is not blank, since nothing tells which part of it
     *     is secret
     */
    public static String maskConfig(String config) {
        if (config == null || config.isBlank()) {
            return config == null ? "" : config;
        }
        try {
            JsonNode parsed = JSON.readTree(config);
            JsonNode masked = mask(parsed);
            // nothing secret: the config as its author wrote it
            return masked.equals(parsed) ? config : JSON.writeValueAsString(masked);
        } catch (Exception e) {
            return MASK;
        }
    }

    /**
     * @param value a JSON value
     * @return a copy with every credential's value masked
     */
    public static JsonNode mask(JsonNode value) {
        if (value instanceof ObjectNode object) {
            ObjectNode copy = JSON.createObjectNode();
            for (Map.Entry<String, JsonNode> field : object.properties()) {
                copy.set(field.getKey(), isSecretKey(field.getKey()) && !field.getValue().isNull()
                        ? TextNode.valueOf(MASK) : mask(field.getValue()));
            }
            return copy;
        }
        if (value instanceof ArrayNode array) {
            ArrayNode copy = JSON.createArrayNode();
            array.forEach(item -> copy.add(mask(item)));
            return copy;
        }
        return value;
    }
}
