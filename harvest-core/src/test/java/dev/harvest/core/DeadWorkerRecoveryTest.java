package dev.harvest.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.queue.QueueName;
import dev.harvest.core.engine.ConsumerRunner;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.testing.MutableClock;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 13, failure 8: the objects a SIGKILLed fetch consumer had claimed used to wait out a 600 s lease. With the
 * default settings they are back in work 90 s after the claim, and the job finishes with only {@code run} and a
 * surviving consumer.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DeadWorkerRecoveryTest {

    private final MutableClock clock = new MutableClock();
    private InMemoryHarvestQueue queue;
    private Harvest harvest;

    @AfterEach
    void close() {
        if (harvest != null) {
            harvest.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aDeadWorkersClaimedObjectsAreBackInWorkWithinNinetySecondsByDefault(Kind kind) throws Exception {
        queue = new InMemoryHarvestQueue("dead-worker-test");
        harvest = ScriptedSites.open(kind, Map.of(), queue, clock);
        ScriptedSites.source(harvest, "{\"guids\": [\"a\", \"b\", \"c\", \"d\", \"e\"]}");
        HarvestJob job = harvest.createJob("src", true);
        harvest.engine().gatherMessage(job.id());
        Duration lease = Duration.ofSeconds(Long.parseLong(harvest.settings().get("harvest.object_lease_seconds",
                null)));
        assertEquals(Duration.ofSeconds(90), lease);

        // a fetch consumer takes the five messages, claims the objects with the configured lease, and is SIGKILLed
        queue.purge(QueueName.FETCH);
        List<String> ids = harvest.stores().objects().waitingObjectIds(job.id(), null, 10);
        harvest.stores().objects().claim(ids, lease);

        clock.advance(Duration.ofSeconds(89));
        assertEquals(0, harvest.run().objectsRequeued(), "a claim younger than its lease may still be alive");
        clock.advance(Duration.ofSeconds(2));
        assertEquals(5, harvest.run().objectsRequeued(), "91 s after the claim, every object is back in the queue");

        ConsumerRunner survivor = harvest.engine().consumer(queue, QueueName.FETCH, 1);
        survivor.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!harvest.queries().findJob(job.id()).orElseThrow().status().equals("Finished")
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        } finally {
            survivor.stop();
        }
        JobReport report = harvest.report(job.id());
        assertEquals("Finished", report.job().status());
        assertEquals(5, report.stats().count("added"));
        assertEquals(0, report.stats().count("errored"));
    }
}
