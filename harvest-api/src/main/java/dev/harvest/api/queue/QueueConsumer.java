package dev.harvest.api.queue;

import java.time.Duration;
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

    /** Stops consuming; deliveries not yet acknowledged return to the queue. */
    @Override
    void close();
}
