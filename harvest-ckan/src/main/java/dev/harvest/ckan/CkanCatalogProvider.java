package dev.harvest.ckan;

import dev.harvest.api.SettingDefinition;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogContext;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogProvider;
import java.util.List;

/** The {@code ckan} catalog: a remote CKAN written through its action API (see {@link CkanCatalog}). */
public final class CkanCatalogProvider implements CatalogProvider {

    @Override
    public String type() {
        return CkanCatalog.CATALOG_TYPE;
    }

    @Override
    public List<SettingDefinition> settings() {
        return CkanCatalog.SETTINGS;
    }

    @Override
    public Catalog open(CatalogContext context) throws CatalogException {
        try {
            return CkanCatalog.fromSettings(context.settings());
        } catch (IllegalArgumentException e) {
            throw new CatalogException(e.getMessage());
        }
    }
}
