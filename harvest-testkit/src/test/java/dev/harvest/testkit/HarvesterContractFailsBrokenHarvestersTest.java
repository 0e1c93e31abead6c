package dev.harvest.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.testkit.broken.RunOnlyByTheContractSelfTest;
import dev.harvest.testkit.broken.SilentHarvesterContractSubject;
import dev.harvest.testkit.broken.ThrowingHarvesterContractSubject;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

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
        Map<String, TestExecutionResult> results = run(SilentHarvesterContractSubject.class);

        assertEquals(ALL_TESTS, results.keySet());
        assertEquals(new TreeSet<>(Set.of(
                        "theHarvesterIsFoundByTheServiceLoader",
                        "aFirstHarvestAddsEveryRecordWithoutErrorsAndEachDatasetIsInTheCatalog",
                        "aSecondHarvestOfTheUnchangedRemoteAddsDeletesAndErrorsNothing",
                        "aRemoteAnsweringEveryRequestWithAnHtmlPageEndsInARecordedErrorNotAnException",
                        "anUnreachableRemoteEndsInARecordedGatherError")),
                failed(results));
        results.values().stream()
                .filter(result -> result.getStatus() == TestExecutionResult.Status.FAILED)
                .forEach(result -> assertInstanceOf(AssertionError.class, result.getThrowable().orElseThrow(),
                        "the contract fails a broken harvester with assertions, not with its own errors"));
    }

    @Test
    void aHarvesterWhoseGatherThrowsFailsTheHarvestsAndAnUncheckedConfigurationErrorFailsTheConfigurationTest() {
        Map<String, TestExecutionResult> results = run(ThrowingHarvesterContractSubject.class);

        assertEquals(ALL_TESTS, results.keySet());
        assertEquals(new TreeSet<>(Set.of(
                        "anEmptyConfigurationIsAcceptedOrRejectedWithAConfigValidationException",
                        "aFirstHarvestAddsEveryRecordWithoutErrorsAndEachDatasetIsInTheCatalog",
                        "aSecondHarvestOfTheUnchangedRemoteAddsDeletesAndErrorsNothing")),
                failed(results));
        String message = results.get("aFirstHarvestAddsEveryRecordWithoutErrorsAndEachDatasetIsInTheCatalog")
                .getThrowable().orElseThrow().getMessage();
        assertTrue(message.contains("always fails"),
                "the failure lists the recorded gather error, so a plugin author sees why: " + message);
    }

    /** Runs a contract subject as a build would, with the broken subjects enabled; results by test method. */
    private static Map<String, TestExecutionResult> run(Class<?> subject) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClass(subject))
                .configurationParameter(RunOnlyByTheContractSelfTest.ENABLED, "true")
                .build();
        Map<String, TestExecutionResult> results = new TreeMap<>();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier identifier, TestExecutionResult result) {
                identifier.getSource()
                        .filter(MethodSource.class::isInstance)
                        .map(source -> ((MethodSource) source).getMethodName())
                        .ifPresent(method -> results.put(method, result));
            }

            @Override
            public void executionSkipped(TestIdentifier identifier, String reason) {
                identifier.getSource()
                        .filter(MethodSource.class::isInstance)
                        .map(source -> ((MethodSource) source).getMethodName())
                        .ifPresent(method -> results.put(method,
                                TestExecutionResult.aborted(new IllegalStateException("skipped: " + reason))));
            }
        });
        return results;
    }

    private static Set<String> failed(Map<String, TestExecutionResult> results) {
        Set<String> failed = new TreeSet<>();
        results.forEach((method, result) -> {
            if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                failed.add(method);
            }
        });
        return failed;
    }
}
