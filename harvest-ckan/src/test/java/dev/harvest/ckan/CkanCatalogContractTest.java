package dev.harvest.ckan;

import dev.harvest.api.catalog.Catalog;
import dev.harvest.testkit.catalog.CatalogContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The catalog contract for {@link CkanCatalog}, writing through the action API to {@link MockCkan}, which plays a
 * target CKAN: every test gets an empty one. The same contract runs the embedded catalog in harvest-testkit's own
 * tests, so what a harvest does to either catalog is the same.
 */
class CkanCatalogContractTest extends CatalogContract {

    private MockCkan target;

    @BeforeEach
    void startTheTargetCkan() throws Exception {
        target = MockCkan.empty();
    }

    @AfterEach
    void stopTheTargetCkan() {
        target.close();
    }

    @Override
    protected Catalog catalog() {
        return new CkanCatalog(target.url(), target.writeToken, CkanHarvesterScenarioTest.fastTransport());
    }
}
