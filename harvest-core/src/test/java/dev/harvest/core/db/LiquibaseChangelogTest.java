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
                assertEquals(4, count.getInt(1), "each changeset applied exactly once");
            }
        }
    }
}
