package dev.harvest.testkit.catalog;

import dev.harvest.api.catalog.Catalog;
import dev.harvest.core.Harvest;
import dev.harvest.core.config.HarvestConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The catalog contract against harvest-core's embedded catalog, on H2, as the engine builds it. */
class EmbeddedCatalogContractTest extends CatalogContract {

    private Harvest harvest;

    @BeforeEach
    void openSite(@TempDir Path dataDirectory) {
        harvest = Harvest.builder(HarvestConfig.embedded(dataDirectory)).discoverHarvesters(false).build();
    }

    @AfterEach
    void closeSite() {
        harvest.close();
    }

    @Override
    protected Catalog catalog() {
        return harvest.catalog();
    }
}
