package dev.harvest.core.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.UUID;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Where the real services of the integration tests live, and what to do when one is missing.
 *
 * <p>Hosts and ports come from environment variables with the machine's defaults. A test whose service is
 * unreachable is skipped with the reason on a developer's laptop, and fails when {@code HARVEST_IT_REQUIRED=true}
 * (set by {@code .ci/run}), so that CI never passes by skipping.
 */
public final class ExternalServices {

    private ExternalServices() {}

    public static String postgresHost() {
        return env("HARVEST_PG_HOST", "127.0.0.1");
    }

    public static int postgresPort() {
        return Integer.parseInt(env("HARVEST_PG_PORT", "5432"));
    }

    /** @return the JDBC URL of the test database (database {@code test}, trust auth) */
    public static String postgresJdbcUrl() {
        return "jdbc:postgresql://" + postgresHost() + ":" + postgresPort() + "/" + env("HARVEST_PG_DATABASE", "test");
    }

    public static String postgresUser() {
        return env("HARVEST_PG_USER", "postgres");
    }

    public static String postgresPassword() {
        return env("HARVEST_PG_PASSWORD", "");
    }

    public static String redisHost() {
        return env("HARVEST_REDIS_HOST", "127.0.0.1");
    }

    public static int redisPort() {
        return Integer.parseInt(env("HARVEST_REDIS_PORT", "6379"));
    }

    public static String rabbitHost() {
        return env("HARVEST_RABBITMQ_HOST", "127.0.0.1");
    }

    public static int rabbitPort() {
        return Integer.parseInt(env("HARVEST_RABBITMQ_PORT", "5672"));
    }

    public static String rabbitUser() {
        return env("HARVEST_RABBITMQ_USER", "guest");
    }

    public static String rabbitPassword() {
        return env("HARVEST_RABBITMQ_PASSWORD", "guest");
    }

    /** Skips (or, in CI, fails) the calling test unless PostgreSQL accepts connections. */
    public static void requirePostgres() {
        require("PostgreSQL", postgresHost(), postgresPort());
    }

    /** Skips (or, in CI, fails) the calling test unless Redis accepts connections. */
    public static void requireRedis() {
        require("Redis", redisHost(), redisPort());
    }

    /** Skips (or, in CI, fails) the calling test unless RabbitMQ accepts connections. */
    public static void requireRabbitMq() {
        require("RabbitMQ", rabbitHost(), rabbitPort());
    }

    /** @return whether unreachable services fail tests instead of skipping them */
    public static boolean required() {
        return "true".equalsIgnoreCase(System.getenv("HARVEST_IT_REQUIRED"));
    }

    /**
     * A site id of its own for one test, so that tests sharing a broker never see each other's messages.
     *
     * @param prefix a readable prefix
     * @return e.g. {@code it-redis-3f2a9c1b}
     */
    public static String uniqueSiteId(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static void require(String service, String host, int port) {
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

    private static String reachable(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 2000);
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
