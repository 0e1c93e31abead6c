package dev.harvest.api;

import java.time.Instant;
import java.util.Map;

/**
 * A harvest object as a harvester sees it: one remote record within one job.
 *
 * @param id the object id
 * @param guid the record's identity at the source (for CKAN, the remote dataset id)
 * @param jobId the job that gathered it
 * @param sourceId its source
 * @param content the raw remote document, or {@code null} before fetch
 * @param metadataModified the remote modification date the harvester recorded, or {@code null}
 * @param packageId the local dataset this object's record maps to, if a previous harvest imported it; else
 *     {@code null}
 * @param extras free key/value metadata recorded at gather time
 */
public record HarvestObject(
        String id,
        String guid,
        String jobId,
        String sourceId,
        String content,
        Instant metadataModified,
        String packageId,
        Map<String, String> extras) {

    public HarvestObject {
        extras = extras == null ? Map.of() : Map.copyOf(extras);
    }
}
