package dev.harvest.ckan;

import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.GroupKind;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/** A local catalog in memory, validating names and tags as CKAN does, and counting writes. */
final class InMemoryCatalog implements Catalog {

    final Map<String, Dataset> datasets = new LinkedHashMap<>();
    final Map<GroupKind, List<CatalogGroup>> groups = new LinkedHashMap<>(
            Map.of(GroupKind.GROUP, new ArrayList<>(), GroupKind.ORGANIZATION, new ArrayList<>()));
    final AtomicInteger writes = new AtomicInteger();

    @Override
    public synchronized Optional<Dataset> findDataset(String idOrName) {
        Dataset byId = datasets.get(idOrName);
        if (byId != null) {
            return Optional.of(byId.copy());
        }
        return datasets.values().stream().filter(d -> idOrName.equals(d.name())).findFirst().map(Dataset::copy);
    }

    @Override
    public synchronized Dataset createDataset(Dataset dataset) throws CatalogException {
        validate(dataset, null);
        Dataset stored = dataset.copy();
        if (stored.id() == null) {
            stored.put("id", UUID.randomUUID().toString());
        }
        if (datasets.containsKey(stored.id())) {
            throw new CatalogException("Dataset id " + stored.id() + " already exists");
        }
        stored.put("state", "active");
        stored.put("metadata_created", LocalDateTime.now().toString());
        stored.put("metadata_modified", LocalDateTime.now().toString());
        datasets.put(stored.id(), stored);
        writes.incrementAndGet();
        return stored.copy();
    }

    @Override
    public synchronized Dataset updateDataset(Dataset dataset) throws CatalogException {
        Dataset existing = dataset.id() == null ? null : datasets.get(dataset.id());
        if (existing == null) {
            throw new CatalogException("Dataset " + dataset.id() + " not found");
        }
        validate(dataset, existing);
        Dataset stored = dataset.copy();
        stored.put("state", "active");
        stored.put("metadata_created", existing.get("metadata_created"));
        stored.put("metadata_modified", LocalDateTime.now().toString());
        datasets.put(stored.id(), stored);
        writes.incrementAndGet();
        return stored.copy();
    }

    @Override
    public synchronized void deleteDataset(String id) {
        Dataset existing = datasets.get(id);
        if (existing != null) {
            existing.put("state", "deleted");
            writes.incrementAndGet();
        }
    }

    @Override
    public synchronized boolean isDatasetNameTaken(String name) {
        return datasets.values().stream().anyMatch(d -> name.equals(d.name()));
    }

    @Override
    public synchronized Optional<CatalogGroup> findGroup(GroupKind kind, String idOrName) {
        return groups.get(kind).stream().filter(g -> idOrName.equals(g.id()) || idOrName.equals(g.name())).findFirst();
    }

    @Override
    public synchronized CatalogGroup createGroup(GroupKind kind, CatalogGroup group) throws CatalogException {
        if (group.name() == null || findGroup(kind, group.name()).isPresent()) {
            throw new CatalogException("Group name " + group.name() + " is missing or taken");
        }
        CatalogGroup stored = new CatalogGroup(group.toMap());
        if (stored.id() == null) {
            stored.put("id", UUID.randomUUID().toString());
        }
        groups.get(kind).add(stored);
        return stored;
    }

    synchronized CatalogGroup addGroup(GroupKind kind, String id, String name) {
        CatalogGroup group = new CatalogGroup(Map.of("id", id, "name", name, "title", name.toUpperCase()));
        groups.get(kind).add(group);
        return group;
    }

    synchronized Dataset byName(String name) {
        return datasets.values().stream().filter(d -> name.equals(d.name())).findFirst().map(Dataset::copy)
                .orElse(null);
    }

    private void validate(Dataset dataset, Dataset existing) throws CatalogException {
        String name = dataset.name();
        if (name == null || !name.matches("[a-z0-9_-]{2,100}")) {
            throw new CatalogException("{'name': ['Must be purely lowercase alphanumeric (ascii) characters and "
                    + "these symbols: -_']}");
        }
        for (Dataset other : datasets.values()) {
            if (other != existing && name.equals(other.name())) {
                throw new CatalogException("{'name': ['That URL is already in use.']}");
            }
        }
        if (dataset.get("tags") instanceof List<?> tags) {
            for (Object tag : tags) {
                Object tagName = tag instanceof Map<?, ?> dict ? dict.get("name") : tag;
                if (!String.valueOf(tagName).matches("[\\w \\-.]+")) {
                    throw new CatalogException("{'tags': ['Tag \"" + tagName + "\" must be alphanumeric characters "
                            + "or symbols: -_.']}");
                }
            }
        }
    }
}
