package dev.harvest.testkit.catalog;

import dev.harvest.api.catalog.Catalog;
import dev.harvest.testkit.fixtures.InMemoryCatalog;

/**
 * The catalog contract against a catalog written on the API alone, shared by every test as a remote catalog would
 * be: the contract must not depend on a fresh catalog or on harvest-core.
 */
class InMemoryCatalogContractTest extends CatalogContract {

    private static final InMemoryCatalog SHARED = new InMemoryCatalog();

    @Override
    protected Catalog catalog() {
        return SHARED;
    }
}
