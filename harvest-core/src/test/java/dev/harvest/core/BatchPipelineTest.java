package dev.harvest.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.queue.QueueName;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.store.HarvestQueries.ObjectSummary;
import dev.harvest.core.testing.MutableClock;
import dev.harvest.core.testing.ScriptedHarvester;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The batched object pipeline: failures in the middle of a batch, redeliveries, unchanged records, aborts. */
class BatchPipelineTest {

    private final MutableClock clock = new MutableClock();
    private Harvest harvest;
    private InMemoryHarvestQueue queue;

    private Harvest open(Kind kind, Map<String, String> settings) {
        queue = new InMemoryHarvestQueue("batch-test");
        harvest = ScriptedSites.open(kind, settings, queue, clock);
        return harvest;
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

    private void setConfig(HarvestSource source, String config) {
        ScriptedSites.setConfig(harvest, source, config);
    }

    private static Map<String, String> statusByGuid(JobReport report) {
        return ScriptedSites.statusByGuid(report);
    }

    private static ObjectSummary object(JobReport report, String guid) {
        return report.objects().stream().filter(o -> o.guid().equals(guid)).findFirst().orElseThrow();
    }

    private boolean datasetExists(String name) throws Exception {
        return harvest.catalog().findDataset(name).isPresent();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aPluginExceptionACatalogConstraintViolationAndAFailedImportInOneBatchErrorOnlyThoseObjects(Kind kind)
            throws Exception {
        open(kind, Map.of());
        source("{\"guids\": [\"a\", \"b\", \"c\", \"d\", \"e\"], \"throw_in_fetch\": \"b\", \"long_title\": \"c\","
                + " \"fail_import\": \"d\"}");

        JobReport report = harvest.runTest("src");

        assertEquals(Map.of("a", "COMPLETE/added", "b", "ERROR/errored", "c", "ERROR/errored", "d", "ERROR/errored",
                "e", "COMPLETE/added"), statusByGuid(report));
        assertTrue(object(report, "c").errors().get(0).contains("Cannot create dataset ds-c"),
                object(report, "c").errors().toString());
        assertTrue(datasetExists("ds-a") && datasetExists("ds-e"), "the objects around the failures committed");
        assertFalse(datasetExists("ds-c"), "the failed insert was rolled back");
        assertEquals("Finished", report.job().status());
        assertEquals(2, report.stats().count("added"));
        assertEquals(3, report.stats().count("errored"));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aDatasetAndItsObjectCommitTogetherSoAnAddedDatasetStaysAdded(Kind kind) throws Exception {
        open(kind, Map.of());
        HarvestSource source = source("{\"guids\": [\"a\", \"b\"]}");
        HarvestJob job = harvest.createJob("src", true);
        harvest.engine().gatherWithoutPublishing(job.id());
        List<String> ids = harvest.queries().objectsOfJob(job.id(), false, 10).stream().map(ObjectSummary::id)
                .toList();

        harvest.engine().fetchBatch(ids);
        harvest.engine().fetchBatch(ids); // the same messages delivered again

        JobReport report = harvest.report(job.id());
        assertEquals(Map.of("a", "COMPLETE/added", "b", "COMPLETE/added"), statusByGuid(report));
        assertEquals(1, ScriptedHarvester.calls(source.id(), "a/import"), "a redelivery imports nothing twice");
        assertEquals(1, ScriptedHarvester.calls(source.id(), "b/import"));
        assertEquals("Finished", report.job().status());
    }

    /** PostgreSQL only: a constraint checked at commit needs its deferred triggers. */
    @Test
    void aBatchWhoseCommitFailsIsImportedOneObjectPerTransactionSoOnlyTheCulpritErrors() throws Exception {
        open(Kind.POSTGRESQL, Map.of());
        harvest.stores().database().inTransaction(session -> {
            session.doWork(connection -> {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("create function refuse_poison() returns trigger language plpgsql as $$"
                            + " begin if new.name = 'ds-poison' then raise exception 'poison refused at commit';"
                            + " end if; return null; end $$");
                    statement.execute("create constraint trigger poison_at_commit after insert on catalog_dataset"
                            + " deferrable initially deferred for each row execute function refuse_poison()");
                }
            });
            return null;
        });
        source("{\"guids\": [\"a\", \"poison\", \"b\"]}");

        JobReport report = harvest.runTest("src");

        assertEquals(Map.of("a", "COMPLETE/added", "poison", "ERROR/errored", "b", "COMPLETE/added"),
                statusByGuid(report));
        assertTrue(object(report, "poison").errors().get(0).contains("poison refused at commit"),
                object(report, "poison").errors().toString());
        assertTrue(datasetExists("ds-a") && datasetExists("ds-b"));
        assertFalse(datasetExists("ds-poison"));
        assertEquals(3, report.stats().count("added") + report.stats().count("errored"), "each object once");
    }

    /**
     * The chaos test's failure: the batch's commit lost its connection, and so did the object's own transaction of
     * the fallback, which then errored the object as if it were the culprit. A lost connection gives the batch back
     * instead, and the redelivered messages import every object. PostgreSQL only: a deferred trigger ends its own
     * session at commit, twice (a sequence counts across the rolled-back transactions).
     */
    @Test
    void aBatchThatLosesItsDatabaseConnectionIsGivenBackAndErrorsNoObject() throws Exception {
        open(Kind.POSTGRESQL, Map.of());
        harvest.stores().database().inTransaction(session -> {
            session.doWork(connection -> {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("create sequence session_kills");
                    statement.execute("create function end_session() returns trigger language plpgsql as $$"
                            + " begin if new.name = 'ds-kill' and nextval('session_kills') <= 2 then"
                            + " perform pg_terminate_backend(pg_backend_pid()); end if; return null; end $$");
                    statement.execute("create constraint trigger end_session_at_commit after insert on"
                            + " catalog_dataset deferrable initially deferred for each row execute function"
                            + " end_session()");
                }
            });
            return null;
        });
        source("{\"guids\": [\"a\", \"kill\", \"b\"]}");
        HarvestJob job = harvest.createJob("src", true);

        JobReport report = InProcessConsumers.untilJobEnds(harvest, queue, job.id(), 1);

        assertEquals(Map.of("a", "COMPLETE/added", "kill", "COMPLETE/added", "b", "COMPLETE/added"),
                statusByGuid(report), () -> report.objects().toString());
        assertEquals(3, report.stats().count("added"), "each object once");
        long nextKill = harvest.stores().database().read(session -> ((Number) session.createNativeQuery(
                "select nextval('session_kills')", Object.class).getSingleResult()).longValue());
        assertEquals(4, nextKill, "the trigger fired three times: two ended sessions, then the import that stayed");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void anUnchangedRemoteIsFinishedAtGatherWithoutFetchImportOrCatalogWrite(Kind kind) throws Exception {
        open(kind, Map.of());
        HarvestSource source = source("{\"guids\": [\"a\", \"b\"]}");
        harvest.runTest("src");
        String modifiedBefore = harvest.catalog().findDataset("ds-a").orElseThrow().string("metadata_modified");
        clock.advance(Duration.ofMinutes(5));

        JobReport second = harvest.runTest("src");

        assertEquals(Map.of("a", "COMPLETE/not modified", "b", "COMPLETE/not modified"), statusByGuid(second));
        assertEquals(1, ScriptedHarvester.calls(source.id(), "a/fetch"), "no second fetch");
        assertEquals(1, ScriptedHarvester.calls(source.id(), "a/import"), "no second import");
        assertEquals(modifiedBefore, harvest.catalog().findDataset("ds-a").orElseThrow().string("metadata_modified"));
        assertEquals("Finished", second.job().status());
        assertEquals(2, harvest.queries().currentDatasetCount(source.id()), "the first job's objects stay current");

        setConfig(source, "{\"guids\": [\"a\", \"b\"], \"content\": {\"b\": \"changed\"}}");
        JobReport third = harvest.runTest("src");
        assertEquals(Map.of("a", "COMPLETE/not modified", "b", "COMPLETE/updated"), statusByGuid(third),
                "a changed configuration is a change: both reach import, and the harvester decides");
        assertEquals(2, ScriptedHarvester.calls(source.id(), "a/import"));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aHarvesterThatDeclinesSkippingUnchangedRecordsImportsThemAgain(Kind kind) throws Exception {
        open(kind, Map.of());
        HarvestSource source = source("{\"guids\": [\"a\"], \"skip_unchanged\": false}");
        harvest.runTest("src");

        JobReport second = harvest.runTest("src");

        assertEquals(Map.of("a", "COMPLETE/not modified"), statusByGuid(second));
        assertEquals(2, ScriptedHarvester.calls(source.id(), "a/import"));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aPluginsOwnStatusDeleteExtraIsAnOrdinaryExtraNow(Kind kind) throws Exception {
        open(kind, Map.of());
        HarvestSource source = source("{\"guids\": [\"a\"], \"extras\": {\"a\": {\"status\": \"delete\"}}}");

        JobReport report = harvest.runTest("src");

        assertEquals(Map.of("a", "COMPLETE/added"), statusByGuid(report));
        assertEquals(1, ScriptedHarvester.calls(source.id(), "a/import"));
        assertTrue(datasetExists("ds-a"));
    }

    /**
     * PostgreSQL, the production database: a batch holds its job with a shared lock that an abort waits for. H2 has
     * no shared row lock (see docs/architecture.md).
     */
    @Test
    void abortingAJobWhileABatchImportsCountsEveryObjectExactlyOnce() throws Exception {
        int objects = 40;
        open(Kind.POSTGRESQL, Map.of("harvest.object_batch_size", "20"));
        String guids = IntStream.range(0, objects).mapToObj(i -> "\"g" + i + "\"").collect(Collectors.joining(", "));
        HarvestSource source = source("{\"guids\": [" + guids + "], \"import_delay_ms\": 25}");
        HarvestJob job = harvest.createJob("src", true);
        harvest.engine().gatherWithoutPublishing(job.id());
        List<String> ids = harvest.queries().objectsOfJob(job.id(), false, objects).stream().map(ObjectSummary::id)
                .toList();

        ExecutorService worker = Executors.newSingleThreadExecutor();
        Future<?> batches = worker.submit(() -> {
            harvest.engine().fetchBatch(ids.subList(0, 20));
            harvest.engine().fetchBatch(ids.subList(20, 40));
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        // the first import call comes after the batch's transaction took its shared lock on the job; the IMPORT state
        // alone is committed before that, so an abort seen then could still win the race
        while (IntStream.range(0, objects).noneMatch(i -> ScriptedHarvester.calls(source.id(), "g" + i + "/import") > 0)
                && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        harvest.abortJob(job.id());
        batches.get(60, TimeUnit.SECONDS);
        worker.shutdown();

        JobReport report = harvest.report(job.id());
        assertEquals("Aborted", report.job().status());
        long done = report.objects().stream().filter(o -> o.state().equals("COMPLETE")).count();
        long errored = report.objects().stream().filter(o -> o.state().equals("ERROR")).count();
        assertEquals(objects, done + errored);
        for (ObjectSummary object : report.objects()) {
            boolean abortError = object.errors().stream().anyMatch(e -> e.contains("was aborted"));
            assertEquals(object.state().equals("ERROR"), abortError,
                    object.guid() + " is " + object.state() + " with errors " + object.errors());
        }
        assertEquals(objects, report.stats().count("added") + report.stats().count("errored"),
                "the report counts every object exactly once");
        assertTrue(done >= 20, "the batch that was importing when the abort came committed whole: " + done);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void lateMessagesOfAnAbortedJobAreErroredInOneStatementAndImportNothing(Kind kind) throws Exception {
        open(kind, Map.of());
        source("{\"guids\": [\"a\", \"b\", \"c\"]}");
        HarvestJob job = harvest.createJob("src", true);
        harvest.engine().gatherMessage(job.id());
        harvest.abortJob("src");

        List<String> ids = harvest.queries().objectsOfJob(job.id(), false, 10).stream().map(ObjectSummary::id)
                .toList();
        harvest.engine().fetchBatch(ids);

        JobReport report = harvest.report(job.id());
        assertEquals(Map.of("a", "ERROR/errored", "b", "ERROR/errored", "c", "ERROR/errored"), statusByGuid(report));
        assertEquals(3, report.stats().count("errored"));
        assertFalse(datasetExists("ds-a"));
        assertEquals(3, queue.waitingCount(QueueName.FETCH), "the gather queued them; the abort does not unqueue");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void anObjectWhoseClaimIsLostMidBatchWritesNothingAndTheRestOfTheBatchCommits(Kind kind) throws Exception {
        queue = new InMemoryHarvestQueue("batch-test");
        Harvest[] site = new Harvest[1];
        // while importing "a", another worker takes "b" over (its lease expired, say): "b" must not be written
        ScriptedHarvester thief = new ScriptedHarvester() {
            @Override
            public dev.harvest.api.ImportOutcome importObject(dev.harvest.api.ImportContext context) throws Exception {
                if (context.object().guid().equals("a")) {
                    try (var connection = site[0].stores().database().dataSource().getConnection();
                            var steal = connection.prepareStatement("update harvest_object set claimed_by = 'thief'"
                                    + " where guid = 'b' and harvest_job_id = ?")) {
                        connection.setAutoCommit(true);
                        steal.setString(1, context.job().id());
                        steal.executeUpdate();
                    }
                }
                return super.importObject(context);
            }
        };
        harvest = Harvest.builder(TestDatabases.config(kind, Map.of())).discoverHarvesters(false).harvester(thief)
                .queue(queue).clock(clock).build();
        site[0] = harvest;
        source("{\"guids\": [\"a\", \"b\", \"c\"]}");

        JobReport report = harvest.runTest("src");

        Map<String, String> status = statusByGuid(report);
        assertEquals("COMPLETE/added", status.get("a"));
        assertEquals("COMPLETE/added", status.get("c"));
        assertEquals("IMPORT/null", status.get("b"), "b stays with the worker that took it over: " + status);
        assertTrue(datasetExists("ds-a") && datasetExists("ds-c"));
        assertFalse(datasetExists("ds-b"), "the worker that lost b's claim rolled its dataset back");
    }
}
