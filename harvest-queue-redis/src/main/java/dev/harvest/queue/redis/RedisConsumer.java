package dev.harvest.queue.redis;

import dev.harvest.api.queue.Delivery;
import dev.harvest.api.queue.QueueConsumer;
import dev.harvest.api.queue.QueueException;
import dev.harvest.api.queue.QueueName;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.args.ListDirection;

/**
 * One consumer of one Redis list, for one thread: {@code BLMOVE}s messages into its own processing list, where they
 * stay until acknowledged, released, or returned by {@link #close()} or, if this process dies, by the reaper of a
 * live consumer once this consumer's lease expired.
 */
final class RedisConsumer implements QueueConsumer {

    private static final Logger LOGGER = LoggerFactory.getLogger(RedisConsumer.class);

    /** The longest single blocking move; a longer poll is several, so interrupts and close are noticed quickly. */
    static final Duration MAX_BLOCK = Duration.ofSeconds(1);

    /** Renews the lease and (re-)registers the consumer, atomically, so a live lease always means registered. */
    private static final String RENEW_LEASE = """
            redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
            redis.call('SADD', KEYS[2], ARGV[1])
            return 1
            """;

    /** Moves one delivery back to the head of the queue, if this consumer still holds it. */
    private static final String RELEASE = """
            if redis.call('LREM', KEYS[1], -1, ARGV[1]) > 0 then
              redis.call('LPUSH', KEYS[2], ARGV[1])
              return 1
            end
            return 0
            """;

    /** Returns every delivery to the head of the queue, oldest first, and deregisters the consumer. */
    private static final String RETURN_ALL = """
            local count = 0
            while redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT') do
              count = count + 1
            end
            redis.call('DEL', KEYS[3])
            redis.call('SREM', KEYS[4], ARGV[1])
            return count
            """;

    private final RedisHarvestQueue queue;
    private final RedisCommands redis;
    private final QueueName queueName;
    private final String id = UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    private final String waitingKey;
    private final String processingKey;
    private final String leaseKey;
    private final String consumersKey;

    /** Held while talking to Redis on behalf of poll or close, so close never races a move into the list. */
    private final ReentrantLock redisLock = new ReentrantLock();
    /** Bodies handed out and not yet settled; guarded by this. */
    private final List<String> inFlight = new ArrayList<>();
    /** Bodies found in the processing list whose move reply was lost with a connection; handed out first. */
    private final Deque<String> orphans = new ArrayDeque<>();
    private boolean reconcileNeeded;
    private volatile boolean closed;

    RedisConsumer(RedisHarvestQueue queue, QueueName queueName) throws QueueException {
        this.queue = queue;
        this.redis = queue.redis();
        this.queueName = queueName;
        RedisKeys keys = queue.keys();
        this.waitingKey = keys.waiting(queueName);
        this.processingKey = keys.processing(queueName, id);
        this.leaseKey = keys.lease(queueName, id);
        this.consumersKey = keys.consumers(queueName);
        renewLease();
        LOGGER.debug("Consumer {} of {} started", id, waitingKey);
    }

    String id() {
        return id;
    }

