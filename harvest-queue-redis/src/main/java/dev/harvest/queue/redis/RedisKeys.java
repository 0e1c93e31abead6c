package dev.harvest.queue.redis;

import dev.harvest.api.queue.QueueName;

/**
 * The Redis keys of one site. The waiting lists are ckanext-harvest's own, so that a Python harvester can share
 * them; the keys of the reliable-queue bookkeeping are deliberately outside {@code <list key>:*}, which
 * ckanext-harvest's {@code resubmit_jobs} scans and would choke on.
 *
 * <ul>
 *   <li>{@code ckanext-harvest:<site>:harvest_job_id}, {@code …:harvest_object_id}: the waiting lists;
 *   <li>{@code ckanext-harvest:<site>:consumers:<field>}: the set of ids of the consumers of a list;
 *   <li>{@code ckanext-harvest:<site>:processing:<field>:<consumer>}: the deliveries a consumer holds;
 *   <li>{@code ckanext-harvest:<site>:lease:<field>:<consumer>}: exists while the consumer is alive (TTL).
 * </ul>
 */
final class RedisKeys {

    private final String siteId;

    RedisKeys(String siteId) {
        this.siteId = siteId;
    }

    String waiting(QueueName queue) {
        return queue.routingKey(siteId);
    }

    String consumers(QueueName queue) {
        return prefix() + "consumers:" + queue.idField();
    }

    String processing(QueueName queue, String consumerId) {
        return prefix() + "processing:" + queue.idField() + ":" + consumerId;
    }

    String lease(QueueName queue, String consumerId) {
        return prefix() + "lease:" + queue.idField() + ":" + consumerId;
    }

    private String prefix() {
        return "ckanext-harvest:" + siteId + ":";
    }
}
