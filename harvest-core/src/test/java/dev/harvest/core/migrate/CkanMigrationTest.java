package dev.harvest.core.migrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.db.HarvestDatabase;
import dev.harvest.core.store.Entities;
import dev.harvest.core.testing.CkanSiteDatabase;
import dev.harvest.core.testing.CkanSiteHistory;
import dev.harvest.core.testing.ExternalServices;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A CKAN site's harvest history is copied whole into the harvest database, once. */
class CkanMigrationTest {

    static final List<String> TABLES = List.of("harvest_source", "harvest_job", "harvest_object",
            "harvest_object_extra", "harvest_gather_error", "harvest_object_error", "harvest_log");

    CkanSiteDatabase ckan;
    HarvestDatabase harvest;

    @BeforeEach
    void fillTheCkanSite() throws Exception {
        ckan = CkanSiteDatabase.create();
        try (CkanSiteHistory history = new CkanSiteHistory(ckan)) {
            history.realistic("http://remote.example.org/", "org-a", Map.of("ds-1", "ds-1", "ds-2", "ds-2", "ds-3", "ds-3"));
        }
    }

    @AfterEach
    void close() {
        if (harvest != null) {
            harvest.close();
        }
    }

    HarvestDatabase harvestDatabase(Kind kind) {
        harvest = HarvestDatabase.open(TestDatabases.config(kind, Map.of("harvest.db.pool_size", "2")),
                Entities.ALL);
        return harvest;
    }

    MigrationReport migrate(javax.sql.DataSource target, boolean dryRun, int batchSize) {
        try (CkanSite site = CkanSite.connect(ckan.jdbcUrl(), ExternalServices.postgresUser(),
                ExternalServices.postgresPassword())) {
            return new CkanMigration(site, target, batchSize).run(dryRun, count -> { });
        }
    }

