package dev.harvest.cli;

import dev.harvest.core.Harvest;
import dev.harvest.core.config.HarvestConfig;

/** Chooses the catalog datasets go to, from {@code harvest.catalog.type}. */
final class CatalogSelection {

    private CatalogSelection() {}

    static void apply(HarvestConfig config, Harvest.Builder builder) {
        // embedded: the builder's default
    }
}
