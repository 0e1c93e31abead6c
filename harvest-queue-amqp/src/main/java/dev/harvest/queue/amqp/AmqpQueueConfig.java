package dev.harvest.queue.amqp;

import dev.harvest.api.SettingDefinition;
import com.rabbitmq.client.ConnectionFactory;
import dev.harvest.api.Settings;
import dev.harvest.api.queue.QueueException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The settings of the RabbitMQ backend, read and validated from {@link Settings}.
 *
 * <p>Connection keys are ckanext-harvest's own ({@code ckan.harvest.mq.*}), so an existing CKAN configuration works
 * unchanged. Tuning keys that the original lacked live under {@code harvest.mq.amqp.*}.
 *
 * @param siteId the {@code ckan.site_id} that namespaces the queues
 * @param hostname broker host, {@value #HOSTNAME}
 * @param port broker port, {@value #PORT}
 * @param userId user name, {@value #USER_ID}
 * @param password password, {@value #PASSWORD}
 * @param virtualHost virtual host, {@value #VIRTUAL_HOST}
 * @param prefetch how many unacknowledged messages the broker may push to one consumer, {@value #PREFETCH}
 * @param heartbeatSeconds the heartbeat interval asked of the broker, 0 to disable, {@value #HEARTBEAT_SECONDS}
 * @param confirmTimeoutMillis how long a publish waits for the broker's confirms, {@value #CONFIRM_TIMEOUT_MS}
 * @param recoveryIntervalMillis the pause between reconnection attempts, {@value #RECOVERY_INTERVAL_MS}
 * @param connectionTimeoutMillis the TCP connect and handshake timeout, {@value #CONNECTION_TIMEOUT_MS}
 * @param automaticRecovery whether lost connections are re-established; only tests turn it off
 */
public record AmqpQueueConfig(
        String siteId,
        String hostname,
        int port,
        String userId,
        String password,
        String virtualHost,
        int prefetch,
        int heartbeatSeconds,
        long confirmTimeoutMillis,
        long recoveryIntervalMillis,
        int connectionTimeoutMillis,
        boolean automaticRecovery) {

    /** Broker host name; default {@code localhost}. */
    public static final String HOSTNAME = "ckan.harvest.mq.hostname";
    /** Broker port; default {@code 5672}. */
    public static final String PORT = "ckan.harvest.mq.port";
    /** User name; default {@code guest}. */
    public static final String USER_ID = "ckan.harvest.mq.user_id";
    /** Password; default {@code guest}. */
    public static final String PASSWORD = "ckan.harvest.mq.password";
    /** Virtual host; default {@code /}. */
    public static final String VIRTUAL_HOST = "ckan.harvest.mq.virtual_host";
    /**
     * Messages one poll may take from the broker ({@code basic.qos}); default {@code 1}, up to 65535. The default
     * suits harvesting, whose messages take seconds to hours each: a consumer holds only the message it works on.
     */
    public static final String PREFETCH = "harvest.mq.amqp.prefetch";
    /** Heartbeat interval in seconds; default {@code 30}, 0 disables heartbeats. */
    public static final String HEARTBEAT_SECONDS = "harvest.mq.amqp.heartbeat_seconds";
    /** Publisher-confirm timeout in milliseconds; default {@code 30000}. */
    public static final String CONFIRM_TIMEOUT_MS = "harvest.mq.amqp.confirm_timeout_ms";
    /** Pause between reconnection attempts in milliseconds; default {@code 5000}. */
    public static final String RECOVERY_INTERVAL_MS = "harvest.mq.amqp.recovery_interval_ms";
    /** Connect and handshake timeout in milliseconds; default {@code 10000}. */
    public static final String CONNECTION_TIMEOUT_MS = "harvest.mq.amqp.connection_timeout_ms";

    /**
     * Every setting this backend reads. The connection keys are shared with the Redis backend, whose defaults differ,
     * so their defaults are stated in the descriptions.
     */
    public static final List<SettingDefinition> SETTINGS = List.of(
            SettingDefinition.of(HOSTNAME, null, "RabbitMQ host (localhost for amqp)"),
            SettingDefinition.of(PORT, null, "RabbitMQ port (5672 for amqp)"),
            SettingDefinition.of(USER_ID, null, "RabbitMQ user (guest for amqp)"),
            SettingDefinition.of(PASSWORD, null, "RabbitMQ password (guest for amqp)"),
            SettingDefinition.of(VIRTUAL_HOST, null, "RabbitMQ virtual host (/ for amqp)"),
            SettingDefinition.of(PREFETCH, "1", "Messages one RabbitMQ consumer may hold unacknowledged (basic.qos)"),
            SettingDefinition.of(HEARTBEAT_SECONDS, "30", "RabbitMQ heartbeat interval in seconds; 0 disables them"),
            SettingDefinition.of(CONFIRM_TIMEOUT_MS, "30000", "RabbitMQ publisher-confirm timeout in milliseconds"),
            SettingDefinition.of(RECOVERY_INTERVAL_MS, "5000", "Pause between RabbitMQ reconnection attempts in ms"),
            SettingDefinition.of(CONNECTION_TIMEOUT_MS, "10000", "RabbitMQ connect and handshake timeout in ms"));

    /** The exchange of ckanext-harvest, of type {@code direct} and durable. */
    public static final String EXCHANGE = "ckan.harvest";

    /**
     * Reads and validates the configuration. All problems are reported together.
     *
     * @param settings the site-wide settings
     * @return the configuration
     * @throws QueueException if a value is invalid; the message names every bad key
     */
    public static AmqpQueueConfig from(Settings settings) throws QueueException {
        List<String> problems = new ArrayList<>();
        int port = (int) number(settings, PORT, 5672, 1, 65535, problems);
        int prefetch = (int) number(settings, PREFETCH, 1, 1, 65535, problems);
        int heartbeat = (int) number(settings, HEARTBEAT_SECONDS, 30, 0, 65535, problems);
        long confirmTimeout = number(settings, CONFIRM_TIMEOUT_MS, 30_000, 1, Integer.MAX_VALUE, problems);
        long recoveryInterval = number(settings, RECOVERY_INTERVAL_MS, 5_000, 1, Integer.MAX_VALUE, problems);
        int connectionTimeout = (int) number(settings, CONNECTION_TIMEOUT_MS, 10_000, 1, Integer.MAX_VALUE, problems);
        if (!problems.isEmpty()) {
            throw new QueueException("Invalid RabbitMQ queue configuration: " + String.join("; ", problems));
        }
        return new AmqpQueueConfig(
                settings.siteId(),
                settings.get(HOSTNAME, "localhost"),
                port,
                settings.get(USER_ID, "guest"),
                settings.get(PASSWORD, "guest"),
                settings.get(VIRTUAL_HOST, "/"),
                prefetch,
                heartbeat,
                confirmTimeout,
                recoveryInterval,
                connectionTimeout,
                true);
    }

    /**
     * A copy with automatic recovery switched off, so that tests can observe a connection that stays lost.
     *
     * @return the copy
     */
    AmqpQueueConfig withoutAutomaticRecovery() {
        return new AmqpQueueConfig(siteId, hostname, port, userId, password, virtualHost, prefetch, heartbeatSeconds,
                confirmTimeoutMillis, recoveryIntervalMillis, connectionTimeoutMillis, false);
    }

    /** @return a connection factory with heartbeats, timeouts and automatic connection and topology recovery */
    ConnectionFactory connectionFactory() {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(hostname);
        factory.setPort(port);
        factory.setUsername(userId);
        factory.setPassword(password);
        factory.setVirtualHost(virtualHost);
        factory.setRequestedHeartbeat(heartbeatSeconds);
        factory.setConnectionTimeout(connectionTimeoutMillis);
        factory.setHandshakeTimeout(connectionTimeoutMillis);
        factory.setAutomaticRecoveryEnabled(automaticRecovery);
        factory.setTopologyRecoveryEnabled(automaticRecovery);
        factory.setNetworkRecoveryInterval(recoveryIntervalMillis);
        return factory;
    }

    /** The password is left out, so that the configuration can be logged. */
    @Override
    public String toString() {
        return "amqp://" + userId + "@" + hostname + ":" + port + " vhost " + virtualHost + " (site " + siteId
                + ", prefetch " + prefetch + ", heartbeat " + heartbeatSeconds + "s)";
    }

    private static long number(Settings settings, String key, long defaultValue, long min, long max,
            List<String> problems) {
        String raw = settings.get(key).map(String::trim).orElse("");
        if (raw.isEmpty()) {
            return defaultValue;
        }
        try {
            long value = Long.parseLong(raw);
            if (value < min || value > max) {
                problems.add(key + " must be between " + min + " and " + max + ", not " + raw);
                return defaultValue;
            }
            return value;
        } catch (NumberFormatException e) {
            problems.add(key + " must be a whole number, not '" + raw + "'");
            return defaultValue;
        }
    }
}
