package dev.harvest.cli;

import static dev.harvest.cli.CliRunner.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.cli.CliRunner.Result;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every {@code harvester} command and its error paths, run in-process against a private database. */
class HarvesterCommandTest {

    @TempDir
    Path dir;

    private Path config;

    @BeforeEach
    void writeConfig() throws IOException {
        // the demo catalog and test remotes listen on loopback, which the outbound policy refuses by default
        config = writeConfig("harvest.db.url = jdbc:h2:mem:cli-" + UUID.randomUUID() + "\nckan.harvest.mq.type = memory\n"
                + "harvest.http.allow_private_addresses = true\n");
    }

    private Path writeConfig(String content) throws IOException {
        return SiteConfig.write(dir, "ini", content);
    }

    private Result harvester(Path configFile, String... args) {
        return CliRunner.run(List.of("--config", configFile.toString(), "--plugins",
                dir.resolve("no-plugins").toString()), args);
    }

    private Result harvester(String... args) {
        return harvester(config, args);
    }

    @Test
    void initdbCreatesTheTables() {
        Result result = harvester("initdb");
        ok(result);
        assertEquals("DB tables created\n", result.out());
    }

    @Test
    void sourceCreatesAndShowsASourceWithTheOriginalArgumentOrder() {
        Result created = harvester("source", "my-source", "http://remote.example.org", "scripted", "My title", "true",
                "", "WEEKLY", "{\"guids\": [\"x1\"]}");
        ok(created);
        assertTrue(created.out().startsWith("Created new harvest source:\nSource id: "), created.out());
        assertTrue(created.out().contains("\tname: my-source\n\turl: http://remote.example.org\n\ttype: scripted\n"
                + "\tactive: True\n\tfrequency: WEEKLY\n\tjobs: 0\n"), created.out());
        assertTrue(created.out().endsWith("There is 1 harvest source\n"));

        Result shown = harvester("source", "my-source");
        ok(shown);
        assertTrue(shown.out().contains("\tname: my-source\n"));
    }

    @Test
    void anUnknownSourceIsOneClearLineAndANonZeroExit() {
        Result result = harvester("source", "nope");
        assertEquals(1, result.code());
        assertEquals("Error: Source <nope> not found.\n", result.err());
        assertEquals(1, harvester("job", "nope").code());
        assertEquals(1, harvester("rmsource", "nope").code());
        assertEquals(1, harvester("run_test", "nope").code());
    }

    @Test
    void invalidSourcesAreRejectedFieldByField() {
        Result notJson = harvester("source", "bad-config", "http://remote.example.org", "scripted", "t", "true", "",
                "MANUAL", "{not json");
        assertEquals(1, notJson.code());
        assertTrue(notJson.err().startsWith("Validation error: config: Error parsing the configuration options:"
                + " config is not JSON"), notJson.err());

        Result rejected = harvester("source", "bad-guids", "http://remote.example.org", "scripted", "t", "true", "",
                "MANUAL", "{\"guids\": \"x\"}");
        assertEquals("Validation error: config: Error parsing the configuration options: guids must be a list\n",
                rejected.err());

        Result unknownType = harvester("source", "bad-type", "http://remote.example.org", "nope");
        assertTrue(unknownType.err().contains(
                "Validation error: source_type: Unknown harvester type: nope. Registered types: ["), unknownType.err());

        Result badFrequency = harvester("source", "bad-freq", "http://remote.example.org", "scripted", "t", "true", "",
                "ANNUALLY");
        assertEquals(1, badFrequency.err().lines().count(), "one line: " + badFrequency.err());

        Result several = harvester("source", "Bad Name", "not-a-url", "scripted");
        assertEquals(1, several.code());
        assertTrue(several.err().startsWith("Validation error: name: Must be purely lowercase"), several.err());
        assertTrue(several.err().contains("; url: Must be an http:// or https:// URL, not 'not-a-url'"), several.err());
        assertEquals(1, several.err().lines().count(), "one line: " + several.err());
        assertTrue(badFrequency.err().contains("Validation error: frequency: Frequency ANNUALLY not recognised"),
                badFrequency.err());
        assertFalse(harvester("sources", "all").out().contains("bad-"), "no invalid source was stored");
    }

    @Test
    void theSameUrlAndConfigCannotBeASecondSource() {
        ok(harvester("source", "first", "http://remote.example.org/", "scripted"));
        Result second = harvester("source", "second", "http://remote.example.org", "scripted");
        assertEquals(1, second.code());
        assertTrue(second.err().contains("Validation error: url: There already is a Harvest Source for this URL"
                + " (& config): url=http://remote.example.org config="), second.err());
        ok(harvester("source", "third", "http://remote.example.org", "scripted", "t", "true", "", "MANUAL",
                "{\"guids\": []}"));
    }

