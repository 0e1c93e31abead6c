package dev.harvest.queue.redis;

import static dev.harvest.queue.redis.RedisTestSupport.awaitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.queue.Delivery;
import dev.harvest.api.queue.HarvestQueue;
import dev.harvest.api.queue.QueueConsumer;
import dev.harvest.api.queue.QueueException;
import dev.harvest.api.queue.QueueMessages;
import dev.harvest.api.queue.QueueName;
import dev.harvest.testkit.ExternalServices;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;

/** What the Redis backend does beyond the contract: ckanext-harvest compatibility, recovery, lost connections. */
class RedisQueueBehaviourTest {

    private static final Logger LOGGER = LoggerFactory.getLogger(RedisQueueBehaviourTest.class);
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final String siteId = ExternalServices.uniqueSiteId("it-redis");
    private final List<HarvestQueue> queues = new ArrayList<>();
    private final List<String> otherKeys = new ArrayList<>();
    private Jedis jedis;

    @BeforeEach
    void connect() {
        ExternalServices.requireRedis();
        jedis = RedisTestSupport.jedis();
    }

    @AfterEach
    void cleanUp() {
        queues.forEach(HarvestQueue::close);
        if (jedis != null) {
            RedisTestSupport.deleteSiteKeys(siteId);
            otherKeys.forEach(jedis::del);
            jedis.close();
        }
    }

    @Test
    void aMessagePushedByPythonCkanextHarvestIsConsumedByteForByte() throws Exception {
        RedisHarvestQueue queue = open(Map.of());
        String objectId = UUID.randomUUID().toString();
        String pythonBody = "{\"harvest_object_id\": \"" + objectId + "\"}";
        jedis.rpush("ckanext-harvest:" + siteId + ":harvest_object_id", pythonBody);

        try (QueueConsumer consumer = queue.consumer(QueueName.FETCH)) {
            Delivery delivery = consumer.poll(WAIT).orElseThrow();
            assertEquals(pythonBody, delivery.body());
            assertEquals(Optional.of(objectId), QueueMessages.id(QueueName.FETCH, delivery.body()));
            delivery.ack();
        }
    }

    @Test
    void publishedMessagesAreTheExactBytesPythonCkanextHarvestReads() throws Exception {
        RedisHarvestQueue queue = open(Map.of());
        String jobId = UUID.randomUUID().toString();
        List<String> objectIds = List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString());

        queue.publish(QueueName.GATHER, jobId);
        queue.publish(QueueName.GATHER, jobId);
        queue.publish(QueueName.FETCH, objectIds);

