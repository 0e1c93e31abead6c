package dev.harvest.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.queue.QueueName;
import dev.harvest.core.engine.ConsumerRunner;
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
 * Issue 13, failure 2: a gather and a fetch stop when their job is aborted or timed out, and a consumer stops within
 * seconds even mid-gather or mid-request, giving its work back so that another worker resumes it at once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CooperativeCancellationTest {

    private final MutableClock clock = new MutableClock();
    private final PagingHarvester paging = new PagingHarvester(clock);
    private InMemoryHarvestQueue queue;
    private Harvest harvest;

    private void open(Kind kind, Map<String, String> settings) {
        queue = new InMemoryHarvestQueue("cancel-test");
        harvest = paging.site(kind, settings, queue);
    }

    @AfterEach
    void close() {
        paging.release();
        if (harvest != null) {
            harvest.close();
        }
    }

    private HarvestSource source(String config) {
        return harvest.createSource(SourceRequest.of("remote", "http://remote.example.org/", PagingHarvester.NAME)
                .withConfig(config));
    }

    private CompletableFuture<JobReport> runTestInBackground(HarvestSource source) throws Exception {
        CompletableFuture<JobReport> report = CompletableFuture.supplyAsync(() -> harvest.runTest(source.name()));
        assertTrue(paging.held.await(30, TimeUnit.SECONDS), "the gather reached the page where it waits");
        return report;
    }

    private static long secondsToStop(ConsumerRunner consumer) {
        long stopping = System.nanoTime();
        consumer.stop();
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - stopping);
    }

    private Object gatherOwner(String jobId) {
        return harvest.stores().database().read(session -> session.createNativeQuery(
                "select gather_owner from harvest_job where id = :id", Object.class)
                .setParameter("id", jobId).getSingleResult());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void anAbortedJobsEndlessGatherStopsAtItsNextPage(Kind kind) throws Exception {
        open(kind, Map.of());
        HarvestSource source = source("{\"mode\": \"endless\", \"page\": 10, \"hold_at_page\": 2}");
        CompletableFuture<JobReport> running = runTestInBackground(source);

        harvest.abortJob(source.name());
        paging.release();

        JobReport report = running.get(30, TimeUnit.SECONDS);
        assertEquals("Aborted", report.job().status());
        assertEquals(2, paging.pages(source.id()), "no page was requested after the abort");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aGatherStopsOnceTheTimeoutMarkedItsJobFinished(Kind kind) throws Exception {
        open(kind, Map.of("ckan.harvest.timeout", "1"));
        HarvestSource source = source("{\"mode\": \"endless\", \"page\": 10, \"hold_at_page\": 2}");
        CompletableFuture<JobReport> running = runTestInBackground(source);

        clock.advance(Duration.ofMinutes(2));
        assertEquals(1, harvest.run().timedOut());
        paging.release();

        JobReport report = running.get(30, TimeUnit.SECONDS);
        assertEquals("Finished", report.job().status());
        assertEquals(2, paging.pages(source.id()), "no page was requested after the timeout");
        assertEquals(1, report.gatherErrors().size(), report.gatherErrors()::toString);
        assertTrue(report.gatherErrors().get(0).contains("timeout (1 minutes)"), report.gatherErrors()::toString);
        assertEquals(List.of(), report.objects(), "the records not yet written when the job stopped were dropped");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aGatherConsumerStopsWithinSecondsMidGatherAndTheNextConsumerFinishesTheJob(Kind kind) throws Exception {
        open(kind, Map.of());
        HarvestSource source = source("{\"mode\": \"finite\", \"pages\": 4, \"page\": 10, \"hold_at_page\": 2}");
        HarvestJob job = harvest.createJob(source.name(), true);
        ConsumerRunner gather = harvest.engine().consumer(queue, QueueName.GATHER, 1);
        gather.start();
        assertTrue(paging.held.await(30, TimeUnit.SECONDS));

        long stopSeconds = secondsToStop(gather);

        assertTrue(stopSeconds <= 6, "stopped in " + stopSeconds + " s");
        assertEquals("Running", harvest.queries().findJob(job.id()).orElseThrow().status());
        assertNull(gatherOwner(job.id()), "the gather was given back, not left to its lease");
        assertEquals(1, queue.waitingCount(QueueName.GATHER), "the gather message went back to the queue");

        paging.release();
        JobReport report = InProcessConsumers.untilJobEnds(harvest, queue, job.id(), 2);
        assertEquals("Finished", report.job().status());
        assertEquals(List.of(), report.gatherErrors());
        assertEquals(40, report.stats().count("added"), "each record once: the resumed gather skipped the stored ones");
        long objects = harvest.stores().database().read(session -> ((Number) session.createNativeQuery(
                "select count(*) from harvest_object where harvest_job_id = :j", Object.class)
                .setParameter("j", job.id()).getSingleResult()).longValue());
        assertEquals(40, objects);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aFetchThatAsksIsStoppedByTheAbortOfItsJob(Kind kind) throws Exception {
        open(kind, Map.of());
        HarvestSource source = source("{\"mode\": \"finite\", \"pages\": 1, \"page\": 1, \"fetch_blocks\": true}");
        HarvestJob job = harvest.createJob(source.name(), true);
        harvest.engine().gatherMessage(job.id());
        ConsumerRunner fetch = harvest.engine().consumer(queue, QueueName.FETCH, 1);
        fetch.start();
        try {
            assertTrue(paging.fetching.await(30, TimeUnit.SECONDS));
            harvest.abortJob(job.id());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (fetch.handledCount() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(1, fetch.handledCount(), "the fetch stopped and its batch was done within seconds");
        } finally {
            fetch.stop();
        }
        JobReport report = harvest.report(job.id());
        assertEquals("Aborted", report.job().status());
        assertEquals(1, report.stats().count("errored"));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aFetchConsumerStoppedMidRequestGivesItsObjectBackWithoutCountingTheAttempt(Kind kind) throws Exception {
        open(kind, Map.of());
        HarvestSource source = source("{\"mode\": \"finite\", \"pages\": 1, \"page\": 1, \"fetch_blocks\": true}");
        HarvestJob job = harvest.createJob(source.name(), true);
        harvest.engine().gatherMessage(job.id());
        ConsumerRunner fetch = harvest.engine().consumer(queue, QueueName.FETCH, 1);
        fetch.start();
        assertTrue(paging.fetching.await(30, TimeUnit.SECONDS));

        long stopSeconds = secondsToStop(fetch);

        assertTrue(stopSeconds <= 6, "stopped in " + stopSeconds + " s");
        assertEquals("WAITING/0", harvest.stores().database().read(session -> session.createNativeQuery(
                "select state || '/' || retry_times from harvest_object where harvest_job_id = :j", String.class)
                .setParameter("j", job.id()).getSingleResult()), "back, and the stop is no failed attempt"
                + " (harvest.retry_limit would end an object whose consumers restarted five times)");
        assertEquals(1, queue.waitingCount(QueueName.FETCH), "the message went back to the queue");
        assertEquals("Running", harvest.queries().findJob(job.id()).orElseThrow().status());
    }
}
