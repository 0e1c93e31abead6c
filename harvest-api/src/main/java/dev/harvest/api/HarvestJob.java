package dev.harvest.api;

import java.time.Instant;

/**
 * A harvest job as a harvester sees it.
 *
 * @param id the job id
 * @param sourceId the id of the job's source
 * @param status {@code New}, {@code Running}, {@code Finished} or {@code Aborted}
 * @param created when the job was created (UTC)
 * @param gatherStarted when its gather started, or {@code null}
 * @param gatherFinished when its gather finished, or {@code null}
 * @param finished when it finished, or {@code null}
 */
public record HarvestJob(
        String id,
        String sourceId,
        String status,
        Instant created,
        Instant gatherStarted,
        Instant gatherFinished,
        Instant finished) {}
