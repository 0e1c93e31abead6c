package dev.harvest.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.queue.QueueName;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.store.HarvestQueries.ObjectSummary;
import dev.harvest.core.store.ObjectBatchStore.ClaimedBatch;
import dev.harvest.core.testing.MutableClock;
import dev.harvest.core.testing.ScriptedHarvester;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The engine end to end on H2 and on the real PostgreSQL, with a harvester scripted by its source config. */
class HarvestEngineTest {

    private final MutableClock clock = new MutableClock();
    private Harvest harvest;
    private InMemoryHarvestQueue queue;

    private Harvest open(Kind kind, Map<String, String> settings) {
        queue = new InMemoryHarvestQueue("engine-test");
        harvest = ScriptedSites.open(kind, settings, queue, clock);
        return harvest;
    }

    private Harvest open(Kind kind) {
        return open(kind, Map.of());
    }

    @AfterEach
    void close() {
        if (harvest != null) {
            harvest.close();
        }
    }

    private HarvestSource source(String config) {
        return ScriptedSites.source(harvest, config);
    }

    private static Map<String, String> statusByGuid(JobReport report) {
        return ScriptedSites.statusByGuid(report);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void runTestImportsEveryGatheredRecordAndFinishesTheJob(Kind kind) throws Exception {
        open(kind);
        source("{\"guids\": [\"a\", \"b\", \"c\"]}");

        JobReport report = harvest.runTest("src");

        assertEquals("Finished", report.job().status());
        assertEquals(3, report.stats().count("added"));
        assertEquals(0, report.stats().count("errored"));
        assertEquals(Map.of("a", "COMPLETE/added", "b", "COMPLETE/added", "c", "COMPLETE/added"), statusByGuid(report));
        Dataset a = harvest.catalog().findDataset("ds-a").orElseThrow();
        assertEquals("content of a", a.string("notes"));
        assertTrue(report.objects().stream().allMatch(ObjectSummary::current));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aSecondHarvestReportsUpdatedAndNotModifiedAndMovesCurrent(Kind kind) throws Exception {
        open(kind);
        HarvestSource source = source("{\"guids\": [\"a\", \"b\"]}");
        harvest.runTest("src");
        harvest.stores().database().inTransaction(session -> session.createNativeMutationQuery(
                        "update harvest_source set config = :c where id = :id")
                .setParameter("c", "{\"guids\": [\"a\", \"b\"], \"content\": {\"a\": \"new content\"}}")
                .setParameter("id", source.id())
                .executeUpdate());

        JobReport second = harvest.runTest("src");

        assertEquals(Map.of("a", "COMPLETE/updated", "b", "COMPLETE/not modified"), statusByGuid(second));
        assertEquals(1, second.stats().count("updated"));
        assertEquals(1, second.stats().count("not modified"));
        assertEquals("new content", harvest.catalog().findDataset("ds-a").orElseThrow().string("notes"));
        assertEquals(2, harvest.queries().currentDatasetCount(source.id()));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aPluginExceptionInFetchErrorsOnlyThatObjectAndRecordsTheMessage(Kind kind) {
        open(kind);
        source("{\"guids\": [\"a\", \"b\"], \"throw_in_fetch\": \"a\", \"fail_import\": \"b\"}");

        JobReport report = harvest.runTest("src");

        assertEquals("Finished", report.job().status());
        assertEquals(Map.of("a", "ERROR/errored", "b", "ERROR/errored"), statusByGuid(report));
        ObjectSummary a = report.objects().stream().filter(o -> o.guid().equals("a")).findFirst().orElseThrow();
        assertEquals(List.of("IOException: connection reset while fetching a"), a.errors());
        assertEquals(2, report.stats().count("errored"));
        assertEquals(2, report.stats().objectErrorSummary().size());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aGatherExceptionIsRecordedTheJobFinishesAndItIsNotErrorFree(Kind kind) {
        open(kind);
        HarvestSource source = source("{\"guids\": [\"a\"], \"throw_in_gather\": true}");

        JobReport report = harvest.runTest("src");

        assertEquals("Finished", report.job().status());
        assertEquals(List.of("Gather stage failed: IllegalStateException: the remote catalog went away"),
                report.gatherErrors());
        assertEquals(Map.of("a", "COMPLETE/added"), statusByGuid(report), "objects emitted before the failure are kept");
        assertEquals(2, report.stats().count("errored") + report.stats().count("added"));
        assertTrue(harvest.queries().lastErrorFreeJob(source.id(), "none").isEmpty());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void datasetsThatDisappearFromAFullListingAreDeletedButNotAfterAPartialOrFailedOne(Kind kind) throws Exception {
        open(kind);
        HarvestSource source = source("{\"guids\": [\"a\", \"b\", \"c\"]}");
        harvest.runTest("src");
        setConfig(source, "{\"guids\": [\"a\", \"b\"], \"fail_gather\": \"page 2 failed\"}");
        JobReport failed = harvest.runTest("src");
        assertEquals("active", harvest.catalog().findDataset("ds-c").orElseThrow().state());
        assertFalse(failed.objects().stream().anyMatch(o -> "deleted".equals(o.reportStatus())));

        setConfig(source, "{\"guids\": [\"a\", \"b\"]}");
        JobReport full = harvest.runTest("src");

        assertEquals(1, full.stats().count("deleted"));
        assertEquals("COMPLETE/deleted", statusByGuid(full).get("c"));
        assertEquals("deleted", harvest.catalog().findDataset("ds-c").orElseThrow().state());
        assertEquals(2, harvest.queries().currentDatasetCount(source.id()));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void theDeletionGuardHoldsBackMassDeletionsUntilForced(Kind kind) throws Exception {
        open(kind);
        HarvestSource source = source("{\"guids\": [\"a\", \"b\", \"c\", \"d\"]}");
        harvest.runTest("src");
        setConfig(source, "{\"guids\": [\"a\"]}");

        JobReport guarded = harvest.runTest("src");

        assertEquals(0, guarded.stats().count("deleted"));
        assertTrue(guarded.gatherErrors().get(0).startsWith("Deletion guard: 3 of the 4 datasets"),
                guarded.gatherErrors().toString());
        assertEquals("active", harvest.catalog().findDataset("ds-d").orElseThrow().state());

        setConfig(source, "{\"guids\": [\"a\"], \"force_deletions\": true}");
        JobReport forced = harvest.runTest("src");
        assertEquals(3, forced.stats().count("deleted"));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void twoWorkersClaimingOneObjectExactlyOneWins(Kind kind) throws Exception {
        open(kind);
        source("{\"guids\": [\"a\"]}");
        HarvestJob job = harvest.createJob("src", true);
        harvest.engine().gatherWithoutPublishing(job.id());
        String objectId = harvest.queries().objectsOfJob(job.id(), false, 10).get(0).id();

        int workers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        CountDownLatch start = new CountDownLatch(1);
        ConcurrentLinkedQueue<ClaimedBatch> wins = new ConcurrentLinkedQueue<>();
        List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            futures.add(pool.submit(() -> {
                start.await();
                ClaimedBatch batch = harvest.stores().objects().claim(List.of(objectId), Duration.ofMinutes(5));
                if (!batch.objects().isEmpty()) {
                    wins.add(batch);
                }
                return null;
            }));
        }
        start.countDown();
        for (var future : futures) {
            future.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();

        assertEquals(1, wins.size());
        assertEquals(1, wins.peek().objects().get(0).deliveries());
        assertEquals(0, harvest.stores().objects().markFetched("someone-else", List.of(objectId)),
                "a stale claim token cannot move the object on");
        assertEquals(1, harvest.stores().objects().markFetched(wins.peek().token(), List.of(objectId)));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aJobFinishesWhenItsLastObjectIsDoneWithoutWaitingForRun(Kind kind) throws Exception {
        open(kind);
        source("{\"guids\": [\"a\", \"b\"]}");
        HarvestJob job = harvest.createJob("src", true);
        assertEquals("Running", job.status());

        drain(QueueName.GATHER);
        drain(QueueName.FETCH);

        assertEquals("Finished", harvest.queries().findJob(job.id()).orElseThrow().status());
        assertEquals(2, harvest.report(job.id()).stats().count("added"));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void abortingMarksTheJobAbortedAndItsUnfinishedObjectsErrored(Kind kind) throws Exception {
        open(kind);
        source("{\"guids\": [\"a\", \"b\"]}");
        HarvestJob job = harvest.createJob("src", true);
        drain(QueueName.GATHER);

        HarvestJob aborted = harvest.abortJob("src");

        assertEquals("Aborted", aborted.status());
        JobReport report = harvest.report(job.id());
        assertEquals(Map.of("a", "ERROR/errored", "b", "ERROR/errored"), statusByGuid(report));
        drain(QueueName.FETCH);
        assertEquals(0, harvest.catalog().findDataset("ds-a").map(d -> 1).orElse(0), "a late message imports nothing");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void anObjectWhoseWorkerDiedIsRequeuedByRunAndEndsInErrorAfterTheRetryLimit(Kind kind) throws Exception {
        open(kind, Map.of("harvest.retry_limit", "3"));
        source("{\"guids\": [\"a\"]}");
        HarvestJob job = harvest.createJob("src", true);
        drain(QueueName.GATHER);
        String objectId = harvest.queries().objectsOfJob(job.id(), false, 10).get(0).id();
        queue.purge(QueueName.FETCH);

        for (int attempt = 1; attempt <= 3; attempt++) {
            ClaimedBatch claim = harvest.stores().objects().claim(List.of(objectId), Duration.ofMinutes(10));
            assertEquals(1, claim.objects().size(), "attempt " + attempt + " claims the object");
            clock.advance(Duration.ofMinutes(11)); // the worker died: its lease runs out
            assertEquals(1, harvest.run().objectsRequeued());
            queue.purge(QueueName.FETCH);
        }
        harvest.engine().fetchMessage(objectId);

        ObjectSummary object = harvest.report(job.id()).objects().get(0);
        assertEquals("ERROR/errored", object.state() + "/" + object.reportStatus());
        assertTrue(object.errors().get(0).startsWith("Too many consecutive retries for object " + objectId));
        assertEquals("Finished", harvest.queries().findJob(job.id()).orElseThrow().status());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void runTimesOutAJobWithoutProgressWithTheOriginalMessage(Kind kind) throws Exception {
        open(kind, Map.of("ckan.harvest.timeout", "30"));
        source("{\"guids\": [\"a\"]}");
        HarvestJob job = harvest.createJob("src", true);
        drain(QueueName.GATHER);
        clock.advance(Duration.ofMinutes(31));

        assertEquals(1, harvest.run().timedOut());

        assertEquals("Finished", harvest.queries().findJob(job.id()).orElseThrow().status());
        String error = harvest.queries().gatherErrors(job.id()).get(0);
        assertTrue(error.startsWith("Job " + job.id() + " timeout (30 minutes)\n\tJob created: "), error);
        assertEquals("ERROR/errored", statusByGuid(harvest.report(job.id())).get("a"),
                "a timed-out job leaves no object waiting");
        harvest.engine().fetchMessage(harvest.queries().objectsOfJob(job.id(), false, 10).get(0).id());
        assertEquals(0, harvest.catalog().findDataset("ds-a").map(d -> 1).orElse(0), "a late message imports nothing");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void runStartsNewJobsAndIsHarmlessWhenRunTwice(Kind kind) throws Exception {
        open(kind);
        source("{\"guids\": [\"a\"]}");
        HarvestJob job = harvest.createJob("src", false);

        assertEquals(1, harvest.run().started());
        assertEquals(0, harvest.run().started());

        assertEquals(1, queue.waitingCount(QueueName.GATHER));
        assertEquals("Running", harvest.queries().findJob(job.id()).orElseThrow().status());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void waitingObjectsWhoseMessagesWereLostAreRequeuedOnceTheFetchQueueIsEmpty(Kind kind) throws Exception {
        open(kind);
        source("{\"guids\": [\"a\", \"b\"]}");
        HarvestJob job = harvest.createJob("src", true);
        drain(QueueName.GATHER);
        queue.purge(QueueName.FETCH);
        queue.publish(QueueName.FETCH, "unrelated-object-id");

        assertEquals(0, harvest.run().objectsRequeued(), "messages still wait: nothing is duplicated");
        queue.purge(QueueName.FETCH);
        assertEquals(2, harvest.run().objectsRequeued());
        drain(QueueName.FETCH);

        assertEquals("Finished", harvest.queries().findJob(job.id()).orElseThrow().status());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void twoRunsAtOnceStartEachPendingJobOnce(Kind kind) throws Exception {
        open(kind);
        for (String name : List.of("s1", "s2", "s3")) {
            harvest.createSource(SourceRequest.of(name, "http://" + name + ".example.org", ScriptedHarvester.NAME)
                    .withConfig("{\"guids\": [\"x\"]}"));
            harvest.createJob(name, false);
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch start = new CountDownLatch(1);
        List<java.util.concurrent.Future<Integer>> runs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            runs.add(pool.submit(() -> {
                start.await();
                return harvest.run().started();
            }));
        }
        start.countDown();
        int started = 0;
        for (var run : runs) {
            started += run.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();

        assertEquals(3, started);
        assertEquals(3, queue.waitingCount(QueueName.GATHER));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aRecordTheListingMissedButTheRemoteStillHasIsNotDeleted(Kind kind) throws Exception {
        open(kind);
        HarvestSource source = source("{\"guids\": [\"a\", \"b\", \"c\"]}");
        harvest.runTest("src");
        setConfig(source, "{\"guids\": [\"a\", \"b\"], \"still_there\": [\"c\"]}");

        JobReport report = harvest.runTest("src");

        assertEquals("COMPLETE/not modified", statusByGuid(report).get("c"));
        assertEquals(0, report.stats().count("deleted"));
        assertEquals("active", harvest.catalog().findDataset("ds-c").orElseThrow().state());
        assertEquals(3, harvest.queries().currentDatasetCount(source.id()));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aGatherCanAskWhichRemoteRecordsTheSourceAlreadyProvides(Kind kind) throws Exception {
        open(kind);
        HarvestSource source = source("{\"guids\": [\"a\", \"b\"]}");
        harvest.runTest("src");
        setConfig(source, "{\"emit_unknown_only\": [\"a\", \"b\", \"c\"], \"partial\": true}");

        JobReport report = harvest.runTest("src");

        assertEquals(Map.of("c", "COMPLETE/added"), statusByGuid(report));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aStackOverflowInAPluginErrorsTheObjectInsteadOfTheWorker(Kind kind) {
        open(kind);
        source("{\"guids\": [\"a\", \"b\"], \"overflow_in_import\": \"a\"}");

        JobReport report = harvest.runTest("src");

        assertEquals(Map.of("a", "ERROR/errored", "b", "COMPLETE/added"), statusByGuid(report));
        assertEquals(List.of("StackOverflowError: deep recursion importing a"),
                report.objectsWithErrors().get(0).errors());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void runTestWithAGuidHarvestsOnlyThatRecordAndTheJobFinishesWithTrueStatistics(Kind kind) throws Exception {
        open(kind);
        HarvestSource source = source("{\"count\": 1200}");

        JobReport report = harvest.runTest("src", java.util.Set.of("obj-01150"));

        assertEquals("Finished", report.job().status());
        assertEquals(Map.of("added", 1L, "updated", 0L, "not modified", 0L, "errored", 0L, "deleted", 0L),
                report.stats().counts(), "only the guid asked for has an object");
        assertEquals(List.of("obj-01150"), report.objects().stream().map(ObjectSummary::guid).toList());
        assertTrue(report.gatherErrors().isEmpty(), report.gatherErrors().toString());
        assertTrue(harvest.catalog().findDataset("ds-obj-01150").isPresent());
        assertFalse(harvest.catalog().findDataset("ds-obj-00001").isPresent());
        assertTrue(harvest.queries().lastErrorFreeJob(source.id(), "none").isEmpty(),
                "a harvest of some guids never becomes the start of the next incremental harvest");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void runTestWithAGuidDeletesNothingAndAnUnknownGuidIsAGatherErrorNamingIt(Kind kind) throws Exception {
        open(kind);
        source("{\"guids\": [\"a\", \"b\", \"c\"]}");
        assertEquals(3, harvest.runTest("src").stats().count("added"));

        JobReport report = harvest.runTest("src", new java.util.LinkedHashSet<>(List.of("b", "nope")));

        assertEquals("Finished", report.job().status());
        assertEquals(1, report.stats().count("updated"), "b is imported with forceImport");
        assertEquals(0, report.stats().count("deleted"), "a and c were not listed on purpose: nothing is deleted");
        assertEquals(List.of("Unknown GUID nope: the gather of source src did not list it"), report.gatherErrors());
        assertTrue(harvest.catalog().findDataset("ds-a").isPresent());
        JobReport full = harvest.runTest("src");
        assertEquals("Finished", full.job().status());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void objectsThatCannotBePublishedStayWaitingAndRunQueuesThemWithoutAGatherError(Kind kind) throws Exception {
        queue = new InMemoryHarvestQueue("engine-test");
        java.util.concurrent.atomic.AtomicBoolean fetchQueueDown = new java.util.concurrent.atomic.AtomicBoolean(true);
        dev.harvest.api.queue.HarvestQueue flaky = new dev.harvest.api.queue.HarvestQueue() {
            @Override
            public void publish(QueueName name, java.util.Collection<String> ids)
                    throws dev.harvest.api.queue.QueueException {
                if (name == QueueName.FETCH && fetchQueueDown.get()) {
                    throw new dev.harvest.api.queue.QueueException("fetch queue unreachable");
                }
                queue.publish(name, ids);
            }

            @Override
            public dev.harvest.api.queue.QueueConsumer consumer(QueueName name)
                    throws dev.harvest.api.queue.QueueException {
                return queue.consumer(name);
            }

            @Override
            public long purge(QueueName name) throws dev.harvest.api.queue.QueueException {
                return queue.purge(name);
            }

            @Override
            public long waitingCount(QueueName name) throws dev.harvest.api.queue.QueueException {
                return queue.waitingCount(name);
            }

            @Override
            public void close() {
                queue.close();
            }
        };
        harvest = Harvest.builder(TestDatabases.config(kind, Map.of())).discoverHarvesters(false)
                .harvester(new ScriptedHarvester()).queue(flaky).clock(clock).build();
        source("{\"guids\": [\"a\", \"b\"]}");
        HarvestJob job = harvest.createJob("src", true);
        drain(QueueName.GATHER);

        assertEquals(List.of(), harvest.queries().gatherErrors(job.id()), "the plugin did nothing wrong");
        assertEquals(Map.of("WAITING", 2L), harvest.queries().objectStateCounts(job.id()));
        fetchQueueDown.set(false);
        assertEquals(2, harvest.run().objectsRequeued());
        drain(QueueName.FETCH);
        assertEquals("Finished", harvest.queries().findJob(job.id()).orElseThrow().status());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aSlowImportKeepsItsObjectBecauseItsLeaseIsExtended(Kind kind) throws Exception {
        queue = new InMemoryHarvestQueue("engine-test");
        harvest = Harvest.builder(TestDatabases.config(kind, Map.of("harvest.object_lease_seconds", "2")))
                .discoverHarvesters(false).harvester(new ScriptedHarvester()).queue(queue)
                .clock(java.time.Clock.systemUTC()).build();
        source("{\"guids\": [\"a\"], \"import_delay_ms\": 4000}");
        HarvestJob job = harvest.createJob("src", true);
        drain(QueueName.GATHER);
        String objectId = harvest.queries().objectsOfJob(job.id(), false, 10).get(0).id();

        Thread slowWorker = new Thread(() -> harvest.engine().fetchMessage(objectId));
        slowWorker.start();
        Thread.sleep(2800); // past the 2 s lease: only the heartbeat keeps the object with the slow worker
        ClaimedBatch intruder = harvest.stores().objects().claim(List.of(objectId), Duration.ofSeconds(2));
        slowWorker.join(10_000);

        assertTrue(intruder.objects().isEmpty(), "a second worker took over an object whose worker was alive");
        assertEquals("COMPLETE/added", statusByGuid(harvest.report(job.id())).get("a"));
    }

    private void setConfig(HarvestSource source, String config) {
        ScriptedSites.setConfig(harvest, source, config);
    }

    private void drain(QueueName name) throws Exception {
        try (var consumer = queue.consumer(name)) {
            while (true) {
                var delivery = consumer.poll(Duration.ofMillis(50));
                if (delivery.isEmpty()) {
                    return;
                }
                String id = dev.harvest.api.queue.QueueMessages.id(name, delivery.get().body()).orElseThrow();
                if (name == QueueName.GATHER) {
                    harvest.engine().gatherMessage(id);
                } else {
                    harvest.engine().fetchMessage(id);
                }
                delivery.get().ack();
            }
        }
    }
}
