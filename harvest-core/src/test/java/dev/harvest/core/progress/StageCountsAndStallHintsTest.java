package dev.harvest.core.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestJob;
import dev.harvest.core.Harvest;
import dev.harvest.core.SourceRequest;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.store.HarvestQueries;
import dev.harvest.core.store.ObjectBatchStore.ClaimedBatch;
import dev.harvest.core.testing.MutableClock;
import dev.harvest.core.testing.ScriptedHarvester;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What {@code jobs} and {@code report} read about unfinished jobs, on H2 and PostgreSQL: objects by stage in grouped
 * statements, a running job's progress in one, and why a job is stalled. Stalled states are made with the stores and
 * a clock the test moves, not with sleeps.
 */
class StageCountsAndStallHintsTest {

    private static final Duration STALLED_AFTER = Duration.ofMinutes(10);
    private static final String D = ProgressFormat.DASH;

    private final MutableClock clock = new MutableClock();
    private Harvest harvest;

    @AfterEach
    void close() {
        if (harvest != null) {
            harvest.close();
        }
    }

    private HarvestQueries open(Kind kind) {
        harvest = Harvest.builder(TestDatabases.config(kind, Map.of("harvest.db.pool_size", "3")))
                .discoverHarvesters(false)
                .harvester(new ScriptedHarvester())
                .queue(new InMemoryHarvestQueue("stall-test")) // nobody consumes it
                .clock(clock)
                .build();
        return harvest.queries();
    }

    private void source(String name, String guids) {
        harvest.createSource(SourceRequest.of(name, "http://" + name + ".example.org/", ScriptedHarvester.NAME)
                .withConfig("{\"guids\": [" + guids + "]}"));
    }

    /** A running job of five gathered objects, none claimed. */
    private HarvestJob gatheredJob(String source) {
        source(source, "\"a\", \"b\", \"c\", \"d\", \"e\"");
        HarvestJob job = harvest.createJob(source, true);
        harvest.engine().gatherWithoutPublishing(job.id());
        return job;
    }

    private List<String> objectIds(HarvestJob job) {
        return harvest.queries().objectsOfJob(job.id(), false, 100).stream()
                .map(HarvestQueries.ObjectSummary::id).toList();
    }

    private LocalDateTime now() {
        return LocalDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
    }

