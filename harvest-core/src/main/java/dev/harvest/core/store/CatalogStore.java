package dev.harvest.core.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.core.db.HarvestDatabase;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.hibernate.Session;

/** Storage of the embedded catalog's datasets and groups, as JSON documents with indexed key columns. */
public final class CatalogStore {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};
    private static final DateTimeFormatter CKAN_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS");

    private final HarvestDatabase database;
    private final Clock clock;

    public CatalogStore(HarvestDatabase database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    private LocalDateTime now() {
        return LocalDateTime.now(clock.withZone(ZoneOffset.UTC));
    }

    public Optional<Dataset> findDataset(String idOrName) throws CatalogException {
        try {
            return database.read(session -> findDatasetEntity(session, idOrName).map(CatalogStore::toDataset));
        } catch (RuntimeException e) {
            throw new CatalogException("Cannot read dataset " + idOrName + ": " + e.getMessage(), e);
        }
    }

    private static Optional<CatalogDatasetEntity> findDatasetEntity(Session session, String idOrName) {
        CatalogDatasetEntity byId = session.find(CatalogDatasetEntity.class, idOrName);
        if (byId != null) {
            return Optional.of(byId);
        }
        return session.createSelectionQuery("from CatalogDatasetEntity where name = :n", CatalogDatasetEntity.class)
                .setParameter("n", idOrName)
                .uniqueResultOptional();
    }

    public Dataset createDataset(Dataset dataset) throws CatalogException {
        String name = dataset.name();
        if (name == null || !name.matches("[a-z0-9_-]{2,100}")) {
            throw new CatalogException("Invalid dataset name '" + name
                    + "': 2 to 100 lowercase letters, digits, '-' or '_'");
        }
        LocalDateTime now = now();
        Map<String, Object> fields = dataset.toMap();
        String id = dataset.id() == null || dataset.id().isBlank() ? UUID.randomUUID().toString() : dataset.id();
        fields.put("id", id);
        fields.put("state", "active");
        fields.put("metadata_created", CKAN_TIME.format(now));
        fields.put("metadata_modified", CKAN_TIME.format(now));
        try {
            return database.inTransaction(session -> {
                if (session.find(CatalogDatasetEntity.class, id) != null) {
                    throw new IllegalStateException("A dataset with id " + id + " already exists");
                }
                if (isNameTaken(session, name)) {
                    throw new IllegalStateException("That URL is already in use: dataset name '" + name + "' is taken");
                }
                CatalogDatasetEntity entity = new CatalogDatasetEntity();
                entity.id = id;
                entity.metadataCreated = now;
                write(entity, fields, now);
                session.persist(entity);
                return new Dataset(fields);
            });
        } catch (IllegalStateException e) {
            throw new CatalogException(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new CatalogException("Cannot create dataset " + name + ": " + e.getMessage(), e);
        }
    }

    public Dataset updateDataset(Dataset dataset) throws CatalogException {
        String id = dataset.id();
        if (id == null) {
            throw new CatalogException("Cannot update a dataset without an id");
        }
        LocalDateTime now = now();
        try {
            return database.inTransaction(session -> {
                CatalogDatasetEntity entity = session.find(CatalogDatasetEntity.class, id);
                if (entity == null) {
                    throw new IllegalStateException("Dataset " + id + " does not exist");
                }
                Map<String, Object> fields = dataset.toMap();
                String name = dataset.name() == null ? entity.name : dataset.name();
                if (!name.equals(entity.name) && isNameTaken(session, name)) {
                    throw new IllegalStateException("That URL is already in use: dataset name '" + name + "' is taken");
                }
                fields.put("name", name);
                fields.put("state", "active");
                fields.put("metadata_created", CKAN_TIME.format(entity.metadataCreated));
                fields.put("metadata_modified", CKAN_TIME.format(now));
                write(entity, fields, now);
                return new Dataset(fields);
            });
        } catch (IllegalStateException e) {
            throw new CatalogException(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new CatalogException("Cannot update dataset " + id + ": " + e.getMessage(), e);
        }
    }

    public void deleteDataset(String id) throws CatalogException {
        LocalDateTime now = now();
        try {
            database.inTransaction(session -> {
                CatalogDatasetEntity entity = session.find(CatalogDatasetEntity.class, id);
                if (entity != null && !"deleted".equals(entity.state)) {
                    Map<String, Object> fields = read(entity.data);
                    fields.put("state", "deleted");
                    fields.put("metadata_modified", CKAN_TIME.format(now));
                    write(entity, fields, now);
                }
                return null;
            });
        } catch (RuntimeException e) {
            throw new CatalogException("Cannot delete dataset " + id + ": " + e.getMessage(), e);
        }
    }

    public boolean isDatasetNameTaken(String name) throws CatalogException {
        try {
            return database.read(session -> isNameTaken(session, name));
        } catch (RuntimeException e) {
            throw new CatalogException("Cannot read dataset names: " + e.getMessage(), e);
        }
    }

    private static boolean isNameTaken(Session session, String name) {
        return session.createSelectionQuery("select count(*) from CatalogDatasetEntity where name = :n", Long.class)
                .setParameter("n", name)
                .getSingleResult() > 0;
    }

    public long datasetCount(boolean includeDeleted) {
        return database.read(session -> session.createSelectionQuery(
                        "select count(*) from CatalogDatasetEntity" + (includeDeleted ? "" : " where state = 'active'"),
                        Long.class)
                .getSingleResult());
    }

    public Optional<CatalogGroup> findGroup(GroupKind kind, String idOrName) throws CatalogException {
        try {
            return database.read(session -> {
                CatalogGroupEntity byId = session.find(CatalogGroupEntity.class, idOrName);
                if (byId != null && byId.kind.equals(kind.name())) {
                    return Optional.of(new CatalogGroup(read(byId.data)));
                }
                return session.createSelectionQuery("from CatalogGroupEntity where kind = :k and name = :n",
                                CatalogGroupEntity.class)
                        .setParameter("k", kind.name())
                        .setParameter("n", idOrName)
                        .uniqueResultOptional()
                        .map(entity -> new CatalogGroup(read(entity.data)));
            });
        } catch (RuntimeException e) {
            throw new CatalogException("Cannot read " + kind.name().toLowerCase() + " " + idOrName + ": "
                    + e.getMessage(), e);
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
            return database.inTransaction(session -> {
                if (session.find(CatalogGroupEntity.class, id) != null || session.createSelectionQuery(
                                "select count(*) from CatalogGroupEntity where kind = :k and name = :n", Long.class)
                        .setParameter("k", kind.name()).setParameter("n", name).getSingleResult() > 0) {
                    throw new IllegalStateException("Group name or id already exists: " + name);
                }
                CatalogGroupEntity entity = new CatalogGroupEntity();
                entity.id = id;
                entity.kind = kind.name();
                entity.name = name;
                entity.title = group.title();
                entity.data = toJson(fields);
                session.persist(entity);
                return new CatalogGroup(fields);
            });
        } catch (IllegalStateException e) {
            throw new CatalogException(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new CatalogException("Cannot create " + kind.name().toLowerCase() + " " + name + ": "
                    + e.getMessage(), e);
        }
    }

    private static void write(CatalogDatasetEntity entity, Map<String, Object> fields, LocalDateTime now) {
        entity.name = (String) fields.get("name");
        Object title = fields.get("title");
        entity.title = title == null ? null : title.toString();
        Object owner = fields.get("owner_org");
        entity.ownerOrg = owner == null ? null : owner.toString();
        entity.state = (String) fields.get("state");
        entity.metadataModified = now;
        entity.data = toJson(fields);
    }

    private static Dataset toDataset(CatalogDatasetEntity entity) {
        return new Dataset(read(entity.data));
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
