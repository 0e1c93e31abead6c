package dev.harvest.api.catalog;

import dev.harvest.api.SettingDefinition;
import java.util.List;

/**
 * A kind of local catalog, discovered with {@link java.util.ServiceLoader} through
 * {@code META-INF/services/dev.harvest.api.catalog.CatalogProvider} and chosen by the site setting
 * {@code harvest.catalog.type}.
 *
 * <p>harvest ships two: {@code embedded} (datasets in tables of the harvest database, the default) and {@code ckan}
 * (a CKAN written through its action API). A catalog application that embeds harvest usually hands its catalog to
 * the engine's builder instead of writing a provider; a provider is for catalogs an operator picks by configuration.
 */
public interface CatalogProvider {

    /** @return the {@code harvest.catalog.type} value that selects this catalog, e.g. {@code ckan} */
    String type();

    /**
     * The site settings this catalog reads, so that the engine accepts them in the configuration file and
     * {@code harvester config --list} shows them. Keys should start with {@code harvest.catalog.<type>.}.
     *
     * <p>The default declares none.
     *
     * @return the declared settings, with defaults and one-line descriptions
     */
    default List<SettingDefinition> settings() {
        return List.of();
    }

    /**
     * Opens the catalog. Called once per engine, and only when {@code harvest.catalog.type} names this provider; the
     * engine calls {@link Catalog#close()} on the result when it shuts down.
     *
     * @param context the site settings and the engine's clock
     * @return the catalog, ready for use
     * @throws CatalogException if the settings are incomplete or invalid (the message names the key) or the catalog
     *     cannot be reached
     */
    Catalog open(CatalogContext context) throws CatalogException;
}
