package dev.harvest.cli;

import dev.harvest.ckan.CkanCatalog;
import dev.harvest.core.Harvest;
import dev.harvest.core.config.ConfigException;
import dev.harvest.core.config.HarvestConfig;
import java.util.Set;

/**
 * Chooses the catalog datasets go to, from {@code harvest.catalog.type}: {@code embedded} (the default, tables in the
 * harvest database) or {@code ckan} (a remote CKAN written through its action API, see harvest-ckan's README).
 */
final class CatalogSelection {

    /** The keys of the catalogs the CLI can wire. */
    static final Set<String> SETTING_KEYS = CkanCatalog.SETTING_KEYS;

    private CatalogSelection() {}

    static void apply(HarvestConfig config, Harvest.Builder builder) {
        if (CkanCatalog.CATALOG_TYPE.equals(config.get("harvest.catalog.type", "embedded"))) {
            try {
                builder.catalog(CkanCatalog.fromSettings(config));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(e.getMessage());
            }
        }
    }
}
