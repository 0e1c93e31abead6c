/**
 * The catalog SPI: where imported datasets go.
 *
 * <p>The host application implements {@link dev.harvest.api.catalog.Catalog}; harvest ships an embedded catalog
 * stored in the harvest database (the default) and one that writes to a remote CKAN through its action API.
 * Datasets, groups and organizations are CKAN dictionaries ({@link dev.harvest.api.catalog.Dataset},
 * {@link dev.harvest.api.catalog.CatalogGroup}), and fields a catalog does not know are kept on round trips.
 */
package dev.harvest.api.catalog;
