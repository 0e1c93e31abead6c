package dev.harvest.cli;

import static dev.harvest.cli.CliRunner.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.harvest.cli.CliRunner.Result;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.core.Harvest;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.store.HarvestQueries.ObjectSummary;
import dev.harvest.core.testing.ScriptedHarvester;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The operator commands of ckanext-harvest's README, run in-process through {@link HarvesterCommand#execute} against
 * the real PostgreSQL and an embedded H2 database: source verbs, import, job-all, abort-failed-jobs, reindex,
 * run_test with guids, report exports, and their error paths and exit codes.
 */
class OperatorCommandsTest {

    @TempDir
    Path dir;

    private Path config;

    private void site(Kind kind) throws IOException {
        config = SiteConfig.write(dir, "ini", SiteConfig.database(kind, "ops", "harvest.db.pool_size = 2\n")
                + "ckan.harvest.mq.type = memory\nharvest.object_batch_size = 7\n");
    }

    private Result harvester(String... args) {
        return CliRunner.onSite(config, dir.resolve("no-plugins"), args);
    }

    private static void failsWithOneLine(Result result, String expected) {
        assertEquals(1, result.code(), () -> "stdout: " + result.out() + "\nstderr: " + result.err());
        assertEquals(expected + "\n", result.err());
    }

    /** Opens the site's engine directly, for what no command does (an organization, reading object ids). */
    private Harvest engine() {
        return Harvest.builder(HarvestConfig.load(config)).build();
    }

    private String sourceId(String name) {
        try (Harvest harvest = engine()) {
            return harvest.source(name).id();
        }
    }

    private List<ObjectSummary> objectsOfLatestJob(String source) {
        try (Harvest harvest = engine()) {
            String job = harvest.queries().latestJob(harvest.source(source).id()).orElseThrow().id();
            return harvest.queries().objectsOfJob(job, false, 10_000);
        }
    }

    // ------------------------------------------------------------------------------------------------ sources

