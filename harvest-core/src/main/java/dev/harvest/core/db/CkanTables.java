package dev.harvest.core.db;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Recognises a database (or schema) that ckanext-harvest created: its {@code harvest_source} table without harvest's
 * Liquibase changelog. Liquibase would otherwise fail on it with {@code relation "harvest_source" already exists}
 * after a long stack trace.
 */
public final class CkanTables {

    private CkanTables() {}

    /**
     * @param connection a connection to the database, in the schema harvest would use
     * @param safeUrl the database's URL without its password, for the message
     * @throws CkanDatabaseException if the schema holds ckanext-harvest's tables and not harvest's changelog
     * @throws SQLException if the catalog cannot be read
     */
    static void refuseCkanDatabase(Connection connection, String safeUrl) throws SQLException {
        Set<String> tables = tableNames(connection);
        if (!tables.contains("harvest_source") || tables.contains("databasechangelog")) {
            return;
        }
        String what = tables.contains("package") || tables.contains("harvest_alembic_version")
                ? "a CKAN site's database with ckanext-harvest's tables"
                : "ckanext-harvest's tables without harvest's schema history";
        throw new CkanDatabaseException("The harvest database at " + safeUrl + " is " + what
                + "; harvest does not take them over in place: point harvest.db.url at a new, empty database and copy"
                + " the site's harvest data into it with 'harvester migrate-from-ckan --from " + safeUrl + "'"
                + " (see docs/migration.md)");
    }

    /**
     * @param connection a connection
     * @return the lower-cased names of the tables in the connection's current schema (also what the migration reads
     *     of a CKAN database)
     * @throws SQLException if the database cannot list them
     */
    public static Set<String> tableNames(Connection connection) throws SQLException {
        Set<String> names = new TreeSet<>();
        DatabaseMetaData meta = connection.getMetaData();
        try (ResultSet rows = meta.getTables(connection.getCatalog(), connection.getSchema(), "%",
                new String[] {"TABLE"})) {
            while (rows.next()) {
                names.add(rows.getString("TABLE_NAME").toLowerCase(Locale.ROOT));
            }
        }
        return names;
    }
}
