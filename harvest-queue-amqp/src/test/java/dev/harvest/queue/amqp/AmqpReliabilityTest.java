package dev.harvest.queue.amqp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import dev.harvest.api.queue.Delivery;
import dev.harvest.api.queue.QueueConsumer;
import dev.harvest.api.queue.QueueException;
import dev.harvest.api.queue.QueueMessages;
import dev.harvest.api.queue.QueueName;
import dev.harvest.testkit.ExternalServices;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the RabbitMQ backend adds over ckanext-harvest's: kept early messages, publisher confirms, prefetch, and
 * recovery from a connection the broker closed. Each test works on a site of its own and deletes its queues.
 */
class AmqpReliabilityTest {

    private static final Duration EXPECTED = Duration.ofSeconds(10);
    /** Short, so that recovery tests do not wait the default 5 s per reconnection attempt. */
    private static final Map<String, String> FAST_RECOVERY = Map.of(AmqpQueueConfig.RECOVERY_INTERVAL_MS, "200");

    private final List<AmqpHarvestQueue> openQueues = new ArrayList<>();
    private final List<String> policies = new ArrayList<>();
    private String siteId;

    @BeforeEach
    void requireBroker() {
        ExternalServices.requireRabbitMq();
        siteId = ExternalServices.uniqueSiteId("it-amqp");
    }

    @AfterEach
    void closeAndDeleteQueues() throws Exception {
        openQueues.forEach(AmqpHarvestQueue::close);
        for (String policy : policies) {
            RabbitMqTestBroker.clearPolicy(policy);
        }
        RabbitMqTestBroker.deleteQueues(siteId);
    }

    @Test
    void messagesPublishedBeforeAnyConsumerDeclaredTheQueueAreDelivered() throws Exception {
        String queueName = QueueName.FETCH.amqpQueueName(siteId);
        assertFalse(RabbitMqTestBroker.queueExists(queueName), "the site's queue must not exist before the test");
        List<String> ids = randomIds(5);

        AmqpHarvestQueue publisher = open(Map.of());
        publisher.publish(QueueName.FETCH, ids);
        publisher.close();

        AmqpHarvestQueue worker = open(Map.of());
        List<String> received = new ArrayList<>();
        try (QueueConsumer consumer = worker.consumer(QueueName.FETCH)) {
            for (int i = 0; i < ids.size(); i++) {
                Delivery delivery = expect(consumer);
                received.add(idOf(delivery));
                delivery.ack();
            }
        }
        assertEquals(ids, received);
    }

    @Test
    void publishedMessagesArePersistentAndRoutedWithTheNamesOfCkanextHarvest() throws Exception {
        String jobId = UUID.randomUUID().toString();
        open(Map.of()).publish(QueueName.GATHER, jobId);

        try (Connection side = RabbitMqTestBroker.sideConnection(); Channel channel = side.createChannel()) {
            GetResponse message = channel.basicGet("ckan.harvest." + siteId + ".gather", true);
            assertNotNull(message, "nothing waited in ckan.harvest." + siteId + ".gather");
            assertEquals("ckan.harvest", message.getEnvelope().getExchange());
            assertEquals("ckanext-harvest:" + siteId + ":harvest_job_id", message.getEnvelope().getRoutingKey());
            assertEquals(2, message.getProps().getDeliveryMode(), "delivery mode (2 = persistent)");
            assertArrayEquals(("{\"harvest_job_id\": \"" + jobId + "\"}").getBytes(StandardCharsets.UTF_8),
                    message.getBody());
        }
    }

