package dev.harvest.queue.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Consumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownSignalException;
import dev.harvest.api.queue.Delivery;
import dev.harvest.api.queue.QueueConsumer;
import dev.harvest.api.queue.QueueException;
import dev.harvest.api.queue.QueueName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer of one RabbitMQ queue on a channel of its own.
 *
 * <p>{@link #poll} waits on a push subscription ({@code basic.consume}) rather than looping on {@code basic.get}:
 * a push consumer waits without asking the broker again and again, and only pushed deliveries obey the prefetch
 * limit ({@code basic.qos}), so the broker spreads messages across consumers. The subscription is held only while
 * a poll waits: the poll subscribes, takes what the broker pushes (at most the prefetch, since the broker stops at
 * that many unacknowledged messages), and cancels. Later polls are served from what was pushed before subscribing
 * again. A consumer therefore never takes messages its thread did not ask for; with the default prefetch of 1 it
 * holds exactly the message it is working on, so an idle consumer is never starved by a busy one that sits on a
 * backlog, and {@link AmqpHarvestQueue#waitingCount} is exact.
 *
 * <p>Every delivery remembers the <em>epoch</em> of the channel it came on: the epoch changes whenever automatic
 * recovery replaces the channel underneath, or this consumer replaces a channel that died of a channel error. When a
 * channel shuts down, the broker re-queues all its unacknowledged messages, and delivery tags start again on its
 * successor. A delivery of a closed channel or an older epoch is therefore dropped from the buffer, and its
 * acknowledgement is not sent, because on the new channel its tag would name another message (amqp-client also
 * drops such stale tags itself; the epoch is what lets {@link Delivery#ack()} say so instead of pretending).
 *
 * <p>Batches: the channel's prefetch is {@code max(harvest.mq.amqp.prefetch, batchSize)} for a consumer opened with
 * {@link AmqpHarvestQueue#consumer(QueueName, int)}, so one subscription can bring a whole batch. Cancelling a
 * subscription waits (briefly, on this process only) until the dispatcher has buffered every message the broker
 * pushed before its {@code cancel-ok}: once a poll returns, the buffer holds all that subscription will ever bring, at
 * most the prefetch, and the next poll subscribes only when the buffer is empty. {@link #pollBatch} is therefore a
 * poll plus what the buffer then holds, up to {@code max}. {@link #ackAll} sends one {@code basic.ack} with
 * {@code multiple=true} when the batch is exactly the unsettled deliveries of the current channel up to its last
 * tag, and acknowledges one by one otherwise; the epoch fences both.
 */
final class AmqpQueueConsumer implements QueueConsumer {

    private static final Logger log = LoggerFactory.getLogger(AmqpQueueConsumer.class);

    /** Put in the buffer by {@link #close()} to wake a waiting poll. */
    private static final Pending CLOSED = new Pending(-1, -1, false, "");

    /**
     * The longest wait, after a subscription is cancelled, for its deliveries to reach the buffer. They were all
     * received before the {@code cancel-ok} that ended the cancel, so this wait is for a local thread, not the
     * broker; a delivery late beyond it still lands in the buffer and is handed out by the next poll.
     */
    private static final long CANCEL_DISPATCH_WAIT_MILLIS = 2_000;

    /** Deliveries by channel epoch, then delivery tag: the order of tags on one channel. */
    private static final Comparator<Pending> CHANNEL_ORDER =
            Comparator.comparingLong(Pending::epoch).thenComparingLong(Pending::deliveryTag);

    private final AmqpHarvestQueue owner;
    private final QueueName queue;
    private final String queueName;
    private final int prefetch;
    private final BlockingQueue<Pending> buffer = new LinkedBlockingQueue<>();
    private final AtomicLong epoch = new AtomicLong();
    /**
     * Deliveries handed out and not yet settled. Those of the current epoch have lower tags than anything still in
     * the buffer, since the buffer hands out in tag order; entries of older epochs are pruned by {@link #ackAll}.
     */
    private final NavigableSet<Pending> outstanding = new ConcurrentSkipListSet<>(CHANNEL_ORDER);

    private final Object channelLock = new Object();
    /** Replaced only under {@link #channelLock}. */
    private volatile Channel channel;
    /** Set when the channel died of a channel error, which automatic recovery does not repair. */
    private volatile boolean channelDead;
    private volatile boolean closed;

    private AmqpQueueConsumer(AmqpHarvestQueue owner, QueueName queue, int prefetch) {
        this.owner = owner;
        this.queue = queue;
        this.queueName = owner.queueName(queue);
        this.prefetch = prefetch;
    }

    /**
     * @param prefetch the {@code basic.qos} of the consumer's channel: how many unacknowledged messages one
     *     subscription may receive
     */
    static AmqpQueueConsumer open(AmqpHarvestQueue owner, QueueName queue, int prefetch) throws QueueException {
        AmqpQueueConsumer consumer = new AmqpQueueConsumer(owner, queue, prefetch);
        synchronized (consumer.channelLock) {
            consumer.openChannel();
        }
        return consumer;
    }

    /**
     * {@inheritDoc}
     *
     * <p>While the connection is being recovered this waits for the whole timeout and then throws, so a caller that
     * retries is naturally paced.
     *
     * @throws QueueException also when the consumer or its queue is closed, even while waiting
     */
    @Override
    public Optional<Delivery> poll(Duration timeout) throws QueueException, InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        Optional<Delivery> buffered = takeBuffered(0);
        if (buffered.isPresent()) {
            return buffered;
        }
        Subscription subscription = subscribe();
        try {
            buffered = takeBuffered(deadline - System.nanoTime());
        } finally {
            if (subscription != null) {
                unsubscribe(subscription);
            }
        }
        if (buffered.isEmpty() && !owner.connection().isOpen()) {
            throw new QueueException("The RabbitMQ connection is lost; " + queueName + " is consumed again once it is "
                    + "recovered" + (owner.config().automaticRecovery() ? "" : ", but automatic recovery is off"));
        }
        return buffered;
    }

    /**
     * {@inheritDoc}
     *
     * <p>If messages pushed by an earlier subscription are buffered, returns them (up to {@code max}) without
     * subscribing. Otherwise polls, and adds to the first delivery what the same subscription brought, up to
     * {@code max}: at most the channel's prefetch, so a batch is as large as the prefetch allows and no larger
     * than {@code max}; the rest stays buffered for the next call.
     */
    @Override
    public List<Delivery> pollBatch(int max, Duration timeout) throws QueueException, InterruptedException {
        if (max < 1) {
            throw new IllegalArgumentException("A batch holds at least 1 message, asked for " + max);
        }
        checkNotClosed();
        List<Delivery> batch = new ArrayList<>(Math.min(max, prefetch));
        drainBuffered(batch, max);
        if (!batch.isEmpty()) {
            return batch;
        }
        Optional<Delivery> first = poll(timeout);
        if (first.isEmpty()) {
            return List.of();
        }
        batch.add(first.get());
        drainBuffered(batch, max);
        return batch;
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@code basic.ack(lastTag, multiple=true)} when the deliveries of this consumer in the collection are
     * exactly its unsettled deliveries of the current channel with tags up to the last of them; otherwise one
     * {@code basic.ack} each. A delivery whose channel was lost is not acknowledged (RabbitMQ re-queued it): it is
     * reported in the {@link QueueException}, after the others were acknowledged.
     */
    @Override
    public void ackAll(Collection<Delivery> deliveries) throws QueueException {
        Set<AmqpDelivery> mine = new LinkedHashSet<>();
        List<Delivery> others = new ArrayList<>();
        for (Delivery delivery : deliveries) {
            if (delivery instanceof AmqpDelivery own && own.consumer() == this) {
                mine.add(own);
            } else {
                others.add(delivery);
            }
        }
        List<QueueException> failures = new ArrayList<>();
        synchronized (channelLock) {
            long currentEpoch = epoch.get();
            outstanding.headSet(new Pending(currentEpoch, Long.MIN_VALUE, false, ""), false).clear();
            List<AmqpDelivery> current = new ArrayList<>(mine.size());
            List<AmqpDelivery> stale = new ArrayList<>();
            for (AmqpDelivery delivery : mine) {
                if (!delivery.settled) {
                    (isCurrent(delivery.pending) ? current : stale).add(delivery);
                }
            }
            if (current.size() > 1 && coversEveryOutstandingUpToItsLast(current, currentEpoch)) {
                acknowledgeUpTo(current, currentEpoch, failures);
            } else {
                settleEach(current, failures);
            }
            settleEach(stale, failures);
        }
        if (!others.isEmpty()) {
            try {
                QueueConsumer.super.ackAll(others);
            } catch (QueueException e) {
                failures.add(e);
            }
        }
        if (!failures.isEmpty()) {
            QueueException first = failures.get(0);
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }

    /** Guarded by {@link #channelLock}; every delivery is unsettled and of the current epoch. */
    private boolean coversEveryOutstandingUpToItsLast(List<AmqpDelivery> deliveries, long currentEpoch) {
        long lastTag = lastTag(deliveries);
        int outstandingUpToLast = outstanding.subSet(new Pending(currentEpoch, Long.MIN_VALUE, false, ""), true,
                new Pending(currentEpoch, lastTag, false, ""), true).size();
        return outstandingUpToLast == deliveries.size();
    }

    /** Guarded by {@link #channelLock}: one {@code basic.ack} with {@code multiple=true} for the whole batch. */
    private void acknowledgeUpTo(List<AmqpDelivery> deliveries, long currentEpoch, List<QueueException> failures) {
        long lastTag = lastTag(deliveries);
        try {
            channel.basicAck(lastTag, true);
        } catch (IOException | ShutdownSignalException e) {
            failures.add(new QueueException("Cannot acknowledge " + deliveries.size() + " messages of " + queueName
                    + " (" + AmqpHarvestQueue.describe(e) + "); RabbitMQ re-queues them when the channel closes", e));
            return;
        }
        if (epoch.get() != currentEpoch) {
            failures.add(new QueueException("The RabbitMQ channel of " + queueName + " was replaced while "
                    + "acknowledging " + deliveries.size() + " messages; RabbitMQ may deliver them again"));
            return;
        }
        for (AmqpDelivery delivery : deliveries) {
            delivery.settled = true;
            outstanding.remove(delivery.pending);
        }
    }

    /** Guarded by {@link #channelLock}. */
    private void settleEach(List<AmqpDelivery> deliveries, List<QueueException> failures) {
        for (AmqpDelivery delivery : deliveries) {
            try {
                settle(delivery, true);
            } catch (QueueException e) {
                failures.add(e);
            }
        }
    }

    private static long lastTag(List<AmqpDelivery> deliveries) {
        long last = Long.MIN_VALUE;
        for (AmqpDelivery delivery : deliveries) {
            last = Math.max(last, delivery.pending.deliveryTag());
        }
        return last;
    }

    @Override
    public void close() {
        synchronized (channelLock) {
            if (closed) {
                return;
            }
            closed = true;
            epoch.incrementAndGet();
            buffer.clear();
            outstanding.clear();
            buffer.add(CLOSED);
            if (channel != null) {
                // closing the channel returns its unacknowledged deliveries to the queue
                AmqpHarvestQueue.closeQuietly(channel);
            }
        }
        owner.forget(this);
    }

    /** Drops an open channel without a goodbye, as a killed process would; for tests of the contract. */
    void abortChannel() throws IOException {
        synchronized (channelLock) {
            channel.abort();
        }
    }

    private Optional<Delivery> takeBuffered(long timeoutNanos) throws QueueException, InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, timeoutNanos);
        while (true) {
            checkNotClosed();
            Pending pending = buffer.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (pending == null) {
                return Optional.empty();
            }
            if (pending == CLOSED) {
                buffer.add(CLOSED); // for any other thread waiting on this consumer
                checkNotClosed();
            }
            if (isCurrent(pending)) {
                return Optional.of(handOut(pending));
            }
            log.trace("Dropped a delivery from a closed channel of {}; the broker has re-queued it", queueName);
        }
    }

    /** Adds what is buffered, up to max, without waiting; never throws, so a batch already begun is kept. */
    private void drainBuffered(List<Delivery> batch, int max) {
        while (batch.size() < max) {
            Pending pending = buffer.poll();
            if (pending == null) {
                return;
            }
            if (pending == CLOSED) {
                buffer.add(CLOSED); // the next poll reports the close
                return;
            }
            if (isCurrent(pending)) {
                batch.add(handOut(pending));
            } else {
                log.trace("Dropped a delivery from a closed channel of {}; the broker has re-queued it", queueName);
            }
        }
    }

    private AmqpDelivery handOut(Pending pending) {
        outstanding.add(pending);
        return new AmqpDelivery(pending);
    }

    private void checkNotClosed() throws QueueException {
        if (closed) {
            throw new QueueException("This consumer of RabbitMQ queue " + queueName + " is closed");
        }
    }

    /** @return the subscription, or null while the connection is being recovered */
    private Subscription subscribe() throws QueueException {
        synchronized (channelLock) {
            checkNotClosed();
            if (channelDead && owner.connection().isOpen()) {
                AmqpHarvestQueue.closeQuietly(channel);
                epoch.incrementAndGet();
                openChannel();
            }
            if (!channel.isOpen()) {
                return null; // being recovered with the connection; until then poll finds nothing
            }
            try {
                Subscription subscription = new Subscription(channel);
                // manual acknowledgement: a message is done only when the engine acks it after its commit
                subscription.consumerTag = channel.basicConsume(queueName, false, subscription);
                return subscription;
            } catch (IOException | ShutdownSignalException e) {
                if (AmqpHarvestQueue.replyCode(e) == 404) {
                    channelDead = true;
                    // deleted since this consumer was created: declare it again for the next poll
                    owner.declare(queue);
                }
                throw new QueueException("Cannot consume RabbitMQ queue " + queueName + ": "
                        + AmqpHarvestQueue.describe(e), e);
            }
        }
    }

    /**
     * Cancels a subscription and waits until every message pushed to it is in the buffer, so that the buffer never
     * holds more than one subscription's prefetch and a batch can take all that subscription brought.
     */
    private void unsubscribe(Subscription subscription) {
        boolean cancelled = false;
        synchronized (channelLock) {
            try {
                // Synchronous: once it returns the broker pushes nothing more, so this consumer holds no more
                // messages than the prefetch; deliveries already pushed wait in the buffer for the next poll.
                // Called on a closed channel too, since it also stops recovery from resubscribing.
                subscription.channel.basicCancel(subscription.consumerTag);
                cancelled = true;
            } catch (IOException | ShutdownSignalException e) {
                log.debug("Cancelling a subscription to {} failed; it ends with its channel", queueName, e);
            }
        }
        if (cancelled) {
            subscription.awaitDispatched();
        }
    }

    /** Guarded by {@link #channelLock}. */
    private void openChannel() throws QueueException {
        try {
            Channel opened = owner.connection().createChannel();
            opened.basicQos(prefetch);
            opened.addShutdownListener(signal -> {
                if (!signal.isHardError() && !signal.isInitiatedByApplication()) {
                    // a channel error, which automatic recovery does not repair: the next poll opens another channel
                    log.warn("RabbitMQ closed the channel consuming {}: {}", queueName, signal.getMessage());
                    channelDead = true;
                }
            });
            if (opened instanceof Recoverable recoverable) {
                recoverable.addRecoveryListener(new RecoveryListener() {
                    @Override
                    public void handleRecoveryStarted(Recoverable recovering) {
                        // the new channel is in place; recovered subscriptions deliver on it only after this
                        epoch.incrementAndGet();
                        buffer.clear();
                    }

                    @Override
                    public void handleRecovery(Recoverable recovered) {}
                });
            }
            channel = opened;
            channelDead = false;
        } catch (IOException | ShutdownSignalException e) {
            throw new QueueException("Cannot open a RabbitMQ channel to consume " + queueName + ": "
                    + AmqpHarvestQueue.describe(e), e);
        }
    }

    /** @return whether the delivery's channel is still the open, current one, so that its tag can be acknowledged */
    private boolean isCurrent(Pending pending) {
        return pending.epoch() == epoch.get() && channel.isOpen();
    }

    /** Settles one delivery; does nothing if it is settled already. */
    private void settle(AmqpDelivery delivery, boolean acknowledge) throws QueueException {
        Pending pending = delivery.pending;
        synchronized (channelLock) {
            if (delivery.settled) {
                return;
            }
            if (!isCurrent(pending)) {
                outstanding.remove(pending);
                if (!acknowledge) {
                    delivery.settled = true;
                    return; // its channel is gone, and with it the delivery: RabbitMQ re-queued it already
                }
                throw new QueueException("Cannot acknowledge a message of " + queueName + ": the channel it came on "
                        + (closed ? "was closed with the consumer" : "was lost") + ", so RabbitMQ has re-queued it "
                        + "and will deliver it again");
            }
            try {
                if (acknowledge) {
                    channel.basicAck(pending.deliveryTag(), false);
                } else {
                    channel.basicNack(pending.deliveryTag(), false, true);
                }
            } catch (IOException | ShutdownSignalException e) {
                throw new QueueException("Cannot " + (acknowledge ? "acknowledge" : "release") + " a message of "
                        + queueName + " (" + AmqpHarvestQueue.describe(e) + "); RabbitMQ re-queues it when the "
                        + "channel closes", e);
            }
            if (acknowledge && pending.epoch() != epoch.get()) {
                throw new QueueException("The RabbitMQ channel of " + queueName + " was replaced while acknowledging "
                        + "a message; RabbitMQ may deliver it again");
            }
            delivery.settled = true;
            outstanding.remove(pending);
        }
    }

    /** One message pushed by the broker, tagged with the epoch of the channel it came on. */
    private record Pending(long epoch, long deliveryTag, boolean redelivered, String body) {}

    /**
     * One {@code basic.consume}: buffers what the broker pushes, and tells when the broker's {@code cancel-ok} (or the
     * channel's end) has been dispatched, after every delivery pushed before it. Called on amqp-client's dispatcher
     * thread, in the order the broker sent the frames.
     */
    private final class Subscription implements Consumer {
        private final Channel channel;
        private final CountDownLatch ended = new CountDownLatch(1);
        private volatile String consumerTag;

        Subscription(Channel channel) {
            this.channel = channel;
        }

        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            buffer.add(new Pending(epoch.get(), envelope.getDeliveryTag(), envelope.isRedeliver(),
                    new String(body, StandardCharsets.UTF_8)));
        }

        @Override
        public void handleCancelOk(String tag) {
            ended.countDown();
        }

        @Override
        public void handleCancel(String tag) {
            ended.countDown(); // cancelled by the broker, e.g. the queue was deleted
        }

        @Override
        public void handleShutdownSignal(String tag, ShutdownSignalException signal) {
            ended.countDown();
        }

        @Override
        public void handleConsumeOk(String tag) {}

        @Override
        public void handleRecoverOk(String tag) {}

        /** Waits, boundedly, until the deliveries received before the cancel-ok are in the buffer. */
        void awaitDispatched() {
            try {
                if (!ended.await(CANCEL_DISPATCH_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                    log.debug("The cancel-ok of a subscription to {} was not dispatched within {} ms; its last "
                            + "deliveries reach the buffer later", queueName, CANCEL_DISPATCH_WAIT_MILLIS);
                }
            } catch (InterruptedException e) {
                // What was taken belongs to the caller; the interrupt is for its next blocking call.
                Thread.currentThread().interrupt();
            }
        }
    }

    private final class AmqpDelivery implements Delivery {

        private final Pending pending;
        /** Acknowledged, or released; guarded by {@link #channelLock}. */
        private boolean settled;

        AmqpDelivery(Pending pending) {
            this.pending = pending;
        }

        AmqpQueueConsumer consumer() {
            return AmqpQueueConsumer.this;
        }

        @Override
        public String body() {
            return pending.body();
        }

        @Override
        public boolean redelivered() {
            return pending.redelivered();
        }

        /**
         * {@inheritDoc}
         *
         * <p>A second call, or a call after {@link #release()}, does nothing: acknowledging a delivery tag twice is
         * a channel error in AMQP and would close the channel with all its other deliveries.
         */
        @Override
        public void ack() throws QueueException {
            settle(this, true);
        }

        /** {@inheritDoc} Sent as {@code basic.nack} with {@code requeue=true}. */
        @Override
        public void release() throws QueueException {
            settle(this, false);
        }
    }
}