        assertEquals(List.of("{\"harvest_job_id\": \"" + jobId + "\"}"),
                jedis.lrange("ckanext-harvest:" + siteId + ":harvest_job_id", 0, -1));
        assertEquals(List.of("{\"harvest_object_id\": \"" + objectIds.get(0) + "\"}",
                        "{\"harvest_object_id\": \"" + objectIds.get(1) + "\"}"),
                jedis.lrange("ckanext-harvest:" + siteId + ":harvest_object_id", 0, -1));
    }

    @Test
    void purgeLeavesUnrelatedKeysAndMessagesInFlight() throws Exception {
        // test_redis_queue_purging of ckanext-harvest, with keys of this test's own.
        String unrelatedGlobalKey = "ckanext-harvest:some-random-key-" + siteId;
        String unrelatedSiteKey = "ckanext-harvest:" + siteId + ":some-random-key";
        otherKeys.add(unrelatedGlobalKey);
        jedis.set(unrelatedGlobalKey, "foobar");
        jedis.set(unrelatedSiteKey, "foobar");
        RedisHarvestQueue queue = open(Map.of());
        queue.publish(QueueName.GATHER, List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString()));
        queue.publish(QueueName.FETCH, List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString()));
        QueueConsumer gather = queue.consumer(QueueName.GATHER);
        QueueConsumer fetch = queue.consumer(QueueName.FETCH);
        String gatherInFlight = gather.poll(WAIT).orElseThrow().body();
        String fetchInFlight = fetch.poll(WAIT).orElseThrow().body();

        assertEquals(1, queue.purge(QueueName.GATHER));
        assertEquals(1, queue.purge(QueueName.FETCH));

        assertEquals("foobar", jedis.get(unrelatedGlobalKey));
        assertEquals("foobar", jedis.get(unrelatedSiteKey));
        assertEquals(0, jedis.llen("ckanext-harvest:" + siteId + ":harvest_job_id"));
        assertEquals(0, jedis.llen("ckanext-harvest:" + siteId + ":harvest_object_id"));
        assertEquals(List.of(gatherInFlight), jedis.lrange(processingKey(QueueName.GATHER, gather), 0, -1));
        assertEquals(List.of(fetchInFlight), jedis.lrange(processingKey(QueueName.FETCH, fetch), 0, -1));
    }

    @Test
    void theBookkeepingKeysStayOutOfTheNamespaceThatCkanextHarvestResubmitJobsScans() throws Exception {
        RedisHarvestQueue queue = open(Map.of());
        queue.publish(QueueName.FETCH, UUID.randomUUID().toString());
        queue.publish(QueueName.GATHER, UUID.randomUUID().toString());
        QueueConsumer fetch = queue.consumer(QueueName.FETCH);
        QueueConsumer gather = queue.consumer(QueueName.GATHER);
        fetch.poll(WAIT).orElseThrow();
        gather.poll(WAIT).orElseThrow();

        List<String> keys = RedisTestSupport.siteKeys(jedis, siteId);
        assertTrue(keys.size() > 2, "expected processing, lease and consumer keys besides the lists: " + keys);
        for (String key : keys) {
            assertFalse(key.startsWith("ckanext-harvest:" + siteId + ":harvest_object_id:"), key);
            assertFalse(key.startsWith("ckanext-harvest:" + siteId + ":harvest_job_id:"), key);
        }
    }

    @Test
    void closingTheQueueReturnsItsMessagesAndLeavesNoBookkeepingBehind() throws Exception {
        RedisHarvestQueue queue = open(Map.of());
        String id = UUID.randomUUID().toString();
        queue.publish(QueueName.FETCH, id);
        queue.consumer(QueueName.FETCH).poll(WAIT).orElseThrow();

        queue.close();

        assertEquals(List.of("ckanext-harvest:" + siteId + ":harvest_object_id"),
                RedisTestSupport.siteKeys(jedis, siteId));
        assertEquals(List.of(QueueMessages.body(QueueName.FETCH, id)),
                jedis.lrange("ckanext-harvest:" + siteId + ":harvest_object_id", 0, -1));
    }

    @Test
    void recoverAbandonedReturnsTheMessagesOfAConsumerWhoseLeaseExpired() throws Exception {
        RedisHarvestQueue queue = open(Map.of(RedisQueueConfig.CONSUMER_LEASE_SECONDS, "1"));
        List<String> ids = List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString());
        queue.publish(QueueName.FETCH, ids);
        QueueConsumer dead = queue.consumer(QueueName.FETCH);
        dead.poll(WAIT).orElseThrow();
        dead.poll(WAIT).orElseThrow();
        String leaseKey = "ckanext-harvest:" + siteId + ":lease:harvest_object_id:" + ((RedisConsumer) dead).id();
        assertTrue(jedis.exists(leaseKey), "a live consumer has a lease");

        queue.stopHeartbeat(dead);
        awaitUntil("the lease of the dead consumer expired", WAIT, () -> !jedis.exists(leaseKey));

        // The periodic reaper only runs while this queue has live consumers, and it has none: this call returns them.
        assertEquals(2, queue.recoverAbandoned());
        assertEquals(List.of(QueueMessages.body(QueueName.FETCH, ids.get(0)),
                        QueueMessages.body(QueueName.FETCH, ids.get(1))),
                jedis.lrange("ckanext-harvest:" + siteId + ":harvest_object_id", 0, -1));
        assertFalse(jedis.sismember("ckanext-harvest:" + siteId + ":consumers:harvest_object_id",
                ((RedisConsumer) dead).id()));
        assertEquals(0, queue.recoverAbandoned());
    }

    @Test
    void aConsumerThatKeepsItsHeartbeatIsNeverReaped() throws Exception {
        RedisHarvestQueue queue = open(Map.of(RedisQueueConfig.CONSUMER_LEASE_SECONDS, "1"));
        queue.publish(QueueName.FETCH, UUID.randomUUID().toString());
        QueueConsumer slow = queue.consumer(QueueName.FETCH);
        Delivery held = slow.poll(WAIT).orElseThrow();

        // Hold the message for three lease periods, checking that nothing reclaims it meanwhile.
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < until) {
            assertEquals(0, queue.recoverAbandoned());
            assertEquals(0, queue.waitingCount(QueueName.FETCH));
            Thread.sleep(100);
        }
        held.ack();
        assertEquals(0, jedis.llen(processingKey(QueueName.FETCH, slow)));
    }

    @Test
    void aMessageWithANullIdIsDeliveredRawAndDoesNotBlockTheNext() throws Exception {
        // TestHarvestCorruptRedis: the original drops such a message at consume; we hand it to the engine.
        RedisHarvestQueue queue = open(Map.of());
        String nullBody = "{\"harvest_object_id\": null}";
        String objectId = UUID.randomUUID().toString();
        jedis.rpush("ckanext-harvest:" + siteId + ":harvest_object_id", nullBody,
                QueueMessages.body(QueueName.FETCH, objectId));

        try (QueueConsumer consumer = queue.consumer(QueueName.FETCH)) {
            Delivery corrupt = consumer.poll(WAIT).orElseThrow();
            assertEquals(nullBody, corrupt.body());
            assertEquals(Optional.empty(), QueueMessages.id(QueueName.FETCH, corrupt.body()));
            corrupt.ack();

            Delivery next = consumer.poll(WAIT).orElseThrow();
            assertEquals(Optional.of(objectId), QueueMessages.id(QueueName.FETCH, next.body()));
            next.ack();
        }
        assertEquals(0, queue.waitingCount(QueueName.FETCH));
    }

    @Test
    void consumersAndPublishersKeepWorkingAfterRedisKillsTheirConnections() throws Exception {
        keepWorkingWhileRedisKillsTheConnections(false);
    }

    @Test
    void batchConsumersKeepWorkingAfterRedisKillsTheirConnections() throws Exception {
        keepWorkingWhileRedisKillsTheConnections(true);
    }

    /** Two consumers, polling one by one or in batches of 50, while Redis kills every connection of the queue. */
    private void keepWorkingWhileRedisKillsTheConnections(boolean batches) throws Exception {
        RedisHarvestQueue queue = open(Map.of());
        String clientName = RedisQueueConfig.from(RedisTestSupport.settings(siteId, Map.of())).clientName();
        Map<String, Integer> received = new ConcurrentHashMap<>();
        AtomicInteger total = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService executor = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> consumers = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                consumers.add(executor.submit(() -> {
                    try (QueueConsumer consumer = queue.consumer(QueueName.FETCH, 50)) {
                        while (!stop.get()) {
                            List<Delivery> taken = batches ? consumer.pollBatch(50, Duration.ofMillis(500))
                                    : consumer.poll(Duration.ofMillis(500)).map(List::of).orElse(List.of());
                            for (Delivery delivery : taken) {
                                received.merge(delivery.body(), 1, Integer::sum);
                            }
                            total.addAndGet(taken.size());
                            consumer.ackAll(taken);
                        }
                    }
                    return null;
                }));
            }
            List<String> first = ids(10);
            queue.publish(QueueName.FETCH, first);
            awaitUntil("the first batch was consumed", WAIT, () -> total.get() == first.size());

            // Kill while the consumers wait in BLMOVE, then publish on a pool whose connections were all killed.
            assertTrue(RedisTestSupport.killConnections(clientName) > 0, "no connection named " + clientName);
            List<String> second = ids(10);
            queue.publish(QueueName.FETCH, second);
            awaitUntil("the second batch was consumed", WAIT, () -> total.get() == first.size() + second.size());

            // Kill again while a stream of messages is being taken and acknowledged.
            List<String> third = ids(2_000);
            queue.publish(QueueName.FETCH, third);
            int expected = first.size() + second.size() + third.size();
            awaitUntil("part of the third batch was consumed", WAIT, () -> total.get() > first.size() + 100);
            RedisTestSupport.killConnections(clientName);
            awaitUntil("the third batch was consumed", Duration.ofSeconds(60), () -> total.get() >= expected);

            stop.set(true);
            for (Future<?> consumer : consumers) {
                consumer.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
            Set<String> expectedBodies = new java.util.HashSet<>();
            for (List<String> batch : List.of(first, second, third)) {
                batch.forEach(id -> expectedBodies.add(QueueMessages.body(QueueName.FETCH, id)));
            }
            assertEquals(expectedBodies, received.keySet());
            assertEquals(expected, total.get(), "every message exactly once");
            assertEquals(0, queue.waitingCount(QueueName.FETCH));
        } finally {
            stop.set(true);
            executor.shutdownNow();
        }
    }

    @Test
    void everyMessageOfABatchWaitsInTheConsumersProcessingListUntilAcknowledged() throws Exception {
        RedisHarvestQueue queue = open(Map.of());
        List<String> ids = ids(5);
        queue.publish(QueueName.FETCH, ids);

        try (QueueConsumer consumer = queue.consumer(QueueName.FETCH, 10)) {
            List<Delivery> batch = consumer.pollBatch(10, WAIT);
            List<String> bodies = batch.stream().map(Delivery::body).toList();
            assertEquals(ids.stream().map(id -> QueueMessages.body(QueueName.FETCH, id)).toList(), bodies);
            assertEquals(bodies, jedis.lrange(processingKey(QueueName.FETCH, consumer), 0, -1));
            assertEquals(0, queue.waitingCount(QueueName.FETCH));

            consumer.ackAll(batch.subList(0, 2));
            assertEquals(bodies.subList(2, 5), jedis.lrange(processingKey(QueueName.FETCH, consumer), 0, -1));
            consumer.ackAll(batch);
            assertEquals(0, jedis.llen(processingKey(QueueName.FETCH, consumer)));
        }
    }

    @Test
    void aBatchOfRepeatedIdsIsAcknowledgedCopyByCopy() throws Exception {
        RedisHarvestQueue queue = open(Map.of());
        String repeated = UUID.randomUUID().toString();
        queue.publish(QueueName.FETCH, List.of(repeated, repeated, repeated));

        try (QueueConsumer consumer = queue.consumer(QueueName.FETCH, 3)) {
            List<Delivery> batch = consumer.pollBatch(3, WAIT);
            assertEquals(3, batch.size());
            consumer.ackAll(batch.subList(0, 2));
            assertEquals(1, jedis.llen(processingKey(QueueName.FETCH, consumer)), "one copy is still held");
            consumer.ackAll(batch);
            assertEquals(0, jedis.llen(processingKey(QueueName.FETCH, consumer)));
        }
    }

    @Test
    void recoverAbandonedReturnsTheWholeBatchOfAConsumerWhoseLeaseExpired() throws Exception {
        RedisHarvestQueue queue = open(Map.of(RedisQueueConfig.CONSUMER_LEASE_SECONDS, "1"));
        List<String> ids = ids(120);
        queue.publish(QueueName.FETCH, ids);
        QueueConsumer dead = queue.consumer(QueueName.FETCH, 100);
        assertEquals(100, dead.pollBatch(100, WAIT).size());
        String leaseKey = "ckanext-harvest:" + siteId + ":lease:harvest_object_id:" + ((RedisConsumer) dead).id();

        // As a SIGKILL would: the heartbeat stops, nothing is closed or acknowledged.
        queue.stopHeartbeat(dead);
        awaitUntil("the lease of the dead consumer expired", WAIT, () -> !jedis.exists(leaseKey));

        assertEquals(100, queue.recoverAbandoned());
        assertEquals(ids.stream().map(id -> QueueMessages.body(QueueName.FETCH, id)).toList(),
                jedis.lrange("ckanext-harvest:" + siteId + ":harvest_object_id", 0, -1),
                "the batch is back at the head of the queue, in its order, before the messages it left waiting");
        assertEquals(0, jedis.llen(processingKey(QueueName.FETCH, dead)));
    }

    /**
     * Not a test of speed (nothing is asserted about the times): moves 10,000 messages through Redis one poll and ack
     * at a time, then in batches of 100 with pollBatch and ackAll, and logs both.
     */
    @Test
    @Tag("benchmark")
    void movesTenThousandMessagesInBatchesOfAHundredAndOneByOne() throws Exception {
        RedisHarvestQueue queue = open(Map.of());
        int messages = 10_000;
        for (int round = 1; round <= 2; round++) {
            queue.publish(QueueName.FETCH, ids(messages));
            long singleNanos;
            try (QueueConsumer consumer = queue.consumer(QueueName.FETCH)) {
                long started = System.nanoTime();
                for (int i = 0; i < messages; i++) {
                    consumer.poll(WAIT).orElseThrow().ack();
                }
                singleNanos = System.nanoTime() - started;
            }
            queue.publish(QueueName.FETCH, ids(messages));
            long batchNanos;
            int batches = 0;
            try (QueueConsumer consumer = queue.consumer(QueueName.FETCH, 100)) {
                long started = System.nanoTime();
                for (int taken = 0; taken < messages; batches++) {
                    List<Delivery> batch = consumer.pollBatch(100, WAIT);
                    assertFalse(batch.isEmpty());
                    taken += batch.size();
                    consumer.ackAll(batch);
                }
                batchNanos = System.nanoTime() - started;
            }
            assertEquals(0, queue.waitingCount(QueueName.FETCH));
            LOGGER.info("BENCHMARK redis round {}: {} messages, poll+ack one by one {} ms ({} msg/s);"
                    + " pollBatch(100)+ackAll in {} batches {} ms ({} msg/s); {}x",
                    round, messages, TimeUnit.NANOSECONDS.toMillis(singleNanos), perSecond(messages, singleNanos),
                    batches, TimeUnit.NANOSECONDS.toMillis(batchNanos), perSecond(messages, batchNanos),
                    String.format(java.util.Locale.ROOT, "%.1f", (double) singleNanos / batchNanos));
        }
    }

    private static long perSecond(int messages, long nanos) {
        return Math.round(messages / (nanos / 1e9));
    }

    @Test
    void anUnreachableRedisFailsAfterBoundedRetriesSayingWhereItLooked() {
        Map<String, String> unreachable = new HashMap<>();
        unreachable.put(RedisQueueConfig.PORT, "1");
        unreachable.put(RedisQueueConfig.RETRY_ATTEMPTS, "2");

        QueueException failure = assertThrows(QueueException.class,
                () -> new RedisQueueProvider().open(RedisTestSupport.settings(siteId, unreachable)));

        assertTrue(failure.getMessage().contains(ExternalServices.redisHost() + ":1"), failure.getMessage());
        assertTrue(failure.getMessage().contains(RedisQueueConfig.PORT), failure.getMessage());
        assertTrue(failure.getMessage().contains("failed 3 times"), failure.getMessage());
    }

    @Test
    void anInterruptedPollStopsPromptly() throws Exception {
        RedisHarvestQueue queue = open(Map.of());
        QueueConsumer consumer = queue.consumer(QueueName.GATHER);
        CountDownLatch polling = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        Thread waiter = new Thread(() -> {
            polling.countDown();
            try {
                consumer.poll(Duration.ofMinutes(5));
            } catch (InterruptedException e) {
                interrupted.set(true);
            } catch (QueueException e) {
                throw new IllegalStateException(e);
            }
        });
        waiter.start();
        polling.await();
        waiter.interrupt();
        waiter.join(Duration.ofSeconds(5).toMillis());

        assertFalse(waiter.isAlive(), "the poll did not stop within 5 s of the interrupt");
        assertTrue(interrupted.get(), "the poll did not report the interrupt");
    }

    @Test
    void ckanRedisUrlIsUsedWhenNoHostnameIsSet() throws Exception {
        int database = 3;
        Map<String, String> values = new HashMap<>();
        values.put("ckan.site_id", siteId);
        values.put(RedisQueueConfig.REDIS_URL,
                "redis://" + ExternalServices.redisHost() + ":" + ExternalServices.redisPort() + "/" + database);
        String id = UUID.randomUUID().toString();
        String listKey = "ckanext-harvest:" + siteId + ":harvest_job_id";
        try (HarvestQueue queue = new RedisQueueProvider().open(key -> Optional.ofNullable(values.get(key)));
                Jedis other = RedisTestSupport.jedis()) {
            queue.publish(QueueName.GATHER, id);

            other.select(database);
            try {
                assertEquals(List.of(QueueMessages.body(QueueName.GATHER, id)), other.lrange(listKey, 0, -1));
                assertFalse(jedis.exists(listKey), "the message went to database 0 instead of " + database);
            } finally {
                other.del(listKey);
            }
        }
    }

    private RedisHarvestQueue open(Map<String, String> extra) throws QueueException {
        RedisHarvestQueue queue = (RedisHarvestQueue) new RedisQueueProvider().open(
                RedisTestSupport.settings(siteId, extra));
        queues.add(queue);
        return queue;
    }

    private String processingKey(QueueName queue, QueueConsumer consumer) {
        return "ckanext-harvest:" + siteId + ":processing:" + queue.idField() + ":" + ((RedisConsumer) consumer).id();
    }

    private static List<String> ids(int count) {
        List<String> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ids.add(UUID.randomUUID().toString());
        }
        return ids;
    }
}
