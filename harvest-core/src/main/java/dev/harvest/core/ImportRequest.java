package dev.harvest.core;

/**
 * Which objects {@code harvester import} re-imports from their stored content (ckanext-harvest's
 * {@code harvest_objects_import}). Every criterion given narrows the selection; with none, every current object of
 * every source is re-imported.
 *
 * @param source a source id or name: its current objects; the source must be active
 * @param jobId a job id: its current objects
 * @param objectId one object by id, current or not (it must be finished)
 * @param packageId a dataset id or name: its current objects; the dataset must be active
 * @param guid current objects with this guid
 * @param segments hex digits: only objects whose id's MD5 in hex starts with one of them (e.g. {@code 15af}); null
 *     for all
 * @param joinDatasets whether to leave alone objects whose dataset is not active in the catalog (the default;
 *     {@code -j} turns it off, e.g. after a first harvest whose imports all failed)
 */
public record ImportRequest(String source, String jobId, String objectId, String packageId, String guid,
        String segments, boolean joinDatasets) {

    /** @return a request for every current object of every source, joined with active datasets */
    public static ImportRequest all() {
        return new ImportRequest(null, null, null, null, null, null, true);
    }
}
