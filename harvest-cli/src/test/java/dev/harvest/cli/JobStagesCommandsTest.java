package dev.harvest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.api.HarvestJob;
import dev.harvest.cli.CliRunner.Result;
import dev.harvest.core.Harvest;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.progress.ProgressFormat;
import dev.harvest.core.store.HarvestQueries.ObjectSummary;
import dev.harvest.core.testing.MutableClock;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code jobs}, {@code job} and {@code report} show each job's objects by stage and, under a job that does not move,
 * why: on H2 and PostgreSQL. The stalled states are made an hour in the past with the stores and a test clock; the
 * commands then run at the real time.
 */
class JobStagesCommandsTest {

    private static final String D = ProgressFormat.DASH;

    @TempDir
    Path dir;

    private Path config;

    private void site(Kind kind) throws IOException {
        config = SiteConfig.write(dir, "ini",
                SiteConfig.database(kind, "stages", "") + "ckan.harvest.mq.type = memory\n");
    }

    /** Runs a command that must succeed. */
    private Result harvester(String... args) {
        return CliRunner.ok(CliRunner.onSite(config, dir.resolve("no-plugins"), args));
    }

    /** The site's engine on a clock an hour behind, so that what it does now is an hour old for the commands. */
    private Harvest anHourAgo(MutableClock clock) {
        clock.advance(Duration.ofHours(-1));
        return Harvest.builder(HarvestConfig.load(config)).clock(clock).build();
    }

    private static String stored(MutableClock clock, Duration plus) {
        return ProgressFormat.utc(LocalDateTime.ofInstant(clock.instant().plus(plus), ZoneOffset.UTC));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void jobsShowsEachJobsStagesAndWhyARunningJobWhoseWorkerDiedIsStalled(Kind kind) throws IOException {
        site(kind);
        harvester("source", "create", "src", "http://src.example.org", "scripted", "src", "true", "", "MANUAL",
                "{\"guids\": [\"a\", \"b\", \"c\"]}");
        harvester("source", "create", "done", "http://done.example.org", "scripted", "done", "true", "", "MANUAL",
                "{\"guids\": [\"x\"]}");
        harvester("run_test", "done");
        MutableClock clock = new MutableClock();
        String leaseEnd;
        HarvestJob stalled;
        try (Harvest harvest = anHourAgo(clock)) {
            stalled = harvest.createJob("src", true);
            harvest.engine().gatherWithoutPublishing(stalled.id());
            List<String> ids = harvest.queries().objectsOfJob(stalled.id(), false, 10).stream()
                    .map(ObjectSummary::id).toList();
            leaseEnd = stored(clock, Duration.ofMinutes(10));
            harvest.stores().objects().claim(ids.subList(0, 2), Duration.ofMinutes(10)); // a worker that then died
        }

        String out = harvester("jobs").out();

        assertTrue(out.contains("\tJob id: " + stalled.id() + "\n\t\tstatus: Running\n\t\tsource: ")
                        && out.contains("\t\tobjects: 3\n\t\tgather_errors: 0\n"
                        + "\t\tstages: waiting 1, fetching 2, importing 0, done 0, errored 0\n"
                        + "\t\tstalled: 2 object(s) in FETCH/IMPORT: worker lease expired at " + leaseEnd + D
                        + "its worker stopped; `harvester run` re-queues them\n"
                        + "\t\tstalled: 1 object(s) waiting and none claimed for 1h00m" + D
                        + "no consumer has taken its objects: is a fetch_consumer running?\n"), out);
        assertTrue(out.contains("\t\tstatus: Finished\n\t\tsource: ") && out.contains("\t\tobjects: 1\n"
                + "\t\tgather_errors: 0\n\t\tstages: waiting 0, fetching 0, importing 0, done 1, errored 0\n"
                + "\tJob id: "), "a finished job has its stages and no hint: " + out);
        assertTrue(out.endsWith("There are 2 harvest jobs\n"), out);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void reportShowsTheStagesAndTheHintsAfterTheStatisticsInTextAndJson(Kind kind) throws IOException {
        site(kind);
        harvester("source", "create", "src", "http://src.example.org", "scripted", "src", "true", "", "MANUAL",
                "{\"guids\": [\"a\"]}");
        MutableClock clock = new MutableClock();
        HarvestJob job;
        try (Harvest harvest = anHourAgo(clock)) {
            job = harvest.createJob("src", true); // queued; no gather consumer ever takes it
        }

        String text = harvester("report", "src").out();
        String all = harvester("report", "src", "--all").out();
        JsonNode json = new ObjectMapper().readTree(harvester("report", job.id(), "--format", "json").out());

        String hint = "not gathered 1h00m after it was queued" + D
                + "no consumer has taken its gather: is a gather_consumer running?";
        assertEquals("Job " + job.id() + " of source src: Running\n"
                + "\tadded: 0, updated: 0, not modified: 0, deleted: 0, errored: 0\n"
                + "\tstages: waiting 0, fetching 0, importing 0, done 0, errored 0\n"
                + "\tstalled: " + hint + "\n", text);
        assertTrue(all.contains("\tadded: 0, updated: 0, not modified: 0, deleted: 0, errored: 0\n"
                + "\tstages: waiting 0, fetching 0, importing 0, done 0, errored 0\n\tstalled: " + hint + "\n"
                + "0 error(s)\n"), all);
        assertEquals(0, json.path("stages").path("waiting").asInt(-1));
        assertEquals(hint, json.path("stalled").path(0).asText());
        assertTrue(harvester("job_abort", job.id()).out().contains("Aborted"));
        JsonNode aborted = new ObjectMapper().readTree(harvester("report", job.id(), "--format", "json").out());
        assertEquals(0, aborted.path("stalled").size(), "an aborted job is not stalled");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void jobPrintsTheNewJobWithItsEmptyStages(Kind kind) throws IOException {
        site(kind);
        harvester("source", "create", "src", "http://src.example.org", "scripted", "src", "true", "", "MANUAL",
                "{\"guids\": [\"a\"]}");

        String out = harvester("job", "src").out();

        assertTrue(out.matches("\tJob id: [0-9a-f-]{36}\n\t\tstatus: Running\n\t\tsource: [0-9a-f-]{36}\n"
                + "\t\tobjects: 0\n\t\tgather_errors: 0\n\t\tstages: waiting 0, fetching 0, importing 0, done 0,"
                + " errored 0\nThere are 1 running harvest jobs\n"), out);
    }
}
