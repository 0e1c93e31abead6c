package dev.harvest.core.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.store.Entities;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Changeset 7: ckanext-harvest's text columns hold values of any length, and a guid may appear twice in one job only
 * on objects that say so ({@code unique_guid} null, as migrated history does).
 */
class SchemaAlignmentTest {

    @ParameterizedTest
    @EnumSource(Kind.class)
    void idsGuidsUrlsAndTitlesLongerThanTheOldLimitsAreStoredWhole(Kind kind) throws Exception {
        HarvestConfig config = TestDatabases.config(kind, Map.of("harvest.db.pool_size", "2"));
        String longId = "i".repeat(300);
        String longUrl = "http://example.org/" + "u".repeat(5_000);
        String longTitle = "t".repeat(5_000);
        String longGuid = "g".repeat(5_000);
        try (HarvestDatabase database = HarvestDatabase.open(config, Entities.ALL);
                Connection connection = database.dataSource().getConnection()) {
            try (PreparedStatement source = connection.prepareStatement(
                    "insert into harvest_source (id, name, url, title, type) values (?, ?, ?, ?, 'ckan')")) {
                source.setString(1, longId);
                source.setString(2, "n".repeat(300));
                source.setString(3, longUrl);
                source.setString(4, longTitle);
                source.executeUpdate();
            }
            try (PreparedStatement job = connection.prepareStatement(
                    "insert into harvest_job (id, source_id, status) values (?, ?, 'Finished')")) {
                job.setString(1, longId + "-job");
                job.setString(2, longId);
                job.executeUpdate();
            }
            try (PreparedStatement object = connection.prepareStatement("insert into harvest_object (id, guid,"
                    + " harvest_job_id, harvest_source_id, package_id) values (?, ?, ?, ?, ?)")) {
                object.setString(1, longId + "-object");
                object.setString(2, longGuid);
                object.setString(3, longId + "-job");
                object.setString(4, longId);
                object.setString(5, "p".repeat(300));
                object.executeUpdate();
            }
            try (Statement statement = connection.createStatement();
                    ResultSet row = statement.executeQuery("select s.url, s.title, o.guid from harvest_source s"
                            + " join harvest_object o on o.harvest_source_id = s.id")) {
                row.next();
                assertEquals(longUrl, row.getString(1));
                assertEquals(longTitle, row.getString(2));
                assertEquals(longGuid, row.getString(3));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aGuidTwiceInOneJobIsAcceptedOnlyOnObjectsMarkedAsMigratedDuplicates(Kind kind) throws Exception {
        HarvestConfig config = TestDatabases.config(kind, Map.of("harvest.db.pool_size", "2"));
        try (HarvestDatabase database = HarvestDatabase.open(config, Entities.ALL);
                Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("insert into harvest_source (id, name, url, type) values ('s', 's', 'http://x', 'ckan')");
            statement.execute("insert into harvest_job (id, source_id, status) values ('j', 's', 'Finished')");
            statement.execute("insert into harvest_object (id, guid, harvest_job_id, harvest_source_id)"
                    + " values ('o1', 'g', 'j', 's')");
            statement.execute("insert into harvest_object (id, guid, harvest_job_id, harvest_source_id, unique_guid)"
                    + " values ('o2', 'g', 'j', 's', null), ('o3', 'g', 'j', 's', null)");

            SQLException duplicate = assertThrows(SQLException.class, () -> statement.execute(
                    "insert into harvest_object (id, guid, harvest_job_id, harvest_source_id)"
                            + " values ('o4', 'g', 'j', 's')"));
            assertEquals("23505", duplicate.getSQLState(), duplicate.getMessage());
            try (ResultSet count = statement.executeQuery("select count(*) from harvest_object where guid = 'g'")) {
                count.next();
                assertEquals(3, count.getInt(1));
            }
        }
    }
}
