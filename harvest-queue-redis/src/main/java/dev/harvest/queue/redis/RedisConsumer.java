package dev.harvest.queue.redis;

import dev.harvest.api.queue.Delivery;
import dev.harvest.api.queue.QueueConsumer;
import dev.harvest.api.queue.QueueException;
import dev.harvest.api.queue.QueueName;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.args.ListDirection;

/**
 * One consumer of one Redis list, for one thread: {@code BLMOVE}s messages into its own processing list, where they
 * stay until acknowledged, released, or returned by {@link #close()} or, if this process dies, by the reaper of a
 * live consumer once this consumer's lease expired.
 *
 * <p>A batch ({@link #pollBatch}) is taken the same way, message by message into the same processing list, so
 * everything said here holds for each message of a batch; {@link #ackAll} removes a batch from the list in one round
 * trip.
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

    /**
     * Takes up to ARGV[1] more messages into the processing list, without blocking, in one round trip; stops at the
     * first empty move, so an emptied queue costs one command, not ARGV[1].
     */
    private static final String TAKE_WAITING = """
            local taken = {}
            for i = 1, tonumber(ARGV[1]) do
              local body = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
              if not body then
                break
              end
              taken[i] = body
            end
            return taken
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
        List<Delivery> taken = take(1, timeout);
        return taken.isEmpty() ? Optional.empty() : Optional.of(taken.get(0));
    }

    /**
     * {@inheritDoc}
     *
     * <p>The first message is taken as by {@link #poll}, with {@code BLMOVE} into this consumer's processing list; the
     * others with non-blocking {@code LMOVE}s, all in one round trip (a Lua script that stops at the first empty
     * move). Every message of the batch is therefore in the processing list before it is handed out, so
     * {@link #close()}, and the reaper after a crash, return the whole batch.
     */
    @Override
    public List<Delivery> pollBatch(int max, Duration timeout) throws QueueException, InterruptedException {
        if (max < 1) {
            throw new IllegalArgumentException("A batch holds at least 1 message, asked for " + max);
        }
        return take(max, timeout);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Removes the messages from the processing list with one {@code LREM} each, pipelined in one round trip. A
     * delivery of another consumer is acknowledged by its own {@link Delivery#ack()}.
     */
    @Override
    public void ackAll(Collection<Delivery> deliveries) throws QueueException {
        // Identity: a delivery listed twice is acknowledged once, two deliveries of one body each remove one copy.
        Set<RedisDelivery> mine = new LinkedHashSet<>();
        List<Delivery> others = new ArrayList<>();
        synchronized (this) {
            for (Delivery delivery : deliveries) {
                if (delivery instanceof RedisDelivery own && own.consumer() == this) {
                    if (!mine.contains(own) && own.beginSettling()) {
                        mine.add(own);
                    }
                } else {
                    others.add(delivery);
                }
            }
        }
        QueueException failure = null;
        if (!mine.isEmpty()) {
            try {
                redis.run("acknowledge " + mine.size() + " messages of " + waitingKey, jedis -> {
                    try (AbstractPipeline pipeline = jedis.pipelined()) {
                        for (RedisDelivery delivery : mine) {
                            pipeline.lrem(processingKey, -1, delivery.body());
                        }
                        pipeline.sync();
                    }
                    return null;
                });
                synchronized (this) {
                    for (RedisDelivery delivery : mine) {
                        delivery.finishSettling();
                    }
                }
            } catch (QueueException e) {
                failure = e;
            }
        }
        if (!others.isEmpty()) {
            try {
                QueueConsumer.super.ackAll(others);
            } catch (QueueException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Waits at most {@code timeout} for the first message, then takes those already waiting, up to max. */
    private List<Delivery> take(int max, Duration timeout) throws QueueException, InterruptedException {
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
                Optional<Delivery> first = takeOne(deadline - System.nanoTime());
                if (first.isPresent()) {
                    if (max == 1) {
                        return List.of(first.get());
                    }
                    List<Delivery> batch = new ArrayList<>(Math.min(max, 1_024));
                    batch.add(first.get());
                    takeWaiting(batch, max);
                    return batch;
                }
                if (System.nanoTime() - deadline >= 0) {
                    return List.of();
                }
            } finally {
                redisLock.unlock();
            }
        }
    }

    /**
     * Fills a batch that has its first message with orphans and messages already waiting, without blocking. A failure
     * here ends the batch early instead of throwing, since the batch's messages are already this consumer's.
     */
    private void takeWaiting(List<Delivery> batch, int max) {
        synchronized (this) {
            while (batch.size() < max && !orphans.isEmpty()) {
                String orphan = orphans.poll();
                inFlight.add(orphan);
                batch.add(new RedisDelivery(orphan, false));
            }
        }
        int wanted = max - batch.size();
        if (wanted <= 0) {
            return;
        }
        long failuresBefore = redis.connectionFailures();
        List<String> bodies;
        try {
            Object reply = redis.eval("take up to " + wanted + " waiting messages from " + waitingKey, TAKE_WAITING,
                    List.of(waitingKey, processingKey), List.of(Integer.toString(wanted)));
            bodies = strings(reply);
        } catch (QueueException e) {
            // Whatever the script moved before the connection broke is in the processing list: the next poll finds it.
            reconcileNeeded = true;
            LOGGER.warn("Consumer {} of {} ends a batch at {} messages: {}", id, waitingKey, batch.size(),
                    e.getMessage());
            return;
        }
        synchronized (this) {
            for (String body : bodies) {
                inFlight.add(body);
                batch.add(new RedisDelivery(body, false));
            }
        }
        if (redis.connectionFailures() != failuresBefore) {
            // The script may have run on a connection that then broke, with its reply lost.
            reconcileNeeded = true;
        }
    }

    private static List<String> strings(Object reply) {
        if (!(reply instanceof List<?> list)) {
            return List.of();
        }
        List<String> bodies = new ArrayList<>(list.size());
        for (Object body : list) {
            bodies.add(body instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : (String) body);
        }
        return bodies;
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

        RedisConsumer consumer() {
            return RedisConsumer.this;
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
        boolean beginSettling() {
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

        void finishSettling() {
            synchronized (RedisConsumer.this) {
                settled = true;
                inFlight.remove(body);
            }
        }
    }
}
