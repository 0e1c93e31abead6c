/**
 * The RabbitMQ queue backend ({@code ckan.harvest.mq.type=amqp}, legacy {@code ampq}), compatible with
 * ckanext-harvest's exchange, queue names, routing keys and message bodies, and as dependable as a reliable Redis
 * queue: declared topology, persistent messages, publisher confirms, manual acknowledgement after the engine's
 * commit, prefetch, heartbeats and automatic recovery. See {@link dev.harvest.queue.amqp.AmqpHarvestQueue}.
 */
package dev.harvest.queue.amqp;
