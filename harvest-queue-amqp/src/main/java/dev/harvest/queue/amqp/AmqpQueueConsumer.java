package dev.harvest.queue.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import dev.harvest.api.queue.Delivery;
import dev.harvest.api.queue.QueueConsumer;
import dev.harvest.api.queue.QueueException;
import dev.harvest.api.queue.QueueName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer of one RabbitMQ queue on a channel of its own.
 *
 * <p>{@link #poll} reads from a buffer fed by a push consumer ({@code basic.consume}) rather than calling
 * {@code basic.get}: only pushed deliveries obey the prefetch limit ({@code basic.qos}), which is what makes the
 * broker spread messages across consumers, and a push consumer waits without polling the broker in a loop. The buffer
 * never holds more than the prefetch, since the broker stops pushing at that many unacknowledged messages.
 *
 * <p>Every delivery remembers the <em>generation</em> of the channel it came on. When the channel shuts down (lost
 * connection), the broker re-queues all its unacknowledged messages and delivery tags start again on the recovered
 * channel; a delivery of an older generation is therefore dropped from the buffer, and its acknowledgement is not
 * sent, because on the new channel its tag would name another message.
 */
final class AmqpQueueConsumer implements QueueConsumer {

    private static final Logger log = LoggerFactory.getLogger(AmqpQueueConsumer.class);

    private final AmqpHarvestQueue owner;
    private final QueueName queue;
    private final String queueName;
    private final BlockingQueue<Pending> buffer = new LinkedBlockingQueue<>();
    private final AtomicLong generation = new AtomicLong();

    private final Object channelLock = new Object();
    /** Guarded by {@link #channelLock}. */
    private Channel channel;
    /** Guarded by {@link #channelLock}; null until subscribed, and again after the broker cancelled us. */
    private String consumerTag;
    /** Set when the channel died of a channel error, which automatic recovery does not repair. */
    private volatile boolean channelDead;
    /** Set when the broker cancelled the subscription, e.g. because the queue was deleted. */
    private volatile boolean cancelled;
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
     * <p>Subscribes on the first call, so that a consumer that never polls never holds messages. While the
     * connection is being recovered this waits for the whole timeout and then throws, so a caller that retries is
     * naturally paced.
     */
    @Override
    public Optional<Delivery> poll(Duration timeout) throws QueueException, InterruptedException {
        if (closed) {
            throw new IllegalStateException("This consumer of " + queueName + " is closed");
        }
        subscribeIfNeeded();
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        while (true) {
            Pending pending = buffer.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (pending == null) {
                break;
            }
            if (pending.generation() == generation.get()) {
                return Optional.of(new AmqpDelivery(pending));
            }
            log.trace("Dropped a delivery from a closed channel of {}; the broker has re-queued it", queueName);
        }
        if (!owner.connection().isOpen()) {
            throw new QueueException("The RabbitMQ connection is lost; " + queueName + " is consumed again once it is "
                    + "recovered" + (owner.config().automaticRecovery() ? "" : ", but automatic recovery is off"));
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        synchronized (channelLock) {
            if (closed) {
                return;
            }
            closed = true;
            generation.incrementAndGet();
            if (channel != null) {
                try {
                    if (consumerTag != null && channel.isOpen()) {
                        channel.basicCancel(consumerTag);
                    }
                } catch (IOException | ShutdownSignalException e) {
                    log.debug("Cancelling the consumer of {} failed; closing its channel anyway", queueName, e);
                }
                // closing the channel returns its unacknowledged deliveries to the queue
                AmqpHarvestQueue.closeQuietly(channel);
            }
            buffer.clear();
        }
        owner.forget(this);
    }

    private void subscribeIfNeeded() throws QueueException {
        synchronized (channelLock) {
            if (consumerTag != null && !cancelled && !channelDead) {
                return;
            }
            if (channelDead && owner.connection().isOpen()) {
                AmqpHarvestQueue.closeQuietly(channel);
                generation.incrementAndGet();
                openChannel();
            }
            if (!channel.isOpen()) {
                // the connection is being recovered, and this channel with it; until then poll finds nothing
                return;
            }
            // declared again in case the queue was deleted since, which is also why the broker cancels consumers
            owner.declare(queue);
            try {
                String tag = "harvest-" + queue.name().toLowerCase() + "-" + UUID.randomUUID();
                cancelled = false;
                consumerTag = channel.basicConsume(queueName, false, tag, new BufferingConsumer(channel));
            } catch (IOException | ShutdownSignalException e) {
                channelDead = true;
                throw new QueueException("Cannot consume RabbitMQ queue " + queueName + ": "
                        + AmqpHarvestQueue.describe(e), e);
            }
        }
    }

    /** Guarded by {@link #channelLock}. */
    private void openChannel() throws QueueException {
        try {
            Channel opened = owner.connection().createChannel();
            opened.basicQos(owner.config().prefetch());
            channel = opened;
            consumerTag = null;
            channelDead = false;
        } catch (IOException | ShutdownSignalException e) {
            throw new QueueException("Cannot open a RabbitMQ channel to consume " + queueName + ": "
                    + AmqpHarvestQueue.describe(e), e);
        }
    }

    private void settle(Pending pending, boolean acknowledge) throws QueueException {
        String what = acknowledge ? "acknowledge" : "release";
        synchronized (channelLock) {
            if (pending.generation() != generation.get()) {
                if (!acknowledge) {
                    return; // the broker re-queued it when the channel closed: released already
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
                throw new QueueException("Cannot " + what + " a message of " + queueName + " ("
                        + AmqpHarvestQueue.describe(e) + "); RabbitMQ re-queues it when the channel closes", e);
            }
            if (acknowledge && pending.generation() != generation.get()) {
                throw new QueueException("The RabbitMQ channel of " + queueName + " was lost while acknowledging a "
                        + "message; RabbitMQ may deliver it again");
            }
        }
    }

    /** One message pushed by the broker, tagged with the channel generation it came on. */
    private record Pending(long generation, long deliveryTag, boolean redelivered, String body) {}

    private final class BufferingConsumer extends DefaultConsumer {

        BufferingConsumer(Channel channel) {
            super(channel);
        }

        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            buffer.add(new Pending(generation.get(), envelope.getDeliveryTag(), envelope.isRedeliver(),
                    new String(body, StandardCharsets.UTF_8)));
        }

        /**
         * Runs after every delivery of the closing channel has been handed to {@link #handleDelivery}, and before
         * any delivery of its recovered successor, so the generation splits them exactly.
         */
        @Override
        public void handleShutdownSignal(String tag, ShutdownSignalException signal) {
            generation.incrementAndGet();
            buffer.clear();
            if (!signal.isHardError() && !signal.isInitiatedByApplication()) {
                // a channel error (e.g. an unknown delivery tag): the channel is gone for good, poll opens another
                log.warn("RabbitMQ closed the channel consuming {}: {}", queueName, signal.getMessage());
                channelDead = true;
            }
        }

        @Override
        public void handleCancel(String tag) {
            log.warn("RabbitMQ cancelled the consumer of {} (queue deleted?); the next poll subscribes again",
                    queueName);
            cancelled = true;
        }
    }

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
