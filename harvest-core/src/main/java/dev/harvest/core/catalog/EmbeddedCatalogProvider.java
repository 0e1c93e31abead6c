package dev.harvest.core.catalog;

import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogContext;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogProvider;
import dev.harvest.core.store.CatalogStore;

/**
 * The {@code embedded} catalog, the default: datasets in tables of the harvest database. It opens only inside an
 * engine, because it writes through the engine's own database and transactions.
 */
public final class EmbeddedCatalogProvider implements CatalogProvider {

    /** The {@code harvest.catalog.type} of this catalog. */
    public static final String TYPE = "embedded";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Catalog open(CatalogContext context) throws CatalogException {
        if (!(context instanceof EngineCatalogContext engine)) {
            throw new CatalogException("The embedded catalog lives in the harvest database and opens only inside a"
                    + " harvest engine");
        }
        return new EmbeddedCatalog(new CatalogStore(engine.database(), engine.clock()));
    }
}
