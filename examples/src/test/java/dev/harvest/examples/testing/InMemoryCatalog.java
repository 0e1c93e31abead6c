package dev.harvest.examples.testing;

import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.GroupKind;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/** A catalog in a map, with CKAN's rules that matter to harvesters: unique names, kept ids, soft deletion. */
public final class InMemoryCatalog implements Catalog {

    private final Map<String, Dataset> datasetsById = new ConcurrentHashMap<>();
    private final Map<String, CatalogGroup> groups = new ConcurrentHashMap<>();

    public Collection<Dataset> datasets() {
        return datasetsById.values();
    }

    @Override
    public Optional<Dataset> findDataset(String idOrName) {
        Dataset byId = datasetsById.get(idOrName);
        if (byId != null) {
            return Optional.of(byId.copy());
        }
        return datasetsById.values().stream().filter(d -> idOrName.equals(d.name())).findFirst().map(Dataset::copy);
    }

    @Override
    public synchronized Dataset createDataset(Dataset dataset) throws CatalogException {
        if (dataset.name() == null) {
            throw new CatalogException("A dataset needs a name");
        }
        if (isDatasetNameTaken(dataset.name())) {
            throw new CatalogException("That URL is already in use: " + dataset.name());
        }
        Dataset stored = dataset.copy();
        if (stored.id() == null) {
            stored.put("id", UUID.randomUUID().toString());
        }
        if (datasetsById.containsKey(stored.id())) {
            throw new CatalogException("Dataset id " + stored.id() + " exists");
        }
        stored.put("state", "active");
        datasetsById.put(stored.id(), stored);
        return stored.copy();
    }

    @Override
    public synchronized Dataset updateDataset(Dataset dataset) throws CatalogException {
        if (dataset.id() == null || !datasetsById.containsKey(dataset.id())) {
            throw new CatalogException("No dataset " + dataset.id() + " to update");
        }
        Dataset stored = dataset.copy();
        stored.put("state", "active");
        datasetsById.put(stored.id(), stored);
        return stored.copy();
    }

    @Override
    public synchronized void deleteDataset(String id) {
        Dataset stored = datasetsById.get(id);
        if (stored != null) {
            stored.put("state", "deleted");
        }
    }

    @Override
    public boolean isDatasetNameTaken(String name) {
        return datasetsById.values().stream().anyMatch(d -> name.equals(d.name()));
    }

    @Override
    public Optional<CatalogGroup> findGroup(GroupKind kind, String idOrName) {
        return Optional.ofNullable(groups.get(kind + ":" + idOrName));
    }

    @Override
    public CatalogGroup createGroup(GroupKind kind, CatalogGroup group) {
        groups.put(kind + ":" + group.name(), group);
        return group;
    }
}
