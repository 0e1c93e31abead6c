package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.FetchContext;
import dev.harvest.api.FetchOutcome;
import dev.harvest.api.GatherOutcome;
import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.Settings;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.GroupKind;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The scenarios of ckanext-harvest's test_ckanharvester.py (spec §15.7), and each import option. */
class CkanHarvesterScenarioTest {

    static final String DATASET1 = "dataset1-id";
    static final String CABINET = "1c65c66a-fdec-4138-9c64-0f9bf087bcbb";
    static final String ORG1 = "0f8380d6-241a-47de-aa52-8bd91c763d97";
    static final String GROUP1 = "10037fa4-e683-4a67-892a-efba815e24ad";

    MockCkan remote;
    InMemoryCatalog catalog;
    CkanHarvester harvester;

    @BeforeEach
    void startRemote() throws Exception {
        remote = MockCkan.withMockDatasets();
        catalog = new InMemoryCatalog();
        harvester = new CkanHarvester(fastTransport());
    }

    @AfterEach
    void stopRemote() {
        remote.close();
    }

    static HttpTransport fastTransport() {
        return HttpTransport.builder().maxAttempts(2).sleeper(delay -> { })
                .connectTimeout(Duration.ofSeconds(2)).readTimeout(Duration.ofSeconds(5)).build();
    }

    TestHarvestRunner runner(String config) {
        return new TestHarvestRunner(harvester, catalog, remote.url() + "/", config);
    }

    static List<String> extraValues(Dataset dataset, String key) {
        return dataset.dictList("extras").stream().filter(e -> key.equals(e.get("key")))
                .map(e -> String.valueOf(e.get("value"))).toList();
    }

    static Set<String> tagNames(Dataset dataset) {
        return dataset.dictList("tags").stream().map(t -> String.valueOf(t.get("name"))).collect(Collectors.toSet());
    }

    List<String> sentFq() {
        return remote.requestsTo("package_search").stream().map(r -> r.params().get("fq")).toList();
    }

    @Test
    void gatherEmitsOneObjectPerRemoteDatasetWithThePackageDictAsContent() throws Exception {
        TestHarvestRunner.JobResult job = runner("").run();

        assertTrue(job.gatherErrors.isEmpty(), job.gatherErrors::toString);
        assertEquals(Set.of(DATASET1, CABINET),
                job.emitted.stream().map(o -> o.guid()).collect(Collectors.toSet()));
        String content = job.emitted.stream().filter(o -> o.guid().equals(DATASET1)).findFirst().orElseThrow()
                .content();
        assertEquals(remote.dataset(DATASET1), MockCkan.MAPPER.readValue(content, Map.class));
        assertEquals(GatherOutcome.fullListing(), job.gatherOutcome);
    }

    @Test
    void firstHarvestAddsBothDatasetsWithTheRemoteIdsAndNames() throws Exception {
        TestHarvestRunner.JobResult job = runner("").withOwnerOrg("local-org").run();

        assertTrue(job.errorFree(), () -> job.errorByGuid + " " + job.gatherErrors);
        assertEquals(2, job.count("added"));
        assertEquals("dataset1", catalog.datasets.get(DATASET1).name());
        assertEquals("cabinet-office-energy-use", catalog.datasets.get(CABINET).name());
        assertEquals("local-org", catalog.datasets.get(DATASET1).ownerOrg());
    }

    @Test
    void secondHarvestGathersOnlyTheDatasetModifiedSinceTheLastErrorFreeJob() throws Exception {
        TestHarvestRunner runner = runner("");
        runner.run();
        remote.dataset(CABINET).put("metadata_modified", "2050-05-09T22:00:01.486366");

        TestHarvestRunner.JobResult second = runner.run();

        assertTrue(second.errorFree(), second.gatherErrors::toString);
        assertEquals(Map.of(CABINET, "updated"), second.statusByGuid);
        assertEquals("cabinet-office-energy-use", catalog.datasets.get(CABINET).name());
        String incrementalFq = sentFq().get(sentFq().size() - 2);
        assertTrue(incrementalFq.matches("metadata_modified:\\[\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{6})?Z TO \\*]"),
                incrementalFq);
        assertEquals(Set.of(DATASET1), second.markedPresent);
        assertEquals("id", remote.requestsTo("package_search").get(sentFq().size() - 1).params().get("fl"));
    }

    @Test
    void incrementalWindowStartsAnHourBeforeTheLastErrorFreeGather() throws Exception {
        TestHarvestRunner runner = runner("");
        TestHarvestRunner.JobResult first = runner.run();
        runner.run();

        String expected = "metadata_modified:[" + CkanHarvester.solrDate(first.job.gatherStarted()
                .minus(Duration.ofHours(1))) + "Z TO *]";
        assertTrue(sentFq().contains(expected), () -> sentFq() + " lacks " + expected);
    }

    @Test
    void unchangedRemoteGathersNothingFinishesCleanlyAndDeletesNothing() throws Exception {
        TestHarvestRunner runner = runner("");
        runner.run();
        int writes = catalog.writes.get();

        TestHarvestRunner.JobResult second = runner.run();

        assertTrue(second.errorFree(), second.gatherErrors::toString);
        assertTrue(second.emitted.isEmpty());
        assertEquals(Set.of(DATASET1, CABINET), second.markedPresent);
        assertEquals(GatherOutcome.fullListing(), second.gatherOutcome);
        assertEquals(writes, catalog.writes.get());
    }

