package dev.harvest.examples.testing;

import dev.harvest.api.Settings;
import java.util.Map;
import java.util.Optional;

/** Site settings from a map. */
public record MapSettings(Map<String, String> values) implements Settings {

    public static MapSettings empty() {
        return new MapSettings(Map.of());
    }

    @Override
    public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key));
    }
}
