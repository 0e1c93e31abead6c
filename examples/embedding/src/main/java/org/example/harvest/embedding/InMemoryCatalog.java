package org.example.harvest.embedding;

import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.GroupKind;
import java.io.PrintStream;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The application's own catalog: datasets, groups and organizations kept in memory, each change printed as it
 * happens. It is what an application supplies instead of harvest's embedded catalog, to receive harvested datasets
 * into its own store.
 *
 * <p>It follows {@link Catalog}'s documented behaviour, which the testkit's catalog contract checks: lookups by id
 * before name, deleted datasets kept (and their names taken), CKAN {@code package_update} semantics, a new
 * {@code metadata_modified} on every change. Thread-safe: the engine imports from several threads, so every method
 * holds the catalog's lock; dicts are copied in and out, so no caller can change what is stored.
 */
public final class InMemoryCatalog implements Catalog {

    private static final DateTimeFormatter CKAN_TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS");

    private final PrintStream log;
    private final Clock clock;
    /** Datasets by id. */
    private final Map<String, Dataset> datasets = new HashMap<>();
    private final Map<String, String> datasetIdsByName = new HashMap<>();
    private final Map<GroupKind, Map<String, CatalogGroup>> groups = new EnumMap<>(GroupKind.class);
    private LocalDateTime lastTimestamp = LocalDateTime.MIN;

    /** @param log where each change is printed */
    public InMemoryCatalog(PrintStream log) {
        this(log, Clock.systemUTC());
    }

    /**
     * @param log where each change is printed
     * @param clock what timestamps are read from
     */
    public InMemoryCatalog(PrintStream log, Clock clock) {
        this.log = log;
        this.clock = clock;
        for (GroupKind kind : GroupKind.values()) {
            groups.put(kind, new LinkedHashMap<>());
        }
    }

    @Override
    public synchronized Optional<Dataset> findDataset(String idOrName) {
        Dataset found = datasets.get(idOrName);
        if (found == null && datasetIdsByName.containsKey(idOrName)) {
            found = datasets.get(datasetIdsByName.get(idOrName));
        }
        return Optional.ofNullable(found).map(Dataset::copy);
    }

    @Override
    public synchronized Dataset createDataset(Dataset dataset) throws CatalogException {
        String name = requireName(dataset.name(), "dataset");
        if (datasetIdsByName.containsKey(name)) {
            throw new CatalogException("Dataset name " + name + " is already in use");
        }
        String id = dataset.id() != null ? dataset.id() : UUID.randomUUID().toString();
        if (datasets.containsKey(id)) {
            throw new CatalogException("Dataset id " + id + " is already in use");
        }
        Dataset stored = dataset.copy();
        String now = nextTimestamp();
        stored.put("id", id);
        stored.put("state", "active");
        stored.put("metadata_created", now);
        stored.put("metadata_modified", now);
        datasets.put(id, stored);
        datasetIdsByName.put(name, id);
        log.println("[catalog] created " + name + " (" + id + "): " + stored.title());
        return stored.copy();
    }

    @Override
    public synchronized Dataset updateDataset(Dataset dataset) throws CatalogException {
        Dataset existing = dataset.id() == null ? null : datasets.get(dataset.id());
        if (existing == null) {
            throw new CatalogException("Cannot update dataset " + dataset.id() + ": it does not exist");
        }
        String name = dataset.name() != null ? requireName(dataset.name(), "dataset") : existing.name();
        String owner = datasetIdsByName.get(name);
        if (owner != null && !owner.equals(existing.id())) {
            throw new CatalogException("Dataset name " + name + " is already in use");
        }
        // package_update: the new dict replaces the old one; only the id and the creation time carry over
        Dataset stored = dataset.copy();
        stored.put("name", name);
        stored.put("state", "active");
        stored.put("metadata_created", existing.get("metadata_created"));
        stored.put("metadata_modified", nextTimestamp());
        datasetIdsByName.remove(existing.name());
        datasetIdsByName.put(name, existing.id());
        datasets.put(existing.id(), stored);
        log.println("[catalog] updated " + name + " (" + existing.id() + "): " + stored.title());
        return stored.copy();
    }

    @Override
    public synchronized void deleteDataset(String id) {
        Dataset existing = datasets.get(id);
        if (existing == null || existing.state().equals("deleted")) {
            return;
        }
        existing.put("state", "deleted");
        existing.put("metadata_modified", nextTimestamp());
        log.println("[catalog] deleted " + existing.name() + " (" + id + ")");
    }

    @Override
    public synchronized boolean isDatasetNameTaken(String name) {
        return datasetIdsByName.containsKey(name);
    }

    @Override
    public synchronized Optional<CatalogGroup> findGroup(GroupKind kind, String idOrName) {
        Map<String, CatalogGroup> ofKind = groups.get(kind);
        CatalogGroup found = ofKind.get(idOrName);
        if (found == null) {
            found = ofKind.values().stream().filter(group -> idOrName.equals(group.name())).findFirst().orElse(null);
        }
        return Optional.ofNullable(found).map(group -> new CatalogGroup(group.toMap()));
    }

    @Override
    public synchronized CatalogGroup createGroup(GroupKind kind, CatalogGroup group) throws CatalogException {
        String label = kind.name().toLowerCase(java.util.Locale.ROOT);
        String name = requireName(group.name(), label);
        Map<String, CatalogGroup> ofKind = groups.get(kind);
        String id = group.id() != null ? group.id() : UUID.randomUUID().toString();
        if (ofKind.containsKey(id) || ofKind.values().stream().anyMatch(other -> name.equals(other.name()))) {
            throw new CatalogException("A " + label + " with the id " + id + " or the name " + name + " exists");
        }
        CatalogGroup stored = new CatalogGroup(group.toMap());
        stored.put("id", id);
        ofKind.put(id, stored);
        log.println("[catalog] created " + label + " " + name + " (" + id + ")");
        return new CatalogGroup(stored.toMap());
    }

    /** @return every dataset, deleted ones included, sorted by name */
    public synchronized List<Dataset> datasets() {
        List<Dataset> copies = new ArrayList<>();
        datasets.values().forEach(dataset -> copies.add(dataset.copy()));
        copies.sort(Comparator.comparing(Dataset::name));
        return copies;
    }

    /** CKAN's name rule: 2 to 100 lowercase letters, digits, {@code -} and {@code _}. */
    private static String requireName(String name, String what) throws CatalogException {
        if (name == null || !name.matches("[a-z0-9_-]{2,100}")) {
            throw new CatalogException("Invalid " + what + " name '" + name + "': it must be 2 to 100 lowercase"
                    + " letters, digits, - and _");
        }
        return name;
    }

    /**
     * A timestamp in CKAN's form (ISO-8601, UTC, microseconds, no zone), always later than the previous one, so
     * that every change gets a new {@code metadata_modified} even within one microsecond.
     */
    private String nextTimestamp() {
        LocalDateTime now = LocalDateTime.now(clock).truncatedTo(ChronoUnit.MICROS);
        lastTimestamp = now.isAfter(lastTimestamp) ? now : lastTimestamp.plus(1, ChronoUnit.MICROS);
        return CKAN_TIMESTAMP.format(lastTimestamp);
    }
}