    @Test
    void sourcesListsActiveOnesAndAllIncludesRemovedOnes() {
        ok(harvester("source", "kept", "http://a.example.org", "scripted"));
        ok(harvester("source", "removed", "http://b.example.org", "scripted"));

        Result removed = harvester("rmsource", "removed");
        ok(removed);
        assertEquals("Removed harvest source: removed\n", removed.out());

        Result active = harvester("sources");
        assertTrue(active.out().contains("name: kept") && !active.out().contains("name: removed"), active.out());
        assertTrue(active.out().endsWith("There are 1 active harvest sources\n"));
        Result all = harvester("sources", "all");
        assertTrue(all.out().contains("name: removed") && all.out().contains("active: False"));
        assertTrue(all.out().endsWith("There are 2 harvest sources\n"));
        assertEquals("Error: Can not create jobs on inactive sources\n", harvester("job", "removed").err());
    }

    @Test
    void jobCreatesAndStartsAJobAndASecondOneIsRefused() {
        ok(harvester("source", "src", "http://a.example.org", "scripted"));
        Result job = harvester("job", "src");
        ok(job);
        assertTrue(job.out().contains("\t\tstatus: Running\n"), job.out());

        Result again = harvester("job", "src");
        assertEquals(1, again.code());
        assertEquals("Error: There already is an unrun job for this source\n", again.err());

        Result jobs = harvester("jobs");
        assertTrue(jobs.out().endsWith("There are 1 harvest jobs\n"), jobs.out());
        Result aborted = harvester("job_abort", "src");
        assertEquals("Job status: Aborted\n", aborted.out());
        assertEquals(1, harvester("job-abort", "src").code(), "an aborted job cannot be aborted again");
        assertEquals("Error: Job not found.\n", harvester("job_abort", "no-such-job").err());
    }

    @Test
    void runTestHarvestsASourceAndPrintsTheJobReport() {
        ok(harvester("source", "src", "http://a.example.org", "scripted", "t", "true", "", "MANUAL",
                "{\"guids\": [\"x1\", \"x2\", \"x3\"], \"fail_import\": \"x3\"}"));
        Result result = harvester("run_test", "src");
        ok(result);
        assertTrue(result.out().contains(": Finished\n\tadded: 2, updated: 0, not modified: 0, deleted: 0, errored: 1\n"),
                result.out());
        assertTrue(result.out().contains("\t\t- x3: Invalid package with GUID x3: title missing"), result.out());

        Result again = harvester("run-test", "src");
        assertTrue(again.out().contains("added: 0, updated: 0, not modified: 2"), again.out());
        Result report = harvester("report", "src");
        assertTrue(report.out().contains("not modified: 2"), report.out());
    }

    @Test
    void runTestWorksOnPostgresqlToo() throws IOException {
        Path pg = writeConfig(SiteConfig.postgres() + "ckan.harvest.mq.type = memory\n");
        ok(harvester(pg, "initdb"));
        ok(harvester(pg, "source", "src", "http://a.example.org", "scripted", "t", "true", "", "MANUAL",
                "{\"guids\": [\"p1\", \"p2\"]}"));
        Result result = harvester(pg, "run_test", "src");
        ok(result);
        assertTrue(result.out().contains("Finished\n\tadded: 2,"), result.out());
    }

    @Test
    void runStartsPendingJobsAndWithTheInProcessQueueRunsThemToTheEnd() {
        ok(harvester("source", "src", "http://a.example.org", "scripted", "t", "true", "", "MANUAL",
                "{\"guids\": [\"r1\", \"r2\"]}"));
        Result job = harvester("job", "src");
        ok(job);
        // the job's message died with the previous process: run re-queues it and runs it here
        Result run = harvester("run");
        ok(run);
        assertTrue(run.out().contains("Finished\n\tadded: 2,"), run.out());
        Result second = harvester("run");
        ok(second);
        assertTrue(second.out().startsWith("Scheduled 0, started 0, finished 0, timed out 0 job(s)"), second.out());
    }

    @Test
    void aConfigurationWithoutADatabaseKeyIsTheEmbeddedDefaultAndRunFinishesItsJobs() throws IOException {
        Path embedded = writeConfig("harvest.data_dir = " + dir.resolve("data") + "\n");
        ok(harvester(embedded, "source", "src", "http://a.example.org", "scripted", "t", "true", "", "MANUAL",
                "{\"guids\": [\"e1\"]}"));
        ok(harvester(embedded, "job", "src"));

        Result run = harvester(embedded, "run");

        ok(run);
        assertTrue(run.out().contains("Finished\n\tadded: 1,"), run.out());
        assertEquals(1, harvester(embedded, "fetch_consumer").code(), "the in-process queue serves no consumers");
    }

