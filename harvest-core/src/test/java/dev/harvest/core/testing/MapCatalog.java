package dev.harvest.core.testing;

import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.GroupKind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A catalog in memory that does not join the harvest transaction (like a remote CKAN) and has a search index: it
 * records every {@link #reindex} call.
 */
public final class MapCatalog implements Catalog {

    private final Map<String, Dataset> datasets = new ConcurrentHashMap<>();
    private final Map<String, CatalogGroup> groups = new ConcurrentHashMap<>();
    private final List<List<String>> reindexCalls = java.util.Collections.synchronizedList(new ArrayList<>());

    /** @return the id lists {@link #reindex} was called with, in order */
    public List<List<String>> reindexCalls() {
        return reindexCalls;
    }

    @Override
    public Optional<Dataset> findDataset(String idOrName) {
        Dataset byId = datasets.get(idOrName);
        if (byId != null) {
            return Optional.of(byId.copy());
        }
        return datasets.values().stream().filter(d -> idOrName.equals(d.name())).findFirst().map(Dataset::copy);
    }

    @Override
    public Dataset createDataset(Dataset dataset) throws CatalogException {
        Dataset stored = dataset.copy();
        if (stored.id() == null) {
            stored.put("id", UUID.randomUUID().toString());
        }
        if (isDatasetNameTaken(stored.name())) {
            throw new CatalogException("That URL is already in use: " + stored.name());
        }
        stored.put("state", "active");
        datasets.put(stored.id(), stored);
        return stored.copy();
    }

    @Override
    public Dataset updateDataset(Dataset dataset) throws CatalogException {
        if (!datasets.containsKey(dataset.id())) {
            throw new CatalogException("Not found: " + dataset.id());
        }
        Dataset stored = dataset.copy();
        stored.put("state", "active");
        datasets.put(stored.id(), stored);
        return stored.copy();
    }

    @Override
    public void deleteDataset(String id) {
        Dataset dataset = datasets.get(id);
        if (dataset != null) {
            dataset.put("state", "deleted");
        }
    }

    @Override
    public boolean isDatasetNameTaken(String name) {
        return datasets.values().stream().anyMatch(d -> name.equals(d.name()));
    }

    @Override
    public Optional<CatalogGroup> findGroup(GroupKind kind, String idOrName) {
        return Optional.ofNullable(groups.get(kind + "/" + idOrName));
    }

    @Override
    public CatalogGroup createGroup(GroupKind kind, CatalogGroup group) {
        groups.put(kind + "/" + group.id(), group);
        groups.put(kind + "/" + group.name(), group);
        return group;
    }

    @Override
    public OptionalLong reindex(Collection<String> datasetIds) {
        reindexCalls.add(List.copyOf(datasetIds));
        return OptionalLong.of(datasetIds.stream().filter(datasets::containsKey).count());
    }
}
