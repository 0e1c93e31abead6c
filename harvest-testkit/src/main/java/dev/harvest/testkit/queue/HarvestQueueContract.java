package dev.harvest.testkit.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.harvest.api.queue.Delivery;
import dev.harvest.api.queue.HarvestQueue;
import dev.harvest.api.queue.QueueConsumer;
import dev.harvest.api.queue.QueueException;
import dev.harvest.api.queue.QueueMessages;
import dev.harvest.api.queue.QueueName;
import dev.harvest.testkit.ExternalServices;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The behaviour every {@link HarvestQueue} backend must show, run once per backend by a subclass that supplies the
 * queue and says, through constructor flags, which optional behaviours it has.
 *
 * <p>Batches are part of the contract: {@link HarvestQueue#consumer(QueueName, int)},
 * {@link QueueConsumer#pollBatch(int, Duration)} and {@link QueueConsumer#ackAll(java.util.Collection)}. A batch holds
 * at most {@code max} messages in queue order, takes every message already waiting (up to {@code max}) once it has the
 * first, never waits for more than the first, and gives each of its messages the guarantees of a single delivery:
 * owned by its consumer until acknowledged or released, back in the queue when the consumer closes or dies.
 * {@code ackAll} acknowledges exactly the deliveries it is given. Each batch test runs twice: with the backend's own
 * batch methods, and with the SPI's defaults over a consumer that implements only {@code poll} (what a backend written
 * before batches gets), which must behave the same.
 *
 * <p>A subclass implements {@link #openQueue(String)} and {@link #abandon(HarvestQueue, QueueConsumer)}, and usually
 * {@link #cleanUp(String)}; it may call a service check such as {@link ExternalServices#requireRedis()} in a
 * {@code @BeforeEach}. Every test works on site ids of its own, so backends sharing a broker never interfere.
 *
 * <pre>{@code
 * class MyQueueTest extends HarvestQueueContract {
 *     MyQueueTest() {
 *         super(Duration.ofSeconds(20), true, true, true);
 *     }
 *
 *     @Override
 *     protected HarvestQueue openQueue(String siteId) throws Exception {
 *         return new MyQueueProvider().open(key -> Optional.ofNullable(Map.of("ckan.site_id", siteId).get(key)));
 *     }
 *
 *     @Override
 *     protected void abandon(HarvestQueue queue, QueueConsumer consumer) {
 *         ((MyQueue) queue).forgetWithoutClosing(consumer);
 *     }
 * }
 * }</pre>
 *
 * <p>This package uses nothing but harvest-api, JUnit and the JDK, so a queue backend may depend on harvest-testkit
 * with harvest-core excluded.
 */
public abstract class HarvestQueueContract {

    /** How long a test waits for a message it expects. */
    protected static final Duration EXPECTED_MESSAGE_WAIT = Duration.ofSeconds(10);

    /** How long a test waits before concluding that no message will come. */
    protected static final Duration ABSENT_MESSAGE_WAIT = Duration.ofMillis(500);

    private static final int CONCURRENT_MESSAGES = 10_000;
    private static final int CONCURRENT_CONSUMERS = 4;
    private static final Duration CONCURRENT_DEADLINE = Duration.ofMinutes(3);

    /** The batch size of the concurrent batch test: the engine's default. */
    private static final int CONCURRENT_BATCH = 100;
    private static final int CONCURRENT_BATCH_CONSUMERS = 2;

    /** A timeout that a batch test must never sit out: a poll that waits it fails the test's own, shorter bound. */
    private static final Duration NEVER_WAITED = Duration.ofMinutes(2);

    private final Duration abandonedDeliveriesReturnWithin;
    private final boolean marksRedeliveries;
    private final boolean countsPurgedMessages;
    private final boolean deduplicatesWaitingGatherMessages;

    private final Map<String, HarvestQueue> openQueues = new LinkedHashMap<>();

    /**
     * @param abandonedDeliveriesReturnWithin the bound within which the backend's own recovery returns the deliveries
     *     of a consumer that died without closing
     * @param marksRedeliveries whether {@link Delivery#redelivered()} is true for a message that was released or
     *     returned by a closed consumer
     * @param countsPurgedMessages whether {@link HarvestQueue#purge(QueueName)} reports the count (else it may be -1)
     * @param deduplicatesWaitingGatherMessages whether a job id published to GATHER while an identical message waits
     *     is dropped (Redis, memory); AMQP cannot remove a waiting message, so there both copies must arrive intact
     *     and the engine's compare-and-set job claim makes the second harmless
     */
    protected HarvestQueueContract(Duration abandonedDeliveriesReturnWithin, boolean marksRedeliveries,
            boolean countsPurgedMessages, boolean deduplicatesWaitingGatherMessages) {
        this.abandonedDeliveriesReturnWithin = abandonedDeliveriesReturnWithin;
        this.marksRedeliveries = marksRedeliveries;
        this.countsPurgedMessages = countsPurgedMessages;
        this.deduplicatesWaitingGatherMessages = deduplicatesWaitingGatherMessages;
    }

    /**
     * Opens a new connection to the backend for one site. Called at most once per site id per test.
     *
     * @param siteId the {@code ckan.site_id} to namespace by
     * @return the queue; the contract closes it after the test
     * @throws Exception if the backend cannot be reached
     */
    protected abstract HarvestQueue openQueue(String siteId) throws Exception;

    /**
     * Makes a consumer look dead to the backend without closing it and without releasing its deliveries, as if its
     * process had been killed: e.g. stop its heartbeat (Redis) or drop its connection (AMQP). The thread that polled
     * it has already ended when this is called.
     *
     * @param queue the queue the consumer came from
     * @param consumer the consumer to abandon
     * @throws Exception if the backend cannot be told
     */
    protected abstract void abandon(HarvestQueue queue, QueueConsumer consumer) throws Exception;

    /**
     * Removes whatever the backend left behind for a site (keys, queues), after its queue was closed.
     *
     * @param siteId a site id used by the test
     * @throws Exception if the backend cannot be reached; the test then fails
     */
    protected void cleanUp(String siteId) throws Exception {}

    /** @return the readable prefix of the site ids this suite creates */
    protected String siteIdPrefix() {
        return "contract";
    }

    /**
     * A queue for a new site of its own.
     *
     * @return the queue, closed and cleaned up after the test
     * @throws Exception if {@link #openQueue(String)} fails
     */
    protected final HarvestQueue newSiteQueue() throws Exception {
        String siteId = ExternalServices.uniqueSiteId(siteIdPrefix());
        HarvestQueue queue = openQueue(siteId);
        openQueues.put(siteId, queue);
        return queue;
    }

    @AfterEach
    void closeQueuesAndCleanUp() throws Exception {
        for (Map.Entry<String, HarvestQueue> entry : openQueues.entrySet()) {
            try {
                entry.getValue().close();
            } finally {
                cleanUp(entry.getKey());
            }
        }
        openQueues.clear();
    }

    @Test
    void messagesAreDeliveredInTheOrderTheyWerePublished() throws Exception {
        HarvestQueue queue = newSiteQueue();
        List<String> ids = randomIds(50);
        queue.publish(QueueName.FETCH, ids.subList(0, 30));
        for (String id : ids.subList(30, 50)) {
            queue.publish(QueueName.FETCH, id);
        }

        List<String> received = new ArrayList<>();
        try (QueueConsumer consumer = queue.consumer(QueueName.FETCH)) {
            for (int i = 0; i < ids.size(); i++) {
                Delivery delivery = expectDelivery(consumer);
                received.add(idOf(QueueName.FETCH, delivery));
                delivery.ack();
            }
        }
        assertEquals(ids, received);
    }

    @Test
    void messagesPublishedBeforeAnyConsumerExistedAreKept() throws Exception {
        HarvestQueue queue = newSiteQueue();
        String jobId = randomId();
        queue.publish(QueueName.GATHER, jobId);

        try (QueueConsumer consumer = queue.consumer(QueueName.GATHER)) {
            Delivery delivery = expectDelivery(consumer);
            assertEquals(jobId, idOf(QueueName.GATHER, delivery));
            delivery.ack();
        }
    }

    @Test
    void bodiesAreByteForByteTheMessagesOfCkanextHarvest() throws Exception {
        HarvestQueue queue = newSiteQueue();
        String jobId = randomId();
        String objectId = randomId();
        queue.publish(QueueName.GATHER, jobId);
        queue.publish(QueueName.FETCH, objectId);

        try (QueueConsumer gather = queue.consumer(QueueName.GATHER);
                QueueConsumer fetch = queue.consumer(QueueName.FETCH)) {
            Delivery job = expectDelivery(gather);
            Delivery object = expectDelivery(fetch);
            assertEquals("{\"harvest_job_id\": \"" + jobId + "\"}", job.body());
            assertEquals(QueueMessages.body(QueueName.FETCH, objectId), object.body());
            job.ack();
            object.ack();
        }
    }

    @Test
    void anAcknowledgedMessageIsGoneForGood() throws Exception {
        HarvestQueue queue = newSiteQueue();
        queue.publish(QueueName.FETCH, randomId());

        try (QueueConsumer consumer = queue.consumer(QueueName.FETCH)) {
            expectDelivery(consumer).ack();
        }
        try (QueueConsumer consumer = queue.consumer(QueueName.FETCH)) {
            assertNoDelivery(consumer);
        }
        assertEquals(0, queue.waitingCount(QueueName.FETCH));
    }

    @Test
    void anUnacknowledgedDeliveryOfAClosedConsumerComesBack() throws Exception {
        HarvestQueue queue = newSiteQueue();
        String id = randomId();
        queue.publish(QueueName.FETCH, id);

        QueueConsumer first = queue.consumer(QueueName.FETCH);
        Delivery taken = expectDelivery(first);
        assertEquals(id, idOf(QueueName.FETCH, taken));
        assertFalse(taken.redelivered(), "a first delivery must not claim to be a redelivery");
        first.close();

        try (QueueConsumer second = queue.consumer(QueueName.FETCH)) {
            Delivery again = expectDelivery(second);
            assertEquals(id, idOf(QueueName.FETCH, again));
            if (marksRedeliveries) {
                assertTrue(again.redelivered(), "a returned message must be marked as redelivered");
            }
            again.ack();
        }
    }

    @Test
    void aDeliveryOfAConsumerThatDiesWithoutClosingComesBack() throws Exception {
        HarvestQueue queue = newSiteQueue();
        String id = randomId();
        queue.publish(QueueName.FETCH, id);

        QueueConsumer dying = queue.consumer(QueueName.FETCH);
        AtomicReference<Optional<Delivery>> takenByDyingThread = new AtomicReference<>(Optional.empty());
        AtomicReference<Throwable> dyingThreadFailure = new AtomicReference<>();
        Thread worker = new Thread(() -> {
            try {
                takenByDyingThread.set(dying.poll(EXPECTED_MESSAGE_WAIT));
            } catch (Throwable e) {
                dyingThreadFailure.set(e);
            }
            // The thread ends here holding an unacknowledged delivery: the consumer is never closed.
        }, "contract-dying-consumer");
        worker.start();
        worker.join(EXPECTED_MESSAGE_WAIT.multipliedBy(2).toMillis());
        assertFalse(worker.isAlive(), "the dying consumer's thread did not end");
        assertNull(dyingThreadFailure.get(), "the dying consumer failed to poll");
        assertEquals(id, idOf(QueueName.FETCH, takenByDyingThread.get().orElseThrow()));

        abandon(queue, dying);

        try (QueueConsumer survivor = queue.consumer(QueueName.FETCH)) {
            Optional<Delivery> recovered = survivor.poll(abandonedDeliveriesReturnWithin);
            assertTrue(recovered.isPresent(),
                    "the abandoned delivery did not come back within " + abandonedDeliveriesReturnWithin);
            assertEquals(id, idOf(QueueName.FETCH, recovered.get()));
            recovered.get().ack();
        }
    }

    @Test
    void aReleasedMessageIsDeliveredAgain() throws Exception {
        HarvestQueue queue = newSiteQueue();
        String released = randomId();
        String next = randomId();
        queue.publish(QueueName.FETCH, List.of(released, next));

        try (QueueConsumer consumer = queue.consumer(QueueName.FETCH)) {
            Delivery first = expectDelivery(consumer);
            assertEquals(released, idOf(QueueName.FETCH, first));
            first.release();

            Map<String, Delivery> redelivered = new LinkedHashMap<>();
            for (int i = 0; i < 2; i++) {
                Delivery delivery = expectDelivery(consumer);
                redelivered.put(idOf(QueueName.FETCH, delivery), delivery);
                delivery.ack();
            }
            assertEquals(Set.of(released, next), redelivered.keySet());
            if (marksRedeliveries) {
                assertTrue(redelivered.get(released).redelivered(), "a released message must be marked redelivered");
            }
            assertNoDelivery(consumer);
        }
    }

    @Test
    void purgeRemovesWaitingMessagesButNotOnesInFlight() throws Exception {
        HarvestQueue queue = newSiteQueue();
        String inFlight = randomId();
        queue.publish(QueueName.FETCH, List.of(inFlight, randomId(), randomId()));

        QueueConsumer holder = queue.consumer(QueueName.FETCH);
        Delivery held = expectDelivery(holder);
        assertEquals(inFlight, idOf(QueueName.FETCH, held));

        long purged = queue.purge(QueueName.FETCH);
        if (countsPurgedMessages) {
            assertEquals(2, purged);
        } else {
            assertTrue(purged == 2 || purged == -1, "purge reported " + purged + " for 2 waiting messages");
        }
        assertEquals(0, queue.waitingCount(QueueName.FETCH));

        // The in-flight message survived the purge: closing its consumer hands it back.
        holder.close();
        try (QueueConsumer consumer = queue.consumer(QueueName.FETCH)) {
            Delivery back = expectDelivery(consumer);
            assertEquals(inFlight, idOf(QueueName.FETCH, back));
            back.ack();
            assertNoDelivery(consumer);
        }
    }

    @Test
    void purgeOfOneQueueLeavesTheOtherQueue() throws Exception {
        HarvestQueue queue = newSiteQueue();
        queue.publish(QueueName.GATHER, randomId());
        queue.publish(QueueName.FETCH, randomIds(3));

        queue.purge(QueueName.FETCH);

        assertEquals(0, queue.waitingCount(QueueName.FETCH));
        assertEquals(1, queue.waitingCount(QueueName.GATHER));
    }

    @Test
    void twoSitesNeverSeeEachOthersMessages() throws Exception {
        HarvestQueue siteA = newSiteQueue();
        HarvestQueue siteB = newSiteQueue();
        String idA = randomId();
        String idB = randomId();
        siteA.publish(QueueName.FETCH, idA);
        siteB.publish(QueueName.FETCH, idB);

        try (QueueConsumer consumerA = siteA.consumer(QueueName.FETCH);
                QueueConsumer consumerB = siteB.consumer(QueueName.FETCH)) {
            Delivery fromA = expectDelivery(consumerA);
            Delivery fromB = expectDelivery(consumerB);
            assertEquals(idA, idOf(QueueName.FETCH, fromA));
            assertEquals(idB, idOf(QueueName.FETCH, fromB));
            fromA.ack();
            fromB.ack();
            assertNoDelivery(consumerA);
        }
    }

    @Test
    void purgingOneSiteLeavesAnotherSitesMessages() throws Exception {
        HarvestQueue siteA = newSiteQueue();
        HarvestQueue siteB = newSiteQueue();
        siteA.publish(QueueName.GATHER, randomIds(2));
        siteB.publish(QueueName.GATHER, randomIds(3));

        siteA.purge(QueueName.GATHER);

        assertEquals(0, siteA.waitingCount(QueueName.GATHER));
        assertEquals(3, siteB.waitingCount(QueueName.GATHER));
    }

    @Test
    void aJobIdAlreadyWaitingOnTheGatherQueueIsNotQueuedTwice() throws Exception {
        HarvestQueue queue = newSiteQueue();
        String repeated = randomId();
        String other = randomId();
        queue.publish(QueueName.GATHER, repeated);
        queue.publish(QueueName.GATHER, other);
        queue.publish(QueueName.GATHER, repeated);

        int expected = deduplicatesWaitingGatherMessages ? 2 : 3;
        assertEquals(expected, queue.waitingCount(QueueName.GATHER));
        try (QueueConsumer consumer = queue.consumer(QueueName.GATHER)) {
            List<String> received = new java.util.ArrayList<>();
            for (int i = 0; i < expected; i++) {
                Delivery delivery = expectDelivery(consumer);
                received.add(idOf(QueueName.GATHER, delivery));
                delivery.ack();
            }
            assertEquals(Set.of(repeated, other), Set.copyOf(received));
            assertEquals(deduplicatesWaitingGatherMessages ? 1 : 2,
                    received.stream().filter(repeated::equals).count());
            assertNoDelivery(consumer);
        }
    }

    @Test
    void theFetchQueueKeepsRepeatedIds() throws Exception {
        HarvestQueue queue = newSiteQueue();
        String repeated = randomId();
        queue.publish(QueueName.FETCH, List.of(repeated, repeated));

        assertEquals(2, queue.waitingCount(QueueName.FETCH));
    }

    @Test
    void waitingCountCountsWaitingMessagesButNotOnesInFlight() throws Exception {
        HarvestQueue queue = newSiteQueue();
        assertEquals(0, queue.waitingCount(QueueName.FETCH));
        queue.publish(QueueName.FETCH, randomIds(3));
        assertEquals(3, queue.waitingCount(QueueName.FETCH));

        try (QueueConsumer consumer = queue.consumer(QueueName.FETCH)) {
            Delivery delivery = expectDelivery(consumer);
            assertEquals(2, queue.waitingCount(QueueName.FETCH));
            delivery.ack();
            assertEquals(2, queue.waitingCount(QueueName.FETCH));
        }
        assertEquals(0, queue.waitingCount(QueueName.GATHER));
    }

    @Test
    void anEmptyQueueReturnsNothingAfterTheTimeout() throws Exception {
        HarvestQueue queue = newSiteQueue();
        try (QueueConsumer consumer = queue.consumer(QueueName.GATHER)) {
            long started = System.nanoTime();
            Optional<Delivery> delivery = consumer.poll(ABSENT_MESSAGE_WAIT);
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

            assertTrue(delivery.isEmpty(), "an empty queue delivered " + delivery);
            assertTrue(waitedMillis < ABSENT_MESSAGE_WAIT.toMillis() + 5_000,
                    "poll waited " + waitedMillis + " ms for a timeout of " + ABSENT_MESSAGE_WAIT);
        }
    }

    @Test
    void aWaitingConsumerReceivesAMessagePublishedWhileItWaits() throws Exception {
        HarvestQueue queue = newSiteQueue();
        String id = randomId();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (QueueConsumer consumer = queue.consumer(QueueName.FETCH)) {
            Future<Optional<Delivery>> waiting = executor.submit(() -> consumer.poll(EXPECTED_MESSAGE_WAIT));
            queue.publish(QueueName.FETCH, id);

            Delivery delivery = waiting.get(EXPECTED_MESSAGE_WAIT.toMillis() * 2, TimeUnit.MILLISECONDS).orElseThrow();
            assertEquals(id, idOf(QueueName.FETCH, delivery));
            delivery.ack();
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void tenThousandMessagesOnFourConsumersAreEachProcessedExactlyOnce() throws Exception {
        HarvestQueue queue = newSiteQueue();
        List<String> ids = publishConcurrentMessages(queue);

        Set<String> processed = drainConcurrently(CONCURRENT_CONSUMERS, () -> queue.consumer(QueueName.FETCH),
                consumer -> {
                    Optional<Delivery> delivery = consumer.poll(Duration.ofMillis(200));
                    return delivery.map(List::of).orElse(List.of());
                }, (consumer, batch) -> {
                    for (Delivery delivery : batch) {
                        delivery.ack();
                    }
                });

        assertEquals(Set.copyOf(ids), processed);
        assertEquals(0, queue.waitingCount(QueueName.FETCH));
    }

    private List<String> publishConcurrentMessages(HarvestQueue queue) throws QueueException {
        List<String> ids = randomIds(CONCURRENT_MESSAGES);
        for (int from = 0; from < ids.size(); from += 1_000) {
            queue.publish(QueueName.FETCH, ids.subList(from, Math.min(from + 1_000, ids.size())));
        }
        return ids;
    }

    /** Opens a consumer, in a worker thread. */
    private interface ConsumerOpener {
        QueueConsumer open() throws QueueException;
    }

    /** Takes the next messages (a single one, or a batch). */
    private interface Take {
        List<Delivery> next(QueueConsumer consumer) throws QueueException, InterruptedException;
    }

    /** Acknowledges what one take returned. */
    private interface Ack {
        void ack(QueueConsumer consumer, List<Delivery> taken) throws QueueException;
    }

    /**
     * Consumes {@link #CONCURRENT_MESSAGES} messages with {@code consumers} threads, each with its own consumer, and
     * checks that there were exactly that many deliveries, each of a distinct id.
     *
     * @return the ids delivered
     */
    private static Set<String> drainConcurrently(int consumers, ConsumerOpener opener, Take take, Ack ack)
            throws Exception {
        Set<String> processed = ConcurrentHashMap.newKeySet();
        AtomicInteger deliveries = new AtomicInteger();
        long deadline = System.nanoTime() + CONCURRENT_DEADLINE.toNanos();
        ExecutorService executor = Executors.newFixedThreadPool(consumers);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int i = 0; i < consumers; i++) {
                workers.add(executor.submit(() -> {
                    try (QueueConsumer consumer = opener.open()) {
                        while (deliveries.get() < CONCURRENT_MESSAGES && System.nanoTime() < deadline) {
                            List<Delivery> taken = take.next(consumer);
                            for (Delivery delivery : taken) {
                                processed.add(idOf(QueueName.FETCH, delivery));
                            }
                            deliveries.addAndGet(taken.size());
                            ack.ack(consumer, taken);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get(CONCURRENT_DEADLINE.toMillis() + 60_000, TimeUnit.MILLISECONDS);
            }
        } finally {
            executor.shutdownNow();
        }
        assertEquals(CONCURRENT_MESSAGES, deliveries.get(), "total deliveries");
        assertEquals(CONCURRENT_MESSAGES, processed.size(), "distinct ids delivered");
        return processed;
    }

    /** Which batch methods a batch test uses. */
    protected enum BatchMethods {
        /** The backend's own {@code pollBatch} and {@code ackAll}. */
        NATIVE("the backend's own batch methods"),
        /** The SPI's defaults, over a consumer of the backend that implements only {@code poll} and {@code close}. */
        DEFAULTS_ON_POLL("the SPI's default batch methods on poll");

        private final String description;

        BatchMethods(String description) {
            this.description = description;
        }

        @Override
        public String toString() {
            return description;
        }
    }

    /**
     * A consumer of a backend written before batches: it implements only {@link #poll} and {@link #close}, so
     * {@code pollBatch} and {@code ackAll} are the SPI's defaults.
     */
    private static final class PollOnlyConsumer implements QueueConsumer {
        private final QueueConsumer backend;

        PollOnlyConsumer(QueueConsumer backend) {
            this.backend = backend;
        }

        @Override
        public Optional<Delivery> poll(Duration timeout) throws QueueException, InterruptedException {
            return backend.poll(timeout);
        }

        @Override
        public void close() {
            backend.close();
        }
    }

    /** A fetch consumer for batches of {@code batchSize}, with the given batch methods. */
    private static QueueConsumer batchConsumer(HarvestQueue queue, BatchMethods methods, int batchSize)
            throws QueueException {
        QueueConsumer consumer = queue.consumer(QueueName.FETCH, batchSize);
        return methods == BatchMethods.NATIVE ? consumer : new PollOnlyConsumer(consumer);
    }

    /** @return the backend's own consumer behind a test wrapper, as {@link #abandon} expects it */
    private static QueueConsumer backendConsumer(QueueConsumer consumer) {
        return consumer instanceof PollOnlyConsumer pollOnly ? pollOnly.backend : consumer;
    }

    @ParameterizedTest(name = "with {0}")
    @EnumSource(BatchMethods.class)
    void aBatchHoldsAtMostMaxMessagesInTheOrderTheyWerePublished(BatchMethods methods) throws Exception {
        HarvestQueue queue = newSiteQueue();
        List<String> ids = randomIds(25);
        queue.publish(QueueName.FETCH, ids);

        List<String> received = new ArrayList<>();
        try (QueueConsumer consumer = batchConsumer(queue, methods, 10)) {
            while (received.size() < ids.size()) {
                List<Delivery> batch = consumer.pollBatch(10, EXPECTED_MESSAGE_WAIT);
                assertFalse(batch.isEmpty(), "no batch arrived within " + EXPECTED_MESSAGE_WAIT + " after "
                        + received.size() + " of " + ids.size() + " messages");
                assertTrue(batch.size() <= 10, "a batch of at most 10 held " + batch.size());
                received.addAll(idsOf(batch));
                consumer.ackAll(batch);
            }
            assertTrue(consumer.pollBatch(10, ABSENT_MESSAGE_WAIT).isEmpty(), "a message came after the last");
        }
        assertEquals(ids, received);
    }

    @ParameterizedTest(name = "with {0}")
    @EnumSource(BatchMethods.class)
    void aBatchTakesEveryMessageAlreadyWaitingUpToMaxWithoutWaitingForMore(BatchMethods methods) throws Exception {
        HarvestQueue queue = newSiteQueue();
        List<String> ids = randomIds(15);
        queue.publish(QueueName.FETCH, ids);

        try (QueueConsumer consumer = batchConsumer(queue, methods, 10)) {
            List<Delivery> full = consumer.pollBatch(10, EXPECTED_MESSAGE_WAIT);
            assertEquals(ids.subList(0, 10), idsOf(full));

            long started = System.nanoTime();
            List<Delivery> rest = consumer.pollBatch(10, NEVER_WAITED);
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertEquals(ids.subList(10, 15), idsOf(rest));
            assertTrue(waitedMillis < EXPECTED_MESSAGE_WAIT.toMillis(), "a batch of the 5 waiting messages took "
                    + waitedMillis + " ms: it waited for more");

            consumer.ackAll(full);
            consumer.ackAll(rest);
        }
        assertEquals(0, queue.waitingCount(QueueName.FETCH));
    }

    @ParameterizedTest(name = "with {0}")
    @EnumSource(BatchMethods.class)
    void anEmptyQueueReturnsAnEmptyBatchAfterTheTimeout(BatchMethods methods) throws Exception {
        HarvestQueue queue = newSiteQueue();
        try (QueueConsumer consumer = batchConsumer(queue, methods, 10)) {
            long started = System.nanoTime();
            List<Delivery> batch = consumer.pollBatch(10, ABSENT_MESSAGE_WAIT);
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

            assertEquals(List.of(), batch);
            assertTrue(waitedMillis < ABSENT_MESSAGE_WAIT.toMillis() + 5_000,
                    "pollBatch waited " + waitedMillis + " ms for a timeout of " + ABSENT_MESSAGE_WAIT);
        }
    }

    @ParameterizedTest(name = "with {0}")
    @EnumSource(BatchMethods.class)
    void aBatchWaitsForItsFirstMessageButNotForMore(BatchMethods methods) throws Exception {
        HarvestQueue queue = newSiteQueue();
        String id = randomId();
        CountDownLatch aboutToPoll = new CountDownLatch(1);
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (QueueConsumer consumer = batchConsumer(queue, methods, 10)) {
            Future<List<Delivery>> waiting = executor.submit(() -> {
                aboutToPoll.countDown();
                return consumer.pollBatch(10, NEVER_WAITED);
            });
            aboutToPoll.await();
            queue.publish(QueueName.FETCH, id);

            // Bounded well below the poll's own timeout: a batch that waited for a second message would fail here.
            List<Delivery> batch = waiting.get(EXPECTED_MESSAGE_WAIT.toMillis() * 2, TimeUnit.MILLISECONDS);
            assertEquals(List.of(id), idsOf(batch));
            consumer.ackAll(batch);
        } finally {
            executor.shutdownNow();
        }
    }

    @ParameterizedTest(name = "with {0}")
    @EnumSource(BatchMethods.class)
    void theUnacknowledgedMessagesOfABatchComeBackWhenItsConsumerCloses(BatchMethods methods) throws Exception {
        HarvestQueue queue = newSiteQueue();
        List<String> ids = randomIds(5);
        queue.publish(QueueName.FETCH, ids);

        QueueConsumer first = batchConsumer(queue, methods, 5);
        List<Delivery> taken = takeBatches(first, ids.size(), 5);
        assertEquals(ids, idsOf(taken));
        assertTrue(taken.stream().noneMatch(Delivery::redelivered), "a first delivery claimed to be a redelivery");
        first.close();

        try (QueueConsumer second = batchConsumer(queue, methods, 5)) {
            List<Delivery> again = takeBatches(second, ids.size(), 5);
            assertEquals(Set.copyOf(ids), Set.copyOf(idsOf(again)));
            if (marksRedeliveries) {
                assertTrue(again.stream().allMatch(Delivery::redelivered), "returned messages must be redelivered");
            }
            second.ackAll(again);
            assertTrue(second.pollBatch(5, ABSENT_MESSAGE_WAIT).isEmpty(), "a message came back twice");
        }
    }

    @ParameterizedTest(name = "with {0}")
    @EnumSource(BatchMethods.class)
    void theWholeBatchOfAConsumerThatDiesWithoutClosingComesBack(BatchMethods methods) throws Exception {
        HarvestQueue queue = newSiteQueue();
        List<String> ids = randomIds(5);
        queue.publish(QueueName.FETCH, ids);

        QueueConsumer dying = batchConsumer(queue, methods, 5);
        AtomicReference<List<Delivery>> takenByDyingThread = new AtomicReference<>(List.of());
        AtomicReference<Throwable> dyingThreadFailure = new AtomicReference<>();
        Thread worker = new Thread(() -> {
            try {
                takenByDyingThread.set(takeBatches(dying, ids.size(), 5));
            } catch (Throwable e) {
                dyingThreadFailure.set(e);
            }
            // The thread ends here holding a whole unacknowledged batch: the consumer is never closed.
        }, "contract-dying-batch-consumer");
        worker.start();
        worker.join(EXPECTED_MESSAGE_WAIT.multipliedBy(2).toMillis());
        assertFalse(worker.isAlive(), "the dying consumer's thread did not end");
        assertNull(dyingThreadFailure.get(), "the dying consumer failed to take its batch");
        assertEquals(ids, idsOf(takenByDyingThread.get()));

        abandon(queue, backendConsumer(dying));

        try (QueueConsumer survivor = batchConsumer(queue, methods, 5)) {
            List<Delivery> recovered = new ArrayList<>();
            long deadline = System.nanoTime() + abandonedDeliveriesReturnWithin.toNanos();
            while (recovered.size() < ids.size() && System.nanoTime() - deadline < 0) {
                recovered.addAll(survivor.pollBatch(ids.size() - recovered.size(),
                        Duration.ofNanos(Math.max(1, deadline - System.nanoTime()))));
            }
            assertEquals(Set.copyOf(ids), Set.copyOf(idsOf(recovered)),
                    "the abandoned batch did not come back whole within " + abandonedDeliveriesReturnWithin);
            assertEquals(ids.size(), recovered.size());
            survivor.ackAll(recovered);
        }
    }

    @ParameterizedTest(name = "with {0}")
    @EnumSource(BatchMethods.class)
    void ackAllAcknowledgesExactlyTheDeliveriesItIsGiven(BatchMethods methods) throws Exception {
        HarvestQueue queue = newSiteQueue();
        List<String> ids = randomIds(6);
        queue.publish(QueueName.FETCH, ids);

        QueueConsumer consumer = batchConsumer(queue, methods, 6);
        List<Delivery> taken = takeBatches(consumer, ids.size(), 6);
        assertEquals(ids, idsOf(taken));
        // The latest three, while older ones are still held: must not acknowledge the older ones with them.
        consumer.ackAll(taken.subList(3, 6));
        // The oldest two, plus one acknowledged already, which is skipped: must not acknowledge the third.
        consumer.ackAll(List.of(taken.get(0), taken.get(1), taken.get(4)));
        consumer.ackAll(List.of());
        consumer.close();

        try (QueueConsumer next = batchConsumer(queue, methods, 6)) {
            List<Delivery> returned = takeBatches(next, 1, 6);
            assertEquals(List.of(ids.get(2)), idsOf(returned));
            next.ackAll(returned);
            assertTrue(next.pollBatch(6, ABSENT_MESSAGE_WAIT).isEmpty(), "an acknowledged message came back");
        }
    }

    @ParameterizedTest(name = "with {0}")
    @EnumSource(BatchMethods.class)
    void anAcknowledgedBatchIsGoneForGood(BatchMethods methods) throws Exception {
        HarvestQueue queue = newSiteQueue();
        List<String> ids = randomIds(20);
        queue.publish(QueueName.FETCH, ids);

        try (QueueConsumer consumer = batchConsumer(queue, methods, 20)) {
            List<Delivery> batch = takeBatches(consumer, ids.size(), 20);
            consumer.ackAll(batch);
            // Acknowledging again is harmless: every delivery is already done.
            consumer.ackAll(batch);
        }
        try (QueueConsumer consumer = batchConsumer(queue, methods, 20)) {
            assertTrue(consumer.pollBatch(20, ABSENT_MESSAGE_WAIT).isEmpty(), "an acknowledged message came back");
        }
        assertEquals(0, queue.waitingCount(QueueName.FETCH));
    }

    @ParameterizedTest(name = "with {0}")
    @EnumSource(BatchMethods.class)
    void aReleasedMessageOfABatchIsDeliveredAgainWhileTheRestAreAcknowledged(BatchMethods methods)
            throws Exception {
        HarvestQueue queue = newSiteQueue();
        List<String> ids = randomIds(4);
        queue.publish(QueueName.FETCH, ids);

        try (QueueConsumer consumer = batchConsumer(queue, methods, 4)) {
            List<Delivery> taken = takeBatches(consumer, ids.size(), 4);
            taken.get(0).release();
            consumer.ackAll(taken.subList(1, 4));

            List<Delivery> again = takeBatches(consumer, 1, 4);
            assertEquals(List.of(ids.get(0)), idsOf(again));
            if (marksRedeliveries) {
                assertTrue(again.get(0).redelivered(), "a released message must be marked redelivered");
            }
            consumer.ackAll(again);
            assertTrue(consumer.pollBatch(4, ABSENT_MESSAGE_WAIT).isEmpty(), "an acknowledged message came back");
        }
    }

    @ParameterizedTest(name = "with {0}")
    @EnumSource(BatchMethods.class)
    void twoConsumersTakingBatchesFromTenThousandMessagesSeeEachExactlyOnce(BatchMethods methods) throws Exception {
        HarvestQueue queue = newSiteQueue();
        List<String> ids = publishConcurrentMessages(queue);
        AtomicInteger largestBatch = new AtomicInteger();

        Set<String> processed = drainConcurrently(CONCURRENT_BATCH_CONSUMERS,
                () -> batchConsumer(queue, methods, CONCURRENT_BATCH), consumer -> {
                    List<Delivery> batch = consumer.pollBatch(CONCURRENT_BATCH, Duration.ofMillis(200));
                    largestBatch.accumulateAndGet(batch.size(), Math::max);
                    return batch;
                }, QueueConsumer::ackAll);

        assertEquals(Set.copyOf(ids), processed);
        assertTrue(largestBatch.get() <= CONCURRENT_BATCH, "a batch of at most " + CONCURRENT_BATCH + " held "
                + largestBatch.get());
        assertEquals(0, queue.waitingCount(QueueName.FETCH));
    }

    /**
     * Takes batches of at most {@code max} until exactly {@code count} deliveries arrived, failing if a batch does not
     * come within {@link #EXPECTED_MESSAGE_WAIT} or holds more than {@code max}.
     *
     * @param consumer the consumer to poll
     * @param count how many deliveries to take
     * @param max the largest batch to ask for
     * @return the deliveries, in the order they came
     * @throws QueueException if the backend fails
     * @throws InterruptedException if the test is interrupted
     */
    protected static List<Delivery> takeBatches(QueueConsumer consumer, int count, int max)
            throws QueueException, InterruptedException {
        List<Delivery> taken = new ArrayList<>(count);
        while (taken.size() < count) {
            int asked = Math.min(max, count - taken.size());
            List<Delivery> batch = consumer.pollBatch(asked, EXPECTED_MESSAGE_WAIT);
            if (batch.isEmpty()) {
                fail("no batch arrived within " + EXPECTED_MESSAGE_WAIT + " after " + taken.size() + " of " + count
                        + " messages");
            }
            assertTrue(batch.size() <= asked, "a batch of at most " + asked + " held " + batch.size());
            taken.addAll(batch);
        }
        return taken;
    }

    /**
     * Reads the ids out of fetch deliveries, in order.
     *
     * @param deliveries fetch deliveries
     * @return their object ids
     */
    protected static List<String> idsOf(List<Delivery> deliveries) {
        List<String> ids = new ArrayList<>(deliveries.size());
        for (Delivery delivery : deliveries) {
            ids.add(idOf(QueueName.FETCH, delivery));
        }
        return ids;
    }

    /**
     * Polls for a message the test expects, failing if none comes within {@link #EXPECTED_MESSAGE_WAIT}.
     *
     * @param consumer the consumer to poll
     * @return the delivery
     * @throws QueueException if the backend fails
     * @throws InterruptedException if the test is interrupted
     */
    protected static Delivery expectDelivery(QueueConsumer consumer) throws QueueException, InterruptedException {
        return consumer.poll(EXPECTED_MESSAGE_WAIT)
                .orElseThrow(() -> new AssertionError("no message arrived within " + EXPECTED_MESSAGE_WAIT));
    }

    /**
     * Asserts that no message arrives within {@link #ABSENT_MESSAGE_WAIT}.
     *
     * @param consumer the consumer to poll
     * @throws QueueException if the backend fails
     * @throws InterruptedException if the test is interrupted
     */
    protected static void assertNoDelivery(QueueConsumer consumer) throws QueueException, InterruptedException {
        Optional<Delivery> unexpected = consumer.poll(ABSENT_MESSAGE_WAIT);
        if (unexpected.isPresent()) {
            fail("expected no message, got " + unexpected.get().body());
        }
    }

    /**
     * Reads the id out of a delivery, failing if the body is not a message of that queue.
     *
     * @param queue the queue the delivery came from
     * @param delivery the delivery
     * @return the job id (gather) or object id (fetch) it carries
     */
    protected static String idOf(QueueName queue, Delivery delivery) {
        return QueueMessages.id(queue, delivery.body())
                .orElseThrow(() -> new AssertionError("not a " + queue + " message: " + delivery.body()));
    }

    /** @return a fresh random id (a UUID), as the engine's job and object ids are */
    protected static String randomId() {
        return UUID.randomUUID().toString();
    }

    /**
     * @param count how many
     * @return that many distinct {@linkplain #randomId() random ids}
     */
    protected static List<String> randomIds(int count) {
        List<String> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ids.add(randomId());
        }
        return ids;
    }
}