    private List<String> hints(HarvestJob job) {
        HarvestJob current = harvest.queries().findJob(job.id()).orElseThrow();
        return harvest.queries().stallHints(List.of(current), STALLED_AFTER).getOrDefault(job.id(), List.of());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void theObjectsOfSeveralJobsAreCountedByStageInOneGroupedStatement(Kind kind) {
        HarvestQueries queries = open(kind);
        HarvestJob running = gatheredJob("running");
        List<String> ids = objectIds(running);
        ClaimedBatch batch = harvest.stores().objects().claim(ids.subList(0, 2), Duration.ofMinutes(10));
        harvest.stores().objects().markFetched(batch.token(), List.of(ids.get(1)));
        source("done", "\"x\", \"y\"");
        harvest.runTest("done");
        HarvestJob finished = queries.latestJob(harvest.source("done").id()).orElseThrow();

        Map<String, JobStages> stages = queries.jobStages(List.of(running.id(), finished.id(), "no-such-job"));

        assertEquals(new JobStages(3, 1, 1, 0, 0), stages.get(running.id()));
        assertEquals(new JobStages(0, 0, 0, 2, 0), stages.get(finished.id()));
        assertEquals(JobStages.NONE, stages.get("no-such-job"));
        assertEquals("waiting 3, fetching 1, importing 1, done 0, errored 0", stages.get(running.id()).toString());
        assertEquals(Map.of(running.id(), 0L, finished.id(), 0L, "no-such-job", 0L),
                queries.gatherErrorCounts(List.of(running.id(), finished.id(), "no-such-job")));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aRunningJobsProgressIsReadInOneStatementByJobOrAsTheSourcesNewestRunningJob(Kind kind) {
        HarvestQueries queries = open(kind);
        HarvestJob job = gatheredJob("src");
        List<String> ids = objectIds(job);
        harvest.stores().objects().claim(ids.subList(0, 1), Duration.ofMinutes(10));
        String sourceId = harvest.source("src").id();

        JobProgress progress = queries.runningJobProgress(sourceId).orElseThrow();

        assertEquals(new JobProgress(job.id(), "Running", true, true, new JobStages(4, 1, 0, 0, 0), 0), progress);
        assertEquals(progress, queries.jobProgress(job.id()).orElseThrow());
        assertEquals("gathered 5" + ProgressFormat.SEPARATOR + "done 0/5 (0.0%)" + ProgressFormat.SEPARATOR
                + "errors 0", ProgressFormat.line(progress.sample(), java.util.OptionalDouble.empty(),
                java.util.Optional.empty()));
        harvest.abortJob(job.id());
        assertTrue(queries.runningJobProgress(sourceId).isEmpty(), "no running job any more");
        assertEquals(new JobStages(0, 0, 0, 0, 5), queries.jobProgress(job.id()).orElseThrow().stages(),
                "an aborted job's unfinished objects are errored");
        assertTrue(queries.jobProgress("no-such-job").isEmpty());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void objectsWhoseWorkerLeaseExpiredAreNamedWithTheLeaseTimeAndWhatReQueuesThem(Kind kind) {
        open(kind);
        HarvestJob job = gatheredJob("src");
        List<String> ids = objectIds(job);
        LocalDateTime leaseEnd = now().plusMinutes(10);
        ClaimedBatch batch = harvest.stores().objects().claim(ids, Duration.ofMinutes(10));
        harvest.stores().objects().markFetched(batch.token(), ids.subList(0, 2));
        assertEquals(List.of(), hints(job), "a live worker holds them");

        clock.advance(Duration.ofMinutes(11)); // the worker died: no heartbeat extended its lease

        assertEquals(List.of("5 object(s) in FETCH/IMPORT: worker lease expired at " + ProgressFormat.utc(leaseEnd)
                + D + "its worker stopped; `harvester run` re-queues them"), hints(job));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aRunningJobWithWaitingObjectsAndNoClaimForLongAsksWhetherAFetchConsumerRuns(Kind kind) {
        open(kind);
        HarvestJob job = gatheredJob("src");
        clock.advance(Duration.ofMinutes(9));
        assertEquals(List.of(), hints(job), "not long enough to call it stalled");

        clock.advance(Duration.ofMinutes(3));

        assertEquals(List.of("5 object(s) waiting and none claimed for 12m00s" + D
                + "no consumer has taken its objects: is a fetch_consumer running?"), hints(job));
        harvest.stores().objects().claim(objectIds(job).subList(0, 1), Duration.ofMinutes(10));
        assertEquals(List.of(), hints(job), "a consumer has just claimed one");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aJobWhoseObjectsAreExpiredAndWaitingGetsBothHints(Kind kind) {
        open(kind);
        HarvestJob job = gatheredJob("src");
        List<String> ids = objectIds(job);
        LocalDateTime leaseEnd = now().plusMinutes(10);
        harvest.stores().objects().claim(ids.subList(0, 1), Duration.ofMinutes(10));

        clock.advance(Duration.ofMinutes(15));

        assertEquals(List.of("1 object(s) in FETCH/IMPORT: worker lease expired at " + ProgressFormat.utc(leaseEnd) + D
                        + "its worker stopped; `harvester run` re-queues it",
                "4 object(s) waiting and none claimed for 15m00s" + D
                        + "no consumer has taken its objects: is a fetch_consumer running?"), hints(job));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aRunningJobNotGatheredForLongAsksWhetherAGatherConsumerRuns(Kind kind) {
        HarvestQueries queries = open(kind);
        source("src", "\"a\"");
        HarvestJob job = harvest.createJob("src", true); // sent to a gather queue nobody consumes

        clock.advance(Duration.ofMinutes(25));

        assertEquals(List.of("not gathered 25m00s after it was queued" + D
                + "no consumer has taken its gather: is a gather_consumer running?"), hints(job));
        assertEquals(JobStages.NONE, queries.jobStages(List.of(job.id())).get(job.id()), "objects: 0");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aGatherWhoseGathererStoppedIsNamedWithItsLeaseTime(Kind kind) {
        open(kind);
        source("src", "\"a\"");
        HarvestJob job = harvest.createJob("src", true);
        LocalDateTime leaseEnd = now().plusMinutes(1);
        assertTrue(harvest.stores().jobs().claimGather(job.id(), "gatherer-that-dies", Duration.ofMinutes(1))
                .isPresent());

        clock.advance(Duration.ofMinutes(2));

        assertEquals(List.of("gather lease expired at " + ProgressFormat.utc(leaseEnd) + D
                + "its gatherer stopped; `harvester run` re-queues it"), hints(job));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aNewJobNotStartedForLongAsksWhetherCronRunsTheRunCommand(Kind kind) {
        open(kind);
        source("src", "\"a\"");
        HarvestJob job = harvest.createJob("src", false);

        clock.advance(Duration.ofHours(2));

        assertEquals(List.of("New for 2h00m" + D + "`harvester run` starts New jobs: is cron running it?"),
                hints(job));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void finishedJobsAndJobsThatMoveHaveNoHints(Kind kind) {
        HarvestQueries queries = open(kind);
        source("done", "\"x\"");
        harvest.runTest("done");
        HarvestJob finished = queries.latestJob(harvest.source("done").id()).orElseThrow();
        HarvestJob moving = gatheredJob("moving");
        harvest.stores().objects().claim(objectIds(moving).subList(0, 1), Duration.ofMinutes(10));

        clock.advance(Duration.ofMinutes(9));

        assertEquals(Map.of(), queries.stallHints(List.of(queries.findJob(finished.id()).orElseThrow(),
                queries.findJob(moving.id()).orElseThrow()), STALLED_AFTER));
    }
}
