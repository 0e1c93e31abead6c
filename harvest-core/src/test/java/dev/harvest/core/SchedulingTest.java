package dev.harvest.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.core.engine.Engine;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.store.JobStore.JobCreation;
import dev.harvest.core.testing.MutableClock;
import dev.harvest.core.testing.ScriptedHarvester;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code run} schedules sources by frequency (classic and cron) on H2 and the real PostgreSQL, with a clock the
 * tests set; and a source never has more than one New or Running job, whoever creates jobs concurrently.
 */
class SchedulingTest {

    private final MutableClock clock = new MutableClock();
    private Harvest harvest;

    @AfterEach
    void close() {
        if (harvest != null) {
            harvest.close();
        }
    }

    private Harvest open(Kind kind) {
        harvest = Harvest.builder(TestDatabases.config(kind, Map.of("harvest.db.pool_size", "4")))
                .discoverHarvesters(false)
                .harvester(new ScriptedHarvester())
                .queue(new InMemoryHarvestQueue("scheduling-test"))
                .clock(clock)
                .build();
        return harvest;
    }

    private void setClock(String utc) {
        clock.set(LocalDateTime.parse(utc).toInstant(ZoneOffset.UTC));
    }

    private HarvestSource source(String name, String frequency) {
        return harvest.createSource(new SourceForm(name, "http://" + name + ".example.org/", ScriptedHarvester.NAME,
                null, null, null, frequency, "{\"guids\": [\"a\"]}"));
    }

    private List<HarvestJob> jobs(HarvestSource source) {
        return harvest.jobs(source.id());
    }

    /** Ends the source's pending job, as a finished harvest would, so that the next one may be created. */
    private void endPendingJob(HarvestSource source) {
        harvest.abortJob(source.id());
    }

