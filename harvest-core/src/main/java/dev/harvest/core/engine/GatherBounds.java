package dev.harvest.core.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.api.EngineSourceKeys;
import dev.harvest.api.Settings;
import java.time.Duration;

/**
 * The limits of one gather, from the site settings ({@code harvest.gather.*}) and the source's config
 * ({@code gather_max_objects}, {@code gather_max_seconds}, {@code gather_count_margin}, which override them). A
 * per-source value that is not a usable number is ignored in favour of the site's.
 *
 * @param maxObjects the most objects the gather may create
 * @param maxTime the longest the gather may run
 * @param countMargin the share by which a listing may exceed the remote's declared count
 */
record GatherBounds(long maxObjects, Duration maxTime, double countMargin) {

    /** A listing may always exceed the declared count by this many records (a remote that grows while listed). */
    static final long MIN_COUNT_SLACK = 100;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param settings the site settings
     * @param sourceConfig the source's config JSON, or null
     * @return the bounds of a gather of that source
     */
    static GatherBounds of(Settings settings, String sourceConfig) {
        long maxObjects = Long.parseLong(settings.get("harvest.gather.max_objects", "1000000"));
        long maxSeconds = Long.parseLong(settings.get("harvest.gather.max_seconds", "86400"));
        double margin = Double.parseDouble(settings.get("harvest.gather.count_margin", "0.1"));
        JsonNode config = parse(sourceConfig);
        JsonNode value = config.path(EngineSourceKeys.GATHER_MAX_OBJECTS);
        if (value.canConvertToLong() && value.asLong() > 0) {
            maxObjects = value.asLong();
        }
        value = config.path(EngineSourceKeys.GATHER_MAX_SECONDS);
        if (value.canConvertToLong() && value.asLong() > 0) {
            maxSeconds = value.asLong();
        }
        value = config.path(EngineSourceKeys.GATHER_COUNT_MARGIN);
        if (value.isNumber() && value.asDouble() >= 0) {
            margin = value.asDouble();
        }
        return new GatherBounds(maxObjects, Duration.ofSeconds(maxSeconds), margin);
    }

    /**
     * @param declared the record count the remote declared
     * @return the most distinct guids a listing may bring before the gather stops
     */
    long countLimit(long declared) {
        long slack = Math.max(MIN_COUNT_SLACK, (long) Math.ceil(declared * countMargin));
        return declared > Long.MAX_VALUE - slack ? Long.MAX_VALUE : declared + slack;
    }

    private static JsonNode parse(String config) {
        if (config == null || config.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(config);
        } catch (Exception e) {
            return JSON.createObjectNode();
        }
    }
}
