package dev.harvest.core.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.core.db.HarvestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Storage of the embedded catalog's datasets and groups, as JSON documents with indexed key columns.
 *
 * <p>Plain JDBC through the current harvest transaction: inside a batch import, the writes of one object commit with
 * the object, and a failed one (a value too long) rolls back to the object's savepoint. On PostgreSQL, where any
 * failed statement aborts the transaction, a new dataset whose id or name is taken is refused by
 * {@code ON CONFLICT DO NOTHING} rather than by a unique violation, so that a name race between two workers leaves
 * the transaction usable for the harvester's next try with another name.
 */
public final class CatalogStore {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};
    private static final DateTimeFormatter CKAN_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS");
    private static final String DATASET_COLUMNS = "id, name, state, metadata_created, data";
    private static final String BY_ID_OR_NAME = "select " + DATASET_COLUMNS + " from catalog_dataset where id = ?"
            + " union all select " + DATASET_COLUMNS + " from catalog_dataset where name = ? and id <> ?";

    private final HarvestDatabase database;
    private final Clock clock;

    public CatalogStore(HarvestDatabase database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    /** A row of {@code catalog_dataset}. */
    private record DatasetRow(String id, String name, String state, LocalDateTime created, String data) {
        static DatasetRow read(ResultSet result) throws SQLException {
            Timestamp created = result.getTimestamp(4);
            return new DatasetRow(result.getString(1), result.getString(2), result.getString(3),
                    created == null ? null : created.toLocalDateTime(), result.getString(5));
        }
    }

    /** JDBC work that may fail with an SQLException. */
    private interface Jdbc<T> {
        T run(Connection connection) throws SQLException;
    }

    private <T> T read(Jdbc<T> work) {
        return database.read(session -> session.doReturningWork(connection -> unconverted(work, connection)));
    }

    /** Writes join the current transaction: inside a batch, the object's savepoint covers them. */
    private <T> T write(Jdbc<T> work) {
        return database.joined(session -> session.doReturningWork(connection -> unconverted(work, connection)));
    }

    /**
     * Runs JDBC work with its SQLException wrapped before Hibernate sees it: Hibernate's conversion would mark the
     * whole transaction for rollback, although the object's savepoint undoes the failed write alone.
     */
    private static <T> T unconverted(Jdbc<T> work, Connection connection) {
        try {
            return work.run(connection);
        } catch (SQLException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    public Optional<Dataset> findDataset(String idOrName) throws CatalogException {
        try {
            return read(connection -> findDatasetRow(connection, idOrName)).map(row -> new Dataset(read(row.data)));
        } catch (RuntimeException e) {
            throw new CatalogException("Cannot read dataset " + idOrName + ": " + e.getMessage(), e);
        }
    }

    /**
     * One round trip: the dataset with this id, else the one with this name. Two equality lookups joined by
     * {@code union all}, so that each uses its unique index whatever the planner knows of the table's size (an
     * {@code id = ? or name = ?} becomes a sequential scan on a table whose statistics are stale).
     */
    private static Optional<DatasetRow> findDatasetRow(Connection connection, String idOrName) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(BY_ID_OR_NAME)) {
            select.setString(1, idOrName);
            select.setString(2, idOrName);
            select.setString(3, idOrName);
            DatasetRow byName = null;
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    DatasetRow row = DatasetRow.read(result);
                    if (idOrName.equals(row.id())) {
                        return Optional.of(row);
                    }
                    byName = row;
                }
            }
            return Optional.ofNullable(byName);
        }
    }

    private static Optional<DatasetRow> selectDataset(Connection connection, String column, String value)
            throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "select " + DATASET_COLUMNS + " from catalog_dataset where " + column + " = ?")) {
            select.setString(1, value);
            try (ResultSet result = select.executeQuery()) {
                return result.next() ? Optional.of(DatasetRow.read(result)) : Optional.empty();
            }
        }
    }

    public Dataset createDataset(Dataset dataset) throws CatalogException {
        String name = dataset.name();
        if (name == null || !name.matches("[a-z0-9_-]{2,100}")) {
            throw new CatalogException("Invalid dataset name '" + name
                    + "': 2 to 100 lowercase letters, digits, '-' or '_'");
        }
        LocalDateTime now = Rows.now(clock);
        Map<String, Object> fields = dataset.toMap();
        String id = dataset.id() == null || dataset.id().isBlank() ? UUID.randomUUID().toString() : dataset.id();
        fields.put("id", id);
        fields.put("state", "active");
        fields.put("metadata_created", CKAN_TIME.format(now));
        fields.put("metadata_modified", CKAN_TIME.format(now));
        try {
            return write(connection -> {
                boolean postgres = database.isPostgres();
                if (!postgres) {
                    refuseTakenIdOrName(connection, id, name);
                }
                try (PreparedStatement insert = connection.prepareStatement("insert into catalog_dataset"
                        + " (name, title, owner_org, state, metadata_modified, data, metadata_created, id)"
                        + " values (?, ?, ?, ?, ?, ?, ?, ?)" + (postgres ? " on conflict do nothing" : ""))) {
                    bindWrite(insert, fields, now);
                    insert.setTimestamp(7, Timestamp.valueOf(now));
                    insert.setString(8, id);
                    if (insert.executeUpdate() == 0) {
                        refuseTakenIdOrName(connection, id, name);
                        throw new IllegalStateException("Dataset " + name + " was not created");
                    }
                }
                return new Dataset(fields);
            });
        } catch (IllegalStateException e) {
            throw new CatalogException(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new CatalogException("Cannot create dataset " + name + ": " + e.getMessage(), e);
        }
    }

    private static void refuseTakenIdOrName(Connection connection, String id, String name) throws SQLException {
        try (PreparedStatement taken = connection.prepareStatement("select id from catalog_dataset where id = ?"
                + " union all select id from catalog_dataset where name = ? and id <> ?")) {
            taken.setString(1, id);
            taken.setString(2, name);
            taken.setString(3, id);
            boolean nameTaken = false;
            try (ResultSet result = taken.executeQuery()) {
                while (result.next()) {
                    if (id.equals(result.getString(1))) {
                        throw new IllegalStateException("A dataset with id " + id + " already exists");
                    }
                    nameTaken = true;
                }
            }
            if (nameTaken) {
                throw new IllegalStateException("That URL is already in use: dataset name '" + name + "' is taken");
            }
        }
    }

    public Dataset updateDataset(Dataset dataset) throws CatalogException {
        String id = dataset.id();
        if (id == null) {
            throw new CatalogException("Cannot update a dataset without an id");
        }
        LocalDateTime now = Rows.now(clock);
        try {
            return write(connection -> {
                DatasetRow row = selectDataset(connection, "id", id)
                        .orElseThrow(() -> new IllegalStateException("Dataset " + id + " does not exist"));
                Map<String, Object> fields = dataset.toMap();
                String name = dataset.name() == null ? row.name() : dataset.name();
                if (!name.equals(row.name()) && isNameTaken(connection, name)) {
                    throw new IllegalStateException("That URL is already in use: dataset name '" + name + "' is taken");
                }
                fields.put("name", name);
                fields.put("state", "active");
                fields.put("metadata_created", CKAN_TIME.format(row.created()));
                fields.put("metadata_modified", CKAN_TIME.format(now));
                update(connection, id, fields, now);
                return new Dataset(fields);
            });
        } catch (IllegalStateException e) {
            throw new CatalogException(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new CatalogException("Cannot update dataset " + id + ": " + e.getMessage(), e);
        }
    }

    public void deleteDataset(String id) throws CatalogException {
        LocalDateTime now = Rows.now(clock);
        try {
            write(connection -> {
                Optional<DatasetRow> row = selectDataset(connection, "id", id);
                if (row.isPresent() && !"deleted".equals(row.get().state())) {
                    Map<String, Object> fields = read(row.get().data());
                    fields.put("state", "deleted");
                    fields.put("metadata_modified", CKAN_TIME.format(now));
                    update(connection, id, fields, now);
                }
                return null;
            });
        } catch (RuntimeException e) {
            throw new CatalogException("Cannot delete dataset " + id + ": " + e.getMessage(), e);
        }
    }

    private static void update(Connection connection, String id, Map<String, Object> fields, LocalDateTime now)
            throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("update catalog_dataset set name = ?, title = ?,"
                + " owner_org = ?, state = ?, metadata_modified = ?, data = ? where id = ?")) {
            bindWrite(update, fields, now);
            update.setString(7, id);
            update.executeUpdate();
        }
    }

    private static void bindWrite(PreparedStatement statement, Map<String, Object> fields, LocalDateTime now)
            throws SQLException {
        Object title = fields.get("title");
        Object owner = fields.get("owner_org");
        statement.setString(1, (String) fields.get("name"));
        statement.setString(2, title == null ? null : title.toString());
        statement.setString(3, owner == null ? null : owner.toString());
        statement.setString(4, (String) fields.get("state"));
        statement.setTimestamp(5, Timestamp.valueOf(now));
        statement.setString(6, toJson(fields));
    }

    public boolean isDatasetNameTaken(String name) throws CatalogException {
        try {
            return read(connection -> isNameTaken(connection, name));
        } catch (RuntimeException e) {
            throw new CatalogException("Cannot read dataset names: " + e.getMessage(), e);
        }
    }

    private static boolean isNameTaken(Connection connection, String name) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("select 1 from catalog_dataset where name = ?")) {
            select.setString(1, name);
            try (ResultSet result = select.executeQuery()) {
                return result.next();
            }
        }
    }

    public long datasetCount(boolean includeDeleted) {
        return read(connection -> {
            try (PreparedStatement select = connection.prepareStatement("select count(*) from catalog_dataset"
                    + (includeDeleted ? "" : " where state = 'active'"));
                    ResultSet result = select.executeQuery()) {
                result.next();
                return result.getLong(1);
            }
        });
    }

    public Optional<CatalogGroup> findGroup(GroupKind kind, String idOrName) throws CatalogException {
        try {
            return read(connection -> {
                Optional<String> byId = selectGroup(connection, kind, "id", idOrName);
                return byId.isPresent() ? byId : selectGroup(connection, kind, "name", idOrName);
            }).map(data -> new CatalogGroup(read(data)));
        } catch (RuntimeException e) {
            throw new CatalogException("Cannot read " + kind.name().toLowerCase() + " " + idOrName + ": "
                    + e.getMessage(), e);
        }
    }

    private static Optional<String> selectGroup(Connection connection, GroupKind kind, String column, String value)
            throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "select data from catalog_group where kind = ? and " + column + " = ?")) {
            select.setString(1, kind.name());
            select.setString(2, value);
            try (ResultSet result = select.executeQuery()) {
                return result.next() ? Optional.of(result.getString(1)) : Optional.empty();
            }
        }
    }

    public CatalogGroup createGroup(GroupKind kind, CatalogGroup group) throws CatalogException {
        String name = group.name();
        if (name == null || !name.matches("[a-z0-9_-]{2,100}")) {
            throw new CatalogException("Invalid " + kind.name().toLowerCase() + " name '" + name + "'");
        }
        Map<String, Object> fields = group.toMap();
        String id = group.id() == null || group.id().isBlank() ? UUID.randomUUID().toString() : group.id();
        fields.put("id", id);
        fields.put("is_organization", kind == GroupKind.ORGANIZATION);
        fields.putIfAbsent("type", kind == GroupKind.ORGANIZATION ? "organization" : "group");
        fields.putIfAbsent("state", "active");
        try {
            return write(connection -> {
                boolean idTaken;
                try (PreparedStatement select = connection.prepareStatement(
                        "select 1 from catalog_group where id = ?")) {
                    select.setString(1, id);
                    try (ResultSet result = select.executeQuery()) {
                        idTaken = result.next();
                    }
                }
                if (idTaken || selectGroup(connection, kind, "name", name).isPresent()) {
                    throw new IllegalStateException("Group name or id already exists: " + name);
                }
                try (PreparedStatement insert = connection.prepareStatement(
                        "insert into catalog_group (id, kind, name, title, data) values (?, ?, ?, ?, ?)")) {
                    insert.setString(1, id);
                    insert.setString(2, kind.name());
                    insert.setString(3, name);
                    insert.setString(4, group.title());
                    insert.setString(5, toJson(fields));
                    insert.executeUpdate();
                }
                return new CatalogGroup(fields);
            });
        } catch (IllegalStateException e) {
            throw new CatalogException(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new CatalogException("Cannot create " + kind.name().toLowerCase() + " " + name + ": "
                    + e.getMessage(), e);
        }
    }

    private static String toJson(Map<String, Object> fields) {
        try {
            return JSON.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("The dataset holds a value that is not JSON: " + e.getMessage(), e);
        }
    }

    private static LinkedHashMap<String, Object> read(String json) {
        try {
            return JSON.readValue(json, MAP);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Stored catalog document is not JSON: " + e.getMessage(), e);
        }
    }
}
