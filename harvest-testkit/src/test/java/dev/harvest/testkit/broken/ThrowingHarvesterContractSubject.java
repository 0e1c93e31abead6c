package dev.harvest.testkit.broken;

import dev.harvest.api.FetchContext;
import dev.harvest.api.FetchOutcome;
import dev.harvest.api.GatherContext;
import dev.harvest.api.GatherOutcome;
import dev.harvest.api.Harvester;
import dev.harvest.api.HarvesterInfo;
import dev.harvest.api.ImportContext;
import dev.harvest.api.ImportOutcome;
import dev.harvest.api.ValidationContext;
import dev.harvest.testkit.FixtureServer;
import dev.harvest.testkit.HarvesterContract;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A harvester whose gather always throws and whose config validation throws an unchecked exception for an empty
 * configuration. It is in the service file, and its thrown gather error is recorded, so the contract must fail it
 * on exactly the empty configuration and the two harvests of a working remote.
 */
@ExtendWith(RunOnlyByTheContractSelfTest.class)
public class ThrowingHarvesterContractSubject extends HarvesterContract {

    /** Fails loudly, but in the wrong ways. */
    public static final class ThrowingHarvester implements Harvester {
        @Override
        public HarvesterInfo info() {
            return new HarvesterInfo("throwing", "Throwing", "Always fails");
        }

        @Override
        public String validateConfig(String config, ValidationContext context) {
            if (config.isBlank()) {
                throw new IllegalArgumentException("no configuration");
            }
            return config;
        }

        @Override
        public GatherOutcome gather(GatherContext context) {
            throw new IllegalStateException("the gather of " + context.source().url() + " always fails");
        }

        @Override
        public FetchOutcome fetch(FetchContext context) {
            return FetchOutcome.proceed();
        }

        @Override
        public ImportOutcome importObject(ImportContext context) {
            return ImportOutcome.failed("never called");
        }
    }

    @Override
    protected Harvester harvester() {
        return new ThrowingHarvester();
    }

    @Override
    protected void serveRemote(FixtureServer server) {
        server.serve("/list.txt", "text/plain", "a|A\n");
    }

    @Override
    protected String sourceUrl(FixtureServer server) {
        return server.url("/list.txt");
    }

    @Override
    protected String sourceConfig() {
        return "{}";
    }

    @Override
    protected int expectedRecords() {
        return 1;
    }
}
