package dev.harvest.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.queue.QueueName;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ConsumerRunnerTest {

    @Test
    void aHandlerThatThrowsAnErrorGetsItsMessageBackAndTheWorkerCarriesOn() throws Exception {
        try (InMemoryHarvestQueue queue = new InMemoryHarvestQueue("consumer-test")) {
            AtomicBoolean failedOnce = new AtomicBoolean();
            List<String> handled = new CopyOnWriteArrayList<>();
            ConsumerRunner runner = new ConsumerRunner(queue, QueueName.FETCH, ids -> {
                if (ids.contains("poison") && failedOnce.compareAndSet(false, true)) {
                    throw new StackOverflowError("escaped a plugin");
                }
                handled.addAll(ids);
            }, 1, 1);
            queue.publish(QueueName.FETCH, List.of("poison", "next"));

            runner.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (handled.size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            runner.stop();

            assertTrue(failedOnce.get());
            assertEquals(List.of("next", "poison"), handled.stream().sorted().toList());
            assertEquals(2, runner.handledCount());
            assertEquals(0, queue.waitingCount(QueueName.FETCH));
        }
    }
}
