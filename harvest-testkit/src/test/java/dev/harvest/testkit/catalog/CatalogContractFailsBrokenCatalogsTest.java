package dev.harvest.testkit.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.testkit.broken.BrokenCatalogContractSubjects;
import dev.harvest.testkit.broken.ContractRun;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The catalog contract, run against catalogs that get CKAN's semantics wrong, fails them where they are wrong. */
class CatalogContractFailsBrokenCatalogsTest {

    @Test
    void aCatalogThatMergesOnUpdateFailsOnlyTheReplacementTest() {
        ContractRun run = ContractRun.of(BrokenCatalogContractSubjects.MergingUpdate.class);

        assertEquals(Set.of("updateReplacesTheFieldsAndRemovesTheOnesLeftOut"), run.unsuccessful());
        Throwable failure = run.failure("updateReplacesTheFieldsAndRemovesTheOnesLeftOut");
        assertInstanceOf(AssertionError.class, failure);
        assertTrue(failure.getMessage().contains("package_update semantics"), failure.getMessage());
    }

    @Test
    void aCatalogThatPurgesOnDeleteFailsEveryTestThatLooksAtADeletedDataset() {
        ContractRun run = ContractRun.of(BrokenCatalogContractSubjects.PurgingDelete.class);

        assertEquals(Set.of(
                        "deleteMarksTheDatasetDeletedAndItIsStillFoundByIdAndName",
                        "deletingADeletedDatasetAgainIsNotAnError",
                        "theNameOfADeletedDatasetIsStillTaken",
                        "updateMakesADeletedDatasetActiveAgain"),
                run.unsuccessful());
        run.unsuccessful().forEach(test -> assertInstanceOf(AssertionError.class, run.failure(test), test));
    }
}
