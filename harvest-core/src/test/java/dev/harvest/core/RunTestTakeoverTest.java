package dev.harvest.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.testing.MutableClock;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 13, failure 5: {@code run_test} aborted a live production job of its source (2,489 objects errored, exit 0),
 * and of two concurrent {@code run_test}s one printed {@code Aborted} without a reason. Now it refuses, naming the
 * job, while a live worker holds it, and takes over only a job whose leases expired.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RunTestTakeoverTest {

    private final MutableClock clock = new MutableClock();
    private final PagingHarvester paging = new PagingHarvester(clock);
    private Harvest harvest;

    private HarvestSource open(Kind kind, String config) {
        harvest = paging.site(kind, Map.of(), new InMemoryHarvestQueue("run-test-takeover"));
        return harvest.createSource(SourceRequest.of("prod", "http://remote.example.org/", PagingHarvester.NAME)
                .withConfig(config));
    }

    @AfterEach
    void close() {
        paging.release();
        if (harvest != null) {
            harvest.close();
        }
    }

    private String stateOfObjects(String jobId) {
        List<String> states = harvest.stores().database().read(session -> session.createNativeQuery(
                        "select distinct state from harvest_object where harvest_job_id = :j order by state",
                        String.class).setParameter("j", jobId).getResultList());
        return String.join(",", states);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void runTestRefusesAJobWhoseObjectsALiveWorkerHoldsAndNamesIt(Kind kind) {
        HarvestSource source = open(kind, "{\"mode\": \"finite\", \"pages\": 1, \"page\": 20}");
        HarvestJob production = harvest.createJob(source.name(), true);
        harvest.engine().gatherMessage(production.id());
        // a live consumer has claimed the objects (its heartbeat keeps the lease)
        List<String> ids = harvest.stores().objects().waitingObjectIds(production.id(), null, 50);
        harvest.stores().objects().claim(ids, Duration.ofSeconds(90));

        HarvestException refused = assertThrows(HarvestException.class, () -> harvest.runTest(source.name()));

        assertTrue(refused.getMessage().contains("Job " + production.id() + " of source prod is Running"),
                refused.getMessage());
        assertTrue(refused.getMessage().contains("20 of its objects are claimed"), refused.getMessage());
        assertTrue(refused.getMessage().contains("job_abort " + production.id()), refused.getMessage());
        assertEquals("Running", harvest.queries().findJob(production.id()).orElseThrow().status());
        assertEquals("FETCH", stateOfObjects(production.id()), "no object of the live job was errored");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void runTestTakesOverAJobWhoseWorkersLeasesExpired(Kind kind) {
        HarvestSource source = open(kind, "{\"mode\": \"finite\", \"pages\": 1, \"page\": 20}");
        HarvestJob abandoned = harvest.createJob(source.name(), true);
        harvest.engine().gatherMessage(abandoned.id());
        List<String> ids = harvest.stores().objects().waitingObjectIds(abandoned.id(), null, 50);
        harvest.stores().objects().claim(ids, Duration.ofSeconds(90));
        clock.advance(Duration.ofSeconds(91)); // the worker died: no heartbeat extended its lease

        JobReport report = harvest.runTest(source.name());

        assertNotEquals(abandoned.id(), report.job().id());
        assertEquals("Finished", report.job().status());
        assertEquals(20, report.stats().count("added"));
        assertEquals("Aborted", harvest.queries().findJob(abandoned.id()).orElseThrow().status());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aSecondConcurrentRunTestIsRefusedWithTheReasonAndTheFirstFinishes(Kind kind) throws Exception {
        HarvestSource source = open(kind, "{\"mode\": \"finite\", \"pages\": 3, \"page\": 10, \"hold_at_page\": 1}");
        CompletableFuture<JobReport> first = CompletableFuture.supplyAsync(() -> harvest.runTest(source.name()));
        assertTrue(paging.held.await(30, TimeUnit.SECONDS));

        HarvestException refused = assertThrows(HarvestException.class, () -> harvest.runTest(source.name()));
        paging.release();

        assertTrue(refused.getMessage().contains("its gather is held by a worker"), refused.getMessage());
        JobReport report = first.get(60, TimeUnit.SECONDS);
        assertEquals("Finished", report.job().status(), "the first run_test was not aborted");
        assertEquals(30, report.stats().count("added"));
        assertTrue(refused.getMessage().contains("Job " + report.job().id()), refused.getMessage());
    }
}
