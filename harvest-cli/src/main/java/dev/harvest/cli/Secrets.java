package dev.harvest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Masks credentials in a source's configuration before it is shown. */
final class Secrets {

    static final String MASK = "********";

    /** Parts of a key (lowercase, without {@code _} and {@code -}) that mark a credential. */
    private static final List<String> SECRET_KEYS =
            List.of("apikey", "password", "passwd", "token", "secret", "authorization", "credential");

    private static final ObjectMapper JSON = new ObjectMapper();

    private Secrets() {}

    /**
     * @param key a configuration key
     * @return whether its value is a credential (e.g. {@code api_key}, {@code password}, {@code Authorization},
     *     {@code access_token}, {@code client_secret})
     */
    static boolean isSecretKey(String key) {
        String normalised = key.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "");
        return SECRET_KEYS.stream().anyMatch(normalised::contains);
    }

    /**
     * @param config a source configuration, usually a JSON object
     * @return the same configuration with the value of every credential key replaced by {@value #MASK}, at any
     *     depth; a configuration that is not JSON is shown as it is
     */
    static String maskConfig(String config) {
        if (config == null || config.isBlank()) {
            return "";
        }
        try {
            JsonNode node = JSON.readTree(config);
            return JSON.writeValueAsString(mask(node));
        } catch (Exception e) {
            return config;
        }
    }

    private static JsonNode mask(JsonNode node) {
        if (node instanceof ObjectNode object) {
            ObjectNode copy = JSON.createObjectNode();
            for (Map.Entry<String, JsonNode> field : object.properties()) {
                copy.set(field.getKey(), isSecretKey(field.getKey()) && !field.getValue().isNull()
                        ? TextNode.valueOf(MASK) : mask(field.getValue()));
            }
            return copy;
        }
        if (node instanceof ArrayNode array) {
            ArrayNode copy = JSON.createArrayNode();
            array.forEach(item -> copy.add(mask(item)));
            return copy;
        }
        return node;
    }
}
