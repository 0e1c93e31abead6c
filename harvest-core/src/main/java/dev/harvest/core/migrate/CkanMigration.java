package dev.harvest.core.migrate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * Copies a CKAN site's harvest data (ckanext-harvest's seven tables) into the harvest database, keeping every id:
 * sources (with name, title and organization from CKAN's {@code package} row of type {@code harvest}), jobs, objects
 * (with their {@code package_id} and {@code current}, so that each dataset stays linked to the object that made it
 * and the next harvest updates it instead of creating a duplicate), extras, gather and object errors, and logs.
 *
 * <p>Each table is read in pages ordered by id (keyset pagination: {@code id > last}), so memory is bounded by one
 * page whatever the site's size. A page's ids already in the harvest database are skipped and the others inserted in
 * one JDBC batch, committed per page: a second run copies nothing, and an interrupted run resumes where it stopped.
 * Rows already copied are never changed.
 */
public final class CkanMigration {

    /** Rows read, checked and inserted per round trip. */
    public static final int DEFAULT_BATCH_SIZE = 500;

    private final CkanSite site;
    private final DataSource target;
    private final int batchSize;

    /**
     * @param site the CKAN database
     * @param target the harvest database, with harvest's schema (or, for a dry run, possibly without any table yet)
     * @param batchSize rows per page
     */
    public CkanMigration(CkanSite site, DataSource target, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, not " + batchSize);
        }
        this.site = site;
        this.target = target;
        this.batchSize = batchSize;
    }

    /**
     * Copies every table, in the order of their foreign keys.
     *
     * @param dryRun whether to write nothing and only count what would be copied
     * @param progress receives each table's count as soon as it is done
     * @return the counts
     * @throws MigrationException if a database fails, or a CKAN source's name is taken by another harvest source
     */
    public MigrationReport run(boolean dryRun, Consumer<TableCount> progress) {
        List<TableCount> counts = new ArrayList<>();
        try (Connection harvest = target.getConnection()) {
            harvest.setAutoCommit(false);
            boolean schema = hasHarvestTables(harvest);
            if (!schema && !dryRun) {
                throw new MigrationException("The harvest database has no harvest tables: run 'harvester initdb' first");
            }
            for (MigratedTable table : MigratedTable.all(site.hasPackageTable())) {
                TableCount count = copy(table, harvest, schema, dryRun);
                if (!dryRun && table.name().equals("harvest_object") && count.copied() > 0) {
                    markFirstObjectOfEachGuid(harvest);
                }
                counts.add(count);
                progress.accept(count);
            }
        } catch (SQLException e) {
            throw new MigrationException("The migration from " + site.description() + " failed: "
                    + CkanSite.firstLine(e) + " (rows committed so far stay; run the command again to go on)");
        }
        return new MigrationReport(counts, dryRun);
    }

    private TableCount copy(MigratedTable table, Connection harvest, boolean schema, boolean dryRun)
            throws SQLException {
        Connection ckan = site.connection();
        long copied = 0;
        long already = 0;
        String last = null;
        try (PreparedStatement first = ckan.prepareStatement(table.pageQuery(true));
                PreparedStatement next = ckan.prepareStatement(table.pageQuery(false));
                PreparedStatement insert = dryRun ? null : harvest.prepareStatement(table.insert())) {
            while (true) {
                PreparedStatement page = last == null ? first : next;
                int index = 1;
                if (last != null) {
                    page.setString(index++, last);
                }
                page.setInt(index, batchSize);
                Map<String, Object[]> rows = new LinkedHashMap<>();
                try (ResultSet result = page.executeQuery()) {
                    while (result.next()) {
                        Object[] row = new Object[table.columns().size()];
                        for (int i = 0; i < row.length; i++) {
                            row[i] = table.columns().get(i).kind().read(result, i + 1);
                        }
                        rows.put((String) row[0], row);
                    }
                }
                if (rows.isEmpty()) {
                    break;
                }
                last = new ArrayList<>(rows.keySet()).get(rows.size() - 1);
                Set<String> existing = schema ? existingIds(harvest, table.name(), rows.keySet()) : Set.of();
                existing.forEach(rows::remove);
                if (table.name().equals("harvest_source") && schema) {
                    refuseTakenNames(harvest, rows.values());
                }
                if (!dryRun && !rows.isEmpty()) {
                    for (Object[] row : rows.values()) {
                        for (int i = 0; i < row.length; i++) {
                            table.columns().get(i).kind().write(insert, i + 1, row[i]);
                        }
                        insert.addBatch();
                    }
                    insert.executeBatch();
                    harvest.commit();
                }
                copied += rows.size();
                already += existing.size();
            }
        }
        long inCkan = count(ckan, table.name());
        long inHarvest = schema ? count(harvest, table.name()) : 0;
        harvest.commit();
        return new TableCount(table.name(), inCkan, copied, already, inHarvest);
    }

    /** @return the ids among {@code ids} that the harvest table already holds */
    private static Set<String> existingIds(Connection harvest, String table, Set<String> ids) throws SQLException {
        String marks = String.join(", ", Collections.nCopies(ids.size(), "?"));
        Set<String> existing = new HashSet<>();
        try (PreparedStatement select = harvest.prepareStatement(
                "select id from " + table + " where id in (" + marks + ")")) {
            int index = 1;
            for (String id : ids) {
                select.setString(index++, id);
            }
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    existing.add(rows.getString(1));
                }
            }
        }
        return existing;
    }

    /** A CKAN source whose name another harvest source has cannot be copied: says which, before writing it. */
    private static void refuseTakenNames(Connection harvest, java.util.Collection<Object[]> sources)
            throws SQLException {
        if (sources.isEmpty()) {
            return;
        }
        Map<String, String> idByName = new LinkedHashMap<>();
        sources.forEach(row -> idByName.put((String) row[1], (String) row[0]));
        String marks = String.join(", ", Collections.nCopies(idByName.size(), "?"));
        try (PreparedStatement select = harvest.prepareStatement(
                "select id, name from harvest_source where name in (" + marks + ")")) {
            int index = 1;
            for (String name : idByName.keySet()) {
                select.setString(index++, name);
            }
            try (ResultSet rows = select.executeQuery()) {
                if (rows.next()) {
                    throw new MigrationException("The CKAN harvest source '" + rows.getString(2) + "' (id "
                            + idByName.get(rows.getString(2)) + ") cannot be copied: the harvest database has another"
                            + " source of that name (id " + rows.getString(1) + "); rename or remove one and run again");
                }
            }
        }
    }

    /**
     * Copied objects enter with {@code unique_guid} null. The first object (lowest id) of each guid in a job that has
     * none marked yet is marked true, so that a copied job that is gathered again cannot store its guids twice; null
     * stays only on the duplicates ckanext-harvest allowed.
     */
    private static void markFirstObjectOfEachGuid(Connection harvest) throws SQLException {
        try (Statement statement = harvest.createStatement()) {
            statement.executeUpdate("update harvest_object set unique_guid = true where id in ("
                    + "select min(o.id) from harvest_object o where o.unique_guid is null and o.guid is not null"
                    + " and not exists (select 1 from harvest_object t where t.harvest_job_id = o.harvest_job_id"
                    + " and t.guid = o.guid and t.unique_guid = true)"
                    + " group by o.harvest_job_id, o.guid)");
        }
        harvest.commit();
    }

    private static long count(Connection connection, String table) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select count(*) from " + table)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static boolean hasHarvestTables(Connection harvest) throws SQLException {
        try (ResultSet rows = harvest.getMetaData().getTables(harvest.getCatalog(), harvest.getSchema(), "%",
                new String[] {"TABLE"})) {
            while (rows.next()) {
                if (rows.getString("TABLE_NAME").equalsIgnoreCase("databasechangelog")) {
                    return true;
                }
            }
        }
        return false;
    }
}
