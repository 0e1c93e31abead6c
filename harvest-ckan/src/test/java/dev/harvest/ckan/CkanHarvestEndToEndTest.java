package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.catalog.Dataset;
import dev.harvest.core.Harvest;
import dev.harvest.core.HarvestException;
import dev.harvest.core.JobReport;
import dev.harvest.core.SourceRequest;
import dev.harvest.core.store.HarvestQueries.ObjectSummary;
import dev.harvest.core.testing.TestDatabases;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The CKAN harvester through the real engine (H2, embedded catalog) against the mock CKAN. */
class CkanHarvestEndToEndTest {

    MockCkan remote;
    Harvest harvest;

    @BeforeEach
    void start() throws Exception {
        remote = MockCkan.withMockDatasets();
        for (int i = 0; i < 4; i++) {
            remote.addDataset("extra-" + i, "extra-" + i, CkanHarvesterScenarioTest.ORG1, "2014-01-01T00:00:00");
        }
        harvest = Harvest.builder(TestDatabases.config(TestDatabases.Kind.H2,
                        Map.of("harvest.http.allow_private_addresses", "true")))
                .discoverHarvesters(false)
                .harvester(new CkanHarvester(CkanHarvesterScenarioTest.fastTransport()))
                .build();
    }

    @AfterEach
    void stop() {
        harvest.close();
        remote.close();
    }

    void createSource(String config) {
        harvest.createSource(SourceRequest.of("remote-ckan", remote.url() + "/", "ckan").withConfig(config));
    }

    static Map<String, String> statusByGuid(JobReport report) {
        return report.objects().stream().collect(Collectors.toMap(ObjectSummary::guid,
                o -> o.state() + "/" + o.reportStatus()));
    }

    Dataset local(String id) throws Exception {
        return harvest.catalog().findDataset(id).orElseThrow();
    }

    @Test
    void aFirstHarvestAddsEveryRemoteDataset() throws Exception {
        createSource("");

        JobReport report = harvest.runTest("remote-ckan");

        assertEquals("Finished", report.job().status());
        assertEquals(6, report.stats().count("added"), report.toString());
        assertTrue(report.gatherErrors().isEmpty(), report.gatherErrors()::toString);
        assertEquals("cabinet-office-energy-use", local(CkanHarvesterScenarioTest.CABINET).name());
    }

    @Test
    void aSecondHarvestOfAnUnchangedRemoteGathersNothingAndFinishesCleanly() throws Exception {
        createSource("");
        harvest.runTest("remote-ckan");

        JobReport second = harvest.runTest("remote-ckan");

        assertEquals("Finished", second.job().status());
        assertTrue(second.objects().isEmpty(), second.objects()::toString);
        assertTrue(second.gatherErrors().isEmpty(), second.gatherErrors()::toString);
        assertEquals(0, second.stats().count("deleted"));
        assertEquals("active", local("extra-0").state());
    }

    @Test
    void forceAllWritesNothingAndReportsEveryObjectNotModified() throws Exception {
        createSource("{\"force_all\": true}");
        harvest.runTest("remote-ckan");
        String modified = local("extra-0").metadataModified();

        JobReport second = harvest.runTest("remote-ckan");

        assertEquals(6, second.stats().count("not modified"), second.stats().toString());
        assertTrue(statusByGuid(second).values().stream().allMatch("COMPLETE/not modified"::equals),
                statusByGuid(second)::toString);
        assertEquals(modified, local("extra-0").metadataModified());
    }

    @Test
    void aHarvestAfterRemoteChangesCountsAddedUpdatedAndDeleted() throws Exception {
        createSource("");
        harvest.runTest("remote-ckan");
        remote.dataset("extra-1").put("metadata_modified", "2050-01-01T00:00:00");
        remote.dataset("extra-1").put("title", "Changed remotely");
        remote.datasets.remove(remote.dataset("extra-2"));
        remote.addDataset("brand-new", "brand-new", CkanHarvesterScenarioTest.ORG1, "2050-01-01T00:00:00");

        JobReport second = harvest.runTest("remote-ckan");

        assertEquals(1, second.stats().count("added"), second.stats().toString());
        assertEquals(1, second.stats().count("updated"), second.stats().toString());
        assertEquals(1, second.stats().count("deleted"), second.stats().toString());
        assertEquals("Changed remotely", local("extra-1").title());
        assertEquals("deleted", local("extra-2").state());
        assertTrue(second.gatherErrors().isEmpty(), second.gatherErrors()::toString);
    }

