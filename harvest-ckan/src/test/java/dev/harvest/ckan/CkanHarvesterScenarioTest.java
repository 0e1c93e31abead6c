package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.testkit.HarvestResult;
import dev.harvest.testkit.HarvestTestBed;
import dev.harvest.testkit.HarvestedObject;
import dev.harvest.testkit.MutableClock;
import dev.harvest.testkit.SourceSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The scenarios of ckanext-harvest's test_ckanharvester.py (spec §15.7), each import option, deletions and the
 * deletion guard, run through the real engine with harvest-testkit's {@link HarvestTestBed}: what a test sees is what
 * the engine leaves behind (the job's status, counts and gather errors, each object's report status, errors and stored
 * content, the datasets and groups of the catalog) and the requests {@link MockCkan} received.
 *
 * <p>The catalog is the engine's embedded one, except where a scenario needs a catalog that validates tags and names
 * as CKAN does: there the harvest writes through {@link CkanCatalog} to a second {@link MockCkan}. The test bed's clock
 * starts at {@link #START} and each harvest moves it one second on, so the incremental windows are known instants.
 */
class CkanHarvesterScenarioTest {

    static final String DATASET1 = "dataset1-id";
    static final String CABINET = "1c65c66a-fdec-4138-9c64-0f9bf087bcbb";
    static final String ORG1 = "0f8380d6-241a-47de-aa52-8bd91c763d97";
    static final String CABINET_OFFICE_ORG = "aa1e068a-23da-4563-b9c2-2cad272b663e";
    static final String GROUP1 = "10037fa4-e683-4a67-892a-efba815e24ad";

    /** The test bed's clock stands here until the first harvest moves it to 12:00:01. */
    static final Instant START = Instant.parse("2024-03-01T12:00:00Z");

    MockCkan remote;
    MockCkan target;
    CkanHarvester harvester;
    HarvestTestBed testBed;

    @BeforeEach
    void startTheRemoteCkan() throws Exception {
        remote = MockCkan.withMockDatasets();
        harvester = new CkanHarvester(fastTransport());
    }

    @AfterEach
    void closeEverything() {
        try {
            if (testBed != null) {
                testBed.close();
            }
        } finally {
            remote.close();
            if (target != null) {
                target.close();
            }
        }
    }

    static HttpTransport fastTransport() {
        return HttpTransport.builder().policy(MockCkan.LOOPBACK).maxAttempts(2).sleeper(delay -> { })
                .connectTimeout(Duration.ofSeconds(2)).readTimeout(Duration.ofSeconds(5)).build();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** The test bed, with the embedded catalog and no settings, built on first use. */
    HarvestTestBed testBed() {
        if (testBed == null) {
            testBed = testBedWith(builder -> builder);
        }
        return testBed;
    }

    /** Builds the test's test bed with settings or a catalog of its own; call it before any harvest. */
    HarvestTestBed testBedWith(UnaryOperator<HarvestTestBed.Builder> configure) {
        assertNull(testBed, "the test bed was built already");
        testBed = configure.apply(HarvestTestBed.builder().harvester(harvester).clock(new MutableClock(START)))
                .build();
        return testBed;
    }

    /** A test bed whose harvests write through {@link CkanCatalog} to an empty {@link MockCkan}, {@link #target}. */
    HarvestTestBed testBedWritingToATargetCkan() throws IOException {
        target = MockCkan.empty();
        return testBedWith(builder -> builder.catalog(new CkanCatalog(target.url(), target.writeToken,
                fastTransport())));
    }

    HarvestSource source(String config) {
        return sourceAt("/", config);
    }

    HarvestSource sourceAt(String path, String config) {
        return testBed().source("remote-ckan", remote.url() + path, config);
    }

    /** Creates the source, and first its owner organization in the local catalog, which the engine checks. */
    HarvestSource source(SourceSpec spec) {
        if (spec.ownerOrg() != null) {
            try {
                if (testBed().catalog().findGroup(GroupKind.ORGANIZATION, spec.ownerOrg()).isEmpty()) {
                    testBed().catalog().createGroup(GroupKind.ORGANIZATION,
                            new CatalogGroup(Map.of("id", spec.ownerOrg(), "name", spec.ownerOrg())));
                }
            } catch (CatalogException e) {
                throw new IllegalStateException(e);
            }
        }
        return testBed().source(spec);
    }

    SourceSpec spec(String config) {
        return SourceSpec.of("remote-ckan", remote.url() + "/").withConfig(config);
    }

    HarvestResult harvest(HarvestSource source) {
        return testBed().harvest(source);
    }

    HarvestSource reconfigure(HarvestSource source, String config) throws Exception {
        return testBed().reconfigure(source, config);
    }

    /** The local dataset, which the test expects to exist (deleted ones included). */
    Dataset local(String idOrName) {
        return testBed().dataset(idOrName).orElseThrow(() -> new AssertionError("no local dataset " + idOrName));
    }

    /** The dataset as the target CKAN stores it. */
    Dataset onTarget(String idOrName) {
        Map<String, Object> dataset = target.dataset(idOrName);
        assertNotNull(dataset, () -> "the target CKAN has no dataset " + idOrName);
        return new Dataset(dataset);
    }

    /** What became of each record in a job, by guid, in gather order. */
    static Map<String, String> statusByGuid(HarvestResult result) {
        Map<String, String> statuses = new LinkedHashMap<>();
        result.objects().forEach(object -> statuses.put(object.guid(), object.reportStatus()));
        return statuses;
    }

    static HarvestedObject object(HarvestResult result, String guid) {
        return result.object(guid).orElseThrow(() -> new AssertionError("job has no object for " + guid + "; it "
                + result.describe()));
    }

    static String errorOf(HarvestResult result, String guid) {
        List<String> errors = result.objectErrorsByGuid().get(guid);
        assertNotNull(errors, () -> "object " + guid + " has no error; the job " + result.describe());
        return String.join(" | ", errors);
    }

    static List<String> extraValues(Dataset dataset, String key) {
        return dataset.dictList("extras").stream().filter(e -> key.equals(e.get("key")))
                .map(e -> String.valueOf(e.get("value"))).toList();
    }

    static Set<String> tagNames(Dataset dataset) {
        return dataset.dictList("tags").stream().map(t -> String.valueOf(t.get("name"))).collect(Collectors.toSet());
    }

    static List<Object> groupNames(Dataset dataset) {
        return dataset.dictList("groups").stream().map(g -> g.get("name")).toList();
    }

    /** The {@code fq} of every package_search the remote received, null where there was none. */
    List<String> sentFq() {
        return remote.requestsTo("package_search").stream().map(r -> r.params().get("fq")).toList();
    }

    /** The ids the remote was asked for with package_show. */
    List<String> packageShowIds() {
        return remote.requestsTo("package_show").stream().map(r -> r.params().get("id")).toList();
    }

    static String windowSince(String time) {
        return "metadata_modified:[" + time + "Z TO *]";
    }

    /** Four more remote datasets, so that six in all: deleting up to three stays within the default guard. */
    void addFourOldRemoteDatasets() {
        for (int i = 0; i < 4; i++) {
            remote.addDataset("extra-" + i, "extra-" + i, ORG1, "2014-01-01T00:00:00");
        }
    }

    static CatalogGroup group(String id, String name) {
        return new CatalogGroup(Map.of("id", id, "name", name, "title", name.toUpperCase(java.util.Locale.ROOT)));
    }

    // ------------------------------------------------------------------------------ gather, first and second job

    @Test
    void aHarvestStoresOneObjectPerRemoteDatasetWithThePackageDictAsContent() throws Exception {
        HarvestResult job = harvest(source(""));

        job.assertFinishedWithoutErrors();
        assertEquals(Set.of(DATASET1, CABINET), statusByGuid(job).keySet());
        assertEquals(remote.dataset(DATASET1), MockCkan.MAPPER.readValue(object(job, DATASET1).content(), Map.class));
    }

    @Test
    void aFirstHarvestAddsBothDatasetsWithTheRemoteIdsAndNamesInTheSourcesOrganization() {
        HarvestResult job = harvest(source(spec("").withOwnerOrg("local-org")));

        job.assertFinishedWithoutErrors().assertCounts(2, 0, 0, 0, 0);
        assertEquals("dataset1", local(DATASET1).name());
        assertEquals("cabinet-office-energy-use", local(CABINET).name());
        assertEquals("local-org", local(DATASET1).ownerOrg());
        assertEquals(DATASET1, object(job, DATASET1).packageId(), "the local id is the remote id");
    }

    @Test
    void aSecondHarvestGathersOnlyTheDatasetModifiedSinceTheLastErrorFreeJob() {
        HarvestSource source = source("");
        harvest(source).assertFinishedWithoutErrors();
        remote.dataset(CABINET).put("metadata_modified", "2050-05-09T22:00:01.486366");

        HarvestResult second = harvest(source);

        second.assertFinishedWithoutErrors();
        assertEquals(Map.of(CABINET, "updated"), statusByGuid(second));
        assertEquals("cabinet-office-energy-use", local(CABINET).name());
        List<String> fq = sentFq();
        assertTrue(fq.get(fq.size() - 2).matches("metadata_modified:\\[\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d"
                + "(\\.\\d{6})?Z TO \\*]"), fq::toString);
        // dataset1 was listed by the id listing (fl=id) and kept: no object, not deleted
        assertEquals("id", remote.requestsTo("package_search").get(fq.size() - 1).params().get("fl"));
        assertEquals("active", local(DATASET1).state());
    }

    @Test
    void theIncrementalWindowStartsAnHourBeforeTheGatherOfTheLastErrorFreeJob() {
        HarvestSource source = source("");
        harvest(source).assertFinishedWithoutErrors(); // gathered at 12:00:01

        harvest(source).assertFinishedWithoutErrors();

        assertTrue(sentFq().contains(windowSince("2024-03-01T11:00:01")), sentFq()::toString);
    }

    @Test
    void anUnchangedRemoteGathersNothingFinishesCleanlyAndDeletesOrRewritesNothing() {
        HarvestSource source = source("");
        harvest(source).assertFinishedWithoutErrors();
        String modified = local(CABINET).metadataModified();

        HarvestResult second = harvest(source);

        second.assertFinishedWithoutErrors().assertCounts(0, 0, 0, 0, 0);
        assertEquals(List.of(), second.objects());
        assertEquals("active", local(DATASET1).state(), "listed by the id listing, so not deleted");
        assertEquals("active", local(CABINET).state());
        assertEquals(modified, local(CABINET).metadataModified(), "not written again");
    }

    @Test
    void forceAllGathersEverythingButWritesNothingWhenNothingChanged() {
        HarvestSource source = source("{\"force_all\": true}");
        harvest(source).assertFinishedWithoutErrors();
        String modified = local(CABINET).metadataModified();

        HarvestResult second = harvest(source);

        second.assertFinishedWithoutErrors();
        assertEquals(Map.of(DATASET1, "not modified", CABINET, "not modified"), statusByGuid(second));
        assertEquals(modified, local(CABINET).metadataModified());
        assertTrue(sentFq().stream().allMatch(Objects::isNull), () -> "no incremental window: " + sentFq());
    }

    // ------------------------------------------------------- the engine's gather-time skip of unchanged records

    @Test
    void aRecordGatheredAgainUnchangedIsFinishedAtGatherTimeWithoutFetchOrImport() {
        // Modified "in the future": every incremental gather finds it again.
        remote.dataset(CABINET).put("metadata_modified", "2050-01-01T00:00:00");
        HarvestSource source = source("");
        harvest(source).assertFinishedWithoutErrors();
        String modified = local(CABINET).metadataModified();

        HarvestResult second = harvest(source);

        second.assertFinishedWithoutErrors();
        assertEquals(Map.of(CABINET, "not modified"), statusByGuid(second));
        HarvestedObject skipped = object(second, CABINET);
        assertNull(skipped.content(), "the engine finished it at gather time: it stored no document, only the outcome "
                + "(CkanTargetCallsTest counts the catalog calls this saves: none)");
        assertEquals(CABINET, skipped.packageId());
        assertEquals(modified, local(CABINET).metadataModified());
    }

    @Test
    void withForceAllEveryRecordReachesImportWhichRestoresADatasetDeletedLocally() throws Exception {
        HarvestSource source = source("{\"force_all\": true}");
        harvest(source).assertFinishedWithoutErrors();
        testBed().catalog().deleteDataset(DATASET1);

        HarvestResult second = harvest(source);

        assertEquals(Map.of(DATASET1, "updated", CABINET, "not modified"), statusByGuid(second));
        assertNotNull(object(second, CABINET).content(), "reached import, which found it unchanged");
        assertEquals("active", local(DATASET1).state());
    }

    @Test
    void aForcedImportOfAChosenRecordUpdatesItsDatasetEvenWhenUnchanged() {
        HarvestSource source = source("{\"force_all\": true}");
        harvest(source).assertFinishedWithoutErrors();
        String cabinetModified = local(CABINET).metadataModified();
        String dataset1Modified = local(DATASET1).metadataModified();

        HarvestResult forced = testBed().harvest(source, Set.of(CABINET));

        assertEquals("updated", object(forced, CABINET).reportStatus(), forced::describe);
        assertFalse(cabinetModified.equals(local(CABINET).metadataModified()), "written again");
        assertEquals(dataset1Modified, local(DATASET1).metadataModified(), "not chosen, not imported");
        assertEquals("Finished", forced.status(), forced::describe);
        forced.assertCounts(0, 1, 0, 0, 0);
    }

    @Test
    void aChangedSourceConfigurationReimportsUnchangedRemoteDatasets() throws Exception {
        HarvestSource source = source("{\"force_all\": true}");
        harvest(source).assertFinishedWithoutErrors();
        source = reconfigure(source, "{\"force_all\": true, \"default_tags\": [{\"name\": \"geo\"}]}");

        HarvestResult second = harvest(source);

        second.assertFinishedWithoutErrors().assertCounts(0, 2, 0, 0, 0);
        assertTrue(tagNames(local(DATASET1)).contains("geo"));
    }

    // -------------------------------------------------------------------------------------------------- filters

    @Test
    void excludingAnOrganizationSendsANegatedTermAndSkipsItsDatasets() {
        HarvestResult job = harvest(source("{\"organizations_filter_exclude\": [\"org1\"]}"));

        assertEquals(Set.of(CABINET), statusByGuid(job).keySet());
        assertEquals("-organization:org1", sentFq().get(0));
    }

    @Test
    void includingOrganizationsSendsOneOrTerm() {
        HarvestResult job = harvest(source("{\"organizations_filter_include\": [\"org1\", \"nowhere\"]}"));

        assertEquals(Set.of(DATASET1), statusByGuid(job).keySet());
        assertEquals("organization:org1 OR organization:nowhere", sentFq().get(0));
    }

    @Test
    void excludingAGroupSkipsItsDatasets() {
        HarvestResult job = harvest(source("{\"groups_filter_exclude\": [\"group1\"]}"));

        assertEquals(Set.of(CABINET), statusByGuid(job).keySet());
        assertEquals("-groups:group1", sentFq().get(0));
    }

    @Test
    void includingAGroupAndExcludingAnOrganizationJoinsTheTermsWithASpace() {
        HarvestResult job = harvest(source(
                "{\"groups_filter_include\": [\"group1\"], \"organizations_filter_exclude\": [\"cabinet-office\"]}"));

        assertEquals(Set.of(DATASET1), statusByGuid(job).keySet());
        assertEquals("-organization:cabinet-office groups:group1", sentFq().get(0));
    }

    // ----------------------------------------------------------------------------- remote groups and organizations

    @Test
    void remoteGroupsCreateCopiesTheRemoteGroupWithoutItsPackages() throws Exception {
        remote.groups.get(0).put("packages", List.of(Map.of("id", "x")));

        HarvestResult job = harvest(source("{\"remote_groups\": \"create\"}"));

        job.assertFinishedWithoutErrors();
        CatalogGroup group = testBed().catalog().findGroup(GroupKind.GROUP, GROUP1).orElseThrow();
        assertEquals("group1", group.name());
        assertFalse(group.has("packages"));
        assertEquals(GROUP1, local(DATASET1).dictList("groups").get(0).get("id"));
        assertTrue(testBed().catalog().findGroup(GroupKind.GROUP, "remote-group").isEmpty(),
                "the remote has no group_show for it, so it is not copied");
    }

    @Test
    void remoteGroupsOnlyLocalKeepsGroupsThatExistLocallyAndCreatesNone() throws Exception {
        testBed().catalog().createGroup(GroupKind.GROUP, group(GROUP1, "group1"));

        harvest(source("{\"remote_groups\": \"only_local\"}")).assertFinishedWithoutErrors();

        assertEquals(GROUP1, local(DATASET1).dictList("groups").get(0).get("id"));
        assertEquals(List.of(), local(CABINET).dictList("groups"));
        assertTrue(testBed().catalog().findGroup(GroupKind.GROUP, "remote-group").isEmpty());
        assertEquals(List.of(), remote.requestsTo("group_show"));
    }

    @Test
    void withoutRemoteGroupsTheRemoteGroupsAreDropped() throws Exception {
        testBed().catalog().createGroup(GroupKind.GROUP, group(GROUP1, "group1"));

        harvest(source("")).assertFinishedWithoutErrors();

        assertFalse(local(DATASET1).has("groups"));
    }

    @Test
    void remoteOrgsCreateFallsBackToTheEmbeddedOrganizationWhenOrganizationShowFails() throws Exception {
        HarvestResult job = harvest(source(spec("{\"remote_orgs\": \"create\"}").withOwnerOrg("local-org")));

        job.assertFinishedWithoutErrors();
        CatalogGroup org = testBed().catalog().findGroup(GroupKind.ORGANIZATION, "cabinet-office").orElseThrow();
        assertEquals(CABINET_OFFICE_ORG, org.id());
        assertEquals(org.id(), local(CABINET).ownerOrg());
        assertFalse(local(CABINET).has("organization"));
        // dataset1 has no embedded organization and the remote has no organization_show: the source's org is used.
        assertEquals("local-org", local(DATASET1).ownerOrg());
        assertFalse(remote.requestsTo("organization_show").isEmpty());
    }

    @Test
    void anOrganizationCreatedByAnImportThatWasRolledBackIsCreatedAgainForTheNextDatasetOfTheJob() throws Exception {
        // CABINET is provided by another source, so its import here is refused after it created its organization,
        // and that creation is rolled back with it; the next dataset of the same organization must not use it
        try (MockCkan other = MockCkan.empty()) {
            Map<String, Object> provided = MockCkan.deepCopy(remote.datasets.stream()
                    .filter(dataset -> CABINET.equals(dataset.get("id"))).findFirst().orElseThrow());
            provided.remove("owner_org");
            provided.remove("organization");
            other.datasets.add(provided);
            harvest(testBed().source("other-ckan", other.url() + "/", "")).assertFinishedWithoutErrors();
        }
        Map<String, Object> sameOrganization = MockCkan.deepCopy(remote.datasets.stream()
                .filter(dataset -> CABINET.equals(dataset.get("id"))).findFirst().orElseThrow());
        sameOrganization.put("id", "ffffffff-0000-4000-8000-000000000001"); // listed after CABINET
        sameOrganization.put("name", "cabinet-office-second");
        sameOrganization.put("title", "Cabinet Office second");
        remote.datasets.add(sameOrganization);

        HarvestResult job = harvest(source(spec("{\"remote_orgs\": \"create\"}").withOwnerOrg("local-org")));

        assertEquals(1, job.errored(), job::describe);
        Dataset second = local("ffffffff-0000-4000-8000-000000000001");
        assertEquals(CABINET_OFFICE_ORG, second.ownerOrg());
        assertTrue(testBed().catalog().findGroup(GroupKind.ORGANIZATION, CABINET_OFFICE_ORG).isPresent(),
                "the dataset's organization exists in the catalog");
    }

    @Test
    void remoteOrgsOnlyLocalUsesTheLocalOrganizationWithTheRemoteId() throws Exception {
        testBed().catalog().createGroup(GroupKind.ORGANIZATION, group(ORG1, "org1"));

        harvest(source(spec("{\"remote_orgs\": \"only_local\"}").withOwnerOrg("local-org")))
                .assertFinishedWithoutErrors();

        assertEquals(ORG1, local(DATASET1).ownerOrg());
        assertEquals("local-org", local(CABINET).ownerOrg());
        assertTrue(testBed().catalog().findGroup(GroupKind.ORGANIZATION, "cabinet-office").isEmpty());
        assertTrue(testBed().catalog().findGroup(GroupKind.ORGANIZATION, CABINET_OFFICE_ORG).isEmpty());
    }

    // ---------------------------------------------------------------------------- paging oddities and failures

    @Test
    void aHarvestWhilstDatasetsAreAddedImportsEachDatasetOnce() {
        HarvestResult job = harvest(sourceAt("/datasets_added", ""));

        job.assertFinishedWithoutErrors().assertCounts(2, 0, 0, 0, 0);
        List<String> guids = job.objects().stream().map(HarvestedObject::guid).toList();
        assertEquals(2, guids.size(), () -> "page 2 repeated dataset1, yet each dataset has one object: " + guids);
        assertEquals(Set.of(DATASET1, CABINET), Set.copyOf(guids));
    }

    @Test
    void aSiteThatIsDownIsAGatherErrorNamingTheUrl() {
        HarvestResult job = harvest(sourceAt("/site_down", ""));

        assertEquals("Finished", job.status());
        assertEquals(1, job.gatherErrors().size(), job::describe);
        String error = job.gatherErrors().get(0);
        assertTrue(error.startsWith("Unable to search remote CKAN for datasets:"), error);
        assertTrue(error.contains("HTTP error: 500 " + remote.url() + "/site_down/api/3/action"), error);
        assertEquals(List.of(), job.objects());
        assertEquals(1, job.errored(), "the gather error counts as an error of the job");
    }

    @Test
    void aJobWithAGatherErrorIsNotErrorFreeSoTheNextWindowStartsFromTheJobBefore() {
        HarvestSource source = source("");
        harvest(source).assertFinishedWithoutErrors(); // gathered at 12:00:01
        // Two attempts of the incremental search, two of the full search it falls back to.
        for (int i = 0; i < 4; i++) {
            remote.enqueue(MockCkan.Scripted.status(500, "down"));
        }
        HarvestResult failed = harvest(source); // 12:00:02
        assertFalse(failed.gatherErrors().isEmpty(), failed::describe);
        remote.requests.clear();

        harvest(source).assertFinishedWithoutErrors(); // 12:00:03

        assertEquals(windowSince("2024-03-01T11:00:01"), sentFq().get(0),
                "the failed job of 12:00:02 must not be the start of the window");
    }

    @Test
    void aFailedGatherAfterASuccessfulOneDeletesNothing() {
        // force_deletions: the deletion guard must not be what saves the datasets here.
        HarvestSource source = source("{\"force_all\": true, \"force_deletions\": true}");
        harvest(source).assertFinishedWithoutErrors();
        remote.enqueue(MockCkan.Scripted.status(500, "down"), MockCkan.Scripted.status(500, "down"));

        HarvestResult second = harvest(source);

        assertEquals(1, second.gatherErrors().size(), second::describe);
        assertEquals(0, second.deleted());
        assertEquals("active", local(DATASET1).state());
        assertEquals("active", local(CABINET).state());
    }

    @Test
    void anEmptyRemoteIsAGatherErrorNotADeletionOfEverything() {
        HarvestSource source = source("{\"force_all\": true}");
        harvest(source).assertFinishedWithoutErrors();
        remote.datasets.clear();

        HarvestResult second = harvest(source);

        assertEquals(List.of("No datasets found at CKAN: " + remote.url()), second.gatherErrors());
        assertEquals(0, second.deleted());
        assertEquals("active", local(CABINET).state());
    }

    // -------------------------------------------------------------------------------- deletions and their guard

    @Test
    void aDatasetDeletedRemotelyIsDeletedLocallyAfterAnIncrementalGather() {
        addFourOldRemoteDatasets();
        HarvestSource source = source("");
        harvest(source).assertFinishedWithoutErrors();
        remote.datasets.remove(remote.dataset("extra-0"));
        remote.dataset("extra-1").put("metadata_modified", "2050-01-01T00:00:00");

        HarvestResult second = harvest(source);

        second.assertFinishedWithoutErrors();
        assertEquals(Map.of("extra-1", "updated", "extra-0", "deleted"), statusByGuid(second));
        assertEquals("deleted", local("extra-0").state());
    }

    @Test
    void theDeletionGuardStopsAHarvestThatWouldDeleteMostDatasetsUntilTheSourceForcesDeletions() throws Exception {
        addFourOldRemoteDatasets();
        HarvestSource source = source("{\"force_all\": true}");
        harvest(source).assertFinishedWithoutErrors();
        remote.datasets.removeIf(d -> String.valueOf(d.get("id")).startsWith("extra-"));

        HarvestResult guarded = harvest(source);

        assertEquals(0, guarded.deleted(), guarded::describe);
        assertEquals(1, guarded.gatherErrors().size(), guarded::describe);
        assertTrue(guarded.gatherErrors().get(0).startsWith("Deletion guard: 4 of the 6 datasets of this source (67%)"),
                guarded.gatherErrors()::toString);
        assertTrue(guarded.gatherErrors().get(0).contains("\"force_deletions\": true"));
        assertEquals("active", local("extra-0").state());

        source = reconfigure(source, "{\"force_all\": true, \"force_deletions\": true}");
        HarvestResult forced = harvest(source);

        assertEquals(4, forced.deleted(), forced::describe);
        assertEquals("deleted", local("extra-0").state());
    }

    @Test
    void aSourcesDeletionGuardMaxShareLetsItDeleteMoreThanTheSiteDefault() {
        addFourOldRemoteDatasets();
        HarvestSource source = source("{\"force_all\": true, \"deletion_guard_max_share\": 0.7}");
        harvest(source).assertFinishedWithoutErrors();
        remote.datasets.removeIf(d -> String.valueOf(d.get("id")).startsWith("extra-"));

        HarvestResult second = harvest(source);

        second.assertFinishedWithoutErrors();
        assertEquals(4, second.deleted(), "4 of 6 is within the source's 70%");
    }

    @Test
    void theSiteSettingOfTheDeletionGuardAppliesToSourcesWithoutTheirOwn() {
        testBedWith(builder -> builder.setting("harvest.deletion_guard.max_share", "0.1"));
        addFourOldRemoteDatasets();
        HarvestSource source = source("{\"force_all\": true}");
        harvest(source).assertFinishedWithoutErrors();
        remote.datasets.remove(remote.dataset("extra-0"));

        HarvestResult second = harvest(source);

        assertEquals(0, second.deleted(), "1 of 6 is more than the site's 10%");
        assertTrue(second.gatherErrors().get(0).startsWith("Deletion guard: 1 of the 6 datasets"),
                second.gatherErrors()::toString);
        assertEquals("active", local("extra-0").state());
    }

    // ------------------------------------------------------------------------ confirming deletions (package_show)

    @Test
    void aDatasetTheRemoteNoLongerHasIsDeletedOnceItsPackageShowSaysNotFound() {
        HarvestSource source = source("");
        harvest(source).assertFinishedWithoutErrors();
        remote.datasets.remove(remote.dataset(DATASET1));

        HarvestResult second = harvest(source);

        second.assertFinishedWithoutErrors();
        assertEquals(Map.of(DATASET1, "deleted"), statusByGuid(second));
        assertEquals("deleted", local(DATASET1).state());
        assertEquals(List.of(DATASET1), packageShowIds(), "the deletion was confirmed with package_show");
    }

    @Test
    void aDatasetInStateDeletedOnTheRemoteIsDeletedLocally() {
        HarvestSource source = source("");
        harvest(source).assertFinishedWithoutErrors();
        remote.dataset(DATASET1).put("state", "deleted"); // no longer listed, still shown

        HarvestResult second = harvest(source);

        second.assertFinishedWithoutErrors();
        assertEquals(Map.of(DATASET1, "deleted"), statusByGuid(second));
        assertEquals("deleted", local(DATASET1).state());
    }

    @Test
    void anActiveRemoteDatasetThatTheListingMissedIsKept() {
        HarvestSource source = source("");
        harvest(source).assertFinishedWithoutErrors();
        remote.enqueueFor(MockCkan.idListing(), MockCkan.idPage(CABINET));

        HarvestResult second = harvest(source);

        second.assertFinishedWithoutErrors();
        assertEquals(Map.of(DATASET1, "not modified"), statusByGuid(second));
        assertEquals("active", local(DATASET1).state());
        assertEquals(List.of(DATASET1), packageShowIds());
    }

    @Test
    void aRemoteErrorWhileConfirmingADeletionErrorsTheObjectAndKeepsTheDataset() {
        HarvestSource source = source("");
        harvest(source).assertFinishedWithoutErrors();
        remote.datasets.remove(remote.dataset(DATASET1));
        remote.enqueueFor(MockCkan.action("package_show"), MockCkan.Scripted.status(500, "down"),
                MockCkan.Scripted.status(500, "down"));

        HarvestResult second = harvest(source);

        assertEquals("errored", object(second, DATASET1).reportStatus());
        String error = errorOf(second, DATASET1);
        assertTrue(error.startsWith("Could not confirm that dataset1-id was removed from the remote, so its dataset "
                + "was kept: "), error);
        assertTrue(error.contains("HTTP error: 500 " + remote.url()), error);
        assertEquals("active", local(DATASET1).state());
    }

    @Test
    void aBare404WithoutCkansNotFoundErrorIsNotTakenForADeletion() {
        HarvestSource source = source("");
        harvest(source).assertFinishedWithoutErrors();
        remote.datasets.remove(remote.dataset(DATASET1));
        remote.enqueueFor(MockCkan.action("package_show"),
                MockCkan.Scripted.status(404, "<html>no such page</html>").withContentType("text/html"));

        HarvestResult second = harvest(source);

        assertEquals("errored", object(second, DATASET1).reportStatus(), second::describe);
        assertEquals("active", local(DATASET1).state());
    }

    @Test
    void aForbiddenDatasetIsDeletedOnlyWhenTheSearchNoLongerFindsIt() {
        String forbidden = MockCkan.json(Map.of("success", false, "error", Map.of("__type", "Authorization Error",
                "message", "User not authorized to read package")));
        HarvestSource source = source("");
        harvest(source).assertFinishedWithoutErrors();
        remote.enqueueFor(MockCkan.idListing(), MockCkan.idPage(CABINET));
        remote.enqueueFor(MockCkan.action("package_show"), MockCkan.Scripted.status(403, forbidden));

        HarvestResult stillListed = harvest(source);

        assertEquals(Map.of(DATASET1, "not modified"), statusByGuid(stillListed), "the search still finds it");
        assertEquals("active", local(DATASET1).state());

        remote.datasets.remove(remote.dataset(DATASET1));
        remote.enqueueFor(MockCkan.action("package_show"), MockCkan.Scripted.status(403, forbidden));
        HarvestResult gone = harvest(source);

        gone.assertFinishedWithoutErrors();
        assertEquals(Map.of(DATASET1, "deleted"), statusByGuid(gone));
        assertEquals("id:\"" + DATASET1 + "\"", sentFq().get(sentFq().size() - 1));
    }

    @Test
    void narrowingTheOrganizationFilterStillDeletesTheDatasetsItNoLongerCovers() throws Exception {
        HarvestSource source = source("");
        harvest(source).assertFinishedWithoutErrors();
        source = reconfigure(source, "{\"organizations_filter_include\": [\"org1\"]}");

        HarvestResult second = harvest(source);

        second.assertFinishedWithoutErrors();
        assertEquals(Map.of(CABINET, "deleted"), statusByGuid(second));
        assertEquals("deleted", local(CABINET).state());
        assertEquals("active", local(DATASET1).state());
        assertEquals("id:\"" + CABINET + "\" organization:org1", sentFq().get(sentFq().size() - 1));
    }

    // --------------------------------------------- incremental gathers find datasets that were never harvested

    @Test
    void anIncrementalHarvestAfterWideningTheFilterImportsTheRemoteDatasetsNeverHarvested() throws Exception {
        HarvestSource source = source("{\"organizations_filter_include\": [\"org1\"]}");
        harvest(source).assertFinishedWithoutErrors();
        assertEquals(List.of("dataset1"), testBed().datasets(source).stream().map(Dataset::name).toList());
        source = reconfigure(source, "");

        HarvestResult second = harvest(source);

        second.assertFinishedWithoutErrors();
        assertEquals(Map.of(CABINET, "added"), statusByGuid(second), "dataset1 is known: marked present, no object");
        assertEquals(List.of(CABINET), packageShowIds(), "found by the id listing, so fetched with package_show");
        assertEquals("cabinet-office-energy-use", local(CABINET).name());
        assertEquals("active", local(DATASET1).state());
        assertEquals(List.of("cabinet-office-energy-use", "dataset1"),
                testBed().datasets(source).stream().map(Dataset::name).toList());
    }

    @Test
    void aPrivateDatasetThatBecomesVisibleIsImportedByTheNextIncrementalHarvest() {
        remote.addDataset("was-private", "was-private", ORG1, "2014-01-01T00:00:00").put("private", true);
        HarvestSource source = source("");
        harvest(source).assertFinishedWithoutErrors();
        assertTrue(testBed().dataset("was-private").isEmpty());
        remote.dataset("was-private").put("private", false);

        HarvestResult second = harvest(source);

        assertEquals(Map.of("was-private", "added"), statusByGuid(second));
    }

    @Test
    void aRecordFoundByTheIdListingWhoseDatasetIsGoneFailsItsFetchNamingTheUrl() {
        HarvestSource source = source("");
        harvest(source).assertFinishedWithoutErrors();
        remote.enqueueFor(MockCkan.idListing(), MockCkan.idPage(CABINET, DATASET1, "gone-id"));

        HarvestResult second = harvest(source);

        assertEquals(Map.of("gone-id", "errored"), statusByGuid(second));
        String error = errorOf(second, "gone-id");
        assertTrue(error.contains(remote.url() + "/api/3/action/package_show?id=gone-id"), error);
    }

    @Test
    void datasetsGatheredWithTheirPackageDictAreImportedWithoutAskingTheRemoteAgain() {
        harvest(source("")).assertFinishedWithoutErrors().assertCounts(2, 0, 0, 0, 0);

        assertEquals(List.of(), packageShowIds());
        assertEquals(1, remote.requestsTo("package_search").size());
    }

    // ------------------------------------------------------------------------------------- remote harvest extras

    @Test
    void theRemotesOwnHarvestUserExtrasAreNotCopiedSoTheDatasetStaysUpdatable() {
        List<Map<String, Object>> extras = new ArrayList<>(new Dataset(remote.dataset(CABINET)).dictList("extras"));
        extras.add(Map.of("key", CkanHarvester.HARVEST_USER_EXTRA, "value", "remote-harvester"));
        extras.add(Map.of("key", CkanHarvester.READ_ONLY_EXTRA, "value", "true"));
        remote.dataset(CABINET).put("extras", extras);
        HarvestSource source = source("");
        harvest(source).assertFinishedWithoutErrors();
        assertEquals(List.of(), extraValues(local(CABINET), CkanHarvester.HARVEST_USER_EXTRA));
        assertEquals(List.of(), extraValues(local(CABINET), CkanHarvester.READ_ONLY_EXTRA));
        remote.dataset(CABINET).put("title", "Changed remotely");
        remote.dataset(CABINET).put("metadata_modified", "2050-01-01T00:00:00");

        HarvestResult second = harvest(source);

        second.assertFinishedWithoutErrors();
        assertEquals("updated", object(second, CABINET).reportStatus());
        assertEquals("Changed remotely", local(CABINET).title());
    }

    @Test
    void aSourceWithItsOwnUserRecordsOnlyItsOwnHarvestUserExtras() {
        remote.dataset(DATASET1).put("extras", List.of(
                Map.of("key", CkanHarvester.HARVEST_USER_EXTRA, "value", "remote-harvester"),
                Map.of("key", CkanHarvester.READ_ONLY_EXTRA, "value", "true")));

        harvest(source("{\"user\": \"local-user\"}")).assertFinishedWithoutErrors();

        assertEquals(List.of("local-user"), extraValues(local(DATASET1), CkanHarvester.HARVEST_USER_EXTRA));
        assertEquals(List.of(), extraValues(local(DATASET1), CkanHarvester.READ_ONLY_EXTRA));
    }

    // ------------------------------------------------------------------------------------------ import options

    @Test
    void defaultTagsAreAddedOnceByName() {
        remote.dataset(DATASET1).put("tags", List.of(Map.of("name", "geo", "id", "remote-geo-id")));

        harvest(source("{\"default_tags\": [{\"name\": \"geo\"}, {\"name\": \"namibia\"}]}"))
                .assertFinishedWithoutErrors();

        assertEquals(List.of("geo", "namibia"), local(DATASET1).dictList("tags").stream().map(t -> t.get("name"))
                .toList());
        assertTrue(tagNames(local(CABINET)).containsAll(Set.of("energy", "geo", "namibia")));
    }

    @Test
    void defaultGroupsAreAppendedAfterTheRemoteGroups() throws Exception {
        testBed().catalog().createGroup(GroupKind.GROUP, group(GROUP1, "group1"));
        testBed().catalog().createGroup(GroupKind.GROUP, group("group2-id", "group2"));
        testBed().catalog().createGroup(GroupKind.GROUP, group("group3-id", "group3"));

        // The engine validates the source's configuration, which resolves default_groups to default_group_dicts.
        HarvestResult job = harvest(source(
                "{\"default_groups\": [\"group2\", \"group3\"], \"remote_groups\": \"only_local\"}"));

        job.assertFinishedWithoutErrors();
        assertEquals(List.of("group1", "group2", "group3"), groupNames(local(DATASET1)));
    }

    @Test
    void defaultExtrasFillThePlaceholders() {
        HarvestSource source = source(SourceSpec.of("remote-ckan", remote.url() + "/").withTitle("Remote CKAN")
                .withConfig("{\"default_extras\": {\"encoding\": \"utf8\", \"harvest_url\": "
                        + "\"{harvest_source_url}/dataset/{dataset_id}\", \"ids\": \"{harvest_source_id} "
                        + "{harvest_job_id} {{literal}} {harvest_source_title}\", \"count\": 3}}"));

        HarvestResult job = harvest(source);

        job.assertFinishedWithoutErrors();
        Dataset dataset = local(DATASET1);
        assertEquals(List.of("utf8"), extraValues(dataset, "encoding"));
        assertEquals(List.of(remote.url() + "/dataset/dataset1-id"), extraValues(dataset, "harvest_url"));
        assertEquals(List.of(source.id() + " " + job.jobId() + " {literal} Remote CKAN"), extraValues(dataset, "ids"));
        assertEquals(List.of("3"), extraValues(dataset, "count"));
    }

    @Test
    void aDefaultExtraDoesNotReplaceTheRemoteValueOfTheSameKey() {
        String remoteValue = extraValues(new Dataset(remote.dataset(CABINET)), "theme-primary").get(0);

        harvest(source("{\"default_extras\": {\"theme-primary\": \"Local theme\"}}")).assertFinishedWithoutErrors();

        assertEquals(List.of(remoteValue), extraValues(local(CABINET), "theme-primary"));
    }

    @Test
    void overrideExtrasLetsADefaultExtraReplaceTheRemoteValue() {
        harvest(source("{\"default_extras\": {\"theme-primary\": \"Local theme\"}, \"override_extras\": true}"))
                .assertFinishedWithoutErrors();

        assertEquals(List.of("Local theme"), extraValues(local(CABINET), "theme-primary"));
    }

    @Test
    void invalidRemoteTagsFailTheImportWithTheGuidInTheMessage() throws Exception {
        testBedWritingToATargetCkan(); // CKAN refuses the tags; the embedded catalog does not check them

        HarvestResult job = harvest(sourceAt("/invalid_tag", ""));

        assertEquals(Map.of(DATASET1, "errored", CABINET, "errored"), statusByGuid(job));
        assertEquals(2, job.errored());
        String error = errorOf(job, DATASET1);
        assertTrue(error.startsWith("Invalid package with GUID dataset1-id: "), error);
        assertTrue(error.contains("consumption%^&"), error);
        assertNull(target.dataset(DATASET1));
    }

    @Test
    void cleanTagsMungesInvalidRemoteTagsSoThatCkanAcceptsThem() throws Exception {
        testBedWritingToATargetCkan();

        harvest(sourceAt("/invalid_tag", "{\"clean_tags\": true}")).assertFinishedWithoutErrors();

        assertEquals(Set.of("consumption"), tagNames(onTarget(DATASET1)));
    }

    @Test
    void resourcesBecomePlainLinksKeepingTheirIds() {
        remote.addDataset("with-upload", "with-upload", ORG1, "2020-01-01T00:00:00");

        harvest(source("")).assertFinishedWithoutErrors();

        Map<String, Object> resource = local("with-upload").dictList("resources").get(0);
        assertEquals("with-upload-r1", resource.get("id"));
        assertFalse(resource.containsKey("url_type"));
        assertFalse(resource.containsKey("revision_id"));
        assertEquals("http://files.example/with-upload.csv", resource.get("url"));
    }

    @Test
    void remoteHarvestSourcesAreNotHarvested() {
        remote.addDataset("a-harvest-source", "a-harvest-source", ORG1, "2020-01-01T00:00:00").put("type", "harvest");

        HarvestResult job = harvest(source(""));

        job.assertFinishedWithoutErrors();
        assertTrue(job.object("a-harvest-source").isEmpty());
        assertTrue(testBed().dataset("a-harvest-source").isEmpty());
    }

    @Test
    void aNewDatasetWhoseNameIsTakenGetsANumberedName() throws Exception {
        testBed().catalog().createDataset(new Dataset(Map.of("id", "local-id", "name", "dataset1")));

        harvest(source("")).assertFinishedWithoutErrors();

        assertEquals("dataset11", local(DATASET1).name());
        assertEquals("dataset1", local("local-id").name());
    }

    @Test
    void theRandomHexSettingSuffixesClashingNamesWithHexDigits() throws Exception {
        testBedWith(builder -> builder.setting(CkanHarvester.NAME_APPEND_SETTING, "random-hex"));
        testBed().catalog().createDataset(new Dataset(Map.of("id", "local-id", "name", "dataset1")));

        harvest(source("")).assertFinishedWithoutErrors();

        assertTrue(local(DATASET1).name().matches("dataset1[0-9a-f]{5}"), local(DATASET1)::name);
    }

    @Test
    void anUpdateKeepsTheLocalNameAndTheNotOverwriteFields() throws Exception {
        testBedWith(builder -> builder.setting(CkanHarvester.NOT_OVERWRITE_FIELDS_SETTING, "notes  maintainer"));
        HarvestSource source = source("{\"force_all\": true}");
        harvest(source).assertFinishedWithoutErrors();
        Dataset edited = local(CABINET);
        edited.put("name", "renamed-locally");
        edited.put("notes", "Edited locally");
        testBed().catalog().updateDataset(edited);
        remote.dataset(CABINET).put("notes", "Edited remotely");
        remote.dataset(CABINET).put("title", "New remote title");
        remote.dataset(CABINET).put("metadata_modified", "2050-01-01T00:00:00");

        HarvestResult second = harvest(source);

        assertEquals("updated", object(second, CABINET).reportStatus(), second::describe);
        Dataset updated = local(CABINET);
        assertEquals("renamed-locally", updated.name());
        assertEquals("Edited locally", updated.string("notes"));
        assertEquals("New remote title", updated.title());
    }

    // --------------------------------------------------------------------------------------- user and read_only

    @Test
    void userAndReadOnlyAreRecordedOnTheDatasets() {
        harvest(source("{\"user\": \"harvester-user\", \"read_only\": true}")).assertFinishedWithoutErrors();

        Dataset dataset = local(DATASET1);
        assertEquals(List.of("harvester-user"), extraValues(dataset, CkanHarvester.HARVEST_USER_EXTRA));
        assertEquals(List.of("true"), extraValues(dataset, CkanHarvester.READ_ONLY_EXTRA));
    }

    @Test
    void aReadOnlyDatasetCannotBeOverwrittenByASourceHarvestingAsAnotherUser() {
        testBedWith(builder -> builder.setting(CkanHarvester.USER_NAME_SETTING, "intruder"));
        harvest(source("{\"user\": \"owner\", \"read_only\": true}")).assertFinishedWithoutErrors();
        HarvestSource other = testBed().source("other-source", remote.url() + "/", "{\"force_all\": true}");

        HarvestResult job = harvest(other);

        assertEquals("errored", object(job, DATASET1).reportStatus());
        assertEquals(List.of("Dataset dataset1 is read-only: it was harvested by user 'owner', and this source "
                + "harvests as 'intruder'"), job.objectErrorsByGuid().get(DATASET1));
        assertEquals(List.of("owner"), extraValues(local(DATASET1), CkanHarvester.HARVEST_USER_EXTRA));
    }

    @Test
    void theOwnerOfAReadOnlyDatasetCanStillUpdateIt() {
        HarvestSource source = source("{\"user\": \"owner\", \"read_only\": true, \"force_all\": true}");
        harvest(source).assertFinishedWithoutErrors();
        remote.dataset(CABINET).put("metadata_modified", "2050-01-01T00:00:00");

        HarvestResult second = harvest(source);

        second.assertFinishedWithoutErrors();
        assertEquals("updated", object(second, CABINET).reportStatus());
    }

    // ------------------------------------------------------------------------------------------ requests sent

    @Test
    void apiKeyAndUserAgentAreSentWithEveryRequest() {
        harvest(source("{\"api_key\": \"remote-key\", \"user_agent\": \"my-portal/2.0\", \"remote_groups\": "
                + "\"create\"}")).assertFinishedWithoutErrors();

        assertFalse(remote.requestsTo("group_show").isEmpty());
        for (MockCkan.Recorded request : remote.requests) {
            assertEquals("remote-key", request.headers().get("authorization"), request.path());
            assertEquals("my-portal/2.0", request.headers().get("user-agent"), request.path());
        }
    }

    @Test
    void withoutUserAgentTheHarvestUserAgentIsSentAndNoAuthorization() {
        harvest(source("")).assertFinishedWithoutErrors();

        MockCkan.Recorded request = remote.requests.get(0);
        assertTrue(request.headers().get("user-agent").matches("harvest/\\S+ \\(\\+ckan harvester\\)"),
                request.headers()::toString);
        assertNull(request.headers().get("authorization"));
    }

    @Test
    void includePrivateAsksForPrivateDatasets() {
        remote.addDataset("private-one", "private-one", ORG1, "2020-01-01T00:00:00").put("private", true);

        HarvestResult withoutKey = harvest(source(""));
        assertTrue(withoutKey.object("private-one").isEmpty());

        HarvestSource withKey = testBed().source("private-source", remote.url() + "/",
                "{\"api_key\": \"k\", \"include_private\": true}");
        HarvestResult job = harvest(withKey);
        assertEquals("added", object(job, "private-one").reportStatus());
        assertEquals("true", remote.requests.get(remote.requests.size() - 1).params().get("include_private"));
    }

    @Test
    void aCkanUnderAPathPrefixIsHarvested() {
        HarvestResult job = harvest(sourceAt("/data/", ""));

        job.assertFinishedWithoutErrors().assertCounts(2, 0, 0, 0, 0);
        assertTrue(remote.requests.stream().allMatch(r -> r.path().startsWith("/data/api/3/action/")),
                remote.requests::toString);
    }

    // ---------------------------------------------------------------------- name clash at create (CKAN target)

    @Test
    void aNameTakenByAnotherImportJustBeforeTheCreateIsReplacedByTheNextFreeName() throws Exception {
        testBedWritingToATargetCkan();
        AtomicBoolean raced = new AtomicBoolean();
        // Another import creates a dataset called "dataset1" on the target just before our package_create arrives.
        target.scriptApplies = request -> {
            if (request.path().endsWith("/package_create") && "dataset1".equals(nameInBody(request))
                    && raced.compareAndSet(false, true)) {
                target.addDataset("other-thread", "dataset1", "org", "2020-01-01T00:00:00");
            }
            return false;
        };

        HarvestResult job = harvest(source(""));

        assertTrue(raced.get());
        job.assertFinishedWithoutErrors();
        assertEquals("added", object(job, DATASET1).reportStatus());
        assertEquals("dataset11", onTarget(DATASET1).name());
        assertEquals("dataset1", onTarget("other-thread").name());
    }

    @Test
    void aCreateThatFailsForAnotherReasonThanTheNameIsNotRetried() throws Exception {
        testBedWritingToATargetCkan();
        String invalidNotes = MockCkan.json(Map.of("success", false, "error",
                Map.of("__type", "Validation Error", "notes", List.of("Invalid"))));
        target.enqueueFor(MockCkan.action("package_create"), MockCkan.Scripted.status(409, invalidNotes),
                MockCkan.Scripted.status(409, invalidNotes));

        HarvestResult job = harvest(source(""));

        String error = errorOf(job, DATASET1);
        assertTrue(error.startsWith("Invalid package with GUID dataset1-id: "), error);
        assertTrue(error.contains("notes: Invalid"), error);
        assertEquals(2, target.requestsTo("package_create").size(), "one attempt per dataset");
    }

    static String nameInBody(MockCkan.Recorded request) {
        try {
            JsonNode body = MockCkan.MAPPER.readTree(request.body());
            return body.path("name").asText(null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // --------------------------------------------------------------------------------- change detection on content

    @Test
    void aRemoteEditThatKeepsMetadataModifiedIsStillImported() {
        HarvestSource source = source("{\"force_all\": true}");
        harvest(source).assertFinishedWithoutErrors();
        remote.dataset(CABINET).put("title", "Edited without a new date");

        HarvestResult second = harvest(source);

        assertEquals(Map.of(DATASET1, "not modified", CABINET, "updated"), statusByGuid(second));
        assertEquals("Edited without a new date", local(CABINET).title());
    }

    @Test
    void aChangeOnlyInTrackingSummaryLeavesTheDatasetNotModified() {
        remote.dataset(CABINET).put("tracking_summary", Map.of("total", 1, "recent", 1));
        HarvestSource source = source("{\"force_all\": true}");
        harvest(source).assertFinishedWithoutErrors();
        remote.dataset(CABINET).put("tracking_summary", Map.of("total", 7, "recent", 3));
        remote.dataset(CABINET).put("metadata_modified", "2050-01-01T00:00:00");

        HarvestResult second = harvest(source);

        assertEquals("updated", object(second, CABINET).reportStatus(), "metadata_modified is content too");
        String modified = local(CABINET).metadataModified();
        remote.dataset(CABINET).put("tracking_summary", Map.of("total", 9, "recent", 1));

        HarvestResult third = harvest(source);

        assertEquals("not modified", object(third, CABINET).reportStatus());
        assertEquals(modified, local(CABINET).metadataModified(), "not written again");
    }
}
