/**
 * The catalog contract: {@link dev.harvest.testkit.catalog.CatalogContract}, the documented behaviour of
 * {@link dev.harvest.api.catalog.Catalog}, for any implementation of it.
 */
package dev.harvest.testkit.catalog;
