package dev.harvest.core.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.api.EngineSourceKeys;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.core.store.ObjectBatchStore;
import dev.harvest.core.store.ObjectBatchStore.DatasetOwner;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ownership guard of one batch of imports: a harvest never updates or deletes a dataset that another source
 * provides (whose {@code current} harvest object belongs to another source, spec §1.8), unless the importing
 * source's config says {@code "allow_takeover": true}.
 *
 * <p>It sits in the engine, between every harvester and the catalog: the catalog handed to a harvester's import
 * ({@link #catalogFor}) refuses {@code updateDataset} and {@code deleteDataset} of such a dataset with a
 * {@link CatalogException} before anything is written, and the engine's own deletions ask {@link #refusal} first.
 * The providers of the batch's likely datasets (each object's dataset and guid) are read in one query when the
 * guard is made; a dataset id outside them costs one more query the first time it is written.
 */
final class TakeoverGuard {

    private static final Logger LOG = LoggerFactory.getLogger(TakeoverGuard.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectBatchStore store;
    private final Map<String, Optional<DatasetOwner>> owners = new ConcurrentHashMap<>();
    private final Map<String, Boolean> allowsTakeover = new ConcurrentHashMap<>();

    private TakeoverGuard(ObjectBatchStore store) {
        this.store = store;
    }

    /**
     * @param store where current objects are read
     * @param likelyDatasetIds the dataset ids the batch probably writes (objects' datasets and guids)
     * @return a guard knowing their providers, after one query
     */
    static TakeoverGuard load(ObjectBatchStore store, Collection<String> likelyDatasetIds) {
        TakeoverGuard guard = new TakeoverGuard(store);
        Map<String, DatasetOwner> found = store.currentOwners(likelyDatasetIds);
        for (String id : likelyDatasetIds) {
            if (id != null) {
                guard.owners.put(id, Optional.ofNullable(found.get(id)));
            }
        }
        return guard;
    }

    /**
     * @param source the importing source
     * @param datasetId a dataset the import would update or delete
     * @param datasetName its name, if known, for the message
     * @return why the import may not write it, or empty if it may
     */
    Optional<String> refusal(HarvestSource source, String datasetId, String datasetName) {
        if (datasetId == null) {
            return Optional.empty();
        }
        Optional<DatasetOwner> owner = owners.computeIfAbsent(datasetId,
                id -> Optional.ofNullable(store.currentOwners(List.of(id)).get(id)));
        if (owner.isEmpty() || owner.get().sourceId().equals(source.id())) {
            return Optional.empty();
        }
        if (allowsTakeover(source)) {
            LOG.info("Source {} takes over dataset {} from source {} (allow_takeover)", source.name(), datasetId,
                    owner.get().sourceName());
            return Optional.empty();
        }
        String dataset = datasetName == null || datasetName.isBlank() ? datasetId : datasetName;
        return Optional.of("Dataset " + dataset + " is provided by harvest source " + owner.get().sourceName()
                + "; set " + EngineSourceKeys.ALLOW_TAKEOVER + " in this source's config to take it over");
    }

    private boolean allowsTakeover(HarvestSource source) {
        return allowsTakeover.computeIfAbsent(source.id(), id -> {
            String config = source.config();
            if (config == null || config.isBlank()) {
                return false;
            }
            try {
                JsonNode value = JSON.readTree(config).path(EngineSourceKeys.ALLOW_TAKEOVER);
                return value.isBoolean() && value.booleanValue();
            } catch (Exception e) {
                return false;
            }
        });
    }

    /**
     * The catalog a harvester's import writes through: the real one, except that updating or deleting another
     * source's dataset is refused.
     *
     * @param catalog the real catalog
     * @param source the importing source
     * @param refused receives the refusal message, so that the engine errors the object whatever the harvester
     *     does with the exception
     * @return the guarded catalog
     */
    Catalog catalogFor(Catalog catalog, HarvestSource source, java.util.function.Consumer<String> refused) {
        return new Catalog() {
            @Override
            public Optional<Dataset> findDataset(String idOrName) throws CatalogException {
                return catalog.findDataset(idOrName);
            }

            @Override
            public Dataset createDataset(Dataset dataset) throws CatalogException {
                return catalog.createDataset(dataset);
            }

            @Override
            public Dataset updateDataset(Dataset dataset) throws CatalogException {
                Optional<String> refusal = refusal(source, dataset.id(), dataset.name());
                if (refusal.isPresent()) {
                    refused.accept(refusal.get());
                    throw new CatalogException(refusal.get());
                }
                return catalog.updateDataset(dataset);
            }

            @Override
            public void deleteDataset(String id) throws CatalogException {
                Optional<String> refusal = refusal(source, id, null);
                if (refusal.isPresent()) {
                    refused.accept(refusal.get());
                    throw new CatalogException(refusal.get());
                }
                catalog.deleteDataset(id);
            }

            @Override
            public boolean isDatasetNameTaken(String name) throws CatalogException {
                return catalog.isDatasetNameTaken(name);
            }

            @Override
            public Optional<CatalogGroup> findGroup(GroupKind kind, String idOrName) throws CatalogException {
                return catalog.findGroup(kind, idOrName);
            }

            @Override
            public CatalogGroup createGroup(GroupKind kind, CatalogGroup group) throws CatalogException {
                return catalog.createGroup(kind, group);
            }

            @Override
            public OptionalLong reindex(Collection<String> datasetIds) throws CatalogException {
                return catalog.reindex(datasetIds);
            }

            @Override
            public void close() {
                // the engine closes the real catalog
            }
        };
    }
}
