package dev.harvest.testkit.broken;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The outcome of running a contract subject through the JUnit Platform launcher, as a build would, with the broken
 * subjects enabled: one result per test method (a parameterized test counts as failed if any invocation failed).
 *
 * @param results the result of each test method, by method name
 */
public record ContractRun(Map<String, TestExecutionResult> results) {

    /**
     * @param subject a test class that extends a contract
     * @return its results
     */
    public static ContractRun of(Class<?> subject) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClass(subject))
                .configurationParameter(RunOnlyByTheContractSelfTest.ENABLED, "true")
                .build();
        Map<String, TestExecutionResult> results = new TreeMap<>();
        LauncherFactory.create().execute(request, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier identifier, TestExecutionResult result) {
                record(identifier, result);
            }

            @Override
            public void executionSkipped(TestIdentifier identifier, String reason) {
                record(identifier, TestExecutionResult.aborted(new IllegalStateException("skipped: " + reason)));
            }

            private void record(TestIdentifier identifier, TestExecutionResult result) {
                identifier.getSource()
                        .filter(MethodSource.class::isInstance)
                        .map(source -> ((MethodSource) source).getMethodName())
                        .ifPresent(method -> results.merge(method, result,
                                (earlier, later) -> earlier.getStatus() == TestExecutionResult.Status.SUCCESSFUL
                                        ? later : earlier));
            }
        });
        return new ContractRun(Map.copyOf(results));
    }

    /** @return the test methods that did not succeed */
    public Set<String> unsuccessful() {
        Set<String> failed = new TreeSet<>();
        results.forEach((method, result) -> {
            if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                failed.add(method);
            }
        });
        return failed;
    }

    /**
     * @param method a test method's name
     * @return what it failed with
     * @throws AssertionError if it did not fail
     */
    public Throwable failure(String method) {
        TestExecutionResult result = results.get(method);
        if (result == null || result.getThrowable().isEmpty()) {
            throw new AssertionError(method + " did not fail: " + result);
        }
        return result.getThrowable().get();
    }
}
