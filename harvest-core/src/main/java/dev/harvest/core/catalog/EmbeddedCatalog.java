package dev.harvest.core.catalog;

import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.core.store.CatalogStore;
import java.util.Optional;

/**
 * The default catalog: datasets, groups and organizations stored as CKAN dicts in the harvest database itself
 * (tables {@code catalog_dataset} and {@code catalog_group}), so that {@code harvester} works with nothing else.
 */
public final class EmbeddedCatalog implements Catalog {

    private final CatalogStore store;

    public EmbeddedCatalog(CatalogStore store) {
        this.store = store;
    }

    @Override
    public Optional<Dataset> findDataset(String idOrName) throws CatalogException {
        return store.findDataset(idOrName);
    }

    @Override
    public Dataset createDataset(Dataset dataset) throws CatalogException {
        return store.createDataset(dataset);
    }

    @Override
    public Dataset updateDataset(Dataset dataset) throws CatalogException {
        return store.updateDataset(dataset);
    }

    @Override
    public void deleteDataset(String id) throws CatalogException {
        store.deleteDataset(id);
    }

    @Override
    public boolean isDatasetNameTaken(String name) throws CatalogException {
        return store.isDatasetNameTaken(name);
    }

    @Override
    public Optional<CatalogGroup> findGroup(GroupKind kind, String idOrName) throws CatalogException {
        return store.findGroup(kind, idOrName);
    }

    @Override
    public CatalogGroup createGroup(GroupKind kind, CatalogGroup group) throws CatalogException {
        return store.createGroup(kind, group);
    }

    /**
     * @param includeDeleted whether to count deleted datasets
     * @return the number of datasets
     */
    public long datasetCount(boolean includeDeleted) {
        return store.datasetCount(includeDeleted);
    }
}
