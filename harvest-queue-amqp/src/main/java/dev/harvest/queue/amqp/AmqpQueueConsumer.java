package dev.harvest.queue.amqp;

import com.rabbitmq.client.Channel;
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
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
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
 */
final class AmqpQueueConsumer implements QueueConsumer {

    private static final Logger log = LoggerFactory.getLogger(AmqpQueueConsumer.class);

    /** Put in the buffer by {@link #close()} to wake a waiting poll. */
    private static final Pending CLOSED = new Pending(-1, -1, false, "");

    private final AmqpHarvestQueue owner;
    private final QueueName queue;
    private final String queueName;
    private final BlockingQueue<Pending> buffer = new LinkedBlockingQueue<>();
    private final AtomicLong epoch = new AtomicLong();

    private final Object channelLock = new Object();
    /** Replaced only under {@link #channelLock}. */
    private volatile Channel channel;
    /** Set when the channel died of a channel error, which automatic recovery does not repair. */
    private volatile boolean channelDead;
    private volatile boolean closed;

    private AmqpQueueConsumer(AmqpHarvestQueue owner, QueueName queue) {
        this.owner = owner;
        this.queue = queue;
        this.queueName = owner.queueName(queue);
    }

    static AmqpQueueConsumer open(AmqpHarvestQueue owner, QueueName queue) throws QueueException {
        AmqpQueueConsumer consumer = new AmqpQueueConsumer(owner, queue);
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
        String consumerTag = subscribe();
        try {
            buffered = takeBuffered(deadline - System.nanoTime());
        } finally {
            if (consumerTag != null) {
                unsubscribe(consumerTag);
            }
        }
        if (buffered.isEmpty() && !owner.connection().isOpen()) {
            throw new QueueException("The RabbitMQ connection is lost; " + queueName + " is consumed again once it is "
                    + "recovered" + (owner.config().automaticRecovery() ? "" : ", but automatic recovery is off"));
        }
        return buffered;
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
                return Optional.of(new AmqpDelivery(pending));
            }
            log.trace("Dropped a delivery from a closed channel of {}; the broker has re-queued it", queueName);
        }
    }

    private void checkNotClosed() throws QueueException {
        if (closed) {
            throw new QueueException("This consumer of RabbitMQ queue " + queueName + " is closed");
        }
    }

    /** @return the consumer tag, or null while the connection is being recovered */
    private String subscribe() throws QueueException {
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
                // manual acknowledgement: a message is done only when the engine acks it after its commit
                return channel.basicConsume(queueName, false, this::buffer, tag -> {});
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

    private void unsubscribe(String consumerTag) {
        synchronized (channelLock) {
            try {
                // Synchronous: once it returns the broker pushes nothing more, so this consumer holds no more
                // messages than the prefetch; deliveries already pushed wait in the buffer for the next poll.
                // Called on a closed channel too, since it also stops recovery from resubscribing.
                channel.basicCancel(consumerTag);
            } catch (IOException | ShutdownSignalException e) {
                log.debug("Cancelling a subscription to {} failed; it ends with its channel", queueName, e);
            }
        }
    }

    /** Guarded by {@link #channelLock}. */
    private void openChannel() throws QueueException {
        try {
            Channel opened = owner.connection().createChannel();
            opened.basicQos(owner.config().prefetch());
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

    /** Called by amqp-client's dispatcher thread for each pushed message. */
    private void buffer(String consumerTag, com.rabbitmq.client.Delivery message) {
        Envelope envelope = message.getEnvelope();
        buffer.add(new Pending(epoch.get(), envelope.getDeliveryTag(), envelope.isRedeliver(),
                new String(message.getBody(), StandardCharsets.UTF_8)));
    }

    /** @return whether the delivery's channel is still the open, current one, so that its tag can be acknowledged */
    private boolean isCurrent(Pending pending) {
        return pending.epoch() == epoch.get() && channel.isOpen();
    }

    private void settle(Pending pending, boolean acknowledge) throws QueueException {
        synchronized (channelLock) {
            if (!isCurrent(pending)) {
                if (!acknowledge) {
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
        }
    }

    /** One message pushed by the broker, tagged with the epoch of the channel it came on. */
    private record Pending(long epoch, long deliveryTag, boolean redelivered, String body) {}

    private final class AmqpDelivery implements Delivery {

        private final Pending pending;
        private boolean settled;

        AmqpDelivery(Pending pending) {
            this.pending = pending;
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
        public synchronized void ack() throws QueueException {
            if (!settled) {
                settle(pending, true);
                settled = true;
            }
        }

        /** {@inheritDoc} Sent as {@code basic.nack} with {@code requeue=true}. */
        @Override
        public synchronized void release() throws QueueException {
            if (!settled) {
                settle(pending, false);
                settled = true;
            }
        }
    }
}
