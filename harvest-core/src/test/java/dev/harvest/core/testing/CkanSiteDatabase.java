package dev.harvest.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A CKAN site's database for migration tests: a new PostgreSQL schema holding the tables that ckanext-harvest's own
 * migrations create (the fixture {@code ckan-db/ckanext-harvest-schema.sql}, a {@code pg_dump -s} of them, with a
 * minimal CKAN {@code package} table).
 *
 * @param schema the schema's name
 */
public record CkanSiteDatabase(String schema) {

    /** The fixture on the test classpath. */
    public static final String FIXTURE = "ckan-db/ckanext-harvest-schema.sql";

    /**
     * Creates a new schema and loads the fixture into it (skipped, or failed in CI, without PostgreSQL).
     *
     * @return the site's database
     */
    public static CkanSiteDatabase create() {
        ExternalServices.requirePostgres();
        CkanSiteDatabase site = new CkanSiteDatabase(TestDatabases.newPostgresSchema());
        try (Connection connection = site.connect(); Statement statement = connection.createStatement()) {
            for (String sql : fixtureStatements(site.schema)) {
                statement.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot load " + FIXTURE + ": " + e.getMessage(), e);
        }
        return site;
    }

    /**
     * The fixture's statements, in its order, placed in {@code schema}: the dump's session settings and owner changes
     * are left out (the dump names every object {@code public.}, and owners are the test database's).
     */
    static java.util.List<String> fixtureStatements(String schema) {
        String dump;
        try (InputStream in = CkanSiteDatabase.class.getClassLoader().getResourceAsStream(FIXTURE)) {
            if (in == null) {
                throw new IllegalStateException(FIXTURE + " is not on the test classpath");
            }
            dump = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read " + FIXTURE, e);
        }
        StringBuilder withoutComments = new StringBuilder();
        dump.lines().filter(line -> !line.startsWith("--")).forEach(line -> withoutComments.append(line).append('\n'));
        java.util.List<String> statements = new java.util.ArrayList<>();
        for (String statement : withoutComments.toString().split(";\\s*\n")) {
            String sql = statement.strip();
            if (sql.isEmpty() || sql.startsWith("SET ") || sql.startsWith("SELECT pg_catalog.set_config")
                    || sql.contains(" OWNER TO ")) {
                continue;
            }
            statements.add(sql.replace("public.", schema + "."));
        }
        return statements;
    }

    /** @return the JDBC URL of the site's database, in its schema */
    public String jdbcUrl() {
        return ExternalServices.postgresJdbcUrl() + "?currentSchema=" + schema;
    }

    /** @return a new connection in the site's schema, auto-commit on */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), ExternalServices.postgresUser(),
                ExternalServices.postgresPassword());
    }
}