    @Test
    void forceAllGathersEverythingButWritesNothingWhenNothingChanged() throws Exception {
        TestHarvestRunner runner = runner("{\"force_all\": true}");
        runner.run();
        int writes = catalog.writes.get();

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals(Map.of(DATASET1, "not modified", CABINET, "not modified"), second.statusByGuid);
        assertEquals(writes, catalog.writes.get());
        assertTrue(sentFq().stream().allMatch(Objects::isNull), sentFq()::toString);
        assertTrue(second.errorFree());
    }

    // ------------------------------------------------------- the engine's gather-time skip of unchanged records

    @Test
    void theEngineMaySkipUnchangedRecordsUnlessTheSourceSetsForceAll() {
        assertTrue(harvester.skipsUnchangedRecords(runner("").source));
        assertTrue(harvester.skipsUnchangedRecords(runner("{\"force_all\": false}").source));
        assertFalse(harvester.skipsUnchangedRecords(runner("{\"force_all\": true}").source));
        assertFalse(harvester.skipsUnchangedRecords(
                runner("{\"default_tags\": [{\"name\": \"geo\"}], \"force_all\": true}").source));
        assertTrue(harvester.skipsUnchangedRecords(runner("not json").source), "the gather fails on it anyway");
    }

    @Test
    void aRecordGatheredAgainUnchangedIsFinishedAtGatherTimeWithoutFetchOrImport() throws Exception {
        // Modified "in the future": every incremental gather finds it again.
        remote.dataset(CABINET).put("metadata_modified", "2050-01-01T00:00:00");
        TestHarvestRunner runner = runner("");
        runner.run();
        int writes = catalog.writes.get();

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals(Map.of(CABINET, "not modified"), second.statusByGuid);
        assertEquals(Set.of(CABINET), second.skippedAtGather);
        assertEquals(writes, catalog.writes.get());
    }

    @Test
    void withForceAllEveryRecordReachesImportWhichRestoresADatasetDeletedLocally() throws Exception {
        TestHarvestRunner runner = runner("{\"force_all\": true}");
        runner.run();
        catalog.deleteDataset(DATASET1);

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals(Set.of(), second.skippedAtGather);
        assertEquals(Map.of(DATASET1, "updated", CABINET, "not modified"), second.statusByGuid);
        assertEquals("active", catalog.datasets.get(DATASET1).state());
    }

    @Test
    void forcedImportUpdatesEvenAnUnchangedDataset() throws Exception {
        TestHarvestRunner runner = runner("{\"force_all\": true}");
        runner.run();
        runner.forceImport = true;

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals(2, second.count("updated"));
    }

    @Test
    void changedSourceConfigurationReimportsUnchangedRemoteDatasets() throws Exception {
        TestHarvestRunner runner = runner("{\"force_all\": true}");
        runner.run();
        runner.withConfig("{\"force_all\": true, \"default_tags\": [{\"name\": \"geo\"}]}");

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals(2, second.count("updated"));
        assertTrue(tagNames(catalog.datasets.get(DATASET1)).contains("geo"));
    }

    @Test
    void excludingAnOrganizationSendsANegatedTermAndSkipsItsDatasets() throws Exception {
        TestHarvestRunner.JobResult job = runner("{\"organizations_filter_exclude\": [\"org1\"]}").run();

        assertEquals(Set.of(CABINET), job.statusByGuid.keySet());
        assertEquals("-organization:org1", sentFq().get(0));
    }

    @Test
    void includingOrganizationsSendsOneOrTerm() throws Exception {
        TestHarvestRunner.JobResult job =
                runner("{\"organizations_filter_include\": [\"org1\", \"nowhere\"]}").run();

        assertEquals(Set.of(DATASET1), job.statusByGuid.keySet());
        assertEquals("organization:org1 OR organization:nowhere", sentFq().get(0));
    }

    @Test
    void excludingAGroupSkipsItsDatasets() throws Exception {
        TestHarvestRunner.JobResult job = runner("{\"groups_filter_exclude\": [\"group1\"]}").run();

        assertEquals(Set.of(CABINET), job.statusByGuid.keySet());
        assertEquals("-groups:group1", sentFq().get(0));
    }

    @Test
    void includingAGroupAndExcludingAnOrganizationJoinsTheTermsWithASpace() throws Exception {
        TestHarvestRunner.JobResult job = runner(
                "{\"groups_filter_include\": [\"group1\"], \"organizations_filter_exclude\": [\"cabinet-office\"]}")
                .run();

        assertEquals(Set.of(DATASET1), job.statusByGuid.keySet());
        assertEquals("-organization:cabinet-office groups:group1", sentFq().get(0));
    }

    @Test
    void remoteGroupsCreateCopiesTheRemoteGroupWithoutItsPackages() throws Exception {
        remote.groups.get(0).put("packages", List.of(Map.of("id", "x")));
        TestHarvestRunner.JobResult job = runner("{\"remote_groups\": \"create\"}").run();

        assertTrue(job.errorFree(), job.errorByGuid::toString);
        var group = catalog.findGroup(GroupKind.GROUP, GROUP1).orElseThrow();
        assertEquals("group1", group.name());
        assertFalse(group.has("packages"));
        assertEquals(GROUP1, catalog.datasets.get(DATASET1).dictList("groups").get(0).get("id"));
        assertTrue(catalog.findGroup(GroupKind.GROUP, "remote-group").isEmpty());
    }

