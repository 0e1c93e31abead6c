package dev.harvest.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.harvest.api.HarvestSource;
import dev.harvest.api.Harvester;
import dev.harvest.testkit.fixtures.LineListHarvester;
import org.junit.jupiter.api.Test;

/** The harvester contract, passed by a small but correct harvester: the proof that the contract can be passed. */
class LineListHarvesterContractTest extends HarvesterContract {

    static final String LIST = "alpha|Alpha records\nbeta|Beta records\ngamma|Gamma records\n";

    @Override
    protected Harvester harvester() {
        return new LineListHarvester();
    }

    @Override
    protected void serveRemote(FixtureServer server) {
        server.serve("/list.txt", "text/plain; charset=utf-8", LIST);
    }

    @Override
    protected String sourceUrl(FixtureServer server) {
        return server.url("/list.txt");
    }

    @Override
    protected int expectedRecords() {
        return 3;
    }

    @Test
    void aSubclassAddsItsOwnTestsWithTheServerAndTheTestBed() {
        serveRemote(server());
        HarvestSource source = newSource();

        testBed().harvest(source).assertFinishedWithoutErrors();

        assertEquals(1, server().requestCount("/list.txt"), "one harvest reads the list once");
        assertEquals("Beta records", testBed().dataset("line-beta").orElseThrow().title());
    }
}
