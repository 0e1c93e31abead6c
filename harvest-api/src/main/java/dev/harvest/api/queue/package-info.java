/**
 * The queue SPI: the gather and fetch queues that carry job and object ids between processes.
 *
 * <p>A backend ({@code memory}, {@code redis}, {@code amqp}) is a {@link dev.harvest.api.queue.HarvestQueueProvider}
 * found with {@link java.util.ServiceLoader} and chosen by {@code ckan.harvest.mq.type}. Queues carry only ids, in
 * ckanext-harvest's message format ({@link dev.harvest.api.queue.QueueMessages}); the database is the truth, so a
 * message is a hint to try a state transition, and a duplicate delivery is harmless. What a backend must guarantee
 * is that no message is lost: a delivery stays owned by its consumer until {@link dev.harvest.api.queue.Delivery#ack()},
 * and comes back if the consumer dies first.
 */
package dev.harvest.api.queue;
