package dev.harvest.benchmark;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * Where PostgreSQL and Redis are: the environment variables of the project's tests ({@code HARVEST_PG_HOST},
 * {@code HARVEST_PG_PORT}, {@code HARVEST_PG_DATABASE}, {@code HARVEST_PG_USER}, {@code HARVEST_PG_PASSWORD},
 * {@code HARVEST_REDIS_HOST}, {@code HARVEST_REDIS_PORT}), with the same defaults (127.0.0.1, database
 * {@code test}, user {@code postgres}).
 */
record Services(String pgHost, int pgPort, String pgDatabase, String pgUser, String pgPassword, String redisHost,
        int redisPort) {

    static Services fromEnvironment(Map<String, String> env) {
        return new Services(
                value(env, "HARVEST_PG_HOST", "127.0.0.1"),
                Integer.parseInt(value(env, "HARVEST_PG_PORT", "5432")),
                value(env, "HARVEST_PG_DATABASE", "test"),
                value(env, "HARVEST_PG_USER", "postgres"),
                value(env, "HARVEST_PG_PASSWORD", ""),
                value(env, "HARVEST_REDIS_HOST", "127.0.0.1"),
                Integer.parseInt(value(env, "HARVEST_REDIS_PORT", "6379")));
    }

    String jdbcUrl() {
        return "jdbc:postgresql://" + pgHost + ":" + pgPort + "/" + pgDatabase;
    }

    String jdbcUrl(String schema) {
        return jdbcUrl() + "?currentSchema=" + schema;
    }

    Connection connect(String schema) throws SQLException {
        return DriverManager.getConnection(schema == null ? jdbcUrl() : jdbcUrl(schema), pgUser, pgPassword);
    }

    String postgresVersion() throws SQLException {
        try (Connection connection = connect(null);
                Statement statement = connection.createStatement();
                ResultSet version = statement.executeQuery("select version()")) {
            version.next();
            return version.getString(1);
        }
    }

    private static String value(Map<String, String> env, String name, String defaultValue) {
        String value = env.get(name);
        return value == null || value.isBlank() ? defaultValue : value;
    }
}
