/**
 * The queue SPI: the gather and fetch queues that carry job and object ids between processes.
 *
 * <p>A backend ({@code memory}, {@code redis}, {@code amqp}) is a {@link dev.harvest.api.queue.HarvestQueueProvider}
 * found with {@link java.util.ServiceLoader} and chosen by {@code ckan.harvest.mq.type}. Queues carry only ids, in
 * ckanext-harvest's message format ({@link dev.harvest.api.queue.QueueMessages}); the database is the truth, so a
 * message is a hint to try a state transition, and a duplicate delivery is harmless. What a backend must guarantee
 * is that no message is lost: a delivery stays owned by its consumer until {@link dev.harvest.api.queue.Delivery#ack()},
 * and comes back if the consumer dies first.
 *
 * <p>Messages can be taken in batches:
 * {@link dev.harvest.api.queue.HarvestQueue#consumer(dev.harvest.api.queue.QueueName, int)} opens a consumer sized for
 * batches, {@link dev.harvest.api.queue.QueueConsumer#pollBatch(int, java.time.Duration)} takes up
 * to that many at once, and {@link dev.harvest.api.queue.QueueConsumer#ackAll(java.util.Collection)} acknowledges them
 * after the one transaction that processed them committed. Every message of a batch has the guarantees of a single
 * delivery: owned by its consumer until acknowledged or released, returned if the consumer is closed or dies. Both
 * methods have defaults built on {@code poll} and {@code ack}, so a backend that predates batches still works.
 */
package dev.harvest.api.queue;
