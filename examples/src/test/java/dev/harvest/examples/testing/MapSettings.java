package dev.harvest.examples.testing;

import dev.harvest.api.Settings;
import dev.harvest.api.http.OutboundPolicy;
import java.util.Map;
import java.util.Optional;

/** Site settings from a map. */
public record MapSettings(Map<String, String> values) implements Settings {

    public static MapSettings empty() {
        return new MapSettings(Map.of());
    }

    /** Lets harvesters reach the loopback test servers, which the outbound HTTP policy refuses by default. */
    public static MapSettings allowingLoopback() {
        return new MapSettings(Map.of(OutboundPolicy.ALLOW_PRIVATE_ADDRESSES, "true"));
    }

    @Override
    public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key));
    }
}
