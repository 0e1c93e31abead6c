package dev.harvest.core.testing;

import dev.harvest.core.config.HarvestConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Fresh, isolated harvest databases for tests: a private in-memory H2 database, or a private schema in the real
 * PostgreSQL test database (skipped, or failed in CI, when PostgreSQL is unreachable).
 */
public final class TestDatabases {

    private TestDatabases() {}

    /** The databases every engine test runs on. */
    public enum Kind {
        H2,
        POSTGRESQL
    }

    /**
     * @param kind which database
     * @param extra more configuration keys (the engine's builder checks them against what is declared)
     * @return a configuration pointing at a new, empty database or schema
     */
    public static HarvestConfig config(Kind kind, Map<String, String> extra) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("ckan.harvest.mq.type", "memory");
        if (kind == Kind.H2) {
            values.put("harvest.db.url", "jdbc:h2:mem:harvest-" + UUID.randomUUID());
        } else {
            ExternalServices.requirePostgres();
            String schema = newPostgresSchema();
            values.put("harvest.db.url", ExternalServices.postgresJdbcUrl() + "?currentSchema=" + schema);
            values.put("harvest.db.user", ExternalServices.postgresUser());
            values.put("harvest.db.password", ExternalServices.postgresPassword());
        }
        values.putAll(extra);
        return HarvestConfig.of(values);
    }

    /** @return the name of a new, empty PostgreSQL schema */
    public static String newPostgresSchema() {
        String schema = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection connection = DriverManager.getConnection(ExternalServices.postgresJdbcUrl(),
                        ExternalServices.postgresUser(), ExternalServices.postgresPassword());
                Statement statement = connection.createStatement()) {
            statement.execute("create schema " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot create schema " + schema + ": " + e.getMessage(), e);
        }
        return schema;
    }
}