    @Test
    void consumersRefuseTheInProcessQueueAndPurgeWorks() {
        Result gather = harvester("gather_consumer");
        assertEquals(1, gather.code());
        assertTrue(gather.err().contains("gather_consumer needs a queue shared between processes"), gather.err());
        Result purge = harvester("purge_queues");
        ok(purge);
        assertEquals("Purged 0 message(s) from the gather queue and 0 from the fetch queue\n", purge.out());
    }

    @Test
    void aBadConfigurationFileNamesTheKey() throws IOException {
        Result unknown = harvester(writeConfig("ckan.harvest.mq.tpye = redis\n"), "sources");
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().startsWith("Error: Invalid configuration: unknown configuration key"
                + " ckan.harvest.mq.tpye (declared by none of harvest-core, harvester "), unknown.err());
        assertTrue(unknown.err().contains("harvester ckan, ") && unknown.err().contains("queue redis, ")
                && unknown.err().contains("catalog ckan"), unknown.err());
        assertEquals(1, unknown.err().lines().count(), unknown.err());

        Result badValue = harvester(writeConfig("ckan.harvest.mq.type = kafka\n"), "sources");
        assertEquals("Error: ckan.harvest.mq.type: no queue backend of type 'kafka' on the class path (available:"
                + " amqp, memory, redis)\n", badValue.err());

        Result badPluginValue = harvester(writeConfig("harvest.db.url = jdbc:h2:mem:x\nckan.harvest.mq.type = memory\n"
                + "harvest.ckan.read_timeout = soon\n"), "sources");
        assertEquals("Error: Harvester ckan cannot start: harvest.ckan.read_timeout must be a positive whole number,"
                + " not 'soon'\n", badPluginValue.err());

