package dev.harvest.core.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.store.Entities;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The one changelog creates ckanext-harvest's tables on both databases, and applying it again changes nothing. */
class LiquibaseChangelogTest {

    private static final Set<String> CKANEXT_TABLES = Set.of("harvest_source", "harvest_job", "harvest_object",
            "harvest_object_extra", "harvest_gather_error", "harvest_object_error", "harvest_log");

    @ParameterizedTest
    @EnumSource(Kind.class)
    void theChangelogCreatesTheCkanextHarvestTablesAndIsIdempotent(Kind kind) throws Exception {
        HarvestConfig config = TestDatabases.config(kind, Map.of());
        HarvestDatabase.initialise(config);
        HarvestDatabase.initialise(config);

        try (HarvestDatabase database = HarvestDatabase.open(config, Entities.ALL);
                Connection connection = database.dataSource().getConnection()) {
            Set<String> tables = new TreeSet<>();
            DatabaseMetaData meta = connection.getMetaData();
            try (ResultSet rows = meta.getTables(null, connection.getSchema(), "%", new String[] {"TABLE"})) {
                while (rows.next()) {
                    tables.add(rows.getString("TABLE_NAME").toLowerCase());
                }
            }
            assertTrue(tables.containsAll(CKANEXT_TABLES), tables.toString());
            assertTrue(tables.containsAll(Set.of("catalog_dataset", "catalog_group", "harvest_gather_seen")));
            Set<String> objectColumns = new TreeSet<>();
            try (ResultSet rows = meta.getColumns(null, connection.getSchema(),
                    kind == Kind.H2 ? "HARVEST_OBJECT" : "harvest_object", "%")) {
                while (rows.next()) {
                    objectColumns.add(rows.getString("COLUMN_NAME").toLowerCase());
                }
            }
            assertTrue(objectColumns.containsAll(Set.of("id", "guid", "current", "gathered", "fetch_started", "content",
                    "fetch_finished", "import_started", "import_finished", "state", "metadata_modified_date",
                    "retry_times", "harvest_job_id", "harvest_source_id", "package_id", "report_status")),
                    objectColumns.toString());
            try (var statement = connection.createStatement();
                    ResultSet count = statement.executeQuery("select count(*) from databasechangelog")) {
                count.next();
                assertEquals(changesetsInTheChangelog(), count.getInt(1), "each changeset applied exactly once");
            }
        }
    }

