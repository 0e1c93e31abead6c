package dev.harvest.testkit.broken;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Keeps the deliberately broken contract subjects from running in an ordinary test run (an IDE's "run all tests"),
 * where their failures are expected and would only confuse: they run when the launcher that
 * {@code HarvesterContractFailsBrokenHarvestersTest} starts sets {@value #ENABLED}.
 */
public final class RunOnlyByTheContractSelfTest implements ExecutionCondition {

    /** The configuration parameter that enables the broken subjects. */
    public static final String ENABLED = "dev.harvest.testkit.broken-subjects";

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return context.getConfigurationParameter(ENABLED).filter("true"::equals).isPresent()
                ? ConditionEvaluationResult.enabled("run by the contract's self-test")
                : ConditionEvaluationResult.disabled("a deliberately broken harvester, run only by the contract's "
                        + "self-test");
    }
}
