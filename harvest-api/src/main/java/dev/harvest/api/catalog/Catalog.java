package dev.harvest.api.catalog;

import java.util.Collection;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The local catalog that harvested datasets are written to.
 *
 * <p>Implementations must be thread-safe: the fetch consumer imports from several threads. Methods throw
 * {@link CatalogException} for failures that concern one dataset (a validation error, an HTTP error of a remote
 * catalog); the engine records the message on the harvest object being imported.
 */
public interface Catalog {

    /**
     * Finds a dataset by id, or by name when no dataset has that id. Deleted datasets are found too, with
     * {@code state} {@code deleted}.
     *
     * @param idOrName a dataset id or name
     * @return the dataset, or empty
     * @throws CatalogException if the catalog cannot be read
     */
    Optional<Dataset> findDataset(String idOrName) throws CatalogException;

    /**
     * Creates a dataset. If the dict has an {@code id}, the dataset keeps it, so that a harvested dataset has the
     * remote id.
     *
     * @param dataset the CKAN package dict; must have a {@code name}
     * @return the stored dataset, with {@code id}, {@code metadata_created} and {@code metadata_modified}
     * @throws CatalogException if the dataset is invalid or the name is taken
     */
    Dataset createDataset(Dataset dataset) throws CatalogException;

    /**
     * Replaces a dataset's fields (CKAN {@code package_update} semantics: fields absent from the dict are removed).
     * A deleted dataset becomes active again.
     *
     * @param dataset the CKAN package dict; must have the {@code id} of an existing dataset
     * @return the stored dataset with a new {@code metadata_modified}
     * @throws CatalogException if the dataset does not exist or is invalid
     */
    Dataset updateDataset(Dataset dataset) throws CatalogException;

    /**
     * Deletes a dataset (CKAN {@code package_delete}: its {@code state} becomes {@code deleted}). Deleting a
     * dataset that is already deleted or absent is not an error.
     *
     * @param id the dataset id
     * @throws CatalogException if the catalog cannot be written
     */
    void deleteDataset(String id) throws CatalogException;

    /**
     * Whether any dataset, in any state, has this name. Used to make names of new datasets unique.
     *
     * @param name a dataset name
     * @return true if the name is taken
     * @throws CatalogException if the catalog cannot be read
     */
    boolean isDatasetNameTaken(String name) throws CatalogException;

    /**
     * Finds a group or an organization by id or name.
     *
     * @param kind group or organization
     * @param idOrName its id or name
     * @return the group, or empty
     * @throws CatalogException if the catalog cannot be read
     */
    Optional<CatalogGroup> findGroup(GroupKind kind, String idOrName) throws CatalogException;

    /**
     * Creates a group or an organization, keeping its {@code id} if the dict has one.
     *
     * @param kind group or organization
     * @param group the CKAN group dict; must have a {@code name}
     * @return the stored group
     * @throws CatalogException if it is invalid or its name is taken
     */
    CatalogGroup createGroup(GroupKind kind, CatalogGroup group) throws CatalogException;

    /**
     * Rebuilds the search index entries of datasets, for a catalog that keeps a search index beside its datasets
     * (CKAN's Solr, an application's own). {@code harvester reindex} calls it with the datasets that harvest sources
     * provide, a page of ids at a time, after an operator repaired or replaced the index.
     *
     * <p>The default has no search index to rebuild and returns an empty result; the engine then tells the operator
     * that this catalog does not support reindexing. An implementation that supports it reindexes every dataset of
     * {@code datasetIds} that exists (an unknown id is skipped, not an error) and returns how many it reindexed.
     *
     * @param datasetIds ids of datasets to reindex; may be empty, to ask whether reindexing is supported
     * @return the number of datasets reindexed, or empty if this catalog has no search index to rebuild
     * @throws CatalogException if the index cannot be rebuilt
     */
    default OptionalLong reindex(Collection<String> datasetIds) throws CatalogException {
        return OptionalLong.empty();
    }

    /**
     * Releases what the catalog holds (HTTP clients, connections). The engine calls it once when it shuts down, for
     * a catalog that a {@link CatalogProvider} opened; a catalog handed to the engine's builder stays its owner's to
     * close. It must not throw.
     *
     * <p>The default does nothing.
     */
    default void close() {}
}