    @Test
    void aMessagePublishedByCkanextHarvestItselfIsConsumed() throws Exception {
        AmqpHarvestQueue queue = open(Map.of());
        String objectId = UUID.randomUUID().toString();
        try (Connection side = RabbitMqTestBroker.sideConnection(); Channel channel = side.createChannel()) {
            // as queue.py publishes: to the exchange, with the routing key, delivery_mode=2
            channel.basicPublish("ckan.harvest", "ckanext-harvest:" + siteId + ":harvest_object_id",
                    new AMQP.BasicProperties.Builder().deliveryMode(2).build(),
                    ("{\"harvest_object_id\": \"" + objectId + "\"}").getBytes(StandardCharsets.UTF_8));
        }

        try (QueueConsumer consumer = queue.consumer(QueueName.FETCH)) {
            Delivery delivery = expect(consumer);
            assertEquals(objectId, idOf(delivery));
            delivery.ack();
        }
    }

    @Test
    void aMessageTheBrokerRefusesIsAQueueExceptionNotASilentLoss() throws Exception {
        RabbitMqTestBroker.requireRabbitmqctl();
        AmqpHarvestQueue queue = open(Map.of());
        String policy = "harvest-test-reject-" + siteId;
        policies.add(policy);
        RabbitMqTestBroker.setQueuePolicy(policy, "^ckan\\.harvest\\." + siteId + "\\.fetch$",
                "{\"max-length\":1,\"overflow\":\"reject-publish\"}");

        queue.publish(QueueName.FETCH, UUID.randomUUID().toString());
        // the broker applies a new policy asynchronously; once it does, every further message is nacked
        List<QueueException> refusals = new ArrayList<>();
        RabbitMqTestBroker.awaitCondition("the broker refuses a message over max-length", EXPECTED, () -> {
            try {
                queue.publish(QueueName.FETCH, UUID.randomUUID().toString());
                return false;
            } catch (QueueException e) {
                refusals.add(e);
                return true;
            }
        });

        assertTrue(refusals.get(0).getMessage().contains("RabbitMQ did not confirm"), refusals.get(0).getMessage());
        assertEquals(1, queue.waitingCount(QueueName.FETCH));
        // a refusal closes the publishing channel; the next publish opens another
        RabbitMqTestBroker.clearPolicy(policy);
        policies.remove(policy);
        RabbitMqTestBroker.awaitCondition("a publish succeeds again", EXPECTED, () -> {
            try {
                queue.publish(QueueName.FETCH, UUID.randomUUID().toString());
                return true;
            } catch (QueueException e) {
                return false;
            }
        });
    }

    @Test
    void publishingAfterTheBrokerClosedTheConnectionFailsLoudlyWhenRecoveryIsOff() throws Exception {
        RabbitMqTestBroker.requireRabbitmqctl();
        AmqpQueueConfig config = AmqpQueueConfig.from(RabbitMqTestBroker.settings(siteId)).withoutAutomaticRecovery();
        AmqpHarvestQueue queue = AmqpHarvestQueue.open(config);
        openQueues.add(queue);

        RabbitMqTestBroker.closeConnectionsNamed(queue.connectionName());
        RabbitMqTestBroker.awaitCondition("the client notices the closed connection", EXPECTED,
                () -> queue.connectionLosses() == 1);
        assertFalse(queue.connection().isOpen(), "without recovery the connection stays closed");

        QueueException failure = assertThrows(QueueException.class,
                () -> queue.publish(QueueName.FETCH, UUID.randomUUID().toString()));
        assertTrue(failure.getMessage().contains("connection"), failure.getMessage());
    }

    @Test
    void aVirtualHostThatDoesNotExistIsAQueueExceptionNamingTheKey() {
        QueueException failure = assertThrows(QueueException.class, () -> open(
                Map.of(AmqpQueueConfig.VIRTUAL_HOST, "/no-such-vhost-" + siteId)));

        assertTrue(failure.getMessage().contains("ckan.harvest.mq.virtual_host"), failure.getMessage());
        assertTrue(failure.getMessage().contains("/no-such-vhost-" + siteId), failure.getMessage());
    }

