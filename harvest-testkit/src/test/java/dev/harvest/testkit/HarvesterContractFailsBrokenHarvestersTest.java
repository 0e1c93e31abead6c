package dev.harvest.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.testkit.broken.ContractRun;
import dev.harvest.testkit.broken.SilentHarvesterContractSubject;
import dev.harvest.testkit.broken.ThrowingHarvesterContractSubject;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * A contract that passes everything proves nothing: this runs {@link HarvesterContract} against deliberately broken
 * harvesters, through the JUnit Platform launcher as a build would, and checks that exactly the right tests fail.
 */
class HarvesterContractFailsBrokenHarvestersTest {

    private static final Set<String> ALL_TESTS = Set.of(
            "theHarvesterDescribesItselfWithAValidNameAndATitle",
            "theHarvesterIsFoundByTheServiceLoader",
            "anEmptyConfigurationIsAcceptedOrRejectedWithAConfigValidationException",
            "aFirstHarvestAddsEveryRecordWithoutErrorsAndEachDatasetIsInTheCatalog",
            "aSecondHarvestOfTheUnchangedRemoteAddsDeletesAndErrorsNothing",
            "aRemoteAnsweringEveryRequestWithAnHtmlPageEndsInARecordedErrorNotAnException",
            "anUnreachableRemoteEndsInARecordedGatherError");

    @Test
    void aHarvesterThatSilentlyEmitsNothingFailsEveryTestButItsDescriptionAndConfiguration() {
        ContractRun run = ContractRun.of(SilentHarvesterContractSubject.class);

        assertEquals(ALL_TESTS, run.results().keySet());
        Set<String> expected = new TreeSet<>(Set.of(
                "theHarvesterIsFoundByTheServiceLoader",
                "aFirstHarvestAddsEveryRecordWithoutErrorsAndEachDatasetIsInTheCatalog",
                "aSecondHarvestOfTheUnchangedRemoteAddsDeletesAndErrorsNothing",
                "aRemoteAnsweringEveryRequestWithAnHtmlPageEndsInARecordedErrorNotAnException",
                "anUnreachableRemoteEndsInARecordedGatherError"));
        assertEquals(expected, run.unsuccessful());
        for (String test : expected) {
            assertInstanceOf(AssertionError.class, run.failure(test),
                    "the contract fails a broken harvester with assertions, not with errors of its own");
        }
    }

    @Test
    void aHarvesterWhoseGatherThrowsFailsTheHarvestsAndAnUncheckedConfigurationErrorFailsTheConfigurationTest() {
        ContractRun run = ContractRun.of(ThrowingHarvesterContractSubject.class);

        assertEquals(ALL_TESTS, run.results().keySet());
        assertEquals(new TreeSet<>(Set.of(
                        "anEmptyConfigurationIsAcceptedOrRejectedWithAConfigValidationException",
                        "aFirstHarvestAddsEveryRecordWithoutErrorsAndEachDatasetIsInTheCatalog",
                        "aSecondHarvestOfTheUnchangedRemoteAddsDeletesAndErrorsNothing")),
                run.unsuccessful());
        String message = run.failure("aFirstHarvestAddsEveryRecordWithoutErrorsAndEachDatasetIsInTheCatalog")
                .getMessage();
        assertTrue(message.contains("always fails"),
                "the failure lists the recorded gather error, so a plugin author sees why: " + message);
    }
}