    @Override
    public Optional<Delivery> poll(Duration timeout) throws QueueException, InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        while (true) {
            if (Thread.interrupted()) {
                throw new InterruptedException("Interrupted while polling " + waitingKey);
            }
            redisLock.lockInterruptibly();
            try {
                if (closed) {
                    throw new QueueException("Consumer " + id + " of " + waitingKey + " is closed");
                }
                Optional<Delivery> delivery = takeOne(deadline - System.nanoTime());
                if (delivery.isPresent() || System.nanoTime() - deadline >= 0) {
                    return delivery;
                }
            } finally {
                redisLock.unlock();
            }
        }
    }

    /** One round: hand out an orphan, or move one message, blocking at most {@link #MAX_BLOCK}. */
    private Optional<Delivery> takeOne(long remainingNanos) throws QueueException {
        if (reconcileNeeded) {
            reconcile();
        }
        synchronized (this) {
            String orphan = orphans.poll();
            if (orphan != null) {
                inFlight.add(orphan);
                return Optional.of(new RedisDelivery(orphan, false));
            }
        }
        long failuresBefore = redis.connectionFailures();
        String body;
        try {
            if (remainingNanos <= 0) {
                body = redis.run("take a message from " + waitingKey,
                        jedis -> jedis.lmove(waitingKey, processingKey, ListDirection.LEFT, ListDirection.RIGHT));
            } else {
                long blockMillis = Math.max(1, Math.min(MAX_BLOCK.toMillis(),
                        TimeUnit.NANOSECONDS.toMillis(remainingNanos)));
                body = redis.run("take a message from " + waitingKey, jedis -> jedis.blmove(waitingKey,
                        processingKey, ListDirection.LEFT, ListDirection.RIGHT, blockMillis / 1000.0));
            }
        } catch (QueueException e) {
            reconcileNeeded = true;
            throw e;
        }
        if (body != null) {
            synchronized (this) {
                inFlight.add(body);
            }
        }
        if (redis.connectionFailures() != failuresBefore) {
            // A move may have run with its reply lost: look for messages in our list that nobody was given.
            reconcile();
        }
        return body == null ? Optional.empty() : Optional.of(new RedisDelivery(body, false));
    }

    /** Finds bodies in the processing list that were never handed out, and queues them to be handed out next. */
    private void reconcile() throws QueueException {
        List<String> held = redis.run("read " + processingKey, jedis -> jedis.lrange(processingKey, 0, -1));
        synchronized (this) {
            List<String> unaccounted = new ArrayList<>(held);
            for (String body : inFlight) {
                unaccounted.remove(body);
            }
            for (String body : orphans) {
                unaccounted.remove(body);
            }
            if (!unaccounted.isEmpty()) {
                LOGGER.warn("Consumer {} of {} found {} messages taken on a connection that broke; handing them out",
                        id, waitingKey, unaccounted.size());
                orphans.addAll(unaccounted);
            }
            reconcileNeeded = false;
        }
    }

    /** Renews the lease and registration; called at start and by the queue's heartbeat thread. */
    void renewLease() throws QueueException {
        if (closed) {
            return;
        }
        long leaseMillis = redis.config().consumerLease().toMillis();
        redis.eval("renew the lease of consumer " + id, RENEW_LEASE, List.of(leaseKey, consumersKey),
                List.of(id, queue.leaseHolder(), Long.toString(leaseMillis)));
    }

    /** Returns every unacknowledged delivery to the head of the queue and deregisters this consumer. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        queue.forget(this);
        boolean locked = false;
        try {
            // A poll in progress finishes its current move (at most MAX_BLOCK) before its messages are returned.
            locked = redisLock.tryLock(MAX_BLOCK.toMillis() + redis.config().timeout().toMillis(),
                    TimeUnit.MILLISECONDS);
            long returned = (Long) redis.eval("return the messages of consumer " + id, RETURN_ALL,
                    List.of(processingKey, waitingKey, leaseKey, consumersKey), List.of(id));
            if (returned > 0) {
                LOGGER.info("Consumer {} of {} closed; returned {} unacknowledged messages to the queue", id,
                        waitingKey, returned);
            }
        } catch (QueueException e) {
            LOGGER.warn("Consumer {} of {} could not return its messages on close ({}); they return when its lease"
                    + " expires", id, waitingKey, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOGGER.warn("Interrupted while closing consumer {} of {}; its messages return when its lease expires", id,
                    waitingKey);
        } finally {
            if (locked) {
                redisLock.unlock();
            }
        }
    }

    @Override
    public String toString() {
        return "RedisConsumer[" + id + " of " + waitingKey + "]";
    }

    private final class RedisDelivery implements Delivery {
        private final String body;
        private final boolean redelivered;
        /** Acknowledged or released; guarded by the consumer. */
        private boolean settled;

        RedisDelivery(String body, boolean redelivered) {
            this.body = body;
            this.redelivered = redelivered;
        }

        @Override
        public String body() {
            return body;
        }

        @Override
        public boolean redelivered() {
            return redelivered;
        }

        @Override
        public void ack() throws QueueException {
            if (beginSettling()) {
                redis.run("acknowledge a message of " + waitingKey, jedis -> jedis.lrem(processingKey, -1, body));
                finishSettling();
            }
        }

        @Override
        public void release() throws QueueException {
            if (beginSettling()) {
                redis.eval("release a message to " + waitingKey, RELEASE, List.of(processingKey, waitingKey),
                        List.of(body));
                finishSettling();
            }
        }

        /** @return whether there is anything to do: not settled, and the consumer still holds the message */
        private boolean beginSettling() {
            synchronized (RedisConsumer.this) {
                if (settled) {
                    return false;
                }
                if (closed) {
                    // close() already returned the message to the queue; it will be delivered again.
                    LOGGER.debug("Consumer {} is closed; its message {} is already back in the queue", id, body);
                    settled = true;
                    return false;
                }
                return true;
            }
        }

        private void finishSettling() {
            synchronized (RedisConsumer.this) {
                settled = true;
                inFlight.remove(body);
            }
        }
    }
}