    /** @return the changesets the changelog declares (several helpers append theirs; counted, not hard-coded) */
    private static int changesetsInTheChangelog() throws java.io.IOException {
        try (java.io.InputStream in = HarvestDatabase.class.getClassLoader()
                .getResourceAsStream(HarvestDatabase.CHANGELOG)) {
            String xml = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            int count = xml.split("<changeSet ", -1).length - 1;
            assertTrue(count >= 7, "the changesets 1 to 6 and 8 at least: " + count);
            return count;
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void upgradingTurnsTheOldStatusDeleteExtraIntoTheDeletionKindAndLeavesPluginExtrasAlone(Kind kind)
            throws Exception {
        HarvestConfig config = TestDatabases.config(kind, Map.of());
        try (var pool = new com.zaxxer.hikari.HikariDataSource(hikari(config))) {
            liquibase.database.Database database = liquibase.database.DatabaseFactory.getInstance()
                    .findCorrectDatabaseImplementation(new liquibase.database.jvm.JdbcConnection(pool.getConnection()));
            try (var liquibase = new liquibase.Liquibase(HarvestDatabase.CHANGELOG,
                    new liquibase.resource.ClassLoaderResourceAccessor(), database)) {
                liquibase.update(3, ""); // the schema wave 1 wrote its deletions into
            }
            try (Connection connection = pool.getConnection(); var statement = connection.createStatement()) {
                statement.execute("insert into harvest_source (id, name, url, type) values ('s', 's', 'http://x', 'ckan')");
                statement.execute("insert into harvest_job (id, source_id, status) values ('j', 's', 'Finished')");
                statement.execute("insert into harvest_object (id, guid, harvest_job_id, harvest_source_id, content)"
                        + " values ('engine-deletion', 'g1', 'j', 's', null), ('spatial-record', 'g2', 'j', 's', '{}')");
                statement.execute("insert into harvest_object_extra (id, harvest_object_id, key, value) values"
                        + " ('e1', 'engine-deletion', 'status', 'delete'), ('e2', 'spatial-record', 'status', 'delete')");
                connection.commit();
            }
        }

        HarvestDatabase.initialise(config);

        try (HarvestDatabase database = HarvestDatabase.open(config, Entities.ALL);
                Connection connection = database.dataSource().getConnection();
                var statement = connection.createStatement()) {
            Map<String, String> kinds = new java.util.TreeMap<>();
            try (ResultSet rows = statement.executeQuery("select id, kind from harvest_object")) {
                while (rows.next()) {
                    kinds.put(rows.getString(1), rows.getString(2));
                }
            }
            assertEquals(Map.of("engine-deletion", "delete", "spatial-record", "harvest"), kinds);
            Set<String> extras = new TreeSet<>();
            try (ResultSet rows = statement.executeQuery("select harvest_object_id from harvest_object_extra")) {
                while (rows.next()) {
                    extras.add(rows.getString(1));
                }
            }
            assertEquals(Set.of("spatial-record"), extras, "only the engine's marker extra is gone");
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void upgradingAbortsDuplicatePendingJobsKeepingTheNewestRunningElseTheNewestNewOneBeforeForbiddingThem(Kind kind)
            throws Exception {
        HarvestConfig config = TestDatabases.config(kind, Map.of());
        try (var pool = new com.zaxxer.hikari.HikariDataSource(hikari(config))) {
            liquibase.database.Database database = liquibase.database.DatabaseFactory.getInstance()
                    .findCorrectDatabaseImplementation(new liquibase.database.jvm.JdbcConnection(pool.getConnection()));
            try (var liquibase = new liquibase.Liquibase(HarvestDatabase.CHANGELOG,
                    new liquibase.resource.ClassLoaderResourceAccessor(), database)) {
                liquibase.update(5, ""); // before one pending job per source was enforced
            }
            try (Connection connection = pool.getConnection(); var statement = connection.createStatement()) {
                statement.execute("insert into harvest_source (id, name, url, type) values ('s1', 's1', 'http://a', 'ckan'),"
                        + " ('s2', 's2', 'http://b', 'ckan'), ('s3', 's3', 'http://c', 'ckan')");
                statement.execute("insert into harvest_job (id, created, source_id, status) values"
                        + " ('s1-old-new', timestamp '2024-01-01 10:00:00', 's1', 'New'),"
                        + " ('s1-running', timestamp '2024-01-01 09:00:00', 's1', 'Running'),"
                        + " ('s1-new', timestamp '2024-01-01 11:00:00', 's1', 'New'),"
                        + " ('s1-done', timestamp '2024-01-01 08:00:00', 's1', 'Finished'),"
                        + " ('s2-old', timestamp '2024-01-01 10:00:00', 's2', 'New'),"
                        + " ('s2-new', timestamp '2024-01-02 10:00:00', 's2', 'New'),"
                        + " ('s3-only', timestamp '2024-01-01 10:00:00', 's3', 'Running')");
                connection.commit();
            }
        }

        HarvestDatabase.initialise(config);

        try (HarvestDatabase database = HarvestDatabase.open(config, Entities.ALL);
                Connection connection = database.dataSource().getConnection();
                var statement = connection.createStatement()) {
            Map<String, String> statuses = new java.util.TreeMap<>();
            try (ResultSet rows = statement.executeQuery("select id, status from harvest_job")) {
                while (rows.next()) {
                    statuses.put(rows.getString(1), rows.getString(2));
                }
            }
            assertEquals(Map.of("s1-old-new", "Aborted", "s1-running", "Running", "s1-new", "Aborted",
                    "s1-done", "Finished", "s2-old", "Aborted", "s2-new", "New", "s3-only", "Running"), statuses);
            try (ResultSet rows = statement.executeQuery("select character_maximum_length from"
                    + " information_schema.columns where table_schema = current_schema and lower(table_name) = 'harvest_source'"
                    + " and lower(column_name) = 'frequency'")) {
                rows.next();
                assertEquals(200, rows.getInt(1), "room for a cron expression with a time zone");
            }
        }
    }

    private static com.zaxxer.hikari.HikariConfig hikari(HarvestConfig config) {
        com.zaxxer.hikari.HikariConfig hikari = new com.zaxxer.hikari.HikariConfig();
        hikari.setJdbcUrl(config.jdbcUrl());
        hikari.setUsername(config.dbUser());
        hikari.setPassword(config.dbPassword());
        hikari.setMaximumPoolSize(2);
        hikari.setAutoCommit(false);
        return hikari;
    }
}
