package dev.harvest.queue.redis;

import dev.harvest.api.SettingDefinition;
import dev.harvest.api.Settings;
import dev.harvest.api.queue.QueueException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Optional;
import java.util.List;
import java.util.Set;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * The settings of the Redis queue, read as ckanext-harvest reads them: {@code ckan.harvest.mq.hostname},
 * {@code ckan.harvest.mq.port}, {@code ckan.harvest.mq.password}, {@code ckan.harvest.mq.redis_db}, or
 * {@code ckan.redis.url} when no hostname is set; plus the {@code harvest.mq.redis.*} tuning keys of this backend.
 *
 * @param siteId the {@code ckan.site_id} that namespaces every key
 * @param endpoint the Redis host and port
 * @param user the ACL user, or null (only from {@code ckan.redis.url})
 * @param password the password, or null
 * @param database the database index
 * @param ssl whether to connect with TLS (a {@code rediss://} URL)
 * @param source which keys the connection came from, for error messages
 * @param consumerLease how long a consumer is presumed alive after its last heartbeat
 * @param maxConnections the size of the connection pool
 * @param retryAttempts how many times a command that failed on a broken connection is retried
 * @param timeout the connect and socket timeout of non-blocking commands
 */
public record RedisQueueConfig(
        String siteId,
        HostAndPort endpoint,
        String user,
        String password,
        int database,
        boolean ssl,
        String source,
        Duration consumerLease,
        int maxConnections,
        int retryAttempts,
        Duration timeout) {

    /** Redis host; default {@code localhost}. */
    public static final String HOSTNAME = "ckan.harvest.mq.hostname";
    /** Redis port; default 6379. */
    public static final String PORT = "ckan.harvest.mq.port";
    /** Redis password; default none. */
    public static final String PASSWORD = "ckan.harvest.mq.password";
    /** Redis database index; default 0. */
    public static final String REDIS_DB = "ckan.harvest.mq.redis_db";
    /** CKAN core's Redis URL, used when {@link #HOSTNAME} is not set. */
    public static final String REDIS_URL = "ckan.redis.url";
    /** Seconds a consumer stays alive without a heartbeat before its deliveries are returned; default 30. */
    public static final String CONSUMER_LEASE_SECONDS = "harvest.mq.redis.consumer_lease_seconds";
    /** Size of the connection pool; default 32. Each waiting consumer holds one connection. */
    public static final String MAX_CONNECTIONS = "harvest.mq.redis.max_connections";
    /** Retries of a command that failed on a broken connection, with backoff; default 5. */
    public static final String RETRY_ATTEMPTS = "harvest.mq.redis.retry_attempts";
    /** Connect and socket timeout in milliseconds; default 5000. */
    public static final String TIMEOUT_MILLIS = "harvest.mq.redis.timeout_millis";

    /**
     * Every setting this backend reads. The connection keys have no declared default because their absence matters:
     * without {@link #HOSTNAME}, {@link #REDIS_URL} is used.
     */
    public static final List<SettingDefinition> SETTINGS = List.of(
            SettingDefinition.of(HOSTNAME, null, "Redis host (localhost when neither it nor ckan.redis.url is set)"),
            SettingDefinition.of(PORT, null, "Redis port (6379 for redis)"),
            SettingDefinition.of(PASSWORD, null, "Redis password"),
            SettingDefinition.of(REDIS_DB, null, "Redis database index (0 for redis)"),
            SettingDefinition.of(REDIS_URL, null, "CKAN core's Redis URL, used when ckan.harvest.mq.hostname is unset"),
            SettingDefinition.of(CONSUMER_LEASE_SECONDS, "30",
                    "Seconds a Redis consumer lives without a heartbeat before its deliveries return to the queue"),
            SettingDefinition.of(MAX_CONNECTIONS, "32", "Redis connection pool size; each waiting consumer holds one"),
            SettingDefinition.of(RETRY_ATTEMPTS, "5", "Retries of a Redis command that failed on a broken connection"),
            SettingDefinition.of(TIMEOUT_MILLIS, "5000", "Redis connect and socket timeout in milliseconds"));

    /**
     * Reads and checks the settings.
     *
     * @param settings the site-wide settings
     * @return the configuration
     * @throws QueueException if a value is invalid; the message names the key
     */
    public static RedisQueueConfig from(Settings settings) throws QueueException {
        String siteId = settings.siteId();
        Duration lease = Duration.ofSeconds(integer(settings, CONSUMER_LEASE_SECONDS, 30, 1, 86_400));
        int maxConnections = integer(settings, MAX_CONNECTIONS, 32, 2, 10_000);
        int retryAttempts = integer(settings, RETRY_ATTEMPTS, 5, 0, 100);
        Duration timeout = Duration.ofMillis(integer(settings, TIMEOUT_MILLIS, 5_000, 100, 600_000));

        Optional<String> hostname = nonBlank(settings, HOSTNAME);
        Optional<String> url = nonBlank(settings, REDIS_URL);
        if (hostname.isEmpty() && url.isPresent()) {
            URI uri = parseUrl(url.get());
            return new RedisQueueConfig(siteId, JedisURIHelper.getHostAndPort(uri), JedisURIHelper.getUser(uri),
                    JedisURIHelper.getPassword(uri), JedisURIHelper.getDBIndex(uri),
                    JedisURIHelper.isRedisSSLScheme(uri), REDIS_URL, lease, maxConnections, retryAttempts, timeout);
        }
        HostAndPort endpoint = new HostAndPort(hostname.orElse("localhost"), integer(settings, PORT, 6379, 1, 65_535));
        return new RedisQueueConfig(siteId, endpoint, null, nonBlank(settings, PASSWORD).orElse(null),
                integer(settings, REDIS_DB, 0, 0, Integer.MAX_VALUE), false, HOSTNAME + "/" + PORT, lease,
                maxConnections, retryAttempts, timeout);
    }

    /** @return the Jedis client configuration of every pooled connection */
    JedisClientConfig clientConfig() {
        int timeoutMillis = (int) timeout.toMillis();
        return DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(timeoutMillis)
                .socketTimeoutMillis(timeoutMillis)
                // A blocking move never waits longer than RedisConsumer.MAX_BLOCK, so a dead socket is noticed.
                .blockingSocketTimeoutMillis((int) (RedisConsumer.MAX_BLOCK.toMillis() + timeoutMillis))
                .user(user)
                .password(password)
                .database(database)
                .ssl(ssl)
                .clientName(clientName())
                .build();
    }

    /** @return the connection name shown by {@code CLIENT LIST}: {@code harvest:<site_id>} */
    public String clientName() {
        return "harvest:" + siteId.replaceAll("[^A-Za-z0-9._:-]", "_");
    }

    /** @return where Redis is, for log and error messages, without the password */
    public String describe() {
        return endpoint + "/" + database + " (from " + source + ")";
    }

    private static URI parseUrl(String value) throws QueueException {
        URI uri;
        try {
            uri = new URI(value.trim());
        } catch (URISyntaxException e) {
            throw new QueueException(REDIS_URL + " is not a valid Redis URL: " + e.getMessage(), e);
        }
        if (!JedisURIHelper.isValid(uri)) {
            throw new QueueException(REDIS_URL + " must look like redis://[:password@]host[:port][/db], got a URL"
                    + " with scheme '" + uri.getScheme() + "' and host '" + uri.getHost() + "'");
        }
        if (uri.getPath() != null && uri.getPath().length() > 1) {
            try {
                if (JedisURIHelper.getDBIndex(uri) < 0) {
                    throw new NumberFormatException("negative");
                }
            } catch (NumberFormatException e) {
                throw new QueueException(REDIS_URL + " has an invalid database index '" + uri.getPath().substring(1)
                        + "'; expected a number of 0 or more", e);
            }
        }
        return uri;
    }

    private static int integer(Settings settings, String key, int defaultValue, int min, int max)
            throws QueueException {
        Optional<String> raw = nonBlank(settings, key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(raw.get().trim());
            if (value < min || value > max) {
                throw new NumberFormatException("out of range");
            }
            return value;
        } catch (NumberFormatException e) {
            throw new QueueException(key + " must be a whole number between " + min + " and " + max + ", got '"
                    + raw.get() + "'", e);
        }
    }

    private static Optional<String> nonBlank(Settings settings, String key) {
        return settings.get(key).filter(value -> !value.isBlank());
    }

    @Override
    public String toString() {
        // Never print the password.
        return "RedisQueueConfig[site=" + siteId + ", redis=" + describe() + ", lease=" + consumerLease
                + ", maxConnections=" + maxConnections + ", retryAttempts=" + retryAttempts + "]";
    }
}
