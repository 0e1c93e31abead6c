package dev.harvest.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.api.EngineSourceKeys;
import java.util.ArrayList;
import java.util.List;

/**
 * Type checks of the keys of a source's config that the engine reads itself ({@link EngineSourceKeys}), whatever
 * the harvester: a value the engine could not use is refused when the source is saved, instead of being ignored
 * at its next gather.
 */
final class EngineSourceConfig {

    private static final ObjectMapper JSON = new ObjectMapper();

    private EngineSourceConfig() {}

    /**
     * @param config a source's config, as its harvester validated it
     * @return one message per engine key whose value is unusable; empty when the config is not a JSON object
     */
    static List<String> problems(String config) {
        List<String> problems = new ArrayList<>();
        JsonNode node;
        try {
            node = config == null || config.isBlank() ? null : JSON.readTree(config);
        } catch (Exception e) {
            return problems; // not JSON: the harvester's own format, which its validateConfig accepted
        }
        if (node == null || !node.isObject()) {
            return problems;
        }
        for (String key : List.of(EngineSourceKeys.FORCE_DELETIONS, EngineSourceKeys.ALLOW_TAKEOVER)) {
            if (node.has(key) && !node.get(key).isBoolean()) {
                problems.add(key + " must be true or false, not " + node.get(key));
            }
        }
        for (String key : List.of(EngineSourceKeys.GATHER_MAX_OBJECTS, EngineSourceKeys.GATHER_MAX_SECONDS)) {
            if (node.has(key) && !(node.get(key).canConvertToLong() && node.get(key).isIntegralNumber()
                    && node.get(key).asLong() > 0)) {
                problems.add(key + " must be a whole number above 0, not " + node.get(key));
            }
        }
        JsonNode share = node.get(EngineSourceKeys.DELETION_GUARD_MAX_SHARE);
        if (share != null && !(share.isNumber() && share.asDouble() >= 0 && share.asDouble() <= 1)) {
            problems.add(EngineSourceKeys.DELETION_GUARD_MAX_SHARE + " must be a number from 0 to 1, not " + share);
        }
        JsonNode margin = node.get(EngineSourceKeys.GATHER_COUNT_MARGIN);
        if (margin != null && !(margin.isNumber() && margin.asDouble() >= 0)) {
            problems.add(EngineSourceKeys.GATHER_COUNT_MARGIN + " must be a number from 0 up, not " + margin);
        }
        return problems;
    }
}