    @Test
    void aPortNobodyListensOnIsAQueueExceptionNamingHostAndPort() {
        QueueException failure = assertThrows(QueueException.class, () -> open(
                Map.of(AmqpQueueConfig.PORT, "1", AmqpQueueConfig.CONNECTION_TIMEOUT_MS, "2000")));

        assertTrue(failure.getMessage().contains("ckan.harvest.mq.hostname and ckan.harvest.mq.port"),
                failure.getMessage());
    }

    @Test
    void theGatherQueueKeepsADuplicateJobIdWhichTheEnginesCompareAndSetMakesHarmless() throws Exception {
        AmqpHarvestQueue queue = open(Map.of());
        String jobId = UUID.randomUUID().toString();
        queue.publish(QueueName.GATHER, jobId);
        queue.publish(QueueName.GATHER, jobId);

        // AMQP cannot look into or remove waiting messages, so unlike Redis both copies wait
        assertEquals(2, queue.waitingCount(QueueName.GATHER));
        try (QueueConsumer consumer = queue.consumer(QueueName.GATHER)) {
            for (int i = 0; i < 2; i++) {
                Delivery delivery = expect(consumer);
                assertEquals(jobId, QueueMessages.id(QueueName.GATHER, delivery.body()).orElseThrow());
                delivery.ack();
            }
        }
    }

    @Test
    void prefetchSpreadsAHundredMessagesAcrossTwoConsumers() throws Exception {
        AmqpHarvestQueue queue = open(Map.of(AmqpQueueConfig.PREFETCH, "10"));
        List<String> ids = randomIds(100);
        queue.publish(QueueName.FETCH, ids);

        try (QueueConsumer first = queue.consumer(QueueName.FETCH);
                QueueConsumer second = queue.consumer(QueueName.FETCH)) {
            // without basic.qos the broker would push all 100 to the first consumer that subscribes
            Delivery firstOfFirst = expect(first);
            assertEquals(90, queue.waitingCount(QueueName.FETCH), "waiting after the first consumer's poll");
            Delivery firstOfSecond = expect(second);
            assertEquals(80, queue.waitingCount(QueueName.FETCH), "waiting after the second consumer's poll");
            firstOfFirst.ack();
            firstOfSecond.ack();

            Set<String> received = ConcurrentHashMap.newKeySet();
            received.add(idOf(firstOfFirst));
            received.add(idOf(firstOfSecond));
            ExecutorService executor = Executors.newFixedThreadPool(2);
            try {
                Future<Integer> byFirst = executor.submit(() -> 1 + drain(first, received, ids.size()));
                Future<Integer> bySecond = executor.submit(() -> 1 + drain(second, received, ids.size()));
                int firstCount = byFirst.get(1, TimeUnit.MINUTES);
                int secondCount = bySecond.get(1, TimeUnit.MINUTES);

                assertEquals(Set.copyOf(ids), received);
                assertEquals(100, firstCount + secondCount, "deliveries: " + firstCount + " + " + secondCount);
                assertTrue(firstCount >= 10 && secondCount >= 10,
                        "each consumer took at least one prefetch: " + firstCount + " and " + secondCount);
            } finally {
                executor.shutdownNow();
            }
        }
        assertEquals(0, queue.waitingCount(QueueName.FETCH));
    }

