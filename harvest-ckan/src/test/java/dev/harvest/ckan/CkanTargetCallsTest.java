package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestSource;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.testkit.HarvestResult;
import dev.harvest.testkit.HarvestTestBed;
import dev.harvest.testkit.HarvestedObject;
import dev.harvest.testkit.SourceSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How many requests a harvest costs a CKAN target ({@link CkanCatalog}), counted by the target's mock server. Every
 * harvest runs through the real engine ({@link HarvestTestBed}), with the target as its catalog.
 *
 * <p>The engine imports a batch's records into a remote catalog concurrently ({@code harvest.fetch_parallelism}, 4 by
 * default). The group and organization lookups, which imports share through the job's cache, are counted with one
 * import at a time so that the counts are exact; the concurrent case has a test of its own.
 */
class CkanTargetCallsTest {

    static final int NEW_DATASETS = 200;

    MockCkan remote;
    MockCkan target;
    HarvestTestBed testBed;

    @BeforeEach
    void startTheRemoteAndTheTarget() throws Exception {
        remote = MockCkan.withMockDatasets();
        for (int i = 0; i < NEW_DATASETS - 2; i++) {
            remote.addDataset(String.format("bulk-%04d", i), String.format("bulk-%04d", i),
                    CkanHarvesterScenarioTest.ORG1, "2014-01-01T00:00:00");
        }
        target = MockCkan.empty();
    }

    @AfterEach
    void closeEverything() {
        try {
            if (testBed != null) {
                testBed.close();
            }
        } finally {
            remote.close();
            target.close();
        }
    }

    /** A source on a new test bed that writes to the target, with the engine's default import parallelism. */
    HarvestSource source(String config) {
        return source(spec(config), null);
    }

    SourceSpec spec(String config) {
        return SourceSpec.of("remote-ckan", remote.url()).withConfig(config);
    }

    /**
     * @param spec the source
     * @param parallelism the engine's {@code harvest.fetch_parallelism}, or null for its default
     */
    HarvestSource source(SourceSpec spec, Integer parallelism) {
        HarvestTestBed.Builder builder = HarvestTestBed.builder()
                .harvester(new CkanHarvester(CkanHarvesterScenarioTest.fastTransport()))
                .catalog(new CkanCatalog(target.url(), target.writeToken, CkanHarvesterScenarioTest.fastTransport()));
        if (parallelism != null) {
            builder.setting("harvest.fetch_parallelism", parallelism.toString());
        }
        testBed = builder.build();
        if (spec.ownerOrg() != null && target.orgs.stream().noneMatch(o -> spec.ownerOrg().equals(o.get("id")))) {
            // a source's organization must exist in the target catalog
            target.orgs.add(new LinkedHashMap<>(Map.of("id", spec.ownerOrg(), "name", spec.ownerOrg())));
        }
        HarvestSource source = testBed.source(spec);
        target.requests.clear(); // the calls of the harvest are counted, not the source's validation
        return source;
    }

    /** A source owned by local-org whose records are imported one at a time. */
    HarvestSource sourceImportingOneAtATime(String config) {
        return source(spec(config).withOwnerOrg("local-org"), 1);
    }

    Map<String, Long> callsByAction() {
        return target.requests.stream().collect(Collectors.groupingBy(
                r -> r.method() + " " + r.path().substring(r.path().lastIndexOf('/') + 1), Collectors.counting()));
    }

    void putEveryRemoteDatasetInGroup1() {
        remote.datasets.forEach(d -> d.put("groups",
                List.of(Map.of("id", CkanHarvesterScenarioTest.GROUP1, "name", "group1"))));
    }

    List<Object> targetGroupNames(String datasetId) {
        return new Dataset(target.dataset(datasetId)).dictList("groups").stream().map(g -> g.get("name")).toList();
    }

    // ------------------------------------------------------------------------------------------- datasets

    @Test
    void newDatasetsCostAtMostTwoCallsEachToTheTarget() {
        HarvestSource source = source("");

        HarvestResult job = testBed.harvest(source);

        System.out.printf("[target calls] %d new datasets: %d requests %s%n", NEW_DATASETS, target.requests.size(),
                callsByAction());
        job.assertFinishedWithoutErrors().assertCounts(NEW_DATASETS, 0, 0, 0, 0);
        assertEquals(NEW_DATASETS, target.requestsTo("package_create").size());
        assertTrue(target.requests.size() <= 2 * NEW_DATASETS, () -> callsByAction().toString());
        assertEquals("bulk-0007", target.dataset("bulk-0007").get("name"));
    }