    @Test
    void remoteGroupsOnlyLocalKeepsGroupsThatExistLocallyAndCreatesNone() throws Exception {
        catalog.addGroup(GroupKind.GROUP, GROUP1, "group1");

        runner("{\"remote_groups\": \"only_local\"}").run();

        assertEquals(GROUP1, catalog.datasets.get(DATASET1).dictList("groups").get(0).get("id"));
        assertTrue(catalog.datasets.get(CABINET).dictList("groups").isEmpty());
        assertTrue(catalog.findGroup(GroupKind.GROUP, "remote-group").isEmpty());
        assertTrue(remote.requestsTo("group_show").isEmpty());
    }

    @Test
    void withoutRemoteGroupsTheRemoteGroupsAreDropped() throws Exception {
        catalog.addGroup(GroupKind.GROUP, GROUP1, "group1");

        runner("").run();

        assertFalse(catalog.datasets.get(DATASET1).has("groups"));
    }

    @Test
    void remoteOrgsCreateFallsBackToTheEmbeddedOrganizationWhenOrganizationShowFails() throws Exception {
        TestHarvestRunner.JobResult job = runner("{\"remote_orgs\": \"create\"}").withOwnerOrg("local-org").run();

        assertTrue(job.errorFree(), job.errorByGuid::toString);
        var org = catalog.findGroup(GroupKind.ORGANIZATION, "cabinet-office").orElseThrow();
        assertEquals("aa1e068a-23da-4563-b9c2-2cad272b663e", org.id());
        assertEquals(org.id(), catalog.datasets.get(CABINET).ownerOrg());
        assertFalse(catalog.datasets.get(CABINET).has("organization"));
        // dataset1 has no embedded organization and the remote has no organization_show: the source's org is used.
        assertEquals("local-org", catalog.datasets.get(DATASET1).ownerOrg());
        assertFalse(remote.requestsTo("organization_show").isEmpty());
    }

    @Test
    void remoteOrgsOnlyLocalUsesTheLocalOrganizationWithTheRemoteId() throws Exception {
        catalog.addGroup(GroupKind.ORGANIZATION, ORG1, "org1");

        runner("{\"remote_orgs\": \"only_local\"}").withOwnerOrg("local-org").run();

        assertEquals(ORG1, catalog.datasets.get(DATASET1).ownerOrg());
        assertEquals("local-org", catalog.datasets.get(CABINET).ownerOrg());
        assertEquals(1, catalog.groups.get(GroupKind.ORGANIZATION).size());
    }

    @Test
    void harvestWhilstDatasetsAreAddedReturnsEachDatasetOnce() throws Exception {
        TestHarvestRunner runner = new TestHarvestRunner(harvester, catalog, remote.url() + "/datasets_added", "");

        TestHarvestRunner.JobResult job = runner.run();

        assertEquals(List.of(DATASET1, CABINET), job.emitted.stream().map(o -> o.guid()).toList());
        assertEquals(2, job.emitCalls);
        assertEquals(2, job.count("added"));
    }

    @Test
    void siteDownIsAGatherErrorAndTheJobIsNotErrorFree() throws Exception {
        TestHarvestRunner runner = new TestHarvestRunner(harvester, catalog, remote.url() + "/site_down", "");

        TestHarvestRunner.JobResult job = runner.run();

        assertInstanceOf(GatherOutcome.Failed.class, job.gatherOutcome);
        assertFalse(job.errorFree());
        assertTrue(job.gatherErrors.get(0).startsWith("Unable to search remote CKAN for datasets:"),
                job.gatherErrors::toString);
        assertTrue(job.gatherErrors.get(0).contains("HTTP error: 500 " + remote.url() + "/site_down/api/3/action"),
                job.gatherErrors::toString);
        assertTrue(job.emitted.isEmpty());
    }

    @Test
    void aFailedGatherAfterASuccessfulOneDeletesNothing() throws Exception {
        // force_deletions: the deletion guard must not be what saves the datasets here.
        TestHarvestRunner runner = runner("{\"force_all\": true, \"force_deletions\": true}");
        runner.run();
        remote.enqueue(MockCkan.Scripted.status(500, "down"), MockCkan.Scripted.status(500, "down"));

        TestHarvestRunner.JobResult second = runner.run();

        assertInstanceOf(GatherOutcome.Failed.class, second.gatherOutcome);
        assertFalse(second.errorFree());
        assertEquals(0, second.count("deleted"));
        assertEquals("active", catalog.datasets.get(DATASET1).state());
        assertEquals("active", catalog.datasets.get(CABINET).state());
    }

    @Test
    void anEmptyRemoteIsAGatherErrorNotADeletionOfEverything() throws Exception {
        TestHarvestRunner runner = runner("{\"force_all\": true}");
        runner.run();
        remote.datasets.clear();

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals(List.of("No datasets found at CKAN: " + remote.url()), second.gatherErrors);
        assertEquals("active", catalog.datasets.get(CABINET).state());
    }

