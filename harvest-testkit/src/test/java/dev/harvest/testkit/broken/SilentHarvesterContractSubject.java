package dev.harvest.testkit.broken;

import dev.harvest.api.FetchContext;
import dev.harvest.api.FetchOutcome;
import dev.harvest.api.GatherContext;
import dev.harvest.api.GatherOutcome;
import dev.harvest.api.Harvester;
import dev.harvest.api.HarvesterInfo;
import dev.harvest.api.ImportContext;
import dev.harvest.api.ImportOutcome;
import dev.harvest.testkit.FixtureServer;
import dev.harvest.testkit.HarvesterContract;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A harvester that emits nothing and reports nothing, whatever the remote says, and that is missing from the
 * service file: the contract must fail it on every test except its self-description and its configuration.
 */
@ExtendWith(RunOnlyByTheContractSelfTest.class)
public class SilentHarvesterContractSubject extends HarvesterContract {

    /** Swallows every problem: the kind of harvester the contract exists to catch. */
    public static final class SilentHarvester implements Harvester {
        @Override
        public HarvesterInfo info() {
            return new HarvesterInfo("silent", "Silent", "Emits nothing");
        }

        @Override
        public GatherOutcome gather(GatherContext context) {
            return GatherOutcome.fullListing();
        }

        @Override
        public FetchOutcome fetch(FetchContext context) {
            return FetchOutcome.proceed();
        }

        @Override
        public ImportOutcome importObject(ImportContext context) {
            return ImportOutcome.skipped("never called");
        }
    }

    @Override
    protected Harvester harvester() {
        return new SilentHarvester();
    }

    @Override
    protected void serveRemote(FixtureServer server) {
        server.serve("/list.txt", "text/plain", "a|A\nb|B\n");
    }

    @Override
    protected String sourceUrl(FixtureServer server) {
        return server.url("/list.txt");
    }

    @Override
    protected int expectedRecords() {
        return 2;
    }
}
