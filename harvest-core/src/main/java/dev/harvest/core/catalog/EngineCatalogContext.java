package dev.harvest.core.catalog;

import dev.harvest.api.Settings;
import dev.harvest.api.catalog.CatalogContext;
import dev.harvest.core.db.HarvestDatabase;
import java.time.Clock;

/**
 * What the engine opens catalogs with. It also carries the harvest database, which only the embedded catalog uses.
 *
 * @param settings the checked site settings
 * @param clock the engine's clock
 * @param database the harvest database
 */
public record EngineCatalogContext(Settings settings, Clock clock, HarvestDatabase database)
        implements CatalogContext {}
