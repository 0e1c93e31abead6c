package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.ImportContext;
import dev.harvest.api.ImportOutcome;
import dev.harvest.api.Settings;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.Dataset;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How many requests a harvest costs a CKAN target ({@link CkanCatalog}), counted by the target's mock server. */
class CkanTargetCallsTest {

    static final int NEW_DATASETS = 200;

    MockCkan remote;
    MockCkan target;
    CkanCatalog catalog;

    @BeforeEach
    void start() throws Exception {
        remote = MockCkan.withMockDatasets();
        for (int i = 0; i < NEW_DATASETS - 2; i++) {
            remote.addDataset(String.format("bulk-%04d", i), String.format("bulk-%04d", i),
                    CkanHarvesterScenarioTest.ORG1, "2014-01-01T00:00:00");
        }
        target = MockCkan.empty();
        catalog = new CkanCatalog(target.url(), "secret-token", CkanHarvesterScenarioTest.fastTransport());
    }

    @AfterEach
    void stop() {
        remote.close();
        target.close();
    }

    TestHarvestRunner runner(String config) {
        return new TestHarvestRunner(new CkanHarvester(CkanHarvesterScenarioTest.fastTransport()), catalog,
                remote.url(), config);
    }

    Map<String, Long> callsByAction() {
        return target.requests.stream().collect(Collectors.groupingBy(
                r -> r.method() + " " + r.path().substring(r.path().lastIndexOf('/') + 1), Collectors.counting()));
    }

    @Test
    void newDatasetsCostAtMostTwoCallsEachToTheTarget() throws Exception {
        TestHarvestRunner.JobResult job = runner("").run();

        System.out.printf("[target calls] %d new datasets: %d requests %s%n", NEW_DATASETS, target.requests.size(),
                callsByAction());
        assertTrue(job.errorFree(), () -> job.errorByGuid + " " + job.gatherErrors);
        assertEquals(NEW_DATASETS, job.count("added"));
        assertEquals(NEW_DATASETS, target.requestsTo("package_create").size());
        assertTrue(target.requests.size() <= 2 * NEW_DATASETS, () -> callsByAction().toString());
        assertEquals("bulk-0007", target.dataset("bulk-0007").get("name"));
    }

    @Test
    void aSecondHarvestWithNothingChangedCallsTheTargetNotAtAll() throws Exception {
        TestHarvestRunner runner = runner("");
        runner.run();
        target.requests.clear();

        TestHarvestRunner.JobResult second = runner.run();

        assertTrue(second.errorFree(), () -> second.errorByGuid + " " + second.gatherErrors);
        assertEquals(List.of(), target.requests);
    }

    @Test
    void withForceAllAnUnchangedDatasetCostsOneFindAndNoWrite() throws Exception {
        TestHarvestRunner runner = runner("{\"force_all\": true}");
        runner.run();
        target.requests.clear();

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals(NEW_DATASETS, second.count("not modified"));
        assertEquals(Set.of(), second.skippedAtGather, "force_all: the engine may not skip");
        assertEquals(Map.of("GET package_show", (long) NEW_DATASETS), callsByAction());
    }

    @Test
    void unchangedDatasetsGatheredAgainAreFinishedAtGatherTimeAndCostTheTargetNothing() throws Exception {
        // Modified "in the future": every incremental gather finds them again.
        remote.datasets.forEach(d -> d.put("metadata_modified", "2050-01-01T00:00:00"));
        TestHarvestRunner runner = runner("");
        runner.run();
        target.requests.clear();

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals(NEW_DATASETS, second.emitted.size());
        assertEquals(NEW_DATASETS, second.skippedAtGather.size());
        assertEquals(NEW_DATASETS, second.count("not modified"));
        assertEquals(List.of(), target.requests);
    }

    @Test
    void theHarvestersOwnUnchangedCheckCostsTheTargetOneFindPerDataset() throws Exception {
        remote.datasets.forEach(d -> d.put("metadata_modified", "2050-01-01T00:00:00"));
        TestHarvestRunner runner = runner("");
        runner.engineSkipsUnchanged = false;
        runner.run();
        target.requests.clear();

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals(NEW_DATASETS, second.count("not modified"));
        assertEquals(Map.of("GET package_show", (long) NEW_DATASETS), callsByAction());
    }

