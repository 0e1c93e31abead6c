package dev.harvest.core.progress;

import java.time.LocalDateTime;

/**
 * What tells whether a {@code New} or {@code Running} job's work moves: its gather claim and the claims of its
 * objects, read in one statement ({@link dev.harvest.core.store.HarvestQueries#jobActivity}). Times are UTC, as
 * stored.
 *
 * @param jobId the job
 * @param status {@code New}, {@code Running}, ...
 * @param created when the job was created
 * @param queued when the job was last sent to the gather queue, or null
 * @param gatherStarted when its gather was first claimed, or null
 * @param gatherFinished when its gather ended, or null
 * @param gatherLeaseUntil until when its gatherer's claim holds, or null
 * @param stages its objects by stage
 * @param expiredClaims objects in FETCH or IMPORT whose worker's lease has expired
 * @param oldestExpiredLease the earliest of those leases, or null
 * @param lastClaim when a worker last claimed one of its objects, or null
 * @param lastGathered when its last object was gathered, or null
 */
public record JobActivity(String jobId, String status, LocalDateTime created, LocalDateTime queued,
        LocalDateTime gatherStarted, LocalDateTime gatherFinished, LocalDateTime gatherLeaseUntil, JobStages stages,
        long expiredClaims, LocalDateTime oldestExpiredLease, LocalDateTime lastClaim, LocalDateTime lastGathered) {}
