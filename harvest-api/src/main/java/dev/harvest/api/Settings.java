package dev.harvest.api;

import java.util.Optional;

/** Read access to the site-wide configuration (the properties file given with {@code --config}). */
public interface Settings {

    /**
     * Looks up one key, e.g. {@code ckan.site_id} or {@code ckan.harvest.not_overwrite_fields}.
     *
     * @param key the configuration key
     * @return the value, or empty when it is not set
     */
    Optional<String> get(String key);

    /**
     * Looks up one key with a default.
     *
     * @param key the configuration key
     * @param defaultValue returned when the key is not set
     * @return the value or the default
     */
    default String get(String key, String defaultValue) {
        return get(key).orElse(defaultValue);
    }

    /** @return the {@code ckan.site_id}, {@code default} when unset */
    default String siteId() {
        return get("ckan.site_id", "default");
    }
}
