package dev.harvest.api;

import dev.harvest.api.catalog.Catalog;
import java.util.Optional;

/** What an import stage works with. */
public interface ImportContext {

    /** @return the object's source */
    HarvestSource source();

    /** @return the object's job */
    HarvestJob job();

    /**
     * The object to import, with its content. Its {@link HarvestObject#packageId()} is the local dataset that an
     * earlier harvest of the same guid created, if any.
     *
     * @return the object
     */
    HarvestObject object();

    /**
     * The object that last imported the same guid of this source successfully (the {@code current} object), for
     * change detection.
     *
     * @return that object with its content, or empty on a first harvest
     */
    Optional<HarvestObject> previousObject();

    /**
     * Whether the operator asked to import even if nothing changed ({@code harvester import}, or
     * {@code run_test} with a guid).
     *
     * @return true to skip "unchanged" shortcuts
     */
    boolean forceImport();

    /** @return the catalog to write datasets to */
    Catalog catalog();

    /** @return the site-wide settings */
    Settings settings();

    /**
     * Whether writes to {@link #catalog()} belong to the harvest's own transaction, as the embedded catalog's do:
     * they are undone when this import fails or its batch is rolled back, after the import returned. A harvester
     * must then not remember across imports what it wrote to the catalog (a group it created, say), or a later
     * import would rely on a write that did not last. A catalog that keeps every write at once (a remote CKAN)
     * answers {@code false}, and remembering is safe.
     *
     * <p>The default is {@code false}, for contexts made outside the engine (plugin tests).
     *
     * @return true if a catalog write may still be rolled back after this import returns
     */
    default boolean catalogWritesMayRollBack() {
        return false;
    }

    /**
     * Records an object error (stage {@code Import}) without failing the object; the job's statistics count the
     * object as errored.
     *
     * @param message what went wrong
     * @param line the line of the document the error refers to, or {@code null}
     */
    void recordError(String message, Integer line);
}
