package dev.harvest.testkit.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.Settings;
import dev.harvest.api.queue.HarvestQueue;
import dev.harvest.api.queue.HarvestQueueProvider;
import dev.harvest.api.queue.QueueConsumer;
import dev.harvest.api.queue.QueueException;
import dev.harvest.api.queue.QueueName;
import dev.harvest.core.queue.InMemoryQueueProvider;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The queue contract against harvest-core's in-process queue: the testkit's proof that its own contract passes a
 * correct backend, and core's proof that its default queue keeps the contract.
 */
class InMemoryHarvestQueueTest extends HarvestQueueContract {

    InMemoryHarvestQueueTest() {
        // A dead polling thread is noticed by the next poll, so recovery is immediate.
        super(Duration.ofSeconds(2), true, true, true);
    }

    @Override
    protected HarvestQueue openQueue(String siteId) {
        return new InMemoryQueueProvider().open(settings(Map.of("ckan.site_id", siteId)));
    }

    @Override
    protected void abandon(HarvestQueue queue, QueueConsumer consumer) {
        // Nothing to do: the thread that polled the consumer has ended, which is how an in-process consumer dies.
    }

    @Override
    protected String siteIdPrefix() {
        return "memory";
    }

    @Test
    void theServiceLoaderFindsTheMemoryBackend() {
        List<String> types = ServiceLoader.load(HarvestQueueProvider.class).stream()
                .map(provider -> provider.get().type())
                .toList();
        assertTrue(types.contains(InMemoryQueueProvider.TYPE), "providers found: " + types);
    }

    @Test
    void closingTheQueueWakesAWaitingConsumerWithAnError() throws Exception {
        HarvestQueue queue = newSiteQueue();
        QueueConsumer consumer = queue.consumer(QueueName.FETCH);
        CountDownLatch aboutToPoll = new CountDownLatch(1);
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<Optional<?>> waiting = executor.submit(() -> {
                aboutToPoll.countDown();
                return consumer.poll(Duration.ofMinutes(1));
            });
            aboutToPoll.await();
            queue.close();

            var failure = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> waiting.get(10, TimeUnit.SECONDS));
            assertTrue(failure.getCause() instanceof QueueException, "poll failed with " + failure.getCause());
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void publishingToAClosedQueueFailsInsteadOfLosingTheMessage() {
        HarvestQueue queue = openQueue("memory-closed");
        queue.close();

        QueueException failure = assertThrows(QueueException.class, () -> queue.publish(QueueName.FETCH, "x"));
        assertTrue(failure.getMessage().contains("closed"), failure.getMessage());
    }

    @Test
    void aReleasedMessageGoesBackToTheHeadOfTheQueue() throws Exception {
        HarvestQueue queue = newSiteQueue();
        List<String> ids = randomIds(3);
        queue.publish(QueueName.FETCH, ids);

        try (QueueConsumer consumer = queue.consumer(QueueName.FETCH)) {
            expectDelivery(consumer).release();
            assertEquals(ids.get(0), idOf(QueueName.FETCH, expectDelivery(consumer)));
        }
    }

    private static Settings settings(Map<String, String> values) {
        return key -> Optional.ofNullable(values.get(key));
    }
}
