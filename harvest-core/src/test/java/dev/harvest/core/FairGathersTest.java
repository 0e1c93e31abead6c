package dev.harvest.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.queue.QueueName;
import dev.harvest.core.engine.ConsumerRunner;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.testing.MutableClock;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 13, failure 10 (the engine's side): a source whose remote hangs holds at most one gather thread, however
 * many messages of its job wait (one pending job per source, and a duplicate message of a job being gathered is
 * dropped at once instead of waiting for it), so the other sources' gathers go on; as many hanging sources as there
 * are gather threads give their slots to the other sources once they count as stalled; and the gather's wall-time
 * bound ends the hang.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FairGathersTest {

    private final MutableClock clock = new MutableClock();
    private final PagingHarvester paging = new PagingHarvester(clock);
    private InMemoryHarvestQueue queue;
    private Harvest harvest;

    @AfterEach
    void close() {
        paging.release();
        if (harvest != null) {
            harvest.close();
        }
    }

    private HarvestSource source(String name, String config) {
        return harvest.createSource(SourceRequest.of(name, "http://" + name + ".example.org/", PagingHarvester.NAME)
                .withConfig(config));
    }

    private String status(HarvestJob job) {
        return harvest.queries().findJob(job.id()).orElseThrow().status();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aHangingSourceHoldsOneGatherThreadAndTheOtherSourcesAreGathered(Kind kind) throws Exception {
        queue = new InMemoryHarvestQueue("fair-gathers");
        harvest = paging.site(kind, Map.of(), queue);
        source("hanging", "{\"mode\": \"finite\", \"pages\": 2, \"page\": 10, \"hold_at_page\": 1}");
        HarvestJob hanging = harvest.createJob("hanging", true);
        // the hanging job's message arrives three more times (cron re-sends, duplicates)
        queue.publish(QueueName.GATHER, List.of(hanging.id(), hanging.id(), hanging.id()));
        ConsumerRunner gather = harvest.engine().consumer(queue, QueueName.GATHER, 2);
        ConsumerRunner fetch = harvest.engine().consumer(queue, QueueName.FETCH, 1);
        gather.start();
        fetch.start();
        try {
            assertTrue(paging.held.await(30, TimeUnit.SECONDS), "the hanging source's gather is stuck");
            List<HarvestJob> others = List.of(
                    createAndStart("quick-1"), createAndStart("quick-2"), createAndStart("quick-3"));

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (others.stream().anyMatch(job -> !status(job).equals("Finished")) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }

            for (HarvestJob job : others) {
                assertEquals("Finished", status(job), "the other sources were gathered while one hangs");
                assertEquals(5, harvest.report(job.id()).stats().count("added"));
            }
            assertEquals("Running", status(hanging), "the hanging source is still gathering");
            assertEquals(0, queue.waitingCount(QueueName.GATHER), "its duplicate messages were dropped, not parked");
        } finally {
            paging.release();
            gather.stop();
            fetch.stop();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void asManyHangingSourcesAsGatherThreadsDoNotBlockTheOtherSourcesOnceTheyCountAsStalled(Kind kind)
            throws Exception {
        queue = new InMemoryHarvestQueue("stalled-gathers");
        harvest = paging.site(kind, Map.of("harvest.consumer.threads", "4"), queue);
        List<HarvestJob> hanging = new java.util.ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            source("hanging-" + i, "{\"mode\": \"finite\", \"pages\": 2, \"page\": 10, \"hold_at_page\": 1,"
                    + " \"prefix\": \"hanging-" + i + "\"}");
            hanging.add(harvest.createJob("hanging-" + i, true));
        }
        int threads = Integer.parseInt(harvest.settings().get("harvest.consumer.threads", null));
        ConsumerRunner gather = harvest.engine().consumer(queue, QueueName.GATHER, threads);
        ConsumerRunner fetch = harvest.engine().consumer(queue, QueueName.FETCH, 1);
        gather.start();
        fetch.start();
        try {
            long held = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (paging.holding.get() < 4 && System.nanoTime() < held) {
                Thread.sleep(20);
            }
            assertEquals(4, paging.holding.get(), "the four hanging gathers hold the four gather threads");
            List<HarvestJob> others = List.of(
                    createAndStart("quick-1"), createAndStart("quick-2"), createAndStart("quick-3"));
            assertEquals(0, gather.stalledCount(), "a gather that just began waiting is not stalled");

            // the hanging gathers made no progress for the stalled period (without sleeping: the engine's clock)
            clock.advance(java.time.Duration.ofSeconds(
                    Long.parseLong(harvest.settings().get("harvest.gather.stalled_after_seconds", null)) + 1));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (others.stream().anyMatch(job -> !status(job).equals("Finished")) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }

            for (HarvestJob job : others) {
                assertEquals("Finished", status(job), "the other sources were gathered while four hang");
                assertEquals(5, harvest.report(job.id()).stats().count("added"));
            }
            assertEquals(4, paging.holding.get(), "the four gathers still hang: the others did not wait for them");
            assertEquals(4, gather.stalledCount());
            assertEquals(8, gather.workerCount(), "four slots and four stalled gathers");
            for (HarvestJob job : hanging) {
                assertEquals("Running", status(job));
            }

            paging.release();
            long ended = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while ((hanging.stream().anyMatch(job -> !status(job).equals("Finished")) || gather.workerCount() > 4)
                    && System.nanoTime() < ended) {
                Thread.sleep(50);
            }
            for (HarvestJob job : hanging) {
                assertEquals("Finished", status(job), "a stalled gather that resumes finishes its job");
                assertEquals(20, harvest.report(job.id()).stats().count("added"));
            }
            assertEquals(4, gather.workerCount(), "the workers of the ended stalled gathers retired");
        } finally {
            paging.release();
            gather.stop();
            fetch.stop();
        }
    }

    private HarvestJob createAndStart(String name) {
        source(name, "{\"mode\": \"finite\", \"pages\": 1, \"page\": 5, \"prefix\": \"" + name + "\"}");
        return harvest.createJob(name, true);
    }
}
