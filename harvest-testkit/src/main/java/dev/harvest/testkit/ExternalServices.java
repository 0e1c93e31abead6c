package dev.harvest.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.UUID;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Where the real services of integration tests live (PostgreSQL, Redis, RabbitMQ), and what a test does when one is
 * missing.
 *
 * <p>Hosts, ports and credentials come from environment variables, with the defaults of a developer machine running
 * the services locally:
 *
 * <table>
 * <caption>Environment variables</caption>
 * <tr><th>variable</th><th>default</th></tr>
 * <tr><td>{@code HARVEST_PG_HOST}, {@code HARVEST_PG_PORT}</td><td>{@code 127.0.0.1}, {@code 5432}</td></tr>
 * <tr><td>{@code HARVEST_PG_DATABASE}, {@code HARVEST_PG_USER}, {@code HARVEST_PG_PASSWORD}</td>
 *     <td>{@code test}, {@code postgres}, empty</td></tr>
 * <tr><td>{@code HARVEST_REDIS_HOST}, {@code HARVEST_REDIS_PORT}</td><td>{@code 127.0.0.1}, {@code 6379}</td></tr>
 * <tr><td>{@code HARVEST_RABBITMQ_HOST}, {@code HARVEST_RABBITMQ_PORT}</td><td>{@code 127.0.0.1}, {@code 5672}</td></tr>
 * <tr><td>{@code HARVEST_RABBITMQ_USER}, {@code HARVEST_RABBITMQ_PASSWORD}</td><td>{@code guest}, {@code guest}</td></tr>
 * </table>
 *
 * <p>A test whose service is unreachable is skipped, with the reason, so that a laptop without Redis can still build.
 * With {@code HARVEST_IT_REQUIRED=true} (set it in CI) the same test fails instead, so that CI never passes by
 * skipping everything.
 *
 * <p>harvest-core's own tests keep a copy of this class: core cannot depend on the testkit, which depends on core.
 */
public final class ExternalServices {

    /** How long a reachability check waits for a TCP connection before calling the service unreachable. */
    private static final int CONNECT_TIMEOUT_MILLIS = 2000;

    private ExternalServices() {}

    /** @return the PostgreSQL host ({@code HARVEST_PG_HOST}, default {@code 127.0.0.1}) */
    public static String postgresHost() {
        return env("HARVEST_PG_HOST", "127.0.0.1");
    }

    /** @return the PostgreSQL port ({@code HARVEST_PG_PORT}, default 5432) */
    public static int postgresPort() {
        return Integer.parseInt(env("HARVEST_PG_PORT", "5432"));
    }

    /**
     * @return the JDBC URL of the test database ({@code HARVEST_PG_DATABASE}, default {@code test}) on
     *     {@link #postgresHost()}:{@link #postgresPort()}
     */
    public static String postgresJdbcUrl() {
        return "jdbc:postgresql://" + postgresHost() + ":" + postgresPort() + "/" + env("HARVEST_PG_DATABASE", "test");
    }

    /** @return the PostgreSQL user ({@code HARVEST_PG_USER}, default {@code postgres}) */
    public static String postgresUser() {
        return env("HARVEST_PG_USER", "postgres");
    }

    /** @return the PostgreSQL password ({@code HARVEST_PG_PASSWORD}, default empty: trust authentication) */
    public static String postgresPassword() {
        return env("HARVEST_PG_PASSWORD", "");
    }

    /** @return the Redis host ({@code HARVEST_REDIS_HOST}, default {@code 127.0.0.1}) */
    public static String redisHost() {
        return env("HARVEST_REDIS_HOST", "127.0.0.1");
    }

    /** @return the Redis port ({@code HARVEST_REDIS_PORT}, default 6379) */
    public static int redisPort() {
        return Integer.parseInt(env("HARVEST_REDIS_PORT", "6379"));
    }

    /** @return the RabbitMQ host ({@code HARVEST_RABBITMQ_HOST}, default {@code 127.0.0.1}) */
    public static String rabbitHost() {
        return env("HARVEST_RABBITMQ_HOST", "127.0.0.1");
    }

    /** @return the RabbitMQ AMQP port ({@code HARVEST_RABBITMQ_PORT}, default 5672) */
    public static int rabbitPort() {
        return Integer.parseInt(env("HARVEST_RABBITMQ_PORT", "5672"));
    }

    /** @return the RabbitMQ user ({@code HARVEST_RABBITMQ_USER}, default {@code guest}) */
    public static String rabbitUser() {
        return env("HARVEST_RABBITMQ_USER", "guest");
    }

    /** @return the RabbitMQ password ({@code HARVEST_RABBITMQ_PASSWORD}, default {@code guest}) */
    public static String rabbitPassword() {
        return env("HARVEST_RABBITMQ_PASSWORD", "guest");
    }

    /**
     * Skips the calling test (or fails it, when {@linkplain #required() required}) unless PostgreSQL accepts TCP
     * connections. Call it first thing in a test or in a {@code @BeforeEach}.
     */
    public static void requirePostgres() {
        require("PostgreSQL", postgresHost(), postgresPort());
    }

    /**
     * Skips the calling test (or fails it, when {@linkplain #required() required}) unless Redis accepts TCP
     * connections.
     */
    public static void requireRedis() {
        require("Redis", redisHost(), redisPort());
    }

    /**
     * Skips the calling test (or fails it, when {@linkplain #required() required}) unless RabbitMQ accepts TCP
     * connections.
     */
    public static void requireRabbitMq() {
        require("RabbitMQ", rabbitHost(), rabbitPort());
    }

    /**
     * Skips the calling test (or fails it, when {@linkplain #required() required}) unless some other service accepts
     * TCP connections, e.g. a CKAN started for the test run.
     *
     * @param service the service's name, for the message
     * @param host its host
     * @param port its port
     */
    public static void require(String service, String host, int port) {
        String problem = reachable(host, port);
        if (problem == null) {
            return;
        }
        String reason = service + " is not reachable at " + host + ":" + port + " (" + problem + ")";
        if (required()) {
            Assertions.fail(reason + "; HARVEST_IT_REQUIRED=true makes this a failure");
        }
        Assumptions.abort(reason + "; skipped. Set HARVEST_IT_REQUIRED=true to make this a failure.");
    }

    /** @return whether unreachable services fail tests instead of skipping them ({@code HARVEST_IT_REQUIRED=true}) */
    public static boolean required() {
        return "true".equalsIgnoreCase(System.getenv("HARVEST_IT_REQUIRED"));
    }

    /**
     * A site id of its own for one test, so that tests sharing a broker or a Redis never see each other's messages.
     *
     * @param prefix a readable prefix, so that leftovers in a shared service show which suite made them
     * @return e.g. {@code it-redis-3f2a9c1b}
     */
    public static String uniqueSiteId(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** @return null if a TCP connection succeeds, else why it did not */
    private static String reachable(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
            return null;
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    private static String env(String name, String defaultValue) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? defaultValue : value;
    }
}
