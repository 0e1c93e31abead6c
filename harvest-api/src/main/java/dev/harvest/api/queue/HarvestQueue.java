package dev.harvest.api.queue;

import java.util.Collection;
import java.util.List;

/**
 * One connection to a queue backend, namespaced by {@code ckan.site_id}: two sites with different site ids never
 * see each other's messages. Thread-safe; {@link #consumer(QueueName)} hands out one consumer per worker thread, and
 * {@link #consumer(QueueName, int)} one that is to take messages in batches.
 */
public interface HarvestQueue extends AutoCloseable {

    /**
     * Publishes one message per id. When this returns, the backend has stored the messages durably; a failure is an
     * exception, never a silent loss. On the gather queue, an id that is already waiting is not queued twice.
     *
     * @param queue gather (job ids) or fetch (object ids)
     * @param ids the ids, published in this order
     * @throws QueueException if the backend did not take every message
     */
    void publish(QueueName queue, Collection<String> ids) throws QueueException;

    /**
     * Publishes one message.
     *
     * @param queue gather (job id) or fetch (object id)
     * @param id the id
     * @throws QueueException if the backend did not take the message
     */
    default void publish(QueueName queue, String id) throws QueueException {
        publish(queue, List.of(id));
    }

    /**
     * A consumer of one queue, for one thread. Messages it takes belong to it until acknowledged or released; if
     * it is closed, or its process dies, they return to the queue.
     *
     * @param queue the queue to consume
     * @return a new consumer
     * @throws QueueException if the backend cannot be reached
     */
    QueueConsumer consumer(QueueName queue) throws QueueException;

    /**
     * A consumer that will be asked for batches of up to batchSize messages; a backend may size its prefetch or
     * buffers to it.
     *
     * <p>The consumer is like one from {@link #consumer(QueueName)}, with the same guarantees for every message of a
     * batch: the deliveries of a {@link QueueConsumer#pollBatch(int, java.time.Duration)} are all owned by the
     * consumer until each is acknowledged or released, and those not acknowledged return to the queue if the consumer
     * is closed or its process dies. The batch size only makes batches possible: a broker that pushes messages
     * (RabbitMQ) must be allowed to push {@code batchSize} unacknowledged messages to the consumer, or every batch
     * would hold one message. A backend must still not let a consumer take more than it will be asked for: messages
     * pushed ahead of a poll wait in that consumer, out of other consumers' reach, so they are bounded by the batch
     * size (or a configured prefetch, if larger).
     *
     * <p>The default ignores the size and returns {@link #consumer(QueueName)}.
     *
     * @param queue the queue to consume
     * @param batchSize the largest {@code max} the caller will pass to
     *     {@link QueueConsumer#pollBatch(int, java.time.Duration)}; at least 1
     * @return a new consumer
     * @throws QueueException if the backend cannot be reached
     */
    default QueueConsumer consumer(QueueName queue, int batchSize) throws QueueException {
        return consumer(queue);
    }

    /**
     * Removes the waiting messages of a queue. Messages in flight (taken, not yet acknowledged) are not affected,
     * and keys or queues of other sites are never touched.
     *
     * @param queue the queue to empty
     * @return the number of messages removed, or -1 when the backend cannot tell
     * @throws QueueException if the backend cannot be reached
     */
    long purge(QueueName queue) throws QueueException;

    /**
     * The number of messages waiting in a queue, not counting those in flight.
     *
     * @param queue the queue
     * @return the number of waiting messages
     * @throws QueueException if the backend cannot be reached
     */
    long waitingCount(QueueName queue) throws QueueException;

    /** Releases the connection; deliveries not yet acknowledged return to their queue. */
    @Override
    void close();
}