    @Test
    void aDatasetDeletedRemotelyIsDeletedLocallyAfterAnIncrementalGather() throws Exception {
        for (int i = 0; i < 4; i++) {
            remote.addDataset("extra-" + i, "extra-" + i, ORG1, "2014-01-01T00:00:00");
        }
        TestHarvestRunner runner = runner("");
        runner.run();
        remote.datasets.remove(remote.dataset("extra-0"));
        remote.dataset("extra-1").put("metadata_modified", "2050-01-01T00:00:00");

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals(Map.of("extra-1", "updated", "extra-0", "deleted"), second.statusByGuid);
        assertEquals("deleted", catalog.datasets.get("extra-0").state());
        assertTrue(second.errorFree());
    }

    @Test
    void theDeletionGuardStopsAHarvestThatWouldDeleteMostDatasets() throws Exception {
        TestHarvestRunner runner = runner("{\"force_all\": true}");
        for (int i = 0; i < 4; i++) {
            remote.addDataset("extra-" + i, "extra-" + i, ORG1, "2014-01-01T00:00:00");
        }
        runner.run();
        remote.datasets.removeIf(d -> String.valueOf(d.get("id")).startsWith("extra-"));

        TestHarvestRunner.JobResult guarded = runner.run();
        assertEquals(0, guarded.count("deleted"));

        runner.withConfig("{\"force_all\": true, \"force_deletions\": true}");
        TestHarvestRunner.JobResult forced = runner.run();
        assertEquals(4, forced.count("deleted"));
    }

    @Test
    void defaultTagsAreAddedOnceByName() throws Exception {
        remote.dataset(DATASET1).put("tags", List.of(Map.of("name", "geo", "id", "remote-geo-id")));

        runner("{\"default_tags\": [{\"name\": \"geo\"}, {\"name\": \"namibia\"}]}").run();

        List<Map<String, Object>> tags = catalog.datasets.get(DATASET1).dictList("tags");
        assertEquals(List.of("geo", "namibia"), tags.stream().map(t -> t.get("name")).toList());
        assertTrue(tagNames(catalog.datasets.get(CABINET)).containsAll(Set.of("energy", "geo", "namibia")));
    }

    @Test
    void defaultGroupsAreAppendedAfterTheRemoteGroups() throws Exception {
        for (int i = 1; i <= 3; i++) {
            catalog.addGroup(GroupKind.GROUP, i == 1 ? GROUP1 : "group" + i + "-id", "group" + i);
        }
        String config = harvester.validateConfig(
                "{\"default_groups\": [\"group2\", \"group3\"], \"remote_groups\": \"only_local\"}",
                new TestValidationContext(catalog));

        TestHarvestRunner.JobResult job = runner(config).run();

        assertTrue(job.errorFree(), job.errorByGuid::toString);
        assertEquals(List.of("group1", "group2", "group3"), catalog.datasets.get(DATASET1).dictList("groups")
                .stream().map(g -> g.get("name")).toList());
    }

    @Test
    void defaultExtrasFillThePlaceholders() throws Exception {
        TestHarvestRunner runner = runner("{\"default_extras\": {\"encoding\": \"utf8\", \"harvest_url\": "
                + "\"{harvest_source_url}/dataset/{dataset_id}\", \"ids\": \"{harvest_source_id} {harvest_job_id} "
                + "{{literal}} {harvest_source_title}\", \"count\": 3}}");
        TestHarvestRunner.JobResult job = runner.run();

        Dataset dataset = catalog.datasets.get(DATASET1);
        assertEquals(List.of("utf8"), extraValues(dataset, "encoding"));
        assertEquals(List.of(remote.url() + "/dataset/dataset1-id"), extraValues(dataset, "harvest_url"));
        assertEquals(List.of("source-id " + job.job.id() + " {literal} Test Source"), extraValues(dataset, "ids"));
        assertEquals(List.of("3"), extraValues(dataset, "count"));
    }

    @Test
    void defaultExtrasKeepTheRemoteValueUnlessOverrideExtras() throws Exception {
        String remoteValue = extraValues(new Dataset(remote.dataset(CABINET)), "theme-primary").get(0);
        String extras = "\"default_extras\": {\"theme-primary\": \"Local theme\"}";
        runner("{" + extras + "}").run();
        assertEquals(List.of(remoteValue), extraValues(catalog.datasets.get(CABINET), "theme-primary"));

        catalog.datasets.clear();
        runner("{" + extras + ", \"override_extras\": true}").run();
        assertEquals(List.of("Local theme"), extraValues(catalog.datasets.get(CABINET), "theme-primary"));
    }

    @Test
    void invalidRemoteTagsFailTheImportWithTheGuidInTheMessage() throws Exception {
        TestHarvestRunner.JobResult job =
                new TestHarvestRunner(harvester, catalog, remote.url() + "/invalid_tag", "").run();

        assertEquals(2, job.count("errored"));
        assertTrue(job.errorByGuid.get(DATASET1).startsWith("Invalid package with GUID dataset1-id: "),
                job.errorByGuid::toString);
        assertTrue(job.errorByGuid.get(DATASET1).contains("consumption%^&"));
    }

