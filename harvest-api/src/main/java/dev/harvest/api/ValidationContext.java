package dev.harvest.api;

import dev.harvest.api.catalog.Catalog;

/** What {@link Harvester#validateConfig(String, ValidationContext)} may consult. */
public interface ValidationContext {

    /**
     * The local catalog, read-only by convention: validation must not write to it.
     *
     * @return the catalog datasets are imported into
     */
    Catalog catalog();

    /**
     * The site-wide settings.
     *
     * @return the settings of this harvest installation
     */
    Settings settings();
}