    /**
     * The broker closes the connection while two workers consume and a third holds three deliveries unacknowledged.
     * The workers are parked at the moment of the close, so that no acknowledgement is on the wire: then every id must
     * be acknowledged exactly once, the held deliveries' acknowledgements must fail (their tags died with the
     * channel) and those messages must come back marked as redelivered.
     */
    @Test
    void aConnectionClosedByTheBrokerMidConsumptionRecoversAndEveryMessageIsAcknowledgedExactlyOnce()
            throws Exception {
        RabbitMqTestBroker.requireRabbitmqctl();
        AmqpHarvestQueue queue = open(Map.of(AmqpQueueConfig.PREFETCH, "5"));
        List<String> ids = randomIds(200);
        queue.publish(QueueName.FETCH, ids.subList(0, 150));

        QueueConsumer holder = queue.consumer(QueueName.FETCH);
        List<Delivery> held = List.of(expect(holder), expect(holder), expect(holder));
        Set<String> heldIds = new HashSet<>();
        held.forEach(delivery -> heldIds.add(idOf(delivery)));

        Map<String, AtomicInteger> acknowledgements = new ConcurrentHashMap<>();
        Set<String> redeliveredIds = ConcurrentHashMap.newKeySet();
        AtomicInteger pollFailures = new AtomicInteger();
        CountDownLatch fiftyAcknowledged = new CountDownLatch(50);
        CountDownLatch resume = new CountDownLatch(1);
        CountDownLatch bothParked = new CountDownLatch(2);
        ExecutorService executor = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                workers.add(executor.submit(() -> {
                    try (QueueConsumer consumer = queue.consumer(QueueName.FETCH)) {
                        boolean parked = false;
                        while (acknowledgements.size() < ids.size()) {
                            if (!parked && fiftyAcknowledged.getCount() == 0) {
                                parked = true;
                                bothParked.countDown();
                                resume.await();
                            }
                            Optional<Delivery> delivery;
                            try {
                                delivery = consumer.poll(Duration.ofMillis(200));
                            } catch (QueueException e) {
                                pollFailures.incrementAndGet(); // the connection is being recovered: try again
                                continue;
                            }
                            if (delivery.isEmpty()) {
                                continue;
                            }
                            String id = idOf(delivery.get());
                            if (delivery.get().redelivered()) {
                                redeliveredIds.add(id);
                            }
                            try {
                                delivery.get().ack();
                            } catch (QueueException e) {
                                continue; // not acknowledged: it comes back
                            }
                            acknowledgements.computeIfAbsent(id, key -> new AtomicInteger()).incrementAndGet();
                            fiftyAcknowledged.countDown();
                        }
                    }
                    return null;
                }));
            }
            assertTrue(bothParked.await(EXPECTED.toSeconds(), TimeUnit.SECONDS), "the workers did not park");

            assertEquals(1, RabbitMqTestBroker.closeConnectionsNamed(queue.connectionName()));
            RabbitMqTestBroker.awaitCondition("the client notices the closed connection", EXPECTED,
                    () -> queue.connectionLosses() == 1);
            for (Delivery delivery : held) {
                assertThrows(QueueException.class, delivery::ack,
                        "acknowledging a delivery whose channel the broker closed must fail");
            }
            resume.countDown();