    @Test
    void theDeletionGuardKeepsDatasetsWhenMostOfTheRemoteVanishes() throws Exception {
        createSource("");
        harvest.runTest("remote-ckan");
        remote.datasets.removeIf(d -> String.valueOf(d.get("id")).startsWith("extra-"));

        JobReport second = harvest.runTest("remote-ckan");

        assertEquals(0, second.stats().count("deleted"), second.stats().toString());
        assertEquals("active", local("extra-0").state());
        assertTrue(second.gatherErrors().stream().anyMatch(e -> e.contains("force_deletions")),
                second.gatherErrors()::toString);
    }

    @Test
    void aSiteThatIsDownIsAGatherErrorAndDeletesNothing() throws Exception {
        createSource("");
        harvest.runTest("remote-ckan");
        // Two attempts for the incremental search, two more for the full search it falls back to.
        for (int i = 0; i < 4; i++) {
            remote.enqueue(MockCkan.Scripted.status(503, "<html>maintenance</html>").withContentType("text/html"));
        }

        JobReport second = harvest.runTest("remote-ckan");

        assertEquals(0, second.stats().count("deleted"));
        assertTrue(second.gatherErrors().get(0).startsWith("Unable to search remote CKAN for datasets:"),
                second.gatherErrors()::toString);
        assertEquals("active", local("extra-0").state());
    }

    @Test
    void aDatasetThatSlidBackWhileAnotherWasDeletedBetweenPagesIsNotDeleted() throws Exception {
        for (int i = 0; i < 2500; i++) {
            remote.addDataset(String.format("paged-%05d", i), "paged-" + i, CkanHarvesterScenarioTest.ORG1,
                    "2014-01-01T00:00:00");
        }
        createSource("");
        JobReport first = harvest.runTest("remote-ckan");
        assertEquals(2506, first.stats().count("added"), first.stats().toString());
        java.util.concurrent.atomic.AtomicBoolean removed = new java.util.concurrent.atomic.AtomicBoolean();
        // Between page 1 and page 2 of the id listing, a dataset of page 1 is deleted on the remote; the first
        // dataset of page 2 slides back onto page 1 and the offset listing misses it.
        String slidBack = String.valueOf(remote.datasets.stream().map(d -> String.valueOf(d.get("id"))).sorted()
                .toList().get(1000));
        remote.scriptApplies = request -> {
            if ("1000".equals(request.params().get("start")) && removed.compareAndSet(false, true)) {
                remote.datasets.remove(remote.dataset("paged-00010"));
            }
            return false;
        };

        JobReport second = harvest.runTest("remote-ckan");

        assertTrue(removed.get());
        assertEquals(Map.of(slidBack, "COMPLETE/not modified"), statusByGuid(second));
        assertEquals("active", local(slidBack).state());
        assertTrue(second.gatherErrors().isEmpty(), second.gatherErrors()::toString);

        // paged-00010 was listed on page 1 before it went: the next harvest misses it, and the remote confirms it.
        JobReport third = harvest.runTest("remote-ckan");
        assertEquals(Map.of("paged-00010", "COMPLETE/deleted"), statusByGuid(third));
        assertEquals("deleted", local("paged-00010").state());
        assertEquals("active", local(slidBack).state());
    }

    @Test
    void aRemoteDatasetThatBecomesVisibleWithAnOldDateIsAddedByTheNextHarvest() throws Exception {
        remote.addDataset("was-private", "was-private", CkanHarvesterScenarioTest.ORG1, "2014-01-01T00:00:00")
                .put("private", true);
        createSource("");
        harvest.runTest("remote-ckan");
        remote.dataset("was-private").put("private", false);

        JobReport second = harvest.runTest("remote-ckan");

        assertEquals(Map.of("was-private", "COMPLETE/added"), statusByGuid(second));
        assertEquals("was-private", local("was-private").name());
        assertEquals("Dataset was-private", local("was-private").title());
    }

    @Test
    void anInvalidConfigurationIsRefusedWhenTheSourceIsCreated() {
        HarvestException e = org.junit.jupiter.api.Assertions.assertThrows(HarvestException.class,
                () -> createSource("{\"default_tags\": [\"geo\"]}"));

        assertTrue(e.getMessage().contains("default_tags must be a list of dictionaries"), e.getMessage());
    }
}