    @Test
    void aSecondHarvestWithNothingChangedCallsTheTargetNotAtAll() {
        HarvestSource source = source("");
        testBed.harvest(source).assertFinishedWithoutErrors();
        target.requests.clear();

        HarvestResult second = testBed.harvest(source);

        second.assertFinishedWithoutErrors();
        assertEquals(List.of(), target.requests);
    }

    @Test
    void withForceAllEveryUnchangedDatasetReachesImportAndCostsOneFindAndNoWrite() {
        HarvestSource source = source("{\"force_all\": true}");
        testBed.harvest(source).assertFinishedWithoutErrors();
        target.requests.clear();

        HarvestResult second = testBed.harvest(source);

        second.assertFinishedWithoutErrors().assertCounts(0, 0, 0, NEW_DATASETS, 0);
        // force_all: the engine may not finish them at gather time, so each one's import looks its dataset up.
        assertEquals(Map.of("GET package_show", (long) NEW_DATASETS), callsByAction());
    }

    @Test
    void unchangedDatasetsGatheredAgainAreFinishedAtGatherTimeAndCostTheTargetNothing() {
        // Modified "in the future": every incremental gather finds them again.
        remote.datasets.forEach(d -> d.put("metadata_modified", "2050-01-01T00:00:00"));
        HarvestSource source = source("");
        testBed.harvest(source).assertFinishedWithoutErrors();
        target.requests.clear();

        HarvestResult second = testBed.harvest(source);

        second.assertFinishedWithoutErrors().assertCounts(0, 0, 0, NEW_DATASETS, 0);
        assertEquals(NEW_DATASETS, second.objects().size(), "each one was gathered again");
        assertTrue(second.objects().stream().allMatch(object -> object.content() == null),
                "finished at gather time: no document stored, nothing fetched or imported");
        assertEquals(List.of(), target.requests);
    }

    @Test
    void aChangeOnlyInTrackingSummaryReachesTheHarvestersOwnCheckWhichCostsOneFindPerDataset() {
        remote.datasets.forEach(d -> d.put("metadata_modified", "2050-01-01T00:00:00"));
        remote.datasets.forEach(d -> d.put("tracking_summary", Map.of("total", 1, "recent", 1)));
        HarvestSource source = source("");
        testBed.harvest(source).assertFinishedWithoutErrors();
        target.requests.clear();
        // Page views changed: the engine sees new content, the harvester sees the same dataset.
        remote.datasets.forEach(d -> d.put("tracking_summary", Map.of("total", 2, "recent", 2)));

        HarvestResult second = testBed.harvest(source);

        second.assertFinishedWithoutErrors().assertCounts(0, 0, 0, NEW_DATASETS, 0);
        assertTrue(second.objects().stream().allMatch(object -> object.content() != null), "each one reached import");
        assertEquals(Map.of("GET package_show", (long) NEW_DATASETS), callsByAction());
    }

    @Test
    void aNewDatasetWhoseNameIsTakenOnTheTargetGetsTheNextFreeName() {
        target.addDataset("someone-elses-id", "dataset1", "org", "2020-01-01T00:00:00");
        HarvestSource source = source("");

        HarvestResult job = testBed.harvest(source);

        job.assertFinishedWithoutErrors();
        assertEquals("dataset11", target.dataset(CkanHarvesterScenarioTest.DATASET1).get("name"));
        assertEquals("dataset1", target.dataset("someone-elses-id").get("name"));
        // dataset1: package_show by id, package_create refused, package_show of dataset1 and dataset11, package_create
        assertEquals(2 * NEW_DATASETS + 3, target.requests.size(), () -> callsByAction().toString());
    }

    @Test
    void aCreateRefusedForAnotherReasonThanTheNameFailsTheObjectAfterOneNameCheck() {
        remote.dataset("bulk-0042").put("tags", List.of(Map.of("name", "bad%tag")));
        HarvestSource source = source("");

        HarvestResult job = testBed.harvest(source);

        assertEquals(List.of("bulk-0042"), List.copyOf(job.objectErrorsByGuid().keySet()));
        assertTrue(job.objectErrorsByGuid().get("bulk-0042").get(0)
                .contains("tags: Tag \"bad%tag\" must be alphanumeric"), job::describe);
        assertEquals(NEW_DATASETS - 1, job.added());
        assertEquals(2 * NEW_DATASETS + 1, target.requests.size(), () -> callsByAction().toString());
    }

    // ------------------------------------------------------------------------- group and organization lookups

