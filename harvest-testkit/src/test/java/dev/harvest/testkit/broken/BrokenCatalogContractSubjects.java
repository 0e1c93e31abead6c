package dev.harvest.testkit.broken;

import dev.harvest.api.catalog.Catalog;
import dev.harvest.testkit.catalog.CatalogContract;
import dev.harvest.testkit.fixtures.InMemoryCatalog;
import dev.harvest.testkit.fixtures.InMemoryCatalog.Quirk;
import org.junit.jupiter.api.extension.ExtendWith;

/** Catalogs that get one of CKAN's semantics wrong, for the catalog contract's self-test. */
public final class BrokenCatalogContractSubjects {

    private BrokenCatalogContractSubjects() {}

    /** Merges on update instead of replacing. */
    @ExtendWith(RunOnlyByTheContractSelfTest.class)
    public static class MergingUpdate extends CatalogContract {
        @Override
        protected Catalog catalog() {
            return new InMemoryCatalog(Quirk.MERGING_UPDATE);
        }
    }

    /** Purges on delete instead of marking the dataset deleted. */
    @ExtendWith(RunOnlyByTheContractSelfTest.class)
    public static class PurgingDelete extends CatalogContract {
        @Override
        protected Catalog catalog() {
            return new InMemoryCatalog(Quirk.PURGING_DELETE);
        }
    }
}