    private LocalDateTime nextRun(HarvestSource source) {
        return harvest.stores().database().read(session -> session.createNativeQuery(
                        "select next_run from harvest_source where id = :id", LocalDateTime.class)
                .setParameter("id", source.id())
                .getSingleResult());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aDailySourceGetsAJobAtItsFirstRunAndTheNextOneADayLaterNotBefore(Kind kind) {
        open(kind);
        setClock("2026-06-01T10:00:00");
        HarvestSource source = source("daily", "daily");

        assertEquals(1, harvest.run().scheduled());
        assertEquals(List.of("Running"), jobs(source).stream().map(HarvestJob::status).toList());
        assertEquals(LocalDateTime.parse("2026-06-02T10:00:00"), nextRun(source));
        endPendingJob(source);

        setClock("2026-06-02T09:59:59");
        assertEquals(0, harvest.run().scheduled());
        setClock("2026-06-02T10:00:00");
        assertEquals(1, harvest.run().scheduled());
        assertEquals(2, jobs(source).size());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aMonthlySourceScheduledOnJanuaryThe31stIsNextDueOnMarchThe3rdAsCkanextHarvestComputesIt(Kind kind) {
        open(kind);
        setClock("2026-01-31T10:00:00");
        HarvestSource source = source("monthly", "MONTHLY");
        harvest.run();
        endPendingJob(source);
        assertEquals(LocalDateTime.parse("2026-03-03T10:00:00"), nextRun(source), "31 January + 31 days");

        setClock("2026-03-03T09:00:00");
        assertEquals(0, harvest.run().scheduled());
        setClock("2026-03-03T10:00:00");
        assertEquals(1, harvest.run().scheduled());
        assertEquals(LocalDateTime.parse("2026-04-03T10:00:00"), nextRun(source), "3 March + 31 days");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aClassicSourceWithAPendingJobGetsNoSecondJobAndItsNextRunMovesOnAsInCkanextHarvest(Kind kind) {
        open(kind);
        setClock("2026-06-01T10:00:00");
        HarvestSource source = source("always", "ALWAYS");
        harvest.run();
        setClock("2026-06-01T10:15:00");

        assertEquals(0, harvest.run().scheduled());

        assertEquals(1, jobs(source).size());
        assertEquals(LocalDateTime.parse("2026-06-01T10:15:00"), nextRun(source));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aCronSourceGetsAJobOnceAScheduledInstantHasPassedSinceItsLastJob(Kind kind) {
        open(kind);
        setClock("2026-06-01T12:00:00");
        HarvestSource source = source("nightly", "0 3 * * * Europe/Paris");
        assertEquals("0 3 * * * Europe/Paris", harvest.source("nightly").frequency());

        setClock("2026-06-02T00:59:59"); // 02:59:59 in Paris
        assertEquals(0, harvest.run().scheduled(), "no 03:00 in Paris has passed since the source was created");
        setClock("2026-06-02T01:00:00");
        assertEquals(1, harvest.run().scheduled());
        assertEquals(LocalDateTime.parse("2026-06-03T01:00:00"), nextRun(source));
        endPendingJob(source);

        setClock("2026-06-02T01:30:00");
        assertEquals(0, harvest.run().scheduled());
        setClock("2026-06-03T01:00:00");
        assertEquals(1, harvest.run().scheduled());
        assertEquals(2, jobs(source).size());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aCronSourceStillRunningAtItsNextInstantCatchesUpOnceWhenItsJobEnds(Kind kind) {
        open(kind);
        setClock("2026-06-01T12:00:00");
        HarvestSource source = source("nightly", "0 3 * * *");
        setClock("2026-06-02T03:00:00");
        harvest.run();

        setClock("2026-06-03T03:05:00");
        assertEquals(0, harvest.run().scheduled(), "the job of 2 June is still running");
        endPendingJob(source);
        setClock("2026-06-03T04:00:00");
        assertEquals(1, harvest.run().scheduled(), "the run of 3 June is caught up");
        endPendingJob(source);
        setClock("2026-06-03T05:00:00");
        assertEquals(0, harvest.run().scheduled(), "and only once");
        assertEquals(2, jobs(source).size());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aManualJobCountsAsTheLastJobOfACronSource(Kind kind) {
        open(kind);
        setClock("2026-06-01T12:00:00");
        HarvestSource source = source("nightly", "0 3 * * *");
        setClock("2026-06-02T02:00:00");
        harvest.createJob(source.id(), true);
        endPendingJob(source);

        setClock("2026-06-02T02:30:00");
        assertEquals(0, harvest.run().scheduled());
        setClock("2026-06-02T03:00:00");
        assertEquals(1, harvest.run().scheduled(), "03:00 passed since the manual job of 02:00");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void creatingOrUpdatingASourceWithABadFrequencyFailsWithOneLineNamingTheProblem(Kind kind) {
        open(kind);
        HarvestException bad = assertThrows(HarvestException.class, () -> source("bad", "0 3 * * * Mars/Olympus"));
        assertEquals("Validation error: frequency: Invalid cron expression '0 3 * * * Mars/Olympus': unknown time zone"
                + " 'Mars/Olympus' (an IANA zone such as Europe/Paris or UTC)", bad.getMessage());
        HarvestSource source = source("good", "weekly");
        HarvestException badUpdate = assertThrows(HarvestException.class, () -> harvest.updateSource("good",
                new SourceUpdate(null, null, null, "0 24 * * *", null, null)));
        assertTrue(badUpdate.getMessage().startsWith("Validation error: frequency: Invalid cron expression"
                + " '0 24 * * *': "), badUpdate.getMessage());
        assertEquals(1, badUpdate.getMessage().lines().count());

        harvest.updateSource("good", new SourceUpdate(null, null, null, "30  2 * * 1-5   europe/paris", null, null));

        assertEquals("30 2 * * 1-5 Europe/Paris", harvest.source(source.id()).frequency());
    }

    /** PostgreSQL only: H2 has no partial index, and serialises creations with a lock on the source instead. */
    @Test
    void theDatabaseItselfRefusesASecondNewOrRunningJobForASource() throws Exception {
        open(Kind.POSTGRESQL);
        HarvestSource source = source("one", "MANUAL");
        harvest.createJob(source.id(), false);
        try (Connection connection = harvest.stores().database().dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            SQLException refused = assertThrows(SQLException.class, () -> statement.executeUpdate(
                    "insert into harvest_job (id, created, source_id, status) values ('second', current_timestamp, '"
                            + source.id() + "', 'Running')"));
            assertEquals("23505", refused.getSQLState(), refused.getMessage());
            statement.executeUpdate("insert into harvest_job (id, created, source_id, status) values ('old',"
                    + " current_timestamp, '" + source.id() + "', 'Finished')");
        }
        assertEquals(2, jobs(source).size(), "finished jobs are not limited");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void twoConcurrentRunsCreateOneJobPerDueSource(Kind kind) throws Exception {
        open(kind);
        setClock("2026-06-01T10:00:00");
        List<HarvestSource> sources = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            sources.add(source("src-" + i, i % 3 == 0 ? "ALWAYS" : i % 3 == 1 ? "DAILY" : "0 * * * *"));
        }
        setClock("2026-06-01T11:00:00");
        for (int round = 0; round < 3; round++) {
            int before = sources.stream().mapToInt(source -> jobs(source).size()).sum();

            List<Engine.RunSummary> summaries = concurrently(2, () -> harvest.run());

            int created = summaries.stream().mapToInt(Engine.RunSummary::scheduled).sum();
            int after = sources.stream().mapToInt(source -> jobs(source).size()).sum();
            assertEquals(after - before, created, "every job created was counted by one of the runs");
            for (HarvestSource source : sources) {
                long pending = jobs(source).stream().filter(job -> job.status().equals("New")
                        || job.status().equals("Running")).count();
                assertEquals(1, pending, "source " + source.name() + " in round " + round);
            }
            if (round == 0) {
                assertEquals(sources.size(), created, "each source was due once");
            }
            sources.forEach(this::endPendingJob);
            clock.advance(java.time.Duration.ofDays(1));
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void manyConcurrentCreationsForOneSourceCreateExactlyOneJob(Kind kind) throws Exception {
        open(kind);
        for (int round = 0; round < 5; round++) {
            HarvestSource source = source("race-" + round, "MANUAL");

            List<JobCreation> outcomes = concurrently(4, () -> harvest.stores().jobs().createJob(source.id()));

            assertEquals(1, outcomes.stream().filter(JobCreation.Created.class::isInstance).count(), outcomes.toString());
            assertEquals(3, outcomes.stream().filter(JobCreation.AlreadyPending.class::isInstance).count(),
                    outcomes.toString());
            assertEquals(1, jobs(source).size());
        }
    }

    /**
     * The guard is not a check-then-insert: a creation that starts while another transaction holds an uncommitted
     * pending job of the same source (so its "no pending job" check sees none) waits on the unique index and ends
     * as "already pending" when that transaction commits.
     */
    @Test
    void aCreationRacingAnUncommittedPendingJobWaitsForItAndEndsAlreadyPendingOnPostgresql() throws Exception {
        open(Kind.POSTGRESQL);
        HarvestSource source = source("racer", "MANUAL");
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (Connection first = harvest.stores().database().dataSource().getConnection();
                Connection observer = harvest.stores().database().dataSource().getConnection()) {
            first.setAutoCommit(false);
            try (PreparedStatement insert = first.prepareStatement("insert into harvest_job (id, created, source_id,"
                    + " status, full_listing) values (?, ?, ?, 'New', false)")) {
                insert.setString(1, "uncommitted-" + UUID.randomUUID());
                insert.setTimestamp(2, Timestamp.from(Instant.now()));
                insert.setString(3, source.id());
                insert.executeUpdate();
            }

            Future<JobCreation> racing = executor.submit(() -> harvest.stores().jobs().createJob(source.id()));
            awaitBlockedOnALock(observer);
            first.commit();

            JobCreation outcome = racing.get(30, TimeUnit.SECONDS);
            assertInstanceOf(JobCreation.AlreadyPending.class, outcome);
            assertEquals(1, jobs(source).size());
        } finally {
            executor.shutdownNow();
        }
    }

    /** Waits (bounded) until a session of this database waits on a lock: the racing insert on the unique index. */
    private static void awaitBlockedOnALock(Connection observer) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try (Statement statement = observer.createStatement();
                    var rows = statement.executeQuery("select count(*) from pg_stat_activity where datname ="
                            + " current_database() and wait_event_type = 'Lock' and query like 'insert into harvest_job%'")) {
                rows.next();
                if (rows.getInt(1) > 0) {
                    return;
                }
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("the racing creation never waited on the pending job's index entry");
    }

    /** Runs the same work in {@code threads} threads released together, and returns their results. */
    private static <T> List<T> concurrently(int threads, Callable<T> work) throws Exception {
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        try {
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(executor.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return work.call();
                }));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get(60, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            executor.shutdownNow();
        }
    }
}