        Result missing = harvester(dir.resolve("missing.ini"), "sources");
        assertTrue(missing.err().contains("Configuration file " + dir.resolve("missing.ini") + " does not exist"));
    }

    @Test
    void configListPrintsEverySettingWithItsDefaultAndOwnerWithoutOpeningTheDatabase() throws IOException {
        Result result = harvester(writeConfig("harvest.db.url = jdbc:postgresql://127.0.0.1:1/unreachable\n"),
                "config", "--list");
        ok(result);
        assertTrue(result.out().contains("harvest.object_batch_size = 50\n\tharvest-core: "), result.out());
        assertTrue(result.out().contains("harvest.ckan.read_timeout = 60\n\tharvester ckan: "), result.out());
        assertTrue(result.out().contains("harvest.catalog.ckan.url = (none)\n\tcatalog ckan: "), result.out());
        String hostname = result.out().lines().dropWhile(line -> !line.equals("ckan.harvest.mq.hostname = (none)"))
                .skip(1).findFirst().orElseThrow();
        assertTrue(hostname.contains("queue redis") && hostname.contains("queue amqp"), hostname);
        assertTrue(result.out().contains("harvest.mq.redis.consumer_lease_seconds = 30\n\tqueue redis: "),
                result.out());
    }

    @Test
    void anUnreachableDatabaseIsOneClearLine() throws IOException {
        Result result = harvester(writeConfig("harvest.db.url = jdbc:postgresql://127.0.0.1:1/harvest\n"
                + "ckan.harvest.mq.type = memory\n"), "sources");
        assertEquals(1, result.code());
        assertTrue(result.err().startsWith("Error: Cannot connect to the harvest database at"
                + " jdbc:postgresql://127.0.0.1:1/harvest: "), result.err());
        assertEquals(1, result.err().lines().count(), "no stack trace: " + result.err());
    }

    @Test
    void theDemoCatalogHarvestsAsACkanPortalAndAsDataJson() throws Exception {
        try (var demo = dev.harvest.examples.demo.DemoCatalogServer.start(0)) {
            ok(harvester("source", "demo-ckan", demo.ckanUrl(), "ckan", "Demo CKAN"));
            ok(harvester("source", "demo-datajson", demo.catalogUrl(), "datajson", "Demo DCAT-US"));

            Result ckan = harvester("run_test", "demo-ckan");
            ok(ckan);
            assertTrue(ckan.out().contains(": Finished\n\tadded: 12, updated: 0, not modified: 0, deleted: 0,"
                    + " errored: 0\n"), ckan.out());
            Result again = harvester("run_test", "demo-ckan");
            assertTrue(again.out().contains(": Finished\n\tadded: 0, updated: 0, not modified: 0, deleted: 0,"
                    + " errored: 0\n"), "an unchanged remote gathers nothing: " + again.out());
            Result datajson = harvester("run_test", "demo-datajson");
            assertTrue(datajson.out().contains("added: 12,"), datajson.out());
        }
    }

    @Test
    void clearsourceHistoryKeepsDatasetsAndClearsourceDeletesThem() {
        ok(harvester("source", "src", "http://a.example.org", "scripted", "t", "true", "", "MANUAL",
                "{\"guids\": [\"h1\", \"h2\"]}"));
        ok(harvester("run_test", "src"));

        Result history = harvester("clearsource_history", "src");
        ok(history);
        assertEquals("Cleared job history of harvest source: src\n", history.out());
        assertTrue(harvester("jobs").out().endsWith("There are 0 harvest jobs\n"));
        assertTrue(harvester("run_test", "src").out().contains("updated: 0, not modified: 2"),
                "the datasets were kept, so the next harvest finds them");

        Result cleared = harvester("clearsource", "src");
        ok(cleared);
        assertEquals("Cleared harvest source: src (2 datasets deleted)\n", cleared.out());
        assertTrue(harvester("source", "src").out().contains("\tjobs: 0\n"), "the source itself is kept");
    }

    @Test
    void withALogScopeHarvestLogsGoToTheDatabaseAndCleanHarvestLogPrunesThem() throws Exception {
        String url = "jdbc:h2:mem:cli-log-" + UUID.randomUUID();
        Path logged = writeConfig("harvest.db.url = " + url + "\nckan.harvest.mq.type = memory\n"
                + "ckan.harvest.log_scope = 0\nckan.harvest.log_level = info\nckan.harvest.log_timeframe = 0\n");
        ok(harvester(logged, "source", "src", "http://a.example.org", "scripted", "t", "true", "", "MANUAL",
                "{\"guids\": [\"l1\"]}"));
        ok(harvester(logged, "run_test", "src"));

        List<String> levels = new ArrayList<>();
        List<String> contents = new ArrayList<>();
        try (var connection = java.sql.DriverManager.getConnection(url + ";NON_KEYWORDS=KEY,VALUE", "sa", "");
                var rows = connection.createStatement().executeQuery("select level, content from harvest_log")) {
            while (rows.next()) {
                levels.add(rows.getString(1));
                contents.add(rows.getString(2));
            }
        }
        assertTrue(contents.stream().anyMatch(c -> c.startsWith("Gathering job ")), contents.toString());
        assertFalse(levels.contains("DEBUG"), "log_level info keeps debug records out");

        Result cleaned = harvester(logged, "clean_harvest_log");
        ok(cleaned);
        assertTrue(cleaned.out().matches("Deleted [1-9][0-9]* harvest_log record\\(s\\)\n"), cleaned.out());
    }

    @Test
    void aCkanTargetCatalogIsChosenByConfigurationAndItsErrorsArePerObject() throws Exception {
        String db = "harvest.db.url = jdbc:h2:mem:cli-" + UUID.randomUUID() + "\nckan.harvest.mq.type = memory\n"
                + "harvest.catalog.type = ckan\nharvest.http.allow_private_addresses = true\n";
        Result missingUrl = harvester(writeConfig(db), "sources");
        assertEquals(1, missingUrl.code());
        assertEquals("Error: Cannot open the ckan catalog: harvest.catalog.ckan.url must be set to the CKAN's URL when"
                + " harvest.catalog.type is ckan\n",
                missingUrl.err());

        try (var demo = dev.harvest.examples.demo.DemoCatalogServer.start(0)) {
            // the demo server reads like a CKAN but has no write API: every import must fail on the target, alone
            Path target = writeConfig(db + "harvest.catalog.ckan.url = " + demo.ckanUrl()
                    + "\nharvest.catalog.ckan.api_key = token\n");
            ok(harvester(target, "source", "demo", demo.ckanUrl(), "ckan"));
            Result result = harvester(target, "run_test", "demo");
            ok(result);
            assertTrue(result.out().contains("added: 0, updated: 0, not modified: 0, deleted: 0, errored: 12"),
                    result.out());
            assertTrue(result.out().contains("failed: HTTP error: 404 " + demo.ckanUrl() + "/api/3/action/package_create"),
                    result.out());
        }
    }

    @Test
    void harvestersInfoListsTheDiscoveredHarvesters() {
        Result result = harvester("harvesters_info");
        ok(result);
        assertTrue(result.out().contains("scripted\tScripted\t"), result.out());
        assertTrue(result.out().contains("datajson\t"), result.out());
    }
}