    @Test
    void withTheDefaultConfigurationANewDatasetCostsNoGroupOrOrganizationLookup() {
        putEveryRemoteDatasetInGroup1();
        HarvestSource source = source(spec("").withOwnerOrg("local-org"), null);

        testBed.harvest(source).assertFinishedWithoutErrors();

        assertEquals(Map.of("GET package_show", (long) NEW_DATASETS, "POST package_create", (long) NEW_DATASETS),
                callsByAction());
    }

    @Test
    void aRemoteGroupIsLookedUpOnTheTargetOncePerJobNotOncePerDataset() {
        putEveryRemoteDatasetInGroup1();
        target.groups.add(new LinkedHashMap<>(Map.of("id", CkanHarvesterScenarioTest.GROUP1, "name", "group1")));
        HarvestSource source = sourceImportingOneAtATime("{\"remote_groups\": \"only_local\"}");

        testBed.harvest(source).assertFinishedWithoutErrors();

        assertEquals(List.of("group1"), targetGroupNames("bulk-0042"));
        assertEquals(List.of("group1"), targetGroupNames(CkanHarvesterScenarioTest.CABINET));
        assertEquals(1, target.requestsTo("group_show").size());
        assertTrue(target.requests.size() <= 2 * NEW_DATASETS + 1, () -> callsByAction().toString());
    }

    @Test
    void aRemoteGroupMissingOnTheTargetIsCopiedOnceWithRemoteGroupsCreate() {
        putEveryRemoteDatasetInGroup1();
        HarvestSource source = sourceImportingOneAtATime("{\"remote_groups\": \"create\"}");

        testBed.harvest(source).assertFinishedWithoutErrors();

        assertEquals(List.of("group1"), targetGroupNames("bulk-0042"));
        assertEquals(1, target.requestsTo("group_create").size());
        assertEquals(2, target.requestsTo("group_show").size(), "by id, then by name, once");
        assertEquals(1, remote.requestsTo("group_show").size());
    }

    @Test
    void anOrganizationIsLookedUpOnTheTargetOncePerJobAndAMissingOneOnceToo() {
        target.orgs.add(new LinkedHashMap<>(Map.of("id", CkanHarvesterScenarioTest.ORG1, "name", "org1")));
        HarvestSource source = sourceImportingOneAtATime("{\"remote_orgs\": \"only_local\"}");

        testBed.harvest(source).assertFinishedWithoutErrors();

        assertEquals(CkanHarvesterScenarioTest.ORG1, target.dataset("bulk-0042").get("owner_org"));
        assertEquals("local-org", target.dataset(CkanHarvesterScenarioTest.CABINET).get("owner_org"));
        // org1 by id; cabinet-office (not on the target) by id and by name.
        assertEquals(3, target.requestsTo("organization_show").size());
    }

    @Test
    void eightConcurrentImportsOfOneJobCopyAMissingRemoteGroupOnceBetweenThem() {
        putEveryRemoteDatasetInGroup1();
        HarvestSource source = source(spec("{\"remote_groups\": \"create\"}"), 8);

        HarvestResult job = testBed.harvest(source);

        job.assertFinishedWithoutErrors().assertCounts(NEW_DATASETS, 0, 0, 0, 0);
        assertEquals(1, target.groups.size());
        assertTrue(remote.datasets.stream().allMatch(d -> targetGroupNames((String) d.get("id"))
                .equals(List.of("group1"))));
        // Imports that missed the group before it was made each try to copy it (at most one per import thread).
        assertTrue(target.requestsTo("group_create").size() <= 8, () -> callsByAction().toString());
        assertTrue(target.requests.size() <= 2 * NEW_DATASETS + 8 * 4, () -> callsByAction().toString());
    }

    @Test
    void aGroupMissingFromTheTargetIsLookedForAgainByTheNextJob() throws Exception {
        putEveryRemoteDatasetInGroup1();
        HarvestSource source = sourceImportingOneAtATime("{\"remote_groups\": \"only_local\"}");
        testBed.harvest(source).assertFinishedWithoutErrors();
        assertEquals(List.of(), targetGroupNames("bulk-0042"));
        target.groups.add(new LinkedHashMap<>(Map.of("id", CkanHarvesterScenarioTest.GROUP1, "name", "group1")));
        source = SourceReconfiguration.reconfigure(testBed, source,
                "{\"remote_groups\": \"only_local\", \"force_all\": true}");

        HarvestResult second = testBed.harvest(source);

        second.assertFinishedWithoutErrors().assertCounts(0, NEW_DATASETS, 0, 0, 0);
        assertEquals(List.of("group1"), targetGroupNames("bulk-0042"));
        assertTrue(second.objects().stream().map(HarvestedObject::reportStatus).allMatch("updated"::equals));
    }
}
