package dev.harvest.api;

import java.util.Objects;

/**
 * One site setting that a plugin reads, declared so that the engine can check a configuration file against what the
 * loaded plugins understand, and list every key with its default ({@code harvester config --list}).
 *
 * <p>Harvesters declare theirs in {@link Harvester#settings()}, queue backends in
 * {@link dev.harvest.api.queue.HarvestQueueProvider#settings()} and catalogs in
 * {@link dev.harvest.api.catalog.CatalogProvider#settings()}. A key in the file that nobody declares is rejected,
 * naming the key and the plugins loaded, so a typo never silently falls back to a default.
 */
public final class SettingDefinition {

    private final String key;
    private final String defaultValue;
    private final String description;

    private SettingDefinition(String key, String defaultValue, String description) {
        this.key = Objects.requireNonNull(key, "key").strip();
        if (this.key.isEmpty() || this.key.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("A setting key must be non-empty and without spaces, not '" + key + "'");
        }
        this.defaultValue = defaultValue;
        this.description = description == null ? "" : description.strip();
    }

    /**
     * Declares a setting.
     *
     * @param key the key as written in the configuration file, e.g. {@code myplugin.page_size}; by convention
     *     prefixed with the plugin's name
     * @param defaultValue the value used when the file does not set the key, or {@code null} when there is none
     * @param description one line saying what the setting does, shown by {@code harvester config --list}
     * @return the definition
     * @throws IllegalArgumentException if the key is empty or contains whitespace
     */
    public static SettingDefinition of(String key, String defaultValue, String description) {
        return new SettingDefinition(key, defaultValue, description);
    }

    /** @return the key, e.g. {@code ckan.harvest.mq.hostname} */
    public String key() {
        return key;
    }

    /** @return the default value, or {@code null} when the setting has none */
    public String defaultValue() {
        return defaultValue;
    }

    /** @return the one-line description; empty when none was given */
    public String description() {
        return description;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SettingDefinition that && key.equals(that.key)
                && Objects.equals(defaultValue, that.defaultValue) && description.equals(that.description);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, defaultValue, description);
    }

    @Override
    public String toString() {
        return key + (defaultValue == null ? "" : " = " + defaultValue);
    }
}