    @Test
    void cleanTagsMungesInvalidRemoteTags() throws Exception {
        TestHarvestRunner.JobResult job =
                new TestHarvestRunner(harvester, catalog, remote.url() + "/invalid_tag", "{\"clean_tags\": true}")
                        .run();

        assertTrue(job.errorFree(), job.errorByGuid::toString);
        assertEquals(Set.of("consumption"), tagNames(catalog.datasets.get(DATASET1)));
    }

    @Test
    void resourcesBecomePlainLinksKeepingTheirIds() throws Exception {
        remote.addDataset("with-upload", "with-upload", ORG1, "2020-01-01T00:00:00");

        runner("").run();

        Map<String, Object> resource = catalog.datasets.get("with-upload").dictList("resources").get(0);
        assertEquals("with-upload-r1", resource.get("id"));
        assertFalse(resource.containsKey("url_type"));
        assertFalse(resource.containsKey("revision_id"));
        assertEquals("http://files.example/with-upload.csv", resource.get("url"));
    }

    @Test
    void remoteHarvestSourcesAreNotHarvested() throws Exception {
        remote.addDataset("a-harvest-source", "a-harvest-source", ORG1, "2020-01-01T00:00:00").put("type", "harvest");

        TestHarvestRunner.JobResult job = runner("").run();

        assertFalse(job.statusByGuid.containsKey("a-harvest-source"));
        assertNull(catalog.datasets.get("a-harvest-source"));
    }

    @Test
    void aNewDatasetWhoseNameIsTakenGetsANumberedName() throws Exception {
        catalog.createDataset(new Dataset(Map.of("id", "local-id", "name", "dataset1")));

        runner("").run();

        assertEquals("dataset11", catalog.datasets.get(DATASET1).name());
    }

    @Test
    void theRandomHexSettingSuffixesClashingNamesWithHexDigits() throws Exception {
        catalog.createDataset(new Dataset(Map.of("id", "local-id", "name", "dataset1")));
        TestHarvestRunner runner = runner("");
        runner.settings.put(CkanHarvester.NAME_APPEND_SETTING, "random-hex");

        runner.run();

        assertTrue(catalog.datasets.get(DATASET1).name().matches("dataset1[0-9a-f]{5}"));
    }

    @Test
    void anUpdateKeepsTheLocalNameAndTheNotOverwriteFields() throws Exception {
        TestHarvestRunner runner = runner("{\"force_all\": true}");
        runner.settings.put(CkanHarvester.NOT_OVERWRITE_FIELDS_SETTING, "notes  maintainer");
        runner.run();
        Dataset local = catalog.datasets.get(CABINET);
        local.put("name", "renamed-locally");
        local.put("notes", "Edited locally");
        remote.dataset(CABINET).put("notes", "Edited remotely");
        remote.dataset(CABINET).put("title", "New remote title");
        remote.dataset(CABINET).put("metadata_modified", "2050-01-01T00:00:00");

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals("updated", second.statusByGuid.get(CABINET));
        Dataset updated = catalog.datasets.get(CABINET);
        assertEquals("renamed-locally", updated.name());
        assertEquals("Edited locally", updated.string("notes"));
        assertEquals("New remote title", updated.title());
    }

    @Test
    void userAndReadOnlyAreRecordedOnTheDatasets() throws Exception {
        runner("{\"user\": \"harvester-user\", \"read_only\": true}").run();

        Dataset dataset = catalog.datasets.get(DATASET1);
        assertEquals(List.of("harvester-user"), extraValues(dataset, CkanHarvester.HARVEST_USER_EXTRA));
        assertEquals(List.of("true"), extraValues(dataset, CkanHarvester.READ_ONLY_EXTRA));
    }

    @Test
    void aReadOnlyDatasetCannotBeOverwrittenByASourceHarvestingAsAnotherUser() throws Exception {
        runner("{\"user\": \"owner\", \"read_only\": true}").run();
        TestHarvestRunner other = runner("{\"force_all\": true}");
        other.settings.put(CkanHarvester.USER_NAME_SETTING, "intruder");

        TestHarvestRunner.JobResult job = other.run();

        assertEquals("errored", job.statusByGuid.get(DATASET1));
        assertEquals("Dataset dataset1 is read-only: it was harvested by user 'owner', and this source harvests "
                + "as 'intruder'", job.errorByGuid.get(DATASET1));
        assertEquals(List.of("owner"), extraValues(catalog.datasets.get(DATASET1), CkanHarvester.HARVEST_USER_EXTRA));
    }

    @Test
    void theOwnerOfAReadOnlyDatasetCanStillUpdateIt() throws Exception {
        TestHarvestRunner runner = runner("{\"user\": \"owner\", \"read_only\": true, \"force_all\": true}");
        runner.run();
        remote.dataset(CABINET).put("metadata_modified", "2050-01-01T00:00:00");

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals("updated", second.statusByGuid.get(CABINET));
    }

    @Test
    void apiKeyAndUserAgentAreSentWithEveryRequest() throws Exception {
        runner("{\"api_key\": \"remote-key\", \"user_agent\": \"my-portal/2.0\", \"remote_groups\": \"create\"}")
                .run();

        assertFalse(remote.requests.isEmpty());
        for (MockCkan.Recorded request : remote.requests) {
            assertEquals("remote-key", request.headers().get("authorization"), request.path());
            assertEquals("my-portal/2.0", request.headers().get("user-agent"), request.path());
        }
    }

