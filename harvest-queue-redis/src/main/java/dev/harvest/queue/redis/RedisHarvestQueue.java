package dev.harvest.queue.redis;

import dev.harvest.api.queue.HarvestQueue;
import dev.harvest.api.queue.QueueConsumer;
import dev.harvest.api.queue.QueueException;
import dev.harvest.api.queue.QueueMessages;
import dev.harvest.api.queue.QueueName;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redis queue ({@code ckan.harvest.mq.type=redis}): ckanext-harvest's lists and message bodies, made reliable.
 *
 * <p>Publishing is ckanext-harvest's: {@code RPUSH} onto {@code ckanext-harvest:<site>:harvest_job_id} or
 * {@code …:harvest_object_id}, and on the gather list {@code LREM} of identical waiting messages first, so a job is
 * never queued twice. A Python harvester sharing the Redis therefore reads our messages and we read its.
 *
 * <p>Consuming follows Redis's reliable-queue pattern instead of ckanext-harvest's {@code BLPOP} (which loses a
 * message when a consumer dies before writing its persistence key): {@code BLMOVE} takes the message into a
 * processing list owned by the consumer, {@code ack} removes it from there, {@code release} moves it back to the
 * head of the queue. Every consumer holds a lease key with a TTL, renewed by this queue's heartbeat thread, and is
 * listed in a per-site set; {@link #recoverAbandoned()}, run periodically while consumers are alive, returns the
 * processing lists of consumers whose lease expired. See {@link RedisKeys} for the key names.
 *
 * <p>Thread-safe; each consumer is for one thread.
 */
public final class RedisHarvestQueue implements HarvestQueue {

    private static final Logger LOGGER = LoggerFactory.getLogger(RedisHarvestQueue.class);

    /** Commands per round trip when publishing many ids. */
    private static final int PUBLISH_BATCH = 1_000;

    /** ckanext-harvest's gather publish: drop identical waiting messages, then append. */
    private static final String PUBLISH_DEDUPLICATED = """
            for _, body in ipairs(ARGV) do
              redis.call('LREM', KEYS[1], 0, body)
              redis.call('RPUSH', KEYS[1], body)
            end
            return #ARGV
            """;

    /** Empties the waiting list only; processing lists are separate keys and stay. */
    private static final String PURGE = """
            local count = redis.call('LLEN', KEYS[1])
            redis.call('UNLINK', KEYS[1])
            return count
            """;

    /** Returns a dead consumer's deliveries to the head of the queue, oldest first, unless its lease is alive. */
    private static final String REAP = """
            if redis.call('EXISTS', KEYS[1]) == 1 then
              return -1
            end
            local count = 0
            while redis.call('LMOVE', KEYS[2], KEYS[3], 'RIGHT', 'LEFT') do
              count = count + 1
            end
            redis.call('SREM', KEYS[4], ARGV[1])
            return count
            """;

    private final RedisQueueConfig config;
    private final RedisCommands redis;
    private final RedisKeys keys;
    private final String leaseHolder;
    private final Set<RedisConsumer> liveConsumers = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService heartbeat;
    private final AtomicLong heartbeatTicks = new AtomicLong();
    private volatile boolean closed;

    /**
     * Connects to Redis and checks that it answers.
     *
     * @param config the settings
     * @throws QueueException if Redis cannot be reached
     */
    public RedisHarvestQueue(RedisQueueConfig config) throws QueueException {
        this.config = config;
        this.redis = new RedisCommands(config);
        this.keys = new RedisKeys(config.siteId());
        this.leaseHolder = ProcessHandle.current().pid() + "@" + hostName();
        try {
            redis.run("reach Redis", jedis -> jedis.ping());
            // checked at connect, so that an old server is named now, not at the first consume
            String info = redis.run("read the Redis version", jedis -> jedis.info("server"));
            java.util.Optional<RedisVersion> version = RedisVersion.fromInfo(info);
            if (version.isPresent() && !version.get().supportsBlmove()) {
                throw new QueueException(version.get().tooOld(config.describe()));
            }
        } catch (QueueException e) {
            redis.close();
            throw e;
        }
        long tickMillis = Math.max(100, config.consumerLease().toMillis() / 3);
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "harvest-redis-heartbeat-" + config.siteId());
            thread.setDaemon(true);
            return thread;
        });
        heartbeat.scheduleWithFixedDelay(this::beat, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
        LOGGER.info("Connected the harvest queue of site {} to Redis at {}", config.siteId(), config.describe());
    }

    @Override
    public void publish(QueueName queue, Collection<String> ids) throws QueueException {
        ensureOpen();
        List<String> bodies = new ArrayList<>(ids.size());
        for (String id : ids) {
            bodies.add(QueueMessages.body(queue, id));
        }
        String key = keys.waiting(queue);
        for (int from = 0; from < bodies.size(); from += PUBLISH_BATCH) {
            List<String> batch = bodies.subList(from, Math.min(from + PUBLISH_BATCH, bodies.size()));
            if (queue == QueueName.GATHER) {
                redis.eval("publish to " + key, PUBLISH_DEDUPLICATED, List.of(key), batch);
            } else {
                String[] values = batch.toArray(String[]::new);
                redis.run("publish to " + key, jedis -> jedis.rpush(key, values));
            }
        }
    }

    @Override
    public QueueConsumer consumer(QueueName queue) throws QueueException {
        ensureOpen();
        RedisConsumer consumer = new RedisConsumer(this, queue);
        liveConsumers.add(consumer);
        try {
            // Consumers that died while no live consumer was around to reap them are dealt with now.
            recoverAbandoned(queue);
        } catch (QueueException e) {
            LOGGER.warn("Could not look for abandoned consumers of {}: {}; the heartbeat will retry",
                    keys.waiting(queue), e.getMessage());
        }
        return consumer;
    }

    @Override
    public long purge(QueueName queue) throws QueueException {
        ensureOpen();
        String key = keys.waiting(queue);
        long purged = (Long) redis.eval("purge " + key, PURGE, List.of(key), List.of());
        LOGGER.info("Purged {} waiting messages from {}", purged, key);
        return purged;
    }

    @Override
    public long waitingCount(QueueName queue) throws QueueException {
        ensureOpen();
        String key = keys.waiting(queue);
        return redis.run("count the messages of " + key, jedis -> jedis.llen(key));
    }

    /**
     * Returns the deliveries of consumers, of any process, whose lease expired (they died or lost Redis for longer
     * than {@code harvest.mq.redis.consumer_lease_seconds}) to the head of their queue. Runs periodically while this
     * queue has live consumers; call it directly e.g. from a maintenance command.
     *
     * @return the number of messages returned
     * @throws QueueException if Redis cannot be reached
     */
    public long recoverAbandoned() throws QueueException {
        long recovered = 0;
        for (QueueName queue : QueueName.values()) {
            recovered += recoverAbandoned(queue);
        }
        return recovered;
    }

    private long recoverAbandoned(QueueName queue) throws QueueException {
        String consumersKey = keys.consumers(queue);
        Set<String> consumerIds = redis.run("list the consumers in " + consumersKey,
                jedis -> jedis.smembers(consumersKey));
        long recovered = 0;
        for (String consumerId : consumerIds) {
            String processingKey = keys.processing(queue, consumerId);
            long returned = (Long) redis.eval("recover the deliveries of " + processingKey, REAP,
                    List.of(keys.lease(queue, consumerId), processingKey, keys.waiting(queue), consumersKey),
                    List.of(consumerId));
            if (returned > 0) {
                LOGGER.warn("Consumer {} of {} stopped renewing its lease; returned its {} unacknowledged messages to"
                        + " the queue", consumerId, keys.waiting(queue), returned);
                recovered += returned;
            } else if (returned == 0) {
                LOGGER.info("Consumer {} of {} stopped renewing its lease holding no messages; forgot it",
                        consumerId, keys.waiting(queue));
            }
        }
        return recovered;
    }

    /**
     * Stops renewing a consumer's lease without closing it, as if its process had died: its deliveries stay in its
     * processing list until the lease expires and {@link #recoverAbandoned()} returns them. For tests.
     *
     * @param consumer a consumer of this queue
     */
    void stopHeartbeat(QueueConsumer consumer) {
        liveConsumers.remove(consumer);
    }

    /** Closes every consumer (returning their deliveries), stops the heartbeat, and closes the connections. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        heartbeat.shutdownNow();
        for (RedisConsumer consumer : List.copyOf(liveConsumers)) {
            consumer.close();
        }
        redis.close();
        LOGGER.info("Closed the harvest queue of site {}", config.siteId());
    }

    RedisCommands redis() {
        return redis;
    }

    RedisKeys keys() {
        return keys;
    }

    String leaseHolder() {
        return leaseHolder;
    }

    void forget(RedisConsumer consumer) {
        liveConsumers.remove(consumer);
    }

    private void beat() {
        for (RedisConsumer consumer : liveConsumers) {
            try {
                consumer.renewLease();
            } catch (Throwable e) {
                LOGGER.warn("Could not renew the lease of Redis consumer {}: {}", consumer.id(), e.getMessage());
            }
        }
        // Reaping every third beat (once per lease) is enough: nothing expires faster than that.
        if (heartbeatTicks.incrementAndGet() % 3 == 0 && !liveConsumers.isEmpty() && !closed) {
            try {
                recoverAbandoned();
            } catch (Throwable e) {
                LOGGER.warn("Could not look for abandoned Redis consumers of site {}: {}", config.siteId(),
                        e.getMessage());
            }
        }
    }

    private void ensureOpen() throws QueueException {
        if (closed) {
            throw new QueueException("The Redis harvest queue of site " + config.siteId() + " is closed");
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "unknown-host";
        }
    }
}