            // the publisher recovers too: publishing the rest may fail while the connection is down, then succeeds
            RabbitMqTestBroker.awaitCondition("publishing works again after the recovery", EXPECTED, () -> {
                try {
                    queue.publish(QueueName.FETCH, ids.subList(150, 200));
                    return true;
                } catch (QueueException e) {
                    return false;
                }
            });
            for (Future<?> worker : workers) {
                worker.get(1, TimeUnit.MINUTES);
            }
        } finally {
            resume.countDown();
            executor.shutdownNow();
        }
        holder.close();

        assertEquals(Set.copyOf(ids), acknowledgements.keySet(), "acknowledged ids");
        acknowledgements.forEach((id, count) -> assertEquals(1, count.get(), "acknowledgements of " + id));
        assertTrue(redeliveredIds.containsAll(heldIds), "the held messages must come back marked as redelivered");
        assertEquals(0, queue.waitingCount(QueueName.FETCH));
        try (QueueConsumer late = queue.consumer(QueueName.FETCH)) {
            assertTrue(late.poll(Duration.ofMillis(500)).isEmpty(), "nothing may be left unacknowledged");
        }
        System.out.printf("broker-closed connection: %d ids acknowledged once each, %d redelivered, "
                + "%d polls failed during recovery%n", acknowledgements.size(), redeliveredIds.size(),
                pollFailures.get());
    }

    @Test
    void aBatchConsumerRaisesThePrefetchToItsBatchSizeAndTakesNoMoreThanThat() throws Exception {
        AmqpHarvestQueue queue = open(Map.of()); // the default prefetch of 1
        List<String> ids = randomIds(100);
        queue.publish(QueueName.FETCH, ids);

        try (QueueConsumer consumer = queue.consumer(QueueName.FETCH, 30)) {
            List<Delivery> batch = consumer.pollBatch(30, EXPECTED);
            assertEquals(ids.subList(0, 30), batch.stream().map(AmqpReliabilityTest::idOf).toList());
            assertEquals(70, queue.waitingCount(QueueName.FETCH), "the consumer took more than its batch size");
            consumer.ackAll(batch);
        }
        try (QueueConsumer plain = queue.consumer(QueueName.FETCH)) {
            // A consumer opened without a batch size keeps the configured prefetch: its batches hold one message.
            List<Delivery> batch = plain.pollBatch(30, EXPECTED);
            assertEquals(List.of(ids.get(30)), batch.stream().map(AmqpReliabilityTest::idOf).toList());
            assertEquals(69, queue.waitingCount(QueueName.FETCH));
            plain.ackAll(batch);
        }
    }

    @Test
    void aConfiguredPrefetchAboveTheBatchSizeIsKeptAndWhatItBroughtServesTheNextBatch() throws Exception {
        AmqpHarvestQueue queue = open(Map.of(AmqpQueueConfig.PREFETCH, "25"));
        List<String> ids = randomIds(100);
        queue.publish(QueueName.FETCH, ids);

        try (QueueConsumer consumer = queue.consumer(QueueName.FETCH, 10)) {
            List<Delivery> first = consumer.pollBatch(10, EXPECTED);
            assertEquals(ids.subList(0, 10), first.stream().map(AmqpReliabilityTest::idOf).toList());
            assertEquals(75, queue.waitingCount(QueueName.FETCH), "one subscription brings the prefetch of 25");

            List<Delivery> second = consumer.pollBatch(10, EXPECTED);
            List<Delivery> third = consumer.pollBatch(10, EXPECTED);
            assertEquals(ids.subList(10, 20), second.stream().map(AmqpReliabilityTest::idOf).toList());
            assertEquals(ids.subList(20, 25), third.stream().map(AmqpReliabilityTest::idOf).toList(),
                    "the rest of what the subscription brought, without subscribing again");
            assertEquals(75, queue.waitingCount(QueueName.FETCH));
            consumer.ackAll(first);
            consumer.ackAll(second);
            consumer.ackAll(third);
        }
    }

    @Test
    void ackAllOfABatchWhoseChannelWasLostFailsAndTheBatchComesBack() throws Exception {
        AmqpHarvestQueue queue = open(Map.of());
        List<String> ids = randomIds(5);
        queue.publish(QueueName.FETCH, ids);

        AmqpQueueConsumer consumer = (AmqpQueueConsumer) queue.consumer(QueueName.FETCH, 5);
        List<Delivery> batch = consumer.pollBatch(5, EXPECTED);
        assertEquals(5, batch.size());
        consumer.abortChannel();

        QueueException failure = assertThrows(QueueException.class, () -> consumer.ackAll(batch));
        assertTrue(failure.getMessage().contains("re-queued"), failure.getMessage());
        assertEquals(4, failure.getSuppressed().length, "every delivery of the batch is reported");
        consumer.close();

        try (QueueConsumer next = queue.consumer(QueueName.FETCH, 5)) {
            List<Delivery> again = next.pollBatch(5, EXPECTED);
            assertEquals(Set.copyOf(ids), Set.copyOf(again.stream().map(AmqpReliabilityTest::idOf).toList()));
            assertTrue(again.stream().allMatch(Delivery::redelivered), "the batch must come back as redelivered");
            next.ackAll(again);
        }
        assertEquals(0, queue.waitingCount(QueueName.FETCH));
    }

    /**
     * A batch is held while the broker closes the connection; after the recovery the same consumer takes the
     * re-queued batch and the rest again, on the new channel. Acknowledging the old batch must fail and must not
     * acknowledge anything on the new channel, whose delivery tags it would otherwise name.
     */
    @Test
    void ackAllOfABatchFromBeforeARecoveryAcknowledgesNothingOnTheRecoveredChannel() throws Exception {
        RabbitMqTestBroker.requireRabbitmqctl();
        AmqpHarvestQueue queue = open(Map.of());
        List<String> ids = randomIds(20);
        queue.publish(QueueName.FETCH, ids);

        QueueConsumer consumer = queue.consumer(QueueName.FETCH, 10);
        List<Delivery> before = consumer.pollBatch(10, EXPECTED);
        assertEquals(10, before.size());

        assertEquals(1, RabbitMqTestBroker.closeConnectionsNamed(queue.connectionName()));
        RabbitMqTestBroker.awaitCondition("the client notices the closed connection", EXPECTED,
                () -> queue.connectionLosses() == 1);
        List<Delivery> after = new ArrayList<>();
        RabbitMqTestBroker.awaitCondition("all 20 messages are taken again on the recovered channel", EXPECTED,
                () -> {
                    try {
                        after.addAll(consumer.pollBatch(20 - after.size(), Duration.ofMillis(200)));
                    } catch (QueueException | InterruptedException e) {
                        // the connection is still being recovered: try again
                    }
                    return after.size() == 20;
                });

        assertThrows(QueueException.class, () -> consumer.ackAll(before));
        consumer.close();

        try (QueueConsumer next = queue.consumer(QueueName.FETCH, 20)) {
            List<Delivery> again = new ArrayList<>();
            while (again.size() < 20) {
                List<Delivery> batch = next.pollBatch(20 - again.size(), EXPECTED);
                assertFalse(batch.isEmpty(), "only " + again.size() + " of 20 messages came back: the stale "
                        + "acknowledgement reached the recovered channel");
                again.addAll(batch);
            }
            assertEquals(Set.copyOf(ids), Set.copyOf(again.stream().map(AmqpReliabilityTest::idOf).toList()));
            next.ackAll(again);
        }
        assertEquals(0, queue.waitingCount(QueueName.FETCH));
    }

    @Test
    void closingTheQueueWakesAWaitingConsumerWithAQueueException() throws Exception {
        AmqpHarvestQueue queue = open(Map.of());
        QueueConsumer consumer = queue.consumer(QueueName.GATHER);
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            CountDownLatch aboutToPoll = new CountDownLatch(1);
            Future<Optional<Delivery>> waiting = executor.submit(() -> {
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

    private int drain(QueueConsumer consumer, Set<String> received, int total) throws Exception {
        int count = 0;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (received.size() < total && System.nanoTime() < deadline) {
            Optional<Delivery> delivery = consumer.poll(Duration.ofMillis(200));
            if (delivery.isPresent()) {
                received.add(idOf(delivery.get()));
                delivery.get().ack();
                count++;
            }
        }
        return count;
    }

    private AmqpHarvestQueue open(Map<String, String> overrides) throws QueueException {
        Map<String, String> settings = new java.util.HashMap<>(FAST_RECOVERY);
        settings.putAll(overrides);
        AmqpHarvestQueue queue = (AmqpHarvestQueue) new AmqpQueueProvider()
                .open(RabbitMqTestBroker.settings(siteId, settings));
        openQueues.add(queue);
        return queue;
    }

    private static Delivery expect(QueueConsumer consumer) throws QueueException, InterruptedException {
        return consumer.poll(EXPECTED).orElseThrow(() -> new AssertionError("no message within " + EXPECTED));
    }

    private static String idOf(Delivery delivery) {
        return QueueMessages.id(QueueName.FETCH, delivery.body())
                .orElseThrow(() -> new AssertionError("not a fetch message: " + delivery.body()));
    }

    private static List<String> randomIds(int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(UUID.randomUUID().toString());
        }
        return ids;
    }
}
