/**
 * The harvester SPI: what a third party implements to harvest a new kind of remote catalog.
 *
 * <p>A {@link dev.harvest.api.Harvester} is discovered with {@link java.util.ServiceLoader} (a
 * {@code META-INF/services/dev.harvest.api.Harvester} file in the plugin jar) or registered explicitly with the
 * engine. It takes part in the three stages of a harvest job:
 *
 * <ol>
 *   <li><b>gather</b> lists the remote records and streams one {@link dev.harvest.api.NewHarvestObject} per record
 *       into a {@link dev.harvest.api.GatherContext}; the engine persists and enqueues them in batches;
 *   <li><b>fetch</b> gets the content of one object, if gather did not already store it;
 *   <li><b>import</b> creates, updates or deletes the dataset in the local {@link dev.harvest.api.catalog.Catalog}
 *       and says what it did with an {@link dev.harvest.api.ImportOutcome}.
 * </ol>
 *
 * <p>The engine, not the plugin, owns every piece of harvest bookkeeping: object states, {@code package_id},
 * {@code current}, {@code report_status}, timestamps, retries and error rows. A plugin returns an outcome or
 * throws; an exception errors only the object (or the gather) it was working on.
 *
 * <p>The SPI grows only by {@code default} methods, so plugins built against an older version keep working.
 */
package dev.harvest.api;
