package dev.harvest.api;

import java.util.Objects;

/**
 * The descriptors of a harvester, as ckanext-harvest's {@code info()} dictionary.
 *
 * @param name machine-readable name, stored as the source type (e.g. {@code ckan}); lowercase letters, digits,
 *     {@code -} and {@code _}
 * @param title human-readable name shown in the UI (e.g. {@code CKAN})
 * @param description one sentence shown as guidance when creating a source
 */
public record HarvesterInfo(String name, String title, String description) {

    /**
     * Checks the name and fills the optional fields.
     *
     * @param name machine-readable name
     * @param title human-readable name; the name when blank
     * @param description one sentence; empty when {@code null}
     * @throws IllegalArgumentException if the name has other characters than lowercase letters, digits, - and _
     */
    public HarvesterInfo {
        Objects.requireNonNull(name, "name");
        if (!name.matches("[a-z0-9_-]+")) {
            throw new IllegalArgumentException(
                    "Harvester name '" + name + "' must consist of lowercase letters, digits, '-' and '_'");
        }
        title = title == null || title.isBlank() ? name : title;
        description = description == null ? "" : description;
    }
}
