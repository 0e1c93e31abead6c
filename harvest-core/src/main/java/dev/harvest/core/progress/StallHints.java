package dev.harvest.core.progress;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * Why a {@code New} or {@code Running} job does not move, in words an operator can act on: what {@code jobs} and
 * {@code report} print under such a job. Decided from its {@link JobActivity} alone (no query of its own), against
 * the current time and {@code harvest.stall_warning_minutes}.
 */
public final class StallHints {

    private StallHints() {}

    /**
     * @param activity the job's claims and stages
     * @param now the current time, UTC as stored
     * @param stalledAfter how long without progress makes a job stalled ({@code harvest.stall_warning_minutes})
     * @return one line per reason the job is stalled, empty when it moves (or is finished)
     */
    public static List<String> of(JobActivity activity, LocalDateTime now, Duration stalledAfter) {
        List<String> hints = new ArrayList<>();
        LocalDateTime stalledBefore = now.minus(stalledAfter);
        if ("New".equals(activity.status())) {
            if (activity.created() != null && activity.created().isBefore(stalledBefore)) {
                hints.add("New for " + since(activity.created(), now) + ProgressFormat.DASH
                        + "`harvester run` starts New jobs: is cron running it?");
            }
            return hints;
        }
        if (!"Running".equals(activity.status())) {
            return hints;
        }
        JobStages stages = activity.stages();
        if (activity.gatherStarted() == null) {
            LocalDateTime queued = activity.queued() != null ? activity.queued() : activity.created();
            if (queued != null && queued.isBefore(stalledBefore)) {
                hints.add("not gathered " + since(queued, now) + " after it was queued" + ProgressFormat.DASH
                        + "no consumer has taken its gather: is a gather_consumer running?");
            }
            return hints;
        }
        if (activity.gatherFinished() == null && activity.gatherLeaseUntil() != null
                && activity.gatherLeaseUntil().isBefore(now)) {
            hints.add("gather lease expired at " + ProgressFormat.utc(activity.gatherLeaseUntil())
                    + ProgressFormat.DASH + "its gatherer stopped; `harvester run` re-queues it");
        }
        if (activity.expiredClaims() > 0) {
            hints.add(activity.expiredClaims() + " object(s) in FETCH/IMPORT: worker lease expired at "
                    + ProgressFormat.utc(activity.oldestExpiredLease()) + ProgressFormat.DASH
                    + "its worker stopped; `harvester run` re-queues " + (activity.expiredClaims() == 1 ? "it" : "them"));
        }
        LocalDateTime lastMove = latest(activity.lastClaim(), activity.lastGathered(), activity.gatherFinished(),
                activity.gatherStarted());
        boolean liveClaims = stages.inProgress() > activity.expiredClaims();
        if (stages.waiting() > 0 && !liveClaims && lastMove.isBefore(stalledBefore)) {
            hints.add(stages.waiting() + " object(s) waiting and none claimed for " + since(lastMove, now)
                    + ProgressFormat.DASH + "no consumer has taken its objects: is a fetch_consumer running?");
        }
        if (activity.gatherFinished() != null && stages.waiting() == 0 && stages.inProgress() == 0
                && lastMove.isBefore(stalledBefore)) {
            hints.add("every object is finished but the job is still Running" + ProgressFormat.DASH
                    + "the next `harvester run` finishes it");
        }
        return hints;
    }

    private static LocalDateTime latest(LocalDateTime... times) {
        LocalDateTime latest = LocalDateTime.MIN;
        for (LocalDateTime time : times) {
            if (time != null && time.isAfter(latest)) {
                latest = time;
            }
        }
        return latest;
    }

    private static String since(LocalDateTime then, LocalDateTime now) {
        return ProgressFormat.duration(Duration.between(then, now));
    }
}
