package dev.harvest.queue.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownSignalException;
import dev.harvest.api.queue.HarvestQueue;
import dev.harvest.api.queue.QueueConsumer;
import dev.harvest.api.queue.QueueException;
import dev.harvest.api.queue.QueueMessages;
import dev.harvest.api.queue.QueueName;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gather and fetch queues of one site on RabbitMQ, with ckanext-harvest's names: exchange {@code ckan.harvest}
 * (direct, durable), queues {@code ckan.harvest.<site_id>.gather|fetch} (durable), routing keys
 * {@code ckanext-harvest:<site_id>:harvest_job_id|harvest_object_id}.
 *
 * <p>Unlike the original, it keeps every message it accepts:
 * <ul>
 *   <li>the exchange, both queues and their bindings are declared when the queue opens and again by every consumer,
 *       so a message published before any consumer ever ran waits in its queue instead of being dropped;</li>
 *   <li>messages are persistent and published with confirms: {@link #publish} returns only when the broker has
 *       confirmed every message, and throws otherwise (nack, timeout, lost connection, unroutable message);</li>
 *   <li>consumers acknowledge manually, only when the engine calls {@link dev.harvest.api.queue.Delivery#ack()} (or
 *       {@link QueueConsumer#ackAll} for a batch), with a bounded prefetch so that several consumers share the work;
 *       a consumer opened for batches has a prefetch of at least its batch size;</li>
 *   <li>heartbeats detect dead connections, and the connection, its channels, the topology and the consumers are
 *       recovered automatically.</li>
 * </ul>
 *
 * <p>AMQP cannot remove a message that is already waiting, so the gather queue does not de-duplicate job ids as the
 * Redis backend does. A duplicate gather message is harmless: the engine claims a job with a compare-and-set, and
 * the second delivery finds the job already claimed.
 *
 * <p>Thread-safe. Publishing, declaring and the queue's administration share one channel guarded by a lock; each
 * consumer has a channel of its own, since AMQP channels must not be shared between threads.
 */
public final class AmqpHarvestQueue implements HarvestQueue {

    private static final Logger log = LoggerFactory.getLogger(AmqpHarvestQueue.class);

    /** As ckanext-harvest: persistent ({@code delivery_mode=2}), no other properties. */
    private static final AMQP.BasicProperties PERSISTENT = new AMQP.BasicProperties.Builder().deliveryMode(2).build();

    private static final int NOT_FOUND = 404;

    /** The largest {@code basic.qos} prefetch count, an unsigned short in AMQP 0-9-1. */
    static final int MAX_PREFETCH = 65_535;

    /** Numbers the connections of this process, so that an operator can tell them apart in the broker's UI. */
    private static final AtomicLong CONNECTIONS_OPENED = new AtomicLong();

    private final AmqpQueueConfig config;
    private final Connection connection;
    private final Set<AmqpQueueConsumer> consumers = ConcurrentHashMap.newKeySet();
    private final AtomicLong connectionLosses = new AtomicLong();
    private volatile boolean closed;

    private final Object publishLock = new Object();
    /** Guarded by {@link #publishLock}; null when it must be (re)opened. */
    private Channel publishChannel;
    /** Queues whose topology the current publishing channel has declared; guarded by {@link #publishLock}. */
    private final Set<QueueName> declared = EnumSet.noneOf(QueueName.class);
    /** Incremented whenever the publishing channel shuts down: confirms awaited across a recovery are lost. */
    private final AtomicLong publishGeneration = new AtomicLong();
    /** Messages the broker returned as unroutable during the current publish. */
    private final AtomicInteger returnedDuringPublish = new AtomicInteger();

    private AmqpHarvestQueue(AmqpQueueConfig config, Connection connection) {
        this.config = config;
        this.connection = connection;
    }

    /**
     * Connects to the broker and declares the exchange, both queues and their bindings.
     *
     * @param config the configuration
     * @return the open queue
     * @throws QueueException if the broker cannot be reached or refuses the connection; the message names the keys
     *     to check
     */
    public static AmqpHarvestQueue open(AmqpQueueConfig config) throws QueueException {
        Connection connection = connect(config);
        AmqpHarvestQueue queue = new AmqpHarvestQueue(config, connection);
        connection.addShutdownListener(cause -> {
            if (!cause.isInitiatedByApplication()) {
                queue.connectionLosses.incrementAndGet();
            }
        });
        try {
            for (QueueName name : QueueName.values()) {
                queue.declare(name);
            }
        } catch (QueueException | RuntimeException e) {
            queue.close();
            throw e;
        }
        log.info("Connected to RabbitMQ {}", config);
        return queue;
    }

    /** @return the name this queue's connection shows in the broker, e.g. {@code harvest default #3} */
    public String connectionName() {
        return connection.getClientProvidedName();
    }

    /** @return the configuration this queue was opened with */
    public AmqpQueueConfig config() {
        return config;
    }

    @Override
    public void publish(QueueName queue, Collection<String> ids) throws QueueException {
        List<byte[]> bodies = new ArrayList<>(ids.size());
        for (String id : ids) {
            bodies.add(QueueMessages.body(queue, id).getBytes(StandardCharsets.UTF_8));
        }
        if (bodies.isEmpty()) {
            return;
        }
        String routingKey = queue.routingKey(config.siteId());
        synchronized (publishLock) {
            Channel channel = publishChannel();
            declareOn(channel, queue);
            long generation = publishGeneration.get();
            returnedDuringPublish.set(0);
            try {
                for (byte[] body : bodies) {
                    // mandatory: an unroutable message comes back as basic.return instead of vanishing
                    channel.basicPublish(AmqpQueueConfig.EXCHANGE, routingKey, true, PERSISTENT, body);
                }
                channel.waitForConfirmsOrDie(config.confirmTimeoutMillis());
            } catch (IOException e) {
                // waitForConfirmsOrDie closed the channel after a nack; the next publish opens a new one
                discardPublishChannel();
                throw new QueueException("RabbitMQ did not confirm the " + bodies.size() + " message(s) published to "
                        + queueName(queue) + " (" + e.getMessage() + "); they may not be stored, publish them again", e);
            } catch (TimeoutException e) {
                discardPublishChannel();
                throw new QueueException("RabbitMQ did not confirm the " + bodies.size() + " message(s) published to "
                        + queueName(queue) + " within " + config.confirmTimeoutMillis() + " ms (see "
                        + AmqpQueueConfig.CONFIRM_TIMEOUT_MS + "); they may not be stored, publish them again", e);
            } catch (ShutdownSignalException e) {
                throw new QueueException("Lost the RabbitMQ channel while publishing to " + queueName(queue) + " ("
                        + e.getMessage() + "); the messages may not be stored, publish them again", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new QueueException("Interrupted while waiting for RabbitMQ to confirm messages published to "
                        + queueName(queue) + "; they may not be stored", e);
            }
            if (publishGeneration.get() != generation) {
                // After a recovery the new channel's confirm set is empty, so the wait above succeeds vacuously.
                throw new QueueException("The RabbitMQ connection was lost and recovered while publishing to "
                        + queueName(queue) + "; the messages may not be stored, publish them again");
            }
            int returned = returnedDuringPublish.get();
            if (returned > 0) {
                declared.remove(queue);
                throw new QueueException(returned + " message(s) published to exchange " + AmqpQueueConfig.EXCHANGE
                        + " with routing key " + routingKey + " reached no queue (was " + queueName(queue)
                        + " deleted?); it will be declared again on the next publish, publish them again");
            }
        }
    }

    @Override
    public QueueConsumer consumer(QueueName queue) throws QueueException {
        return open(queue, config.prefetch());
    }

    /**
     * {@inheritDoc}
     *
     * <p>The consumer's channel gets a prefetch ({@code basic.qos}) of {@code max(harvest.mq.amqp.prefetch,
     * batchSize)}, at most {@value #MAX_PREFETCH}: the broker pushes at most that many unacknowledged messages to one
     * subscription, so with the default prefetch of 1 a batch would otherwise never hold more than one message. The
     * consumer still never takes more than one subscription's prefetch without being asked: a poll subscribes only
     * when nothing pushed earlier is left.
     *
     * @throws IllegalArgumentException if {@code batchSize} is less than 1
     */
    @Override
    public QueueConsumer consumer(QueueName queue, int batchSize) throws QueueException {
        if (batchSize < 1) {
            throw new IllegalArgumentException("A batch holds at least 1 message, asked for " + batchSize);
        }
        return open(queue, Math.min(MAX_PREFETCH, Math.max(config.prefetch(), batchSize)));
    }

    private QueueConsumer open(QueueName queue, int prefetch) throws QueueException {
        checkOpen();
        declare(queue);
        AmqpQueueConsumer consumer = AmqpQueueConsumer.open(this, queue, prefetch);
        consumers.add(consumer);
        return consumer;
    }

    @Override
    public long purge(QueueName queue) throws QueueException {
        String name = queueName(queue);
        return onTemporaryChannel("purge " + name, channel -> channel.queuePurge(name).getMessageCount());
    }

    /**
     * {@inheritDoc}
     *
     * <p>The count is RabbitMQ's number of ready messages; messages pushed to a consumer within its prefetch are
     * in flight and not counted.
     */
    @Override
    public long waitingCount(QueueName queue) throws QueueException {
        String name = queueName(queue);
        return onTemporaryChannel("count the messages of " + name,
                channel -> channel.queueDeclarePassive(name).getMessageCount());
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (AmqpQueueConsumer consumer : List.copyOf(consumers)) {
            consumer.close();
        }
        try {
            // closing the connection returns every unacknowledged delivery to its queue
            connection.close();
        } catch (IOException | ShutdownSignalException e) {
            log.debug("Closing the RabbitMQ connection failed; it is closed anyway", e);
        }
    }

    /**
     * Declares the exchange, one queue and its binding; idempotent. Declared on the long-lived publishing channel so
     * that topology recovery, which replays declarations on the channel that made them, never uses a closed one.
     */
    void declare(QueueName queue) throws QueueException {
        synchronized (publishLock) {
            Channel channel = publishChannel();
            declared.remove(queue);
            declareOn(channel, queue);
        }
    }

    Connection connection() {
        return connection;
    }

    /** @return how often the broker or the network ended this queue's connection */
    long connectionLosses() {
        return connectionLosses.get();
    }

    String queueName(QueueName queue) {
        return queue.amqpQueueName(config.siteId());
    }

    void forget(AmqpQueueConsumer consumer) {
        consumers.remove(consumer);
    }

    void checkOpen() throws QueueException {
        if (closed) {
            throw new QueueException("The RabbitMQ queue of site " + config.siteId() + " is closed");
        }
    }

    /** Guarded by {@link #publishLock}. */
    private void declareOn(Channel channel, QueueName queue) throws QueueException {
        if (declared.contains(queue)) {
            return;
        }
        String name = queueName(queue);
        try {
            channel.exchangeDeclare(AmqpQueueConfig.EXCHANGE, BuiltinExchangeType.DIRECT, true);
            channel.queueDeclare(name, true, false, false, null);
            channel.queueBind(name, AmqpQueueConfig.EXCHANGE, queue.routingKey(config.siteId()));
        } catch (IOException | ShutdownSignalException e) {
            discardPublishChannel();
            throw new QueueException("Cannot declare RabbitMQ exchange " + AmqpQueueConfig.EXCHANGE + ", queue " + name
                    + " and its binding: " + describe(e), e);
        }
        declared.add(queue);
    }

    /** Guarded by {@link #publishLock}. */
    private Channel publishChannel() throws QueueException {
        checkOpen();
        if (publishChannel != null && publishChannel.isOpen()) {
            return publishChannel;
        }
        if (publishChannel != null && !connection.isOpen()) {
            // the connection is down; recovery will reopen this same channel
            throw new QueueException("The RabbitMQ connection to " + config.hostname() + ":" + config.port()
                    + " is lost and being recovered; publish again later");
        }
        // closed by a channel error (e.g. a missing exchange), which automatic recovery does not repair
        discardPublishChannel();
        try {
            Channel channel = connection.createChannel();
            channel.confirmSelect();
            channel.addReturnListener(returned -> returnedDuringPublish.incrementAndGet());
            channel.addShutdownListener(cause -> publishGeneration.incrementAndGet());
            publishChannel = channel;
            declared.clear();
            return channel;
        } catch (IOException | ShutdownSignalException e) {
            throw new QueueException("Cannot open a RabbitMQ channel to " + config.hostname() + ":" + config.port()
                    + ": " + describe(e), e);
        }
    }

    private <T> T onTemporaryChannel(String what, ChannelOperation<T> operation) throws QueueException {
        checkOpen();
        Channel channel;
        try {
            channel = connection.createChannel();
        } catch (IOException | ShutdownSignalException e) {
            throw new QueueException("Cannot " + what + ": no RabbitMQ channel (" + describe(e) + ")", e);
        }
        // a temporary channel, because a failed passive declare or purge of a missing queue closes the channel
        try {
            return operation.apply(channel);
        } catch (IOException | ShutdownSignalException e) {
            if (replyCode(e) == NOT_FOUND) {
                // the queue does not exist, so nothing waits in it; a consumer or publish declares it again
                @SuppressWarnings("unchecked")
                T zero = (T) Long.valueOf(0);
                return zero;
            }
            throw new QueueException("Cannot " + what + ": " + describe(e), e);
        } finally {
            closeQuietly(channel);
        }
    }

    /** Guarded by {@link #publishLock}. */
    private void discardPublishChannel() {
        if (publishChannel != null) {
            closeQuietly(publishChannel);
            publishChannel = null;
        }
    }

    private static Connection connect(AmqpQueueConfig config) throws QueueException {
        try {
            Connection connection = config.connectionFactory()
                    .newConnection("harvest " + config.siteId() + " #" + CONNECTIONS_OPENED.incrementAndGet());
            connection.addShutdownListener(cause -> {
                if (!cause.isInitiatedByApplication()) {
                    log.warn("Lost the RabbitMQ connection to {}:{} ({}){}", config.hostname(), config.port(),
                            cause.getMessage(), config.automaticRecovery() ? "; recovering" : "");
                }
            });
            if (connection instanceof Recoverable recoverable) {
                recoverable.addRecoveryListener(new RecoveryListener() {
                    @Override
                    public void handleRecovery(Recoverable recovered) {
                        log.info("Recovered the RabbitMQ connection to {}:{}", config.hostname(), config.port());
                    }

                    @Override
                    public void handleRecoveryStarted(Recoverable recovering) {
                        log.info("Recovering the RabbitMQ connection to {}:{}", config.hostname(), config.port());
                    }
                });
            }
            return connection;
        } catch (IOException | TimeoutException | ShutdownSignalException e) {
            throw new QueueException("Cannot connect to RabbitMQ " + config + ": " + describe(e) + " (check "
                    + keysToCheck(e) + ")", e);
        }
    }

    private static String keysToCheck(Exception e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof AuthenticationFailureException) {
                return AmqpQueueConfig.USER_ID + " and " + AmqpQueueConfig.PASSWORD;
            }
            if (cause instanceof ConnectException || cause instanceof UnknownHostException) {
                return AmqpQueueConfig.HOSTNAME + " and " + AmqpQueueConfig.PORT;
            }
            String message = String.valueOf(cause.getMessage());
            if (message.contains("vhost")) {
                return AmqpQueueConfig.VIRTUAL_HOST + " and the permissions of " + AmqpQueueConfig.USER_ID;
            }
            if (message.contains("ACCESS_REFUSED")) {
                return AmqpQueueConfig.USER_ID + " and " + AmqpQueueConfig.PASSWORD;
            }
        }
        return AmqpQueueConfig.HOSTNAME + ", " + AmqpQueueConfig.PORT + ", " + AmqpQueueConfig.VIRTUAL_HOST + ", "
                + AmqpQueueConfig.USER_ID + " and " + AmqpQueueConfig.PASSWORD;
    }

    /** @return the broker's reply code behind an exception (e.g. 404), or 0 */
    static int replyCode(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ShutdownSignalException signal
                    && signal.getReason() instanceof AMQP.Channel.Close close) {
                return close.getReplyCode();
            }
            if (cause instanceof ShutdownSignalException signal
                    && signal.getReason() instanceof AMQP.Connection.Close close) {
                return close.getReplyCode();
            }
        }
        return 0;
    }

    /** @return the most telling message of an exception and its causes */
    static String describe(Throwable e) {
        String message = null;
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null) {
                message = cause.getMessage();
            }
        }
        return message != null ? message : e.getClass().getSimpleName();
    }

    /** Closes a channel that may already be closed; closing also stops automatic recovery from reopening it. */
    static void closeQuietly(Channel channel) {
        try {
            channel.close();
        } catch (IOException | TimeoutException | RuntimeException e) {
            log.trace("Closing a RabbitMQ channel failed; it is closed anyway", e);
        }
    }

    @FunctionalInterface
    private interface ChannelOperation<T> {
        T apply(Channel channel) throws IOException;
    }
}