    @Test
    void aNewDatasetWhoseNameIsTakenOnTheTargetGetsTheNextFreeName() throws Exception {
        target.addDataset("someone-elses-id", "dataset1", "org", "2020-01-01T00:00:00");

        TestHarvestRunner.JobResult job = runner("").run();

        assertTrue(job.errorFree(), () -> job.errorByGuid + " " + job.gatherErrors);
        assertEquals("dataset11", target.dataset(CkanHarvesterScenarioTest.DATASET1).get("name"));
        assertEquals("dataset1", target.dataset("someone-elses-id").get("name"));
        // dataset1: package_show by id, package_create refused, package_show of dataset1 and dataset11, package_create
        assertEquals(2 * NEW_DATASETS + 3, target.requests.size(), () -> callsByAction().toString());
    }

    @Test
    void aCreateRefusedForAnotherReasonThanTheNameFailsTheObjectAfterOneNameCheck() throws Exception {
        remote.dataset("bulk-0042").put("tags", List.of(Map.of("name", "bad%tag")));

        TestHarvestRunner.JobResult job = runner("").run();

        assertTrue(job.errorByGuid.get("bulk-0042").contains("tags: Tag \"bad%tag\" must be alphanumeric"),
                job.errorByGuid::toString);
        assertEquals(NEW_DATASETS - 1, job.count("added"));
        assertEquals(2 * NEW_DATASETS + 1, target.requests.size(), () -> callsByAction().toString());
    }

    // ------------------------------------------------------------------------- group and organization lookups

    void putEveryRemoteDatasetInGroup1() {
        remote.datasets.forEach(d -> d.put("groups",
                List.of(Map.of("id", CkanHarvesterScenarioTest.GROUP1, "name", "group1"))));
    }

    List<Object> targetGroupNames(String datasetId) {
        return new Dataset(target.dataset(datasetId)).dictList("groups").stream().map(g -> g.get("name")).toList();
    }

    @Test
    void withTheDefaultConfigurationANewDatasetCostsNoGroupOrOrganizationLookup() throws Exception {
        putEveryRemoteDatasetInGroup1();

        runner("").withOwnerOrg("local-org").run();

        assertEquals(Map.of("GET package_show", (long) NEW_DATASETS, "POST package_create", (long) NEW_DATASETS),
                callsByAction());
    }

    @Test
    void aRemoteGroupIsLookedUpOnTheTargetOncePerJobNotOncePerDataset() throws Exception {
        putEveryRemoteDatasetInGroup1();
        target.groups.add(new LinkedHashMap<>(Map.of("id", CkanHarvesterScenarioTest.GROUP1, "name", "group1")));

        TestHarvestRunner.JobResult job = runner("{\"remote_groups\": \"only_local\"}").run();

        assertTrue(job.errorFree(), () -> job.errorByGuid + " " + job.gatherErrors);
        assertEquals(List.of("group1"), targetGroupNames("bulk-0042"));
        assertEquals(List.of("group1"), targetGroupNames(CkanHarvesterScenarioTest.CABINET));
        assertEquals(1, target.requestsTo("group_show").size());
        assertTrue(target.requests.size() <= 2 * NEW_DATASETS + 1, () -> callsByAction().toString());
    }

    @Test
    void aRemoteGroupMissingOnTheTargetIsCopiedOnceWithRemoteGroupsCreate() throws Exception {
        putEveryRemoteDatasetInGroup1();

        TestHarvestRunner.JobResult job = runner("{\"remote_groups\": \"create\"}").run();

        assertTrue(job.errorFree(), () -> job.errorByGuid + " " + job.gatherErrors);
        assertEquals(List.of("group1"), targetGroupNames("bulk-0042"));
        assertEquals(1, target.requestsTo("group_create").size());
        assertEquals(2, target.requestsTo("group_show").size(), "by id, then by name, once");
        assertEquals(1, remote.requestsTo("group_show").size());
    }