    @Test
    void withoutUserAgentTheHarvestUserAgentIsSentAndNoAuthorization() throws Exception {
        runner("").run();

        MockCkan.Recorded request = remote.requests.get(0);
        assertTrue(request.headers().get("user-agent").matches("harvest/\\S+ \\(\\+ckan harvester\\)"),
                request.headers()::toString);
        assertNull(request.headers().get("authorization"));
    }

    @Test
    void includePrivateAsksForPrivateDatasets() throws Exception {
        remote.addDataset("private-one", "private-one", ORG1, "2020-01-01T00:00:00").put("private", true);

        TestHarvestRunner.JobResult withoutKey = runner("").run();
        assertFalse(withoutKey.statusByGuid.containsKey("private-one"));

        TestHarvestRunner.JobResult job = runner("{\"api_key\": \"k\", \"include_private\": true}").run();
        assertEquals("added", job.statusByGuid.get("private-one"));
        assertEquals("true", remote.requests.get(remote.requests.size() - 1).params().get("include_private"));
    }

    @Test
    void aCkanUnderAPathPrefixIsHarvested() throws Exception {
        TestHarvestRunner.JobResult job = new TestHarvestRunner(harvester, catalog, remote.url() + "/data/", "").run();

        assertEquals(2, job.count("added"));
        assertTrue(remote.requests.stream().allMatch(r -> r.path().startsWith("/data/api/3/action/")));
    }

    // ------------------------------------------------------------------ confirming deletions (confirmVanished)

    FetchContext deletionContext(TestHarvestRunner runner, String guid) {
        HarvestObject object = HarvestObject.builder()
                .id("o")
                .guid(guid)
                .jobId("j")
                .sourceId("source-id")
                .packageId(guid)
                .build();
        return new FetchContext() {
            @Override public HarvestSource source() { return runner.source; }
            @Override public HarvestJob job() { return null; }
            @Override public HarvestObject object() { return object; }
            @Override public Settings settings() { return runner.settings(); }
            @Override public void recordError(String message) { }
        };
    }

    @Test
    void aDatasetTheRemoteNoLongerHasIsConfirmedVanished() throws Exception {
        assertTrue(harvester.confirmVanished(deletionContext(runner(""), "no-such-dataset")));
        assertEquals("no-such-dataset", remote.requestsTo("package_show").get(0).params().get("id"));
    }

    @Test
    void aDatasetInStateDeletedOnTheRemoteIsConfirmedVanished() throws Exception {
        remote.dataset(DATASET1).put("state", "deleted");

        assertTrue(harvester.confirmVanished(deletionContext(runner(""), DATASET1)));
    }

    @Test
    void anActiveRemoteDatasetIsNotConfirmedVanished() throws Exception {
        assertFalse(harvester.confirmVanished(deletionContext(runner(""), DATASET1)));
    }

    @Test
    void aRemoteErrorWhileConfirmingIsThrownSoNothingIsDeleted() {
        remote.enqueue(MockCkan.Scripted.status(500, "down"), MockCkan.Scripted.status(500, "down"));

        CkanRemoteException e = assertThrows(CkanRemoteException.class,
                () -> harvester.confirmVanished(deletionContext(runner(""), DATASET1)));

        assertTrue(e.getMessage().startsWith("HTTP error: 500 " + remote.url()), e.getMessage());
    }

    @Test
    void aBare404WithoutCkansNotFoundErrorIsNotTakenForADeletion() {
        remote.enqueue(MockCkan.Scripted.status(404, "<html>no such page</html>").withContentType("text/html"));

        assertThrows(CkanRemoteException.class,
                () -> harvester.confirmVanished(deletionContext(runner(""), DATASET1)));
    }

    @Test
    void aForbiddenDatasetIsConfirmedVanishedOnlyWhenTheSearchNoLongerFindsIt() throws Exception {
        String forbidden = MockCkan.json(Map.of("success", false, "error", Map.of("__type", "Authorization Error",
                "message", "User not authorized to read package")));
        remote.enqueue(MockCkan.Scripted.status(403, forbidden));
        assertFalse(harvester.confirmVanished(deletionContext(runner(""), DATASET1)), "still listed by the search");

        remote.datasets.remove(remote.dataset(DATASET1));
        remote.enqueue(MockCkan.Scripted.status(403, forbidden));
        assertTrue(harvester.confirmVanished(deletionContext(runner(""), DATASET1)));
        assertEquals("id:\"" + DATASET1 + "\"", sentFq().get(sentFq().size() - 1));
    }

    @Test
    void narrowingTheOrganizationFilterStillDeletesTheDatasetsItNoLongerCovers() throws Exception {
        TestHarvestRunner runner = runner("");
        runner.run();
        runner.withConfig("{\"organizations_filter_include\": [\"org1\"]}");

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals("deleted", second.statusByGuid.get(CABINET), second.statusByGuid::toString);
        assertEquals("deleted", catalog.datasets.get(CABINET).state());
        assertEquals("active", catalog.datasets.get(DATASET1).state());
        assertEquals("id:\"" + CABINET + "\" organization:org1", sentFq().get(sentFq().size() - 1));
    }