    @ParameterizedTest
    @EnumSource(Kind.class)
    void sourceVerbsCreateShowUpdateRemoveAndReactivateASource(Kind kind) throws IOException {
        site(kind);
        Result created = ok(harvester("source", "create", "src", "http://a.example.org", "scripted", "A title", "yes",
                "", "WEEKLY", "{\"guids\": [\"x\"], \"api_key\": \"k-123\", \"auth\": {\"password\": \"pw\","
                        + " \"user\": \"me\"}, \"Authorization\": \"Bearer t\"}"));
        assertTrue(created.out().startsWith("Created new harvest source:\nSource id: "), created.out());

        String shown = ok(harvester("source", "show", "src")).out();
        assertTrue(shown.contains("\tname: src\n\turl: http://a.example.org\n\ttype: scripted\n\tactive: True\n"
                + "\tfrequency: WEEKLY\n\tjobs: 0\n\ttitle: A title\n\towner_org: \n"), shown);
        assertTrue(shown.contains("\tconfig: {\"guids\":[\"x\"],\"api_key\":\"********\",\"auth\":{\"password\":"
                + "\"********\",\"user\":\"me\"},\"Authorization\":\"********\"}\n"), shown);
        assertFalse(shown.contains("k-123") || shown.contains("pw\"") || shown.contains("Bearer"), shown);
        assertTrue(shown.contains("\tlast_job: none\n"), shown);
        assertEquals(shown, ok(harvester("source", "src")).out(), "the old form shows the same");

        Result updated = ok(harvester("source", "update", "src", "--title", "New title", "--frequency", "daily",
                "--config", "{\"guids\": [\"y\"]}"));
        assertTrue(updated.out().contains("\tfrequency: DAILY\n\tjobs: 0\n\ttitle: New title\n"), updated.out());
        assertTrue(updated.out().contains("\tconfig: {\"guids\":[\"y\"]}\n"), updated.out());

        ok(harvester("source", "update", "src", "--active", "off"));
        failsWithOneLine(harvester("job", "src"), "Error: Can not create jobs on inactive sources");
        ok(harvester("source", "remove", "src"));
        assertTrue(ok(harvester("source", "update", "src", "--active", "1")).out().contains("\tactive: True\n"),
                "a removed source can be reactivated");
        ok(harvester("run_test", "src"));
        assertTrue(ok(harvester("source", "show", "src")).out().contains("\tjobs: 1\n"));
        assertTrue(harvester("source", "show", "src").out().matches("(?s).*\tlast_job: Finished \\(job [0-9a-f-]+,"
                + " created .*"));

        Result nothing = harvester("source", "update", "src");
        assertEquals(1, nothing.code());
        assertTrue(nothing.err().startsWith("Error: Nothing to update"), nothing.err());
        failsWithOneLine(harvester("source", "update", "nope", "--title", "x"), "Error: Source <nope> not found.");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void everyBadFieldIsReportedAtOnceOnCreateAndOnUpdateIncludingActiveAndAnUnknownOrganization(Kind kind)
            throws Exception {
        site(kind);
        Result created = harvester("source", "create", "Bad Name", "not-a-url", "nope", "t", "maybe", "no-such-org",
                "ANNUALLY");
        assertEquals(1, created.code(), created.err());
        assertEquals(1, created.err().lines().count(), "one line: " + created.err());
        for (String field : List.of("name: Must be purely lowercase", "url: Must be an http",
                "source_type: Unknown harvester type: nope", "active: Must be true or false (also yes/no, on/off, 1/0),"
                        + " not 'maybe'", "frequency: Frequency ANNUALLY not recognised",
                "owner_org: Organization no-such-org does not exist in the catalog")) {
            assertTrue(created.err().contains(field), field + " in " + created.err());
        }

        ok(harvester("source", "src", "http://a.example.org", "scripted"));
        Result updated = harvester("source", "update", "src", "--url", "ftp://x", "--active", "sometimes",
                "--frequency", "hourly", "--owner-org", "ghost", "--config", "{\"guids\": \"x\"}");
        assertEquals(1, updated.code());
        assertEquals(1, updated.err().lines().count(), updated.err());
        for (String field : List.of("url: Must be an http:// or https:// URL, not 'ftp://x'",
                "active: Must be true or false", "frequency: Frequency hourly not recognised",
                "owner_org: Organization ghost does not exist",
                "config: Error parsing the configuration options: guids must be a list")) {
            assertTrue(updated.err().contains(field), field + " in " + updated.err());
        }

        String orgId;
        try (Harvest harvest = engine()) {
            orgId = harvest.catalog().createGroup(GroupKind.ORGANIZATION,
                    new CatalogGroup(Map.of("id", "org-id-1", "name", "my-org"))).id();
        }
        Result owned = ok(harvester("source", "update", "src", "--owner-org", "my-org"));
        assertTrue(owned.out().contains("\towner_org: " + orgId + "\n"), "stored by id: " + owned.out());
        ok(harvester("source", "create", "owned", "http://b.example.org", "scripted", "t", "true", "my-org"));
        assertTrue(ok(harvester("source", "update", "src", "--owner-org", "")).out().contains("\towner_org: \n"));
        assertFalse(harvester("sources", "all").out().contains("Bad Name"), "nothing invalid was stored");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aVerbWinsOnlyAsTheFirstArgumentOfSource(Kind kind) throws IOException {
        site(kind);
        Result titled = ok(harvester("source", "plain", "http://a.example.org", "scripted", "show"));
        assertTrue(titled.out().contains("\ttitle: show\n"), "a title spelled like a verb: " + titled.out());
        ok(harvester("source", "create", "create-me", "http://b.example.org", "scripted"));
        assertTrue(ok(harvester("sources")).out().contains("name: create-me"), "the verb is not taken as the name");
        Result misplaced = harvester("source", "late", "http://c.example.org", "scripted", "-c", "x.ini");
        assertEquals(2, misplaced.code());
        assertTrue(misplaced.err().startsWith("Options go before the source's arguments"), misplaced.err());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void clearHistoryWithKeepCurrentKeepsTheCurrentObjectsAndTheirJobsOnly(Kind kind) throws IOException {
        site(kind);
        ok(harvester("source", "src", "http://a.example.org", "scripted", "t", "true", "", "MANUAL",
                "{\"guids\": [\"a\", \"b\"]}"));
        ok(harvester("run_test", "src"));
        ok(harvester("source", "update", "src", "--config", "{\"guids\": [\"a\", \"b\"], \"content\": {\"a\": \"v2\"}}"));
        ok(harvester("run_test", "src"));
        ok(harvester("run_test", "src"));
        assertTrue(harvester("jobs").out().endsWith("There are 3 harvest jobs\n"));

        assertEquals("Cleared job history of harvest source: src\n",
                ok(harvester("source", "clear-history", "src", "-k")).out());
        assertTrue(harvester("jobs").out().endsWith("There are 2 harvest jobs\n"),
                "the first job holds b's current object, the second a's; the third had none");
        assertTrue(harvester("run_test", "src").out().contains("not modified: 2"), "the current objects are kept");

        assertEquals("Cleared job history for all harvest sources: 1 source(s)\n",
                ok(harvester("clearsource_history")).out());
        assertTrue(harvester("jobs").out().endsWith("There are 0 harvest jobs\n"));
    }

    // ------------------------------------------------------------------------------------------------- jobs

    @ParameterizedTest
    @EnumSource(Kind.class)
    void jobAllCreatesAJobForEveryActiveSourceWithoutAPendingOne(Kind kind) throws IOException {
        site(kind);
        ok(harvester("source", "one", "http://a.example.org", "scripted"));
        ok(harvester("source", "two", "http://b.example.org", "scripted"));
        ok(harvester("source", "gone", "http://c.example.org", "scripted"));
        ok(harvester("rmsource", "gone"));
        ok(harvester("job", "one"));

        Result all = ok(harvester("job-all"));
        assertTrue(all.out().startsWith("Created 1 new harvest jobs\n\tJob id: "), all.out());
        assertTrue(all.out().contains("(source " + sourceId("two") + ")"), all.out());
        assertEquals("Created 0 new harvest jobs\n", ok(harvester("job_all")).out());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void abortFailedJobsPrintsCkanextHarvestsResultAndNamesUnknownSources(Kind kind) throws IOException {
        site(kind);
        ok(harvester("source", "src", "http://a.example.org", "scripted"));
        assertEquals("There is no jobs to abort\n", ok(harvester("abort-failed-jobs")).out());
        ok(harvester("job", "src"));
        assertEquals("Done. Aborted jobs: 0\n", ok(harvester("abort_failed_jobs", "3")).out(),
                "a job created just now is within its life span");
        Result aborted = ok(harvester("abort-failed-jobs", "0", "--include", "src"));
        assertTrue(aborted.out().startsWith("Done. Aborted jobs: 1\n\tAborted job "), aborted.out());
        failsWithOneLine(harvester("abort-failed-jobs", "-i", "src,nope", "-e", "gone"),
                "Error: Source <nope> not found.; Source <gone> not found.");
        assertEquals(2, harvester("abort-failed-jobs", "soon").code(), "a life span is a number");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void runTestWithGuidsHarvestsOnlyThoseRecordsAndAnUnknownGuidFailsNamingIt(Kind kind) throws IOException {
        site(kind);
        ok(harvester("source", "src", "http://a.example.org", "scripted", "t", "true", "", "MANUAL",
                "{\"count\": 60}"));

        Result one = ok(harvester("run_test", "src", "obj-00007"));
        assertTrue(one.out().contains(": Finished\n\tadded: 1, updated: 0, not modified: 0, deleted: 0, errored: 0\n"),
                one.out());
        assertEquals(List.of("obj-00007"), objectsOfLatestJob("src").stream().map(ObjectSummary::guid).toList());

        Result two = ok(harvester("run-test", "src", "--force-import", "obj-00008", "force-import=obj-00009"));
        assertTrue(two.out().contains(": Finished\n\tadded: 2,"), two.out());

        Result unknown = harvester("run_test", "src", "obj-00010", "no-such-guid");
        assertEquals(1, unknown.code(), unknown.out());
        assertTrue(unknown.out().contains("added: 1,"), unknown.out());
        assertTrue(unknown.err().matches("Error: job [0-9a-f-]+ ended Finished with 1 gather error\\(s\\): Unknown"
                + " GUID no-such-guid: the gather of source src did not list it\n"), unknown.err());

        Result whole = ok(harvester("run_test", "src"));
        assertTrue(whole.out().contains("added: 56, updated: 0, not modified: 4,"),
                "the four guids harvested before are unchanged: " + whole.out());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void runTestExitsNonZeroWhenTheGatherFails(Kind kind) throws IOException {
        site(kind);
        ok(harvester("source", "src", "http://a.example.org", "scripted", "t", "true", "", "MANUAL",
                "{\"guids\": [\"a\"], \"fail_gather\": \"the remote said no\"}"));
        Result result = harvester("run_test", "src");
        assertEquals(1, result.code());
        assertTrue(result.out().contains("\t\t- the remote said no"), result.out());
        assertTrue(result.err().endsWith("with 1 gather error(s): the remote said no\n"), result.err());
    }

    // ------------------------------------------------------------------------------------------------ import

    @ParameterizedTest
    @EnumSource(Kind.class)
    void importReimportsCurrentObjectsFromStoredContentWithoutFetchingAndNarrowsByEachCriterion(Kind kind)
            throws Exception {
        site(kind);
        ok(harvester("source", "src", "http://a.example.org", "scripted", "t", "true", "", "MANUAL",
                "{\"guids\": [\"a\", \"b\", \"c\"]}"));
        ok(harvester("source", "other", "http://o.example.org", "scripted", "t", "true", "", "MANUAL",
                "{\"guids\": [\"z\"]}"));
        ok(harvester("run_test", "src"));
        ok(harvester("run_test", "other"));
        String src = sourceId("src");
        int fetches = ScriptedHarvester.calls(src, "a/fetch");
        int imports = ScriptedHarvester.calls(src, "a/import");

        assertEquals("3 objects reimported\n", ok(harvester("import", "src")).out());
        assertEquals(fetches, ScriptedHarvester.calls(src, "a/fetch"), "nothing is fetched");
        assertEquals(imports + 1, ScriptedHarvester.calls(src, "a/import"));
        assertEquals("4 objects reimported\n", ok(harvester("import")).out());

        List<ObjectSummary> objects = objectsOfLatestJob("src");
        ObjectSummary b = objects.stream().filter(o -> o.guid().equals("b")).findFirst().orElseThrow();
        assertEquals("1 objects reimported\n", ok(harvester("import", "-g", "b")).out());
        assertEquals("1 objects reimported\n", ok(harvester("import", "-o", b.id())).out());
        assertEquals("1 objects reimported\n", ok(harvester("import", "-p", "ds-c")).out());
        assertEquals("0 objects reimported\n", ok(harvester("import", "other", "-g", "b")).out(),
                "criteria narrow each other");
        String job;
        try (Harvest harvest = engine()) {
            job = harvest.queries().latestJob(src).orElseThrow().id();
            harvest.catalog().deleteDataset(b.packageId());
        }
        assertEquals("1 objects skipped: their dataset is not active in the catalog (-j imports them too)\n"
                + "2 objects reimported\n", ok(harvester("import", "src")).out());
        assertEquals("3 objects reimported\n", ok(harvester("import", "--job-id", job, "-j")).out());
        assertEquals("3 objects reimported\n", ok(harvester("import", "src")).out(), "-j brought b's dataset back");

        failsWithOneLine(harvester("import", "nope", "--segments", "xyz", "--job-id", "no-job"),
                "Error: Source <nope> not found.; Job <no-job> not found.; --segments must be hex digits (0-9, a-f),"
                        + " e.g. 15af, not 'xyz'");
        ok(harvester("rmsource", "other"));
        failsWithOneLine(harvester("import", "other"), "Error: This harvest source is not active: other");

        ok(harvester("source", "update", "src", "--config", "{\"guids\": [\"a\", \"b\", \"c\"], \"fail_import\": \"a\"}"));
        Result failed = harvester("import", "src", "-j");
        assertEquals(1, failed.code());
        assertTrue(failed.out().contains("\tObject ") && failed.out().contains(" (a): Invalid package with GUID a:"
                + " title missing\n"), failed.out());
        assertTrue(failed.out().endsWith("2 objects reimported\n"), failed.out());
        assertEquals("Error: 1 object(s) could not be imported\n", failed.err());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void importSegmentsSelectsExactlyTheObjectsWhoseIdMd5StartsWithOneOfTheDigits(Kind kind) throws Exception {
        site(kind);
        ok(harvester("source", "src", "http://a.example.org", "scripted", "t", "true", "", "MANUAL",
                "{\"count\": 80}"));
        ok(harvester("run_test", "src"));
        String src = sourceId("src");
        Set<String> digits = Set.of("1", "5", "a", "f");
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        Map<String, String> firstDigitByGuid = new LinkedHashMap<>();
        for (ObjectSummary object : objectsOfLatestJob("src")) {
            String hex = HexFormat.of().formatHex(md5.digest(object.id().getBytes(StandardCharsets.UTF_8)));
            firstDigitByGuid.put(object.guid(), hex.substring(0, 1));
        }
        Set<String> expected = firstDigitByGuid.entrySet().stream().filter(e -> digits.contains(e.getValue()))
                .map(Map.Entry::getKey).collect(Collectors.toSet());
        assertFalse(expected.isEmpty() || expected.size() == 80, "80 random ids fall into some segments, not all");
        Map<String, Integer> before = new LinkedHashMap<>();
        firstDigitByGuid.keySet().forEach(guid -> before.put(guid, ScriptedHarvester.calls(src, guid + "/import")));

        Result result = ok(harvester("import", "src", "--segments", "15AF"));

        assertEquals(expected.size() + " objects reimported\n", result.out());
        Set<String> imported = before.keySet().stream()
                .filter(guid -> ScriptedHarvester.calls(src, guid + "/import") == before.get(guid) + 1)
                .collect(Collectors.toSet());
        assertEquals(expected, imported);
        assertTrue(before.keySet().stream().allMatch(guid -> ScriptedHarvester.calls(src, guid + "/import")
                <= before.get(guid) + 1));
    }

    // ------------------------------------------------------------------------------------------------ report

    @ParameterizedTest
    @EnumSource(Kind.class)
    void reportExportsEveryErrorAsJsonAndCsvThatParseBack(Kind kind) throws Exception {
        site(kind);
        List<String> failing = new ArrayList<>();
        for (int i = 1; i <= 25; i++) {
            failing.add(String.format("obj-%05d", i));
        }
        String failList = failing.stream().map(g -> "\"" + g + "\"").collect(Collectors.joining(", "));
        ok(harvester("source", "src", "http://a.example.org/", "scripted", "t", "true", "", "MANUAL",
                "{\"count\": 30, \"fail_import\": [" + failList + "], \"fail_gather\":"
                        + " \"remote said \\\"no\\\", twice\\nsecond line\"}"));
        assertEquals(1, harvester("run_test", "src").code());
        Map<String, String> objectIdByGuid = objectsOfLatestJob("src").stream()
                .collect(Collectors.toMap(ObjectSummary::guid, ObjectSummary::id));

        String text = ok(harvester("report", "src")).out();
        assertTrue(text.contains("25 documents with errors (the first 20 shown; harvester report --all lists every"
                + " error)"), text);
        String all = ok(harvester("report", "src", "--all")).out();
        assertEquals(25, all.lines().filter(line -> line.startsWith("\tImport obj-")).count(), all);
        assertTrue(all.contains("\t\thttp://a.example.org/record/obj-00025\n"), all);
        assertTrue(all.endsWith("26 error(s)\n"), all);

        JsonNode json = new ObjectMapper().readTree(ok(harvester("report", "src", "--format", "json")).out());
        assertEquals("Finished", json.path("job").path("status").asText());
        assertEquals(5, json.path("stats").path("added").asLong());
        assertEquals(26, json.path("error_count").asInt());
        JsonNode errors = json.path("errors");
        assertEquals(26, errors.size());
        assertEquals("Gather", errors.get(0).path("stage").asText());
        assertEquals("remote said \"no\", twice\nsecond line", errors.get(0).path("message").asText());
        assertTrue(errors.get(0).path("object_id").isNull());
        for (int i = 1; i <= 25; i++) {
            JsonNode error = errors.get(i);
            String guid = failing.get(i - 1);
            assertEquals("Import", error.path("stage").asText());
            assertEquals(guid, error.path("guid").asText());
            assertEquals(objectIdByGuid.get(guid), error.path("object_id").asText());
            assertEquals("Invalid package with GUID " + guid + ": title missing", error.path("message").asText());
            assertEquals("http://a.example.org/record/" + guid, error.path("original_url").asText());
        }

        String csv = ok(harvester("report", json.path("job").path("id").asText(), "--format", "CSV")).out();
        List<CSVRecord> records = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).get()
                .parse(new StringReader(csv)).getRecords();
        assertEquals(26, records.size());
        assertEquals("remote said \"no\", twice\nsecond line", records.get(0).get("message"));
        assertEquals("", records.get(0).get("object_id"));
        for (int i = 1; i <= 25; i++) {
            CSVRecord record = records.get(i);
            String guid = failing.get(i - 1);
            assertEquals(List.of(json.path("job").path("id").asText(), "Import", objectIdByGuid.get(guid), guid,
                    "Invalid package with GUID " + guid + ": title missing", "",
                    "http://a.example.org/record/" + guid),
                    record.toList().subList(0, 7));
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void reportAndReindexNameWhatTheyCannotDo(Kind kind) throws IOException {
        site(kind);
        failsWithOneLine(harvester("report", "nosuch"), "Error: Source or job <nosuch> not found.");
        ok(harvester("source", "src", "http://a.example.org", "scripted"));
        failsWithOneLine(harvester("report", "src"), "Error: Source <src> has no jobs.");
        assertEquals(2, harvester("report", "src", "--format", "xml").code());
        assertEquals("The embedded catalog has no search index: there is nothing to reindex\n",
                ok(harvester("reindex")).out());
        failsWithOneLine(harvester("reindex", "nope"), "Error: Source <nope> not found.");
    }
}
