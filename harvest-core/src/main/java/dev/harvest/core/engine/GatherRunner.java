package dev.harvest.core.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.api.EngineSourceKeys;
import dev.harvest.api.GatherContext;
import dev.harvest.api.GatherOutcome;
import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.Harvester;
import dev.harvest.api.NewHarvestObject;
import dev.harvest.api.Settings;
import dev.harvest.core.store.GatherWriter;
import dev.harvest.core.store.JobStore;
import dev.harvest.core.store.SourceStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the gather stage of one job: claims it, streams the harvester's objects into the database in batches (each
 * batch handed to the fetch queue once committed), infers deletions after a full listing, and records the end.
 *
 * <p>A harvester exception is a gather error: the objects already stored are still fetched and imported, no
 * deletion is inferred, and the job is not error-free. Nothing is deleted and the consumer carries on.
 */
final class GatherRunner {

    private static final Logger LOG = LoggerFactory.getLogger(GatherRunner.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JobStore jobs;
    private final SourceStore sources;
    private final GatherWriter writer;
    private final HarvesterRegistry harvesters;
    private final Settings settings;
    private final int batchSize;
    private final Duration lease;
    private final double maxDeletionShare;
    private final LeaseKeeper leaseKeeper;
    private final JobCompletion completion;
    private final Clock clock;

    GatherRunner(JobStore jobs, SourceStore sources, GatherWriter writer, HarvesterRegistry harvesters,
            Settings settings, int batchSize, Duration lease, double maxDeletionShare, LeaseKeeper leaseKeeper,
            JobCompletion completion, Clock clock) {
        this.clock = clock;
        this.jobs = jobs;
        this.sources = sources;
        this.writer = writer;
        this.harvesters = harvesters;
        this.settings = settings;
        this.batchSize = batchSize;
        this.lease = lease;
        this.maxDeletionShare = maxDeletionShare;
        this.leaseKeeper = leaseKeeper;
        this.completion = completion;
    }

    /** What happened to a gather request. */
    enum Result {
        /** The gather ran (successfully or not) and the job's gather is finished. */
        GATHERED,
        /** The job is not running, already gathered, or held by a live gatherer: nothing to do. */
        SKIPPED
    }

    /**
     * Gathers a job.
     *
     * @param jobId the job
     * @param publish receives each committed batch of new object ids (the fetch queue); may be a no-op
     * @param mayFinishUnchanged whether records gathered exactly as last time may be finished as not modified here
     * @return whether a gather ran
     */
    Result gather(String jobId, Consumer<List<String>> publish, boolean mayFinishUnchanged) {
        String owner = "gather-" + UUID.randomUUID();
        Optional<HarvestJob> claimed = jobs.claimGather(jobId, owner, lease);
        if (claimed.isEmpty()) {
            LOG.debug("Job {} is not waiting for a gather; skipped", jobId);
            return Result.SKIPPED;
        }
        HarvestJob job = claimed.get();
        HarvestSource source = sources.findSource(job.sourceId()).orElseThrow();
        Optional<Harvester> harvester = harvesters.find(source.type());
        if (harvester.isEmpty()) {
            jobs.addGatherError(jobId, "System error - No harvester could be found for source type " + source.type());
            jobs.finishGather(jobId, owner, false);
            completion.finishIfDone(jobId);
            return Result.GATHERED;
        }
        // run_test with guids: only those guids get objects, the listing is never complete and nothing is skipped
        Set<String> onlyGuids = jobs.guidFilter(jobId).orElse(null);
        LOG.info("Gathering job {} of source {} ({}){}", jobId, source.name(), source.type(),
                onlyGuids == null ? "" : ", only guids " + onlyGuids);
        boolean skipUnchanged = mayFinishUnchanged && onlyGuids == null && skipsUnchanged(harvester.get(), source)
                && writer.providesAny(source.id());
        StreamingGatherContext context = new StreamingGatherContext(job, source, owner, publish, skipUnchanged,
                onlyGuids, GatherBounds.of(settings, source.config()), ConsumerRunner.stopSignal(),
                ConsumerRunner.progressSignal());
        boolean fullListing = false;
        try (AutoCloseable heartbeat = leaseKeeper.keep(lease, () -> context.heartbeat())) {
            GatherOutcome outcome = harvester.get().gather(context);
            if (context.stop == null) {
                // a harvester whose request was interrupted (a shutdown) or outlived its job may report that as a
                // failure of its own: the engine's reason wins, and no gather error is recorded for it
                context.stopIfJobOrProcessEnded();
            }
            if (context.stop != null) {
                throw context.stop; // the harvester swallowed the engine's stop and went on
            }
            context.flush();
            if (outcome instanceof GatherOutcome.Failed failed) {
                jobs.addGatherError(jobId, failed.message());
            } else if (outcome instanceof GatherOutcome.Completed completed) {
                fullListing = completed.fullListing() && !context.hadErrors && onlyGuids == null;
            } else {
                jobs.addGatherError(jobId, "Gather stage failed: the harvester returned no outcome");
            }
        } catch (Throwable e) {
            if (context.stop == null && context.engineFailure == null && context.shutdownRequested()) {
                context.stop = GatherStop.shutdown(); // interrupted mid-request by the consumer's shutdown
            }
            if (context.stop != null) {
                return stopped(context, jobId, owner);
            }
            if (context.engineFailure == null) {
                // the plugin failed: keep what it emitted, record why, infer no deletions
                LOG.warn("Gather of job {} failed: {}", jobId, describe(e));
                LOG.debug("Gather of job {} failed", jobId, e);
                safeFlush(context);
                if (context.engineFailure == null) {
                    jobs.addGatherError(jobId, "Gather stage failed: " + describe(e));
                }
            }
        }
        if (context.engineFailure != null) {
            // the engine, not the plugin, failed (even if the plugin swallowed the exception)
            return engineFailed(jobId, context.engineFailure);
        }
        if (onlyGuids != null) {
            for (String guid : onlyGuids) {
                if (!context.seenGuids.contains(guid)) {
                    jobs.addGatherError(jobId, "Unknown GUID " + guid + ": the gather of source " + source.name()
                            + " did not list it");
                }
            }
        }
        try {
            // before the deletion detection: its anti-join over the new rows needs statistics that know them
            writer.refreshStatistics(context.emitted);
        } catch (RuntimeException e) {
            LOG.warn("Job {}: could not refresh the database statistics: {}", jobId, e.getMessage());
        }
        if (fullListing) {
            try {
                applyDeletions(job, source, publish);
            } catch (RuntimeException e) {
                LOG.warn("Job {}: deletions could not be prepared: {}", jobId, describe(e));
                LOG.debug("Job {}: deletions could not be prepared", jobId, e);
                jobs.addGatherError(jobId, "Deletions could not be prepared: " + describe(e));
                fullListing = false;
            }
        }
        if (jobs.finishGather(jobId, owner, fullListing)) {
            LOG.info("Gathered job {}: {} objects, {} of them unchanged and finished without fetch or import", jobId,
                    context.emitted, context.unchanged);
        }
        completion.finishIfDone(jobId);
        return Result.GATHERED;
    }

    /** Ends a gather that the engine stopped: a bound (a gather error, no deletions), the job, or a shutdown. */
    private Result stopped(StreamingGatherContext context, String jobId, String owner) {
        GatherStop stop = context.stop;
        switch (stop.kind()) {
            case BOUND -> {
                LOG.warn("Job {}: {}", jobId, stop.getMessage());
                safeFlush(context);
                if (context.engineFailure != null) {
                    return engineFailed(jobId, context.engineFailure);
                }
                jobs.addGatherError(jobId, stop.getMessage());
                jobs.finishGather(jobId, owner, false);
                completion.finishIfDone(jobId);
                return Result.GATHERED;
            }
            case JOB_STOPPED -> {
                LOG.warn("Job {}: {}; the gather stopped", jobId, stop.getMessage());
                return Result.SKIPPED;
            }
            default -> {
                // the consumer is shutting down: what was stored stays, another gatherer resumes at once
                boolean interrupted = Thread.interrupted();
                try {
                    safeFlush(context);
                    jobs.releaseGather(jobId, owner);
                    LOG.info("Job {}: gather interrupted by the consumer's shutdown; it goes back to the queue",
                            jobId);
                } catch (RuntimeException e) {
                    LOG.warn("Job {}: could not give the interrupted gather back ({}); it resumes when its lease"
                            + " expires", jobId, e.getMessage());
                } finally {
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
                throw stop;
            }
        }
    }

    private static boolean skipsUnchanged(Harvester harvester, HarvestSource source) {
        try {
            return harvester.skipsUnchangedRecords(source);
        } catch (Throwable e) {
            LOG.warn("Harvester {} failed to say whether unchanged records may be skipped; they are imported",
                    source.type(), e);
            return false;
        }
    }

    private Result engineFailed(String jobId, RuntimeException failure) {
        if (failure instanceof LostGatherLease) {
            LOG.warn("Job {}: another worker took over the gather ({}); stopping this one", jobId, failure.getMessage());
            return Result.SKIPPED;
        }
        // the database failed: the message goes back to the queue, and the gather resumes once the lease expires
        throw failure;
    }

    private void safeFlush(StreamingGatherContext context) {
        try {
            context.flush();
        } catch (RuntimeException e) {
            LOG.warn("Could not store the last objects of a failed gather: {}", describe(e));
            LOG.debug("Could not store the last objects of a failed gather", e);
        }
    }

    private void applyDeletions(HarvestJob job, HarvestSource source, Consumer<List<String>> publish) {
        long vanished = writer.countVanished(job);
        if (vanished == 0) {
            return;
        }
        long provided = writer.currentDatasetCount(source.id());
        DeletionPolicy policy = DeletionPolicy.of(source.config(), maxDeletionShare);
        double share = provided == 0 ? 1.0 : (double) vanished / provided;
        if (share > policy.maxShare() && !policy.force()) {
            String message = String.format(Locale.ROOT,
                    "Deletion guard: %d of the %d datasets of this source (%.0f%%) have disappeared from the remote,"
                            + " more than the allowed %.0f%%; no dataset was deleted. If the remote really removed them,"
                            + " set \"force_deletions\": true in the source configuration (or raise"
                            + " \"deletion_guard_max_share\") and harvest again.",
                    vanished, provided, share * 100, policy.maxShare() * 100);
            LOG.warn("Job {}: {}", job.id(), message);
            jobs.addGatherError(job.id(), message);
            return;
        }
        long created = writer.createDeletionObjects(job, batchSize, publish);
        LOG.info("Job {}: {} datasets disappeared from the remote and will be deleted", job.id(), created);
    }

    static String describe(Throwable e) {
        return dev.harvest.core.store.ErrorText.describe(e);
    }

    /** The per-source deletion settings, read from the source config JSON. */
    record DeletionPolicy(double maxShare, boolean force) {
        static DeletionPolicy of(String config, double siteMaxShare) {
            if (config == null || config.isBlank()) {
                return new DeletionPolicy(siteMaxShare, false);
            }
            try {
                JsonNode node = JSON.readTree(config);
                double share = node.path(EngineSourceKeys.DELETION_GUARD_MAX_SHARE).isNumber()
                        ? node.get(EngineSourceKeys.DELETION_GUARD_MAX_SHARE).asDouble() : siteMaxShare;
                return new DeletionPolicy(share, node.path(EngineSourceKeys.FORCE_DELETIONS).asBoolean(false));
            } catch (Exception e) {
                return new DeletionPolicy(siteMaxShare, false);
            }
        }
    }

    private static final class LostGatherLease extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LostGatherLease(String message) {
            super(message);
        }
    }

    /** Why the engine stopped a gather. */
    static final class GatherStop extends CancellationException {
        private static final long serialVersionUID = 1L;

        enum Kind {
            /** A bound of the gather was exceeded: a gather error, no deletions. */
            BOUND,
            /** The job was aborted, timed out, or another worker took the gather over: nothing more to write. */
            JOB_STOPPED,
            /** The consumer is shutting down: the gather goes back to the queue. */
            SHUTDOWN
        }

        private final Kind kind;

        GatherStop(Kind kind, String message) {
            super(message);
            this.kind = kind;
        }

        static GatherStop shutdown() {
            return new GatherStop(Kind.SHUTDOWN, "the consumer is shutting down");
        }

        static GatherStop jobStopped(String jobId) {
            return new GatherStop(Kind.JOB_STOPPED, "job " + jobId
                    + " was aborted, timed out or taken over by another worker");
        }

        Kind kind() {
            return kind;
        }
    }

    private final class StreamingGatherContext implements GatherContext {
        private final HarvestJob job;
        private final HarvestSource source;
        private final String owner;
        private final Consumer<List<String>> publish;
        private final boolean skipUnchanged;
        /** The only guids to keep ({@code run_test} with guids), or null for all. */
        private final Set<String> onlyGuids;
        /** The guids of {@link #onlyGuids} the harvester emitted. */
        private final Set<String> seenGuids = new LinkedHashSet<>();
        private final List<NewHarvestObject> pending = new ArrayList<>();
        private final Set<String> pendingPresent = new LinkedHashSet<>();
        private long emitted;
        private long unchanged;
        private boolean hadErrors;
        private RuntimeException engineFailure;
        private final GatherBounds bounds;
        private final java.util.function.BooleanSupplier shutdown;
        private final Runnable progress;
        private final Instant deadline;
        private final GuidTracker guids = new GuidTracker();
        /** Distinct objects emitted, counted against the bound (the writer de-duplicates again when storing). */
        private long distinctEmitted;
        /** Distinct guids the current listing brought. */
        private long listed;
        private long declaredTotal = -1;
        private boolean pageBroughtNew;
        private long pages;
        /** Set by the lease heartbeat when the gather lost its job (aborted, timed out, taken over). */
        private volatile boolean leaseLost;
        /** Why the engine stopped the gather; the first reason wins. */
        private volatile GatherStop stop;

        StreamingGatherContext(HarvestJob job, HarvestSource source, String owner, Consumer<List<String>> publish,
                boolean skipUnchanged, Set<String> onlyGuids, GatherBounds bounds,
                java.util.function.BooleanSupplier shutdown, Runnable progress) {
            this.bounds = bounds;
            this.shutdown = shutdown;
            this.progress = progress;
            this.deadline = clock.instant().plus(bounds.maxTime());
            this.job = job;
            this.source = source;
            this.owner = owner;
            this.publish = publish;
            this.skipUnchanged = skipUnchanged;
            this.onlyGuids = onlyGuids;
        }

        @Override
        public HarvestSource source() {
            return source;
        }

        @Override
        public HarvestJob job() {
            return job;
        }

        @Override
        public Settings settings() {
            return settings;
        }

        @Override
        public Optional<HarvestJob> lastErrorFreeJob() {
            // a harvest of some guids lists the whole remote: an incremental listing would miss unmodified ones
            return onlyGuids != null ? Optional.empty() : jobs.lastErrorFreeJob(source.id(), job.id());
        }

        /** The lease heartbeat: false (and the gather stops at its next call) once the job is no longer held. */
        boolean heartbeat() {
            boolean held = jobs.extendGatherLease(job.id(), owner, lease);
            if (!held) {
                leaseLost = true;
            }
            return held;
        }

        boolean shutdownRequested() {
            return shutdown.getAsBoolean();
        }

        /** Sets the stop reason if the process is shutting down or the heartbeat found the job gone. */
        void stopIfJobOrProcessEnded() {
            if (shutdownRequested()) {
                stop = GatherStop.shutdown();
            } else if (leaseLost) {
                stop = GatherStop.jobStopped(job.id());
            }
        }

        private GatherStop halt(GatherStop reason) {
            if (stop == null) {
                stop = reason;
            }
            throw stop;
        }

        private GatherStop bound(String message) {
            return new GatherStop(GatherStop.Kind.BOUND, "Gather stopped: " + message
                    + "; the listing is incomplete, so no dataset is deleted");
        }

        /**
         * The checks that cost no query, made on every call of the harvester; a call is also progress, which keeps
         * the consumer from counting the gather as stalled.
         */
        private void checkCheap() {
            progress.run();
            if (stop != null) {
                throw stop;
            }
            if (shutdownRequested()) {
                halt(GatherStop.shutdown());
            }
            if (leaseLost) {
                halt(GatherStop.jobStopped(job.id()));
            }
            if (clock.instant().isAfter(deadline)) {
                halt(bound("it ran longer than the " + bounds.maxTime().toSeconds() + " seconds a gather may run"
                        + " (harvest.gather.max_seconds, or gather_max_seconds in the source config)"));
            }
        }

        /** The check of the job in the database: still Running and gathered by this worker. */
        private void checkJob() {
            if (!jobs.holdsGather(job.id(), owner)) {
                halt(GatherStop.jobStopped(job.id()));
            }
        }

        /** Records a guid the current listing brought, and checks the count bound. */
        private GuidTracker.Seen track(String guid) {
            GuidTracker.Seen seen = guids.add(guid);
            if (seen != GuidTracker.Seen.SEEN) {
                pageBroughtNew = true;
                listed++;
                checkCount();
            }
            return seen;
        }

        private void checkCount() {
            if (declaredTotal >= 0 && listed > bounds.countLimit(declaredTotal)) {
                halt(bound(String.format(Locale.ROOT, "the remote declared %d records but the listing brought %d"
                                + " distinct ones, more than the margin allows (harvest.gather.count_margin, or"
                                + " gather_count_margin in the source config: %s, at least %d records)",
                        declaredTotal, listed, bounds.countMargin(), GatherBounds.MIN_COUNT_SLACK)));
            }
        }

        @Override
        public void listingStarted() {
            checkCheap();
            guids.newListing();
            listed = 0;
            declaredTotal = -1;
            pageBroughtNew = false;
        }

        @Override
        public void declareTotal(long total) {
            checkCheap();
            if (total >= 0) {
                declaredTotal = total;
                checkCount();
            }
        }

        @Override
        public void pageDone(Collection<String> pageGuids) {
            checkCheap();
            pages++;
            for (String guid : pageGuids) {
                if (guid != null) {
                    track(guid);
                }
            }
            if (!pageBroughtNew) {
                halt(bound("page " + pages + " of the remote listing brought no record that the listing had not"
                        + " already brought (a remote that ignores its paging parameters would repeat pages"
                        + " forever)"));
            }
            pageBroughtNew = false;
            checkJob();
        }

        @Override
        public boolean isCancelled() {
            if (stop != null || leaseLost || shutdownRequested() || clock.instant().isAfter(deadline)) {
                return true;
            }
            return !jobs.holdsGather(job.id(), owner);
        }

        @Override
        public void checkCancelled() {
            checkCheap();
            checkJob();
        }

        @Override
        public void emit(NewHarvestObject object) {
            checkCheap();
            if (track(object.guid()) == GuidTracker.Seen.NEW) {
                if (distinctEmitted >= bounds.maxObjects()) {
                    halt(bound("it reached the " + bounds.maxObjects() + " objects a gather may create"
                            + " (harvest.gather.max_objects, or gather_max_objects in the source config)"));
                }
                distinctEmitted++;
            }
            if (onlyGuids != null) {
                if (!onlyGuids.contains(object.guid())) {
                    return; // not asked for: no object, so the job's statistics count only the guids asked for
                }
                seenGuids.add(object.guid());
            }
            pending.add(object);
            if (pending.size() >= batchSize) {
                flush();
            }
        }

        @Override
        public void markPresent(String guid) {
            checkCheap();
            track(guid);
            if (onlyGuids != null) {
                return; // no deletions are inferred from a harvest of some guids
            }
            pendingPresent.add(guid);
            if (pendingPresent.size() >= batchSize) {
                flush();
            }
        }

        @Override
        public void gatherError(String message) {
            hadErrors = true;
            jobs.addGatherError(job.id(), message);
        }

        @Override
        public Set<String> knownGuids(Collection<String> guids) {
            return writer.currentGuids(source.id(), guids);
        }

        @Override
        public long emittedCount() {
            return emitted + pending.size();
        }

        void flush() {
            if (engineFailure != null) {
                throw engineFailure;
            }
            try {
                if (!pending.isEmpty()) {
                    GatherWriter.StoredBatch stored = writer.insertObjects(job, source.config(), pending,
                            skipUnchanged);
                    emitted += stored.waitingIds().size() + stored.finishedUnchanged();
                    unchanged += stored.finishedUnchanged();
                    pending.clear();
                    if (!stored.waitingIds().isEmpty()) {
                        publishQuietly(stored.waitingIds());
                    }
                }
                if (!pendingPresent.isEmpty()) {
                    writer.markPresent(job.id(), pendingPresent);
                    pendingPresent.clear();
                }
                if (!jobs.extendGatherLease(job.id(), owner, lease)) {
                    throw new LostGatherLease("the gather lease of job " + job.id()
                            + " expired or the job was aborted");
                }
            } catch (RuntimeException e) {
                engineFailure = e;
                throw e;
            }
        }

        private void publishQuietly(List<String> ids) {
            try {
                publish.accept(ids);
            } catch (RuntimeException e) {
                // the objects are committed as WAITING: run re-queues them once the fetch queue is empty
                LOG.warn("Job {}: {} objects stored but not queued ({}); harvester run will queue them", job.id(),
                        ids.size(), e.getMessage());
            }
        }
    }
}