    static Map<String, Long> counts(Connection connection) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String table : TABLES) {
            try (Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("select count(*) from " + table)) {
                rows.next();
                counts.put(table, rows.getLong(1));
            }
        }
        return counts;
    }

    static List<String> rows(Connection connection, String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            int columns = result.getMetaData().getColumnCount();
            while (result.next()) {
                List<String> values = new ArrayList<>();
                for (int i = 1; i <= columns; i++) {
                    values.add(String.valueOf(result.getObject(i)));
                }
                rows.add(String.join("|", values));
            }
        }
        return rows;
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void everyTableIsCopiedWithItsIdsAndTheCountsMatchTheCkanDatabase(Kind kind) throws Exception {
        HarvestDatabase database = harvestDatabase(kind);

        MigrationReport report = migrate(database.dataSource(), false, 4);

        try (Connection source = ckan.connect(); Connection target = database.dataSource().getConnection()) {
            Map<String, Long> inCkan = counts(source);
            assertEquals(inCkan, counts(target));
            for (TableCount count : report.tables()) {
                assertEquals(inCkan.get(count.table()), count.inCkan(), count.toString());
                assertEquals(inCkan.get(count.table()), count.copied(), count.toString());
                assertEquals(0, count.alreadyThere(), count.toString());
            }
            assertTrue(report.mismatches().isEmpty(), report::toString);
            for (String table : TABLES) {
                assertEquals(rows(source, "select id from " + table + " order by id"),
                        rows(target, "select id from " + table + " order by id"), table + " keeps every id");
            }
        }
    }

    @Test
    void sourcesTakeNameTitleAndOrganizationFromTheirCkanDatasetAndADeletedOneIsInactive() throws Exception {
        HarvestDatabase database = harvestDatabase(Kind.POSTGRESQL);

        migrate(database.dataSource(), false, 500);

        try (Connection target = database.dataSource().getConnection()) {
            assertEquals(List.of("src-a|portal-a|Portal A|org-a|true|DAILY|{}",
                            "src-b|portal-b|Portal B|null|true|WEEKLY|{\"default_tags\": [\"b\"]}",
                            "src-c|old-portal|Old portal|null|false|MANUAL|"),
                    rows(target, "select id, name, title, owner_org, active, frequency, config from harvest_source"
                            + " order by id"));
            assertTrue(rows(target, "select url from harvest_source where id = 'src-b'").get(0).length() > 2000);
        }
    }

    @Test
    void objectsKeepTheirDatasetLinksStatesAndHistoryAndAGuidTwiceInOneJobFits() throws Exception {
        HarvestDatabase database = harvestDatabase(Kind.POSTGRESQL);

        migrate(database.dataSource(), false, 3);

        try (Connection target = database.dataSource().getConnection()) {
            assertEquals(List.of("obj-a2-ds-1|ds-1|true|COMPLETE|updated", "obj-a2-ds-2|ds-2|true|COMPLETE|updated",
                            "obj-a2-ds-3|ds-3|true|COMPLETE|updated"),
                    rows(target, "select id, package_id, current, state, report_status from harvest_object"
                            + " where harvest_job_id = 'job-a2' order by id"));
            assertEquals(List.of("ERROR", "FETCH", "IMPORT", "COMPLETE", "WAITING").stream().sorted().toList(),
                    rows(target, "select distinct state from harvest_object order by state"));
            assertEquals(List.of("obj-a1-dup1|true", "obj-a1-dup2|null"), rows(target,
                    "select id, unique_guid from harvest_object where guid = 'twice' order by id"),
                    "the first of a duplicated guid keeps the job's uniqueness, the rest is spared");
            assertEquals(1506, rows(target, "select guid from harvest_object where id = 'obj-b1-long'").get(0)
                    .length());
            assertEquals(List.of("Invalid tag: 'a&b'|Import|12"), rows(target,
                    "select message, stage, line from harvest_object_error where harvest_object_id = 'obj-b1-bad'"));
            assertEquals(List.of("CRITICAL", "DEBUG", "ERROR", "INFO", "WARNING"),
                    rows(target, "select level from harvest_log order by level"));
            assertEquals(List.of("new"), rows(target,
                    "select value from harvest_object_extra where harvest_object_id = 'obj-b2-wait'"));
        }
    }

    @Test
    void jobsKeepTheirStatusExceptASecondPendingJobOfOneSourceWhichBecomesAborted() throws Exception {
        HarvestDatabase database = harvestDatabase(Kind.POSTGRESQL);

        migrate(database.dataSource(), false, 500);

        try (Connection target = database.dataSource().getConnection()) {
            Map<String, String> statuses = new TreeMap<>();
            rows(target, "select id, status from harvest_job").forEach(row -> statuses.put(row.split("\\|")[0],
                    row.split("\\|")[1]));
            assertEquals(Map.of("job-a1", "Finished", "job-a2", "Finished", "job-a3", "New", "job-b1", "Finished",
                    "job-b2", "Running", "job-b3", "Aborted", "job-c1", "Finished", "job-c2", "Aborted"), statuses);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aSecondRunCopiesNothingAndFindsEveryRowAlreadyThere(Kind kind) throws Exception {
        HarvestDatabase database = harvestDatabase(kind);
        migrate(database.dataSource(), false, 500);

        MigrationReport second = migrate(database.dataSource(), false, 500);

        assertEquals(0, second.copied(), second::toString);
        assertTrue(second.mismatches().isEmpty(), second::toString);
        for (TableCount count : second.tables()) {
            assertEquals(count.inCkan(), count.alreadyThere(), count.toString());
        }
    }

    @Test
    void aDryRunCountsWhatItWouldCopyAndWritesNothing() throws Exception {
        HarvestDatabase database = harvestDatabase(Kind.H2);

        MigrationReport dry = migrate(database.dataSource(), true, 500);

        try (Connection source = ckan.connect(); Connection target = database.dataSource().getConnection()) {
            Map<String, Long> inCkan = counts(source);
            assertEquals(inCkan.values().stream().mapToLong(Long::longValue).sum(), dry.copied());
            assertTrue(counts(target).values().stream().allMatch(count -> count == 0), counts(target)::toString);
        }
    }

    @Test
    void aCkanSourceWhoseNameAnotherHarvestSourceHasIsRefusedInOneLine() throws Exception {
        HarvestDatabase database = harvestDatabase(Kind.H2);
        try (Connection target = database.dataSource().getConnection(); Statement statement =
                target.createStatement()) {
            statement.execute("insert into harvest_source (id, name, url, type) values ('mine', 'portal-b',"
                    + " 'http://mine', 'ckan')");
        }

        MigrationException refused = assertThrows(MigrationException.class,
                () -> migrate(database.dataSource(), false, 500));

        assertEquals("The CKAN harvest source 'portal-b' (id src-b) cannot be copied: the harvest database has another"
                + " source of that name (id mine); rename or remove one and run again", refused.getMessage());
    }

    @Test
    void aDatabaseWithoutCkanextHarvestTablesIsRefusedAsASource() {
        HarvestConfig empty = TestDatabases.config(Kind.POSTGRESQL, Map.of());

        MigrationException refused = assertThrows(MigrationException.class, () -> CkanSite.connect(
                empty.jdbcUrl(), empty.dbUser(), empty.dbPassword()));

        assertTrue(refused.getMessage().contains("is not a CKAN site's database with ckanext-harvest's tables"),
                refused.getMessage());
        assertNull(refused.getCause());
    }
}