    // --------------------------------------------- incremental gathers find datasets that were never harvested

    @Test
    void anIncrementalHarvestAfterWideningTheFilterImportsTheRemoteDatasetsNeverHarvested() throws Exception {
        TestHarvestRunner runner = runner("{\"organizations_filter_include\": [\"org1\"]}");
        runner.run();
        assertEquals(Set.of(DATASET1), catalog.datasets.keySet());
        runner.withConfig("");

        TestHarvestRunner.JobResult second = runner.run();

        assertTrue(second.errorFree(), () -> second.errorByGuid + " " + second.gatherErrors);
        assertEquals(Map.of(CABINET, "added"), second.statusByGuid);
        assertNull(second.emitted.get(0).content(), "emitted without content, fetched with package_show");
        assertEquals(Set.of(DATASET1), second.markedPresent);
        assertEquals("cabinet-office-energy-use", catalog.datasets.get(CABINET).name());
        assertEquals(List.of(CABINET), remote.requestsTo("package_show").stream().map(r -> r.params().get("id"))
                .toList());
        assertEquals(GatherOutcome.fullListing(), second.gatherOutcome);
    }

    @Test
    void aPrivateDatasetThatBecomesVisibleIsImportedByTheNextIncrementalHarvest() throws Exception {
        remote.addDataset("was-private", "was-private", ORG1, "2014-01-01T00:00:00").put("private", true);
        TestHarvestRunner runner = runner("");
        runner.run();
        assertNull(catalog.datasets.get("was-private"));
        remote.dataset("was-private").put("private", false);

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals(Map.of("was-private", "added"), second.statusByGuid);
    }

    @Test
    void fetchingAnObjectWithoutContentWhoseDatasetIsGoneFailsNamingTheUrl() throws Exception {
        HarvestObject object = HarvestObject.builder().id("o").guid("gone-id").jobId("j").sourceId("source-id").build();
        TestHarvestRunner runner = runner("");
        FetchContext context = new FetchContext() {
            @Override public HarvestSource source() { return runner.source; }
            @Override public HarvestJob job() { return null; }
            @Override public HarvestObject object() { return object; }
            @Override public Settings settings() { return runner.settings(); }
            @Override public void recordError(String message) { }
        };

        FetchOutcome outcome = harvester.fetch(context);

        FetchOutcome.Failed failed = assertInstanceOf(FetchOutcome.Failed.class, outcome);
        assertTrue(failed.message().contains(remote.url() + "/api/3/action/package_show?id=gone-id"),
                failed.message());
    }

    @Test
    void fetchingAnObjectWithContentAsksTheRemoteNothing() throws Exception {
        HarvestObject object = HarvestObject.builder()
                .id("o")
                .guid(DATASET1)
                .jobId("j")
                .sourceId("source-id")
                .content("{\"id\": \"dataset1-id\"}")
                .build();
        TestHarvestRunner runner = runner("");
        FetchContext context = new FetchContext() {
            @Override public HarvestSource source() { return runner.source; }
            @Override public HarvestJob job() { return null; }
            @Override public HarvestObject object() { return object; }
            @Override public Settings settings() { return runner.settings(); }
            @Override public void recordError(String message) { }
        };

        assertEquals(FetchOutcome.proceed(), harvester.fetch(context));
        assertTrue(remote.requests.isEmpty());
    }

    // ------------------------------------------------------------------------------------- remote harvest extras

    @Test
    void theRemotesOwnHarvestUserExtrasAreNotCopiedSoTheDatasetStaysUpdatable() throws Exception {
        List<Map<String, Object>> extras = new java.util.ArrayList<>(
                new Dataset(remote.dataset(CABINET)).dictList("extras"));
        extras.add(Map.of("key", CkanHarvester.HARVEST_USER_EXTRA, "value", "remote-harvester"));
        extras.add(Map.of("key", CkanHarvester.READ_ONLY_EXTRA, "value", "true"));
        remote.dataset(CABINET).put("extras", extras);
        TestHarvestRunner runner = runner("");
        runner.run();
        assertEquals(List.of(), extraValues(catalog.datasets.get(CABINET), CkanHarvester.HARVEST_USER_EXTRA));
        assertEquals(List.of(), extraValues(catalog.datasets.get(CABINET), CkanHarvester.READ_ONLY_EXTRA));
        remote.dataset(CABINET).put("title", "Changed remotely");
        remote.dataset(CABINET).put("metadata_modified", "2050-01-01T00:00:00");

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals("updated", second.statusByGuid.get(CABINET), second.errorByGuid::toString);
        assertEquals("Changed remotely", catalog.datasets.get(CABINET).title());
    }

    @Test
    void aSourceWithItsOwnUserRecordsOnlyItsOwnHarvestUserExtras() throws Exception {
        remote.dataset(DATASET1).put("extras", List.of(
                Map.of("key", CkanHarvester.HARVEST_USER_EXTRA, "value", "remote-harvester"),
                Map.of("key", CkanHarvester.READ_ONLY_EXTRA, "value", "true")));

        runner("{\"user\": \"local-user\"}").run();

        Dataset dataset = catalog.datasets.get(DATASET1);
        assertEquals(List.of("local-user"), extraValues(dataset, CkanHarvester.HARVEST_USER_EXTRA));
        assertEquals(List.of(), extraValues(dataset, CkanHarvester.READ_ONLY_EXTRA));
    }

