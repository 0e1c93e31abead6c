package dev.harvest.api.queue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** Takes messages from one queue, for one thread. */
public interface QueueConsumer extends AutoCloseable {

    /**
     * Takes the next message, waiting at most {@code timeout}.
     *
     * @param timeout how long to wait for a message
     * @return the delivery, or empty if none arrived in time
     * @throws QueueException if the backend failed; the caller may retry, the consumer reconnects
     * @throws InterruptedException if the thread was interrupted while waiting
     */
    Optional<Delivery> poll(Duration timeout) throws QueueException, InterruptedException;

    /**
     * Takes up to {@code max} messages: waits at most {@code timeout} for the first, then takes what is already
     * waiting without waiting again. Every delivery returned belongs to this consumer until acknowledged or
     * released, and returns to the queue if the consumer is closed or its process dies first.
     *
     * @param max the most messages to take, at least 1
     * @param timeout how long to wait for the first message
     * @return the deliveries, in queue order; empty if none arrived in time
     * @throws QueueException if the backend failed; deliveries already taken stay owned and come back on close
     * @throws InterruptedException if the thread was interrupted while waiting
     */
    default List<Delivery> pollBatch(int max, Duration timeout) throws QueueException, InterruptedException {
        List<Delivery> batch = new ArrayList<>();
        Optional<Delivery> first = poll(timeout);
        if (first.isEmpty()) {
            return batch;
        }
        batch.add(first.get());
        while (batch.size() < max) {
            Optional<Delivery> next = poll(Duration.ofMillis(1));
            if (next.isEmpty()) {
                break;
            }
            batch.add(next.get());
        }
        return batch;
    }

    /**
     * Acknowledges every delivery, after the work they triggered was committed.
     *
     * @param deliveries deliveries taken by this consumer
     * @throws QueueException if an acknowledgement could not be sent; those messages may be delivered again
     */
    default void ackAll(Collection<Delivery> deliveries) throws QueueException {
        for (Delivery delivery : deliveries) {
            delivery.ack();
        }
    }

    /** Stops consuming; deliveries not yet acknowledged return to the queue. */
    @Override
    void close();
}
