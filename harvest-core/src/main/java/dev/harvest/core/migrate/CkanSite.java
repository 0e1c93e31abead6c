package dev.harvest.core.migrate;

import dev.harvest.core.db.CkanTables;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;

/**
 * A CKAN site's database, read through one read-only connection in one repeatable-read transaction: every table is
 * copied from the same snapshot, so a site that keeps harvesting during the copy yields a consistent history and
 * counts that add up.
 */
public final class CkanSite implements AutoCloseable {

    /** ckanext-harvest's tables, which a CKAN site's database must hold. */
    static final List<String> TABLES = List.of("harvest_source", "harvest_job", "harvest_object",
            "harvest_object_extra", "harvest_gather_error", "harvest_object_error", "harvest_log");

    private final Connection connection;
    private final String description;
    private final boolean packageTable;

    private CkanSite(Connection connection, String description, boolean packageTable) {
        this.connection = connection;
        this.description = description;
        this.packageTable = packageTable;
    }

    /**
     * Connects and checks that the database holds ckanext-harvest's tables.
     *
     * @param jdbcUrl the CKAN database, e.g. {@code jdbc:postgresql://db/ckan}
     * @param user the user, or null to take it from the URL
     * @param password the password, or null
     * @return the site
     * @throws MigrationException if it cannot be reached or is not a ckanext-harvest database
     */
    public static CkanSite connect(String jdbcUrl, String user, String password) {
        String safe = jdbcUrl.replaceAll("password=[^&;]*", "password=***");
        if (!jdbcUrl.startsWith("jdbc:")) {
            throw new MigrationException("--from must be the JDBC URL of the CKAN database, such as"
                    + " jdbc:postgresql://localhost/ckan, not '" + safe + "'");
        }
        Connection connection;
        try {
            connection = user == null ? DriverManager.getConnection(jdbcUrl)
                    : DriverManager.getConnection(jdbcUrl, user, password == null ? "" : password);
        } catch (SQLException e) {
            throw new MigrationException("Cannot connect to the CKAN database at " + safe + ": " + firstLine(e));
        }
        try {
            Set<String> tables = CkanTables.tableNames(connection);
            List<String> missing = TABLES.stream().filter(table -> !tables.contains(table)).toList();
            if (!missing.isEmpty()) {
                throw new MigrationException("The database at " + safe + " is not a CKAN site's database with"
                        + " ckanext-harvest's tables: " + String.join(", ", missing) + " missing");
            }
            connection.setReadOnly(true);
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            connection.setAutoCommit(false);
            return new CkanSite(connection, safe, tables.contains("package"));
        } catch (SQLException | RuntimeException e) {
            try {
                connection.close();
            } catch (SQLException closing) {
                e.addSuppressed(closing);
            }
            if (e instanceof MigrationException migration) {
                throw migration;
            }
            throw new MigrationException("Cannot read the CKAN database at " + safe + ": " + firstLine(e));
        }
    }

    static String firstLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.lines().findFirst().orElse(message);
    }

    Connection connection() {
        return connection;
    }

    /** @return whether CKAN's {@code package} table is there (a source's name and organization live in it) */
    boolean hasPackageTable() {
        return packageTable;
    }

    /** @return the database's URL without its password */
    public String description() {
        return description;
    }

    @Override
    public void close() {
        try {
            // nothing was written: ending the snapshot
            connection.rollback();
            connection.close();
        } catch (SQLException e) {
            // the connection is going away anyway
        }
    }
}