    @Test
    void anOrganizationIsLookedUpOnTheTargetOncePerJobAndAMissingOneOnceToo() throws Exception {
        target.orgs.add(new LinkedHashMap<>(Map.of("id", CkanHarvesterScenarioTest.ORG1, "name", "org1")));

        TestHarvestRunner.JobResult job = runner("{\"remote_orgs\": \"only_local\"}").withOwnerOrg("local-org")
                .run();

        assertTrue(job.errorFree(), () -> job.errorByGuid + " " + job.gatherErrors);
        assertEquals(CkanHarvesterScenarioTest.ORG1, target.dataset("bulk-0042").get("owner_org"));
        assertEquals("local-org", target.dataset(CkanHarvesterScenarioTest.CABINET).get("owner_org"));
        // org1 by id; cabinet-office (not on the target) by id and by name.
        assertEquals(3, target.requestsTo("organization_show").size());
    }

    @Test
    void importThreadsOfOneJobCopyAMissingRemoteGroupOnceBetweenThem() throws Exception {
        putEveryRemoteDatasetInGroup1();
        CkanHarvester harvester = new CkanHarvester(CkanHarvesterScenarioTest.fastTransport());
        HarvestSource source = HarvestSource.builder()
                .id("source-id")
                .name("s")
                .title("S")
                .url(remote.url())
                .type("ckan")
                .config("{\"remote_groups\": \"create\"}")
                .frequency("MANUAL")
                .build();
        HarvestJob job = HarvestJob.builder()
                .id("job-1")
                .sourceId(source.id())
                .status("Running")
                .created(Instant.now())
                .gatherStarted(Instant.now())
                .build();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<ImportOutcome>> outcomes = new ArrayList<>();
        try {
            for (Map<String, Object> dataset : remote.datasets) {
                HarvestObject object = HarvestObject.builder()
                        .id("o-" + dataset.get("id"))
                        .guid((String) dataset.get("id"))
                        .jobId(job.id())
                        .sourceId(source.id())
                        .content(MockCkan.json(dataset))
                        .extras(Map.of())
                        .build();
                Callable<ImportOutcome> importOne = () -> {
                    start.await();
                    return harvester.importObject(importContext(source, job, object));
                };
                outcomes.add(pool.submit(importOne));
            }
            start.countDown();
            for (Future<ImportOutcome> outcome : outcomes) {
                assertInstanceOf(ImportOutcome.Created.class, outcome.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }

        assertEquals(1, target.groups.size());
        assertTrue(remote.datasets.stream().allMatch(d -> targetGroupNames((String) d.get("id"))
                .equals(List.of("group1"))));
        // Threads that missed the group before it was made each try to copy it (at most one per thread).
        assertTrue(target.requestsTo("group_create").size() <= 8, () -> callsByAction().toString());
        assertTrue(target.requests.size() <= 2 * NEW_DATASETS + 8 * 4, () -> callsByAction().toString());
    }

    ImportContext importContext(HarvestSource source, HarvestJob job, HarvestObject object) {
        return new ImportContext() {
            @Override public HarvestSource source() { return source; }
            @Override public HarvestJob job() { return job; }
            @Override public HarvestObject object() { return object; }
            @Override public Optional<HarvestObject> previousObject() { return Optional.empty(); }
            @Override public boolean forceImport() { return false; }
            @Override public Catalog catalog() { return catalog; }
            @Override public Settings settings() { return key -> Optional.empty(); }
            @Override public void recordError(String message, Integer line) { }
        };
    }

    @Test
    void aGroupMissingFromTheTargetIsLookedForAgainByTheNextJob() throws Exception {
        putEveryRemoteDatasetInGroup1();
        TestHarvestRunner runner = runner("{\"remote_groups\": \"only_local\"}");
        runner.run();
        assertEquals(List.of(), targetGroupNames("bulk-0042"));
        target.groups.add(new LinkedHashMap<>(Map.of("id", CkanHarvesterScenarioTest.GROUP1, "name", "group1")));
        runner.withConfig("{\"remote_groups\": \"only_local\", \"force_all\": true}");

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals(NEW_DATASETS, second.count("updated"));
        assertEquals(List.of("group1"), targetGroupNames("bulk-0042"));
    }
}
