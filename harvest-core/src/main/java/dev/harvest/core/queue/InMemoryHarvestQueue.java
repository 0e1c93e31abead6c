package dev.harvest.core.queue;

import dev.harvest.api.queue.Delivery;
import dev.harvest.api.queue.HarvestQueue;
import dev.harvest.api.queue.QueueConsumer;
import dev.harvest.api.queue.QueueException;
import dev.harvest.api.queue.QueueMessages;
import dev.harvest.api.queue.QueueName;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process queue ({@code ckan.harvest.mq.type=memory}) of the embedded default: the gather and fetch queues
 * live in this object and vanish with it, so producers and consumers must share one instance.
 *
 * <p>It keeps the guarantees of the broker-backed queues within the process: FIFO order, de-duplication of waiting
 * gather messages, deliveries owned by their consumer until acknowledged, and returned to the head of the queue when
 * the consumer is closed, released, or its polling thread has died. Thread-safe.
 *
 * <p>{@link QueueConsumer#pollBatch(int, Duration)} takes a batch under one lock, and
 * {@link QueueConsumer#ackAll(Collection)} settles one under one lock. The batch size of
 * {@link #consumer(QueueName, int)} needs no sizing here, so that is the default.
 */
public final class InMemoryHarvestQueue implements HarvestQueue {

    private static final Logger LOGGER = LoggerFactory.getLogger(InMemoryHarvestQueue.class);

    /** How often a waiting consumer looks for deliveries of consumers whose thread died. */
    private static final long DEAD_CONSUMER_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final String siteId;
    private final Map<QueueName, Channel> channels = new EnumMap<>(QueueName.class);
    private volatile boolean closed;

    /**
     * Creates an empty queue.
     *
     * @param siteId the {@code ckan.site_id}, used in log messages only: the queue is private to this instance
     */
    public InMemoryHarvestQueue(String siteId) {
        this.siteId = siteId;
        for (QueueName name : QueueName.values()) {
            channels.put(name, new Channel(name));
        }
    }

    @Override
    public void publish(QueueName queue, Collection<String> ids) throws QueueException {
        List<String> bodies = new ArrayList<>(ids.size());
        for (String id : ids) {
            bodies.add(QueueMessages.body(queue, id));
        }
        Channel channel = channels.get(queue);
        channel.lock.lock();
        try {
            ensureOpen();
            for (String body : bodies) {
                if (queue == QueueName.GATHER) {
                    // As ckanext-harvest's LREM before RPUSH: a job id already waiting moves to the tail, once.
                    channel.waiting.removeIf(message -> message.body().equals(body));
                }
                channel.waiting.addLast(new Message(body, false));
            }
            channel.messageWaiting.signalAll();
        } finally {
            channel.lock.unlock();
        }
    }

    @Override
    public QueueConsumer consumer(QueueName queue) throws QueueException {
        ensureOpen();
        return new MemoryConsumer(channels.get(queue));
    }

    @Override
    public long purge(QueueName queue) throws QueueException {
        Channel channel = channels.get(queue);
        channel.lock.lock();
        try {
            ensureOpen();
            int purged = channel.waiting.size();
            channel.waiting.clear();
            LOGGER.info("Purged {} waiting messages from the in-memory {} queue of site {}", purged, queue, siteId);
            return purged;
        } finally {
            channel.lock.unlock();
        }
    }

    @Override
    public long waitingCount(QueueName queue) throws QueueException {
        Channel channel = channels.get(queue);
        channel.lock.lock();
        try {
            ensureOpen();
            return channel.waiting.size();
        } finally {
            channel.lock.unlock();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Channel channel : channels.values()) {
            channel.lock.lock();
            try {
                for (MemoryConsumer consumer : new ArrayList<>(channel.consumers)) {
                    consumer.closeLocked();
                }
                channel.messageWaiting.signalAll();
            } finally {
                channel.lock.unlock();
            }
        }
    }

    private void ensureOpen() throws QueueException {
        if (closed) {
            throw new QueueException("The in-memory queue of site " + siteId + " is closed");
        }
    }

    private record Message(String body, boolean redelivered) {}

    /** One queue: its waiting messages and the consumers holding its deliveries, all guarded by {@link #lock}. */
    private static final class Channel {
        final QueueName name;
        final ReentrantLock lock = new ReentrantLock();
        final Condition messageWaiting = lock.newCondition();
        final Deque<Message> waiting = new ArrayDeque<>();
        final Set<MemoryConsumer> consumers = new LinkedHashSet<>();

        Channel(QueueName name) {
            this.name = name;
        }

        /** Hands back the deliveries of consumers whose polling thread ended without closing them. */
        void returnDeliveriesOfDeadConsumers() {
            consumers.removeIf(consumer -> {
                if (consumer.owner == null || consumer.owner.isAlive()) {
                    return false;
                }
                if (!consumer.inFlight.isEmpty()) {
                    LOGGER.warn("The thread {} of a {} consumer died holding {} unacknowledged messages;"
                            + " returning them to the queue", consumer.owner.getName(), name, consumer.inFlight.size());
                    consumer.returnInFlight();
                }
                return true;
            });
        }
    }

    private final class MemoryConsumer implements QueueConsumer {
        private final Channel channel;
        /** Guarded by the channel lock, like every other field. */
        private final List<MemoryDelivery> inFlight = new ArrayList<>();
        private Thread owner;
        private boolean consumerClosed;

        MemoryConsumer(Channel channel) {
            this.channel = channel;
        }

        @Override
        public Optional<Delivery> poll(Duration timeout) throws QueueException, InterruptedException {
            List<Delivery> taken = take(1, timeout);
            return taken.isEmpty() ? Optional.empty() : Optional.of(taken.get(0));
        }

        /**
         * {@inheritDoc}
         *
         * <p>Takes the first message and every message then waiting, up to {@code max}, under one lock.
         */
        @Override
        public List<Delivery> pollBatch(int max, Duration timeout) throws QueueException, InterruptedException {
            if (max < 1) {
                throw new IllegalArgumentException("A batch holds at least 1 message, asked for " + max);
            }
            return take(max, timeout);
        }

        /** {@inheritDoc} Under one lock; a delivery of another consumer is acknowledged by its own. */
        @Override
        public void ackAll(Collection<Delivery> deliveries) throws QueueException {
            List<Delivery> others = new ArrayList<>();
            channel.lock.lock();
            try {
                for (Delivery delivery : deliveries) {
                    if (delivery instanceof MemoryDelivery mine && mine.consumer == this) {
                        mine.settleLocked(false);
                    } else {
                        others.add(delivery);
                    }
                }
            } finally {
                channel.lock.unlock();
            }
            if (!others.isEmpty()) {
                QueueConsumer.super.ackAll(others);
            }
        }

        /** Waits at most {@code timeout} for the first message, then takes those already waiting, up to max. */
        private List<Delivery> take(int max, Duration timeout) throws QueueException, InterruptedException {
            long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
            channel.lock.lockInterruptibly();
            try {
                if (consumerClosed) {
                    throw new QueueException("This " + channel.name + " consumer of site " + siteId + " is closed");
                }
                owner = Thread.currentThread();
                channel.consumers.add(this);
                while (true) {
                    ensureOpen();
                    channel.returnDeliveriesOfDeadConsumers();
                    if (!channel.waiting.isEmpty()) {
                        List<Delivery> taken = new ArrayList<>(Math.min(max, channel.waiting.size()));
                        while (taken.size() < max && !channel.waiting.isEmpty()) {
                            MemoryDelivery delivery = new MemoryDelivery(this, channel.waiting.pollFirst());
                            inFlight.add(delivery);
                            taken.add(delivery);
                        }
                        return taken;
                    }
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        return List.of();
                    }
                    channel.messageWaiting.awaitNanos(Math.min(remaining, DEAD_CONSUMER_CHECK_NANOS));
                }
            } finally {
                channel.lock.unlock();
            }
        }

        @Override
        public void close() {
            channel.lock.lock();
            try {
                closeLocked();
            } finally {
                channel.lock.unlock();
            }
        }

        void closeLocked() {
            if (consumerClosed) {
                return;
            }
            consumerClosed = true;
            returnInFlight();
            channel.consumers.remove(this);
        }

        /** Puts every unacknowledged delivery back at the head of the queue, oldest first. */
        void returnInFlight() {
            for (int i = inFlight.size() - 1; i >= 0; i--) {
                MemoryDelivery delivery = inFlight.get(i);
                delivery.settled = true;
                channel.waiting.addFirst(new Message(delivery.body, true));
            }
            inFlight.clear();
            channel.messageWaiting.signalAll();
        }
    }

    private final class MemoryDelivery implements Delivery {
        private final MemoryConsumer consumer;
        private final String body;
        private final boolean redelivered;
        /** Acked, released, or returned by its consumer; guarded by the channel lock. */
        private boolean settled;

        MemoryDelivery(MemoryConsumer consumer, Message message) {
            this.consumer = consumer;
            this.body = message.body();
            this.redelivered = message.redelivered();
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
        public void ack() {
            settle(false);
        }

        @Override
        public void release() {
            settle(true);
        }

        private void settle(boolean backToQueue) {
            Channel channel = consumer.channel;
            channel.lock.lock();
            try {
                settleLocked(backToQueue);
            } finally {
                channel.lock.unlock();
            }
        }

        /** Guarded by the channel lock. */
        void settleLocked(boolean backToQueue) {
            if (settled) {
                // Already returned with its consumer: the message is waiting again and may be redelivered.
                return;
            }
            settled = true;
            consumer.inFlight.remove(this);
            if (backToQueue) {
                Channel channel = consumer.channel;
                channel.waiting.addFirst(new Message(body, true));
                channel.messageWaiting.signalAll();
            }
        }
    }
}
