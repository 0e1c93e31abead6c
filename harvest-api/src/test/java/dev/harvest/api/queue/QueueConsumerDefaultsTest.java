package dev.harvest.api.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The batch methods that {@link QueueConsumer} and {@link HarvestQueue} give a backend that implements only
 * {@code poll}; the contract suite in harvest-core runs them against every real backend as well.
 */
class QueueConsumerDefaultsTest {

    private static final Duration FIRST_WAIT = Duration.ofSeconds(7);

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    @Test
    void aDefaultBatchWaitsTheTimeoutForTheFirstMessageOnlyAndNeverPollsTheRestWithAZeroTimeout() throws Exception {
        ScriptedConsumer consumer = new ScriptedConsumer().messages("a", "b", "c");

        List<Delivery> batch = consumer.pollBatch(10, FIRST_WAIT);

        assertEquals(List.of("a", "b", "c"), bodies(batch));
        assertEquals(FIRST_WAIT, consumer.timeouts.get(0));
        // Three more polls: two that found "b" and "c", one that found nothing and ended the batch.
        assertEquals(4, consumer.timeouts.size());
        for (Duration later : consumer.timeouts.subList(1, 4)) {
            assertFalse(later.isZero() || later.isNegative(), "a later poll had the timeout " + later);
            assertTrue(later.compareTo(Duration.ofMillis(10)) <= 0, "a later poll waited up to " + later);
        }
    }

    @Test
    void aDefaultBatchStopsAtMaxLeavingTheRestWaiting() throws Exception {
        ScriptedConsumer consumer = new ScriptedConsumer().messages("a", "b", "c", "d");

        assertEquals(List.of("a", "b"), bodies(consumer.pollBatch(2, FIRST_WAIT)));
        assertEquals(2, consumer.timeouts.size());
        assertEquals(List.of("c", "d"), List.copyOf(consumer.waiting));
    }

    @Test
    void aDefaultBatchOfAnEmptyQueueIsEmptyAfterOnePoll() throws Exception {
        ScriptedConsumer consumer = new ScriptedConsumer();

        assertEquals(List.of(), consumer.pollBatch(10, FIRST_WAIT));
        assertEquals(List.of(FIRST_WAIT), consumer.timeouts);
    }

    @Test
    void aFailureBeforeTheFirstMessageIsThrown() {
        ScriptedConsumer consumer = new ScriptedConsumer().failing(new QueueException("unreachable"));

        assertThrows(QueueException.class, () -> consumer.pollBatch(10, FIRST_WAIT));
    }

    @Test
    void aFailureAfterTheFirstMessageEndsTheBatchWithoutLosingWhatWasTaken() throws Exception {
        ScriptedConsumer consumer = new ScriptedConsumer().messages("a", "b")
                .failing(new QueueException("connection lost"));

        assertEquals(List.of("a", "b"), bodies(consumer.pollBatch(10, FIRST_WAIT)));
    }

    @Test
    void anInterruptAfterTheFirstMessageEndsTheBatchAndStaysSetForTheCaller() throws Exception {
        ScriptedConsumer consumer = new ScriptedConsumer().messages("a").failing(new InterruptedException());

        assertEquals(List.of("a"), bodies(consumer.pollBatch(10, FIRST_WAIT)));
        assertTrue(Thread.interrupted(), "the interrupt was swallowed");
    }

    @Test
    void aBatchOfLessThanOneMessageIsRefused() {
        ScriptedConsumer consumer = new ScriptedConsumer().messages("a");

        assertThrows(IllegalArgumentException.class, () -> consumer.pollBatch(0, FIRST_WAIT));
        assertEquals(List.of(), consumer.timeouts);
    }

    @Test
    void theDefaultAckAllAcknowledgesEveryDeliveryAndThenReportsTheFirstFailure() {
        ScriptedConsumer consumer = new ScriptedConsumer();
        RecordingDelivery ok1 = new RecordingDelivery("a", null);
        QueueException firstFailure = new QueueException("first");
        QueueException secondFailure = new QueueException("second");
        RecordingDelivery failing1 = new RecordingDelivery("b", firstFailure);
        RecordingDelivery ok2 = new RecordingDelivery("c", null);
        RecordingDelivery failing2 = new RecordingDelivery("d", secondFailure);

        QueueException thrown = assertThrows(QueueException.class,
                () -> consumer.ackAll(List.of(ok1, failing1, ok2, failing2)));

        assertSame(firstFailure, thrown);
        assertEquals(List.of(secondFailure), List.of(thrown.getSuppressed()));
        for (RecordingDelivery delivery : List.of(ok1, failing1, ok2, failing2)) {
            assertEquals(1, delivery.acks, delivery.body() + " was acknowledged " + delivery.acks + " times");
        }
    }

    @Test
    void theDefaultAckAllOfNothingDoesNothing() throws Exception {
        new ScriptedConsumer().ackAll(List.of());
    }

    @Test
    void theDefaultBatchConsumerIsThePlainConsumer() throws Exception {
        ScriptedConsumer plain = new ScriptedConsumer();
        HarvestQueue queue = new HarvestQueue() {
            @Override
            public void publish(QueueName queue, Collection<String> ids) {}

            @Override
            public QueueConsumer consumer(QueueName queue) {
                return plain;
            }

            @Override
            public long purge(QueueName queue) {
                return 0;
            }

            @Override
            public long waitingCount(QueueName queue) {
                return 0;
            }

            @Override
            public void close() {}
        };

        assertSame(plain, queue.consumer(QueueName.FETCH, 100));
    }

    private static List<String> bodies(List<Delivery> deliveries) {
        List<String> bodies = new ArrayList<>();
        for (Delivery delivery : deliveries) {
            bodies.add(delivery.body());
        }
        return bodies;
    }

    /** A backend that implements only poll: hands out its messages, then throws its failure if it has one. */
    private static final class ScriptedConsumer implements QueueConsumer {
        final Deque<String> waiting = new ArrayDeque<>();
        final List<Duration> timeouts = new ArrayList<>();
        private Exception failure;

        ScriptedConsumer messages(String... bodies) {
            waiting.addAll(List.of(bodies));
            return this;
        }

        ScriptedConsumer failing(Exception failure) {
            this.failure = failure;
            return this;
        }

        @Override
        public Optional<Delivery> poll(Duration timeout) throws QueueException, InterruptedException {
            timeouts.add(timeout);
            String body = waiting.poll();
            if (body != null) {
                return Optional.of(new RecordingDelivery(body, null));
            }
            if (failure instanceof QueueException queueFailure) {
                throw queueFailure;
            }
            if (failure instanceof InterruptedException interrupted) {
                throw interrupted;
            }
            return Optional.empty();
        }

        @Override
        public void close() {}
    }

    private static final class RecordingDelivery implements Delivery {
        private final String body;
        private final QueueException ackFailure;
        int acks;

        RecordingDelivery(String body, QueueException ackFailure) {
            this.body = body;
            this.ackFailure = ackFailure;
        }

        @Override
        public String body() {
            return body;
        }

        @Override
        public boolean redelivered() {
            return false;
        }

        @Override
        public void ack() throws QueueException {
            acks++;
            if (ackFailure != null) {
                throw ackFailure;
            }
        }

        @Override
        public void release() {}
    }
}
