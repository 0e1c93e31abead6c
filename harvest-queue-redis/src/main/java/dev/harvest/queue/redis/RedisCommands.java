package dev.harvest.queue.redis;

import dev.harvest.api.queue.QueueException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The connection pool, and the one way commands are sent: a command that fails on a broken connection (Redis
 * restarted, {@code CLIENT KILL}, a network blip) is retried on a fresh connection with exponential backoff, and only
 * then reported as a {@link QueueException}.
 *
 * <p>A retried command may have run once already with its reply lost. Every command sent here is therefore either
 * idempotent or harmless to repeat: a repeated publish queues a duplicate id, which the engine tolerates because the
 * database is the truth; a repeated move is reconciled by {@link RedisConsumer}.
 */
final class RedisCommands implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(RedisCommands.class);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(50);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

    private final RedisQueueConfig config;
    private final RedisClient client;
    private final AtomicLong connectionFailures = new AtomicLong();

    RedisCommands(RedisQueueConfig config) {
        this.config = config;
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(config.maxConnections());
        pool.setMaxIdle(config.maxConnections());
        pool.setMinIdle(0);
        pool.setMaxWait(config.timeout());
        pool.setJmxEnabled(false);
        this.client = RedisClient.builder()
                .hostAndPort(config.endpoint())
                .clientConfig(config.clientConfig())
                .poolConfig(pool)
                .build();
    }

    /**
     * Runs a command, retrying it on a fresh connection when the connection broke.
     *
     * @param what what the command does, for the error message, e.g. "publish to ckanext-harvest:default:…"
     * @param command the command
     * @return its result
     * @throws QueueException if Redis refused the command, or the connection kept failing
     */
    <T> T run(String what, Function<UnifiedJedis, T> command) throws QueueException {
        for (int attempt = 0; ; attempt++) {
            try {
                return command.apply(client);
            } catch (JedisConnectionException e) {
                connectionFailures.incrementAndGet();
                if (attempt >= config.retryAttempts()) {
                    throw new QueueException("Could not " + what + ": the connection to Redis at " + config.describe()
                            + " failed " + (attempt + 1) + " times; last error: " + e.getMessage(), e);
                }
                LOGGER.warn("Redis connection failed while trying to {} (attempt {} of {}): {}; retrying on a fresh"
                        + " connection", what, attempt + 1, config.retryAttempts() + 1, e.getMessage());
                discardIdleConnections();
                backOff(attempt, what);
            } catch (JedisException e) {
                throw new QueueException("Could not " + what + ": Redis at " + config.describe() + " refused: "
                        + e.getMessage(), e);
            }
        }
    }

    /**
     * Runs a Lua script, with the same retries as {@link #run}.
     *
     * @return the script's reply
     */
    Object eval(String what, String script, List<String> keys, List<String> args) throws QueueException {
        return run(what, redis -> redis.eval(script, keys, args));
    }

    /** Drops pooled connections that were open when the failure happened: they are likely broken too. */
    void discardIdleConnections() {
        try {
            client.getPool().clear();
        } catch (RuntimeException e) {
            LOGGER.debug("Could not clear the idle Redis connections", e);
        }
    }

    /** @return how many commands failed on a broken connection so far, retried or not */
    long connectionFailures() {
        return connectionFailures.get();
    }

    RedisQueueConfig config() {
        return config;
    }

    private static void backOff(int attempt, String what) throws QueueException {
        long millis = Math.min(MAX_BACKOFF.toMillis(), FIRST_BACKOFF.toMillis() << Math.min(attempt, 16));
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QueueException("Interrupted while waiting to retry: " + what, e);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