    // -------------------------------------------------------------------------------------- name clash at create

    @Test
    void aNameTakenByAnotherImportJustBeforeTheCreateIsReplacedByTheNextFreeName() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean raced = new java.util.concurrent.atomic.AtomicBoolean();
        // Another import thread creates a dataset called "dataset1" between our name check and our create.
        RacingCatalog racing = new RacingCatalog(catalog, dataset -> {
            if ("dataset1".equals(dataset.name()) && raced.compareAndSet(false, true)) {
                catalog.createDataset(new Dataset(Map.of("id", "other-thread", "name", "dataset1")));
            }
        });

        TestHarvestRunner.JobResult job =
                new TestHarvestRunner(harvester, racing, remote.url() + "/", "").run();

        assertTrue(raced.get());
        assertEquals("added", job.statusByGuid.get(DATASET1), job.errorByGuid::toString);
        assertEquals("dataset11", catalog.datasets.get(DATASET1).name());
        assertEquals("dataset1", catalog.datasets.get("other-thread").name());
    }

    @Test
    void aCreateThatFailsForAnotherReasonIsNotRetried() throws Exception {
        int[] creates = {0};
        RacingCatalog failing = new RacingCatalog(catalog, dataset -> {
            creates[0]++;
            throw new dev.harvest.api.catalog.CatalogException("{'notes': ['Invalid']}");
        });

        TestHarvestRunner.JobResult job = new TestHarvestRunner(harvester, failing, remote.url() + "/", "").run();

        assertEquals("Invalid package with GUID dataset1-id: {'notes': ['Invalid']}", job.errorByGuid.get(DATASET1));
        assertEquals(2, creates[0], "one attempt per dataset");
    }

    /** Delegates to a catalog, running a hook before each create. */
    static final class RacingCatalog implements dev.harvest.api.catalog.Catalog {
        interface Hook {
            void beforeCreate(Dataset dataset) throws dev.harvest.api.catalog.CatalogException;
        }

        private final InMemoryCatalog delegate;
        private final Hook hook;

        RacingCatalog(InMemoryCatalog delegate, Hook hook) {
            this.delegate = delegate;
            this.hook = hook;
        }

        @Override public java.util.Optional<Dataset> findDataset(String idOrName) {
            return delegate.findDataset(idOrName);
        }
        @Override public Dataset createDataset(Dataset dataset) throws dev.harvest.api.catalog.CatalogException {
            hook.beforeCreate(dataset);
            return delegate.createDataset(dataset);
        }
        @Override public Dataset updateDataset(Dataset dataset) throws dev.harvest.api.catalog.CatalogException {
            return delegate.updateDataset(dataset);
        }
        @Override public void deleteDataset(String id) {
            delegate.deleteDataset(id);
        }
        @Override public boolean isDatasetNameTaken(String name) {
            return delegate.isDatasetNameTaken(name);
        }
        @Override public java.util.Optional<dev.harvest.api.catalog.CatalogGroup> findGroup(GroupKind kind,
                String idOrName) {
            return delegate.findGroup(kind, idOrName);
        }
        @Override public dev.harvest.api.catalog.CatalogGroup createGroup(GroupKind kind,
                dev.harvest.api.catalog.CatalogGroup group) throws dev.harvest.api.catalog.CatalogException {
            return delegate.createGroup(kind, group);
        }
    }

    // --------------------------------------------------------------------------------- change detection on content

    @Test
    void aRemoteEditThatKeepsMetadataModifiedIsStillImported() throws Exception {
        TestHarvestRunner runner = runner("{\"force_all\": true}");
        runner.run();
        remote.dataset(CABINET).put("title", "Edited without a new date");

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals("updated", second.statusByGuid.get(CABINET));
        assertEquals("not modified", second.statusByGuid.get(DATASET1));
        assertEquals("Edited without a new date", catalog.datasets.get(CABINET).title());
    }

    @Test
    void aChangeOnlyInTrackingSummaryLeavesTheDatasetNotModified() throws Exception {
        remote.dataset(CABINET).put("tracking_summary", Map.of("total", 1, "recent", 1));
        TestHarvestRunner runner = runner("{\"force_all\": true}");
        runner.run();
        int writes = catalog.writes.get();
        remote.dataset(CABINET).put("tracking_summary", Map.of("total", 7, "recent", 3));
        remote.dataset(CABINET).put("metadata_modified", "2050-01-01T00:00:00");

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals("updated", second.statusByGuid.get(CABINET), "metadata_modified is content too");
        remote.dataset(CABINET).put("tracking_summary", Map.of("total", 9, "recent", 1));
        TestHarvestRunner.JobResult third = runner.run();
        assertEquals("not modified", third.statusByGuid.get(CABINET));
        assertEquals(writes + 1, catalog.writes.get());
    }

    @Test
    void originalUrlIsThePackageShowOfTheGuid() {
        var source = runner("").source;
        var object = dev.harvest.api.HarvestObject.builder().id("o").guid("a b/c").jobId("j").sourceId("s").build();

        assertEquals(remote.url() + "/api/3/action/package_show?id=a%20b%2Fc",
                harvester.originalUrl(source, object).orElseThrow());
    }
}
