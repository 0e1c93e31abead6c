package dev.harvest.api;

import java.util.List;
import java.util.Optional;

/**
 * A harvester for one kind of remote catalog, the Java counterpart of ckanext-harvest's {@code IHarvester}.
 *
 * <p>Implementations must be thread-safe and keep no per-job state in fields: one instance serves every source of
 * its type, and the fetch consumer calls it from several worker threads at once. Everything a stage needs arrives
 * in its context.
 *
 * <p>Each stage may throw. The engine catches any exception, records its message as a gather error (gather) or an
 * object error (fetch, import), and carries on with the rest of the job; an exception never stops a consumer.
 *
 * <p>Life cycle: the engine calls {@link #start(Settings)} once, before any stage, and {@link #close()} once, when
 * it shuts down. Both are optional. A harvester that needs site-wide settings (timeouts, credentials) declares them
 * in {@link #settings()} and reads them in {@code start}.
 */
public interface Harvester {

    /**
     * Describes this harvester. {@link HarvesterInfo#name()} is the value stored in {@code harvest_source.type}
     * and must be unique among the harvesters of a process.
     *
     * @return the name, title and description of this harvester
     */
    HarvesterInfo info();

    /**
     * The site settings this harvester reads, so that the engine accepts them in the configuration file and
     * {@code harvester config --list} shows them. Keys should start with the harvester's name, e.g.
     * {@code oai_pmh.page_limit}.
     *
     * <p>The default declares none.
     *
     * @return the declared settings, with defaults and one-line descriptions
     */
    default List<SettingDefinition> settings() {
        return List.of();
    }

    /**
     * Prepares the harvester for work with the site settings, once per engine, before any other call except
     * {@link #info()} and {@link #settings()}. Typical work: build an HTTP client with the configured timeouts.
     *
     * <p>The default does nothing.
     *
     * @param settings the site-wide settings; a declared key that the file does not set reads as its default
     * @throws Exception if the harvester cannot work with these settings; the engine then refuses to start and shows
     *     the message, which should name the offending key
     */
    default void start(Settings settings) throws Exception {}

    /**
     * Releases what {@link #start(Settings)} acquired (connection pools, threads), once, when the engine shuts down.
     * It is called even if {@code start} was never called or failed, and must not throw.
     *
     * <p>The default does nothing.
     */
    default void close() {}

    /**
     * Checks a source's configuration before it is stored, and may rewrite it.
     *
     * <p>The default accepts any configuration unchanged. A harvester that rejects a configuration throws
     * {@link ConfigValidationException} with a message that names the offending key; the engine shows it as
     * {@code Error parsing the configuration options: <message>}. The engine's own keys ({@link EngineSourceKeys})
     * live in the same JSON object and must be accepted.
     *
     * @param config the configuration as entered, usually a JSON object; may be empty
     * @param context read access to the local catalog, for checks such as "the default group exists"
     * @return the configuration to store, possibly enriched; never {@code null}
     * @throws ConfigValidationException if the configuration is not acceptable
     */
    default String validateConfig(String config, ValidationContext context) throws ConfigValidationException {
        return config;
    }

    /**
     * The URL of the remote document an object was harvested from, shown next to its errors in job reports.
     *
     * @param source the source the object belongs to
     * @param object the harvest object
     * @return the remote URL, or empty if there is none
     */
    default Optional<String> originalUrl(HarvestSource source, HarvestObject object) {
        return Optional.empty();
    }

    /**
     * Lists the remote records of a source and streams one {@link NewHarvestObject} per record to
     * {@link GatherContext#emit(NewHarvestObject)}.
     *
     * <p>Objects are persisted and queued in batches while this method runs, so it must not collect the remote
     * listing in memory. Problems that do not invalidate the whole listing are reported with
     * {@link GatherContext#gatherError(String)}; a listing that cannot be completed returns
     * {@link GatherOutcome#failed(String)}.
     *
     * @param context the job, its source and the sink for objects
     * @return how the gather ended; {@link GatherOutcome#fullListing()} enables deletion of vanished records
     * @throws Exception any failure; recorded as a gather error, and the job gets no deletions
     */
    GatherOutcome gather(GatherContext context) throws Exception;

    /**
     * Whether the engine may finish a gathered record as {@code not modified} during the gather, with no fetch and no
     * import, when it is exactly what the source's current object for the same guid was gathered as: the same
     * content, the same extras and the same source configuration. This is what makes a re-harvest of an unchanged
     * remote cost almost nothing.
     *
     * <p>Records gathered without content (the fetch stage gets it) are never finished this way. The default allows
     * it; a harvester returns false where an import may differ although the record did not change, for example when
     * the source is configured to re-import everything.
     *
     * @param source the source being gathered
     * @return true to let the engine finish unchanged records at gather time
     */
    default boolean skipsUnchangedRecords(HarvestSource source) {
        return true;
    }

    /**
     * Confirms, before the engine deletes it, that a record which a full listing no longer contained is really gone
     * from the remote. A listing taken while the remote changes can miss a record that still exists (offset paging
     * shifts when another record is removed mid-way); a harvester that can look up a single record should do so.
     *
     * <p>The default trusts the listing.
     *
     * @param context the deletion object (its guid and the local dataset in {@link HarvestObject#packageId()})
     * @return true to delete the local dataset; false if the record still exists (the object then completes as
     *     {@code not modified} and nothing is deleted)
     * @throws Exception if the remote cannot be asked; the object then errors and nothing is deleted
     */
    default boolean confirmVanished(FetchContext context) throws Exception {
        return true;
    }

    /**
     * Gets the content of one object. Harvesters whose gather already stored the content return
     * {@link FetchOutcome#proceed()}.
     *
     * @param context the object to fetch and its source and job
     * @return whether to import the object, skip it as unchanged, or error it
     * @throws Exception any failure; recorded as an object error with stage {@code Fetch}
     */
    FetchOutcome fetch(FetchContext context) throws Exception;

    /**
     * Creates, updates or deletes the dataset of one object in {@link ImportContext#catalog()}.
     *
     * <p>The engine records the outcome: it sets the object's {@code package_id}, makes it the {@code current}
     * object of its dataset (or not, for a deletion) and computes its {@code report_status}.
     *
     * @param context the object, with its content, and the catalog to write to
     * @return what was done to which dataset
     * @throws Exception any failure; recorded as an object error with stage {@code Import}
     */
    ImportOutcome importObject(ImportContext context) throws Exception;
}
