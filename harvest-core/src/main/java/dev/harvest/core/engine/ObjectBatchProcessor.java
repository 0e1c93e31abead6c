package dev.harvest.core.engine;

import dev.harvest.api.FetchContext;
import dev.harvest.api.FetchOutcome;
import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.Harvester;
import dev.harvest.api.ImportContext;
import dev.harvest.api.ImportOutcome;
import dev.harvest.api.Settings;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.core.db.HarvestDatabase;
import dev.harvest.core.store.JobStore;
import dev.harvest.core.store.ObjectBatchStore;
import dev.harvest.core.store.ObjectBatchStore.ClaimedBatch;
import dev.harvest.core.store.ObjectBatchStore.ClaimedObject;
import dev.harvest.core.store.ObjectKind;
import dev.harvest.core.store.ObjectResult;
import dev.harvest.core.store.ObjectResult.ObjectError;
import dev.harvest.core.store.ObjectState;
import dev.harvest.core.store.ReportStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches and imports a batch of objects (ckanext-harvest's {@code fetch_callback} and
 * {@code fetch_and_import_stages}, a batch at a time). The same path serves {@code run_test}, in-process consumers
 * and queue consumers:
 *
 * <ol>
 *   <li>one transaction claims the batch and reads everything its stages need;</li>
 *   <li>fetches run outside any transaction, concurrently where a harvester's fetch waits on I/O;</li>
 *   <li>with a catalog that joins the harvest transaction (the embedded one), one transaction imports the batch,
 *       with a savepoint per object: a failing object rolls back alone and gets its error, the rest commit together
 *       with their datasets. With a remote catalog, imports run outside the transaction (concurrently) and one
 *       guarded batch update records their outcomes;</li>
 *   <li>once per batch: the lease heartbeat, the job-finished check of each job.</li>
 * </ol>
 *
 * <p>A plugin exception errors its object. A failure of the engine (the database) gives the batch back and
 * propagates, so that the queue messages are not acknowledged and come back. If the batch transaction fails at
 * commit, its objects are imported again one transaction each, so that one object cannot fail the others.
 */
final class ObjectBatchProcessor {

    private static final Logger LOG = LoggerFactory.getLogger(ObjectBatchProcessor.class);

    private final HarvestDatabase database;
    private final ObjectBatchStore objects;
    private final JobStore jobs;
    private final HarvesterRegistry harvesters;
    private final Catalog catalog;
    private final boolean catalogJoinsTransaction;
    private final Settings settings;
    private final Duration lease;
    private final int retryLimit;
    private final LeaseKeeper leaseKeeper;
    private final StageExecutor stages;
    private final JobCompletion completion;

    ObjectBatchProcessor(HarvestDatabase database, ObjectBatchStore objects, JobStore jobs,
            HarvesterRegistry harvesters, Catalog catalog, boolean catalogJoinsTransaction, Settings settings,
            Duration lease, int retryLimit, LeaseKeeper leaseKeeper, StageExecutor stages,
            JobCompletion completion) {
        this.database = database;
        this.objects = objects;
        this.jobs = jobs;
        this.harvesters = harvesters;
        this.catalog = catalog;
        this.catalogJoinsTransaction = catalogJoinsTransaction;
        this.settings = settings;
        this.lease = lease;
        this.retryLimit = retryLimit;
        this.leaseKeeper = leaseKeeper;
        this.stages = stages;
        this.completion = completion;
    }

    /**
     * What happened to a batch.
     *
     * @param claimed objects this worker claimed
     * @param completed claimed objects that ended COMPLETE
     * @param errored claimed objects that ended ERROR, plus late objects of stopped jobs
     * @param lost claimed objects taken over (or aborted) before this worker finished them; nothing written
     * @param skipped ids that were not claimable: done, unknown, or held by a live worker
     */
    record BatchResult(int claimed, int completed, int errored, int lost, int skipped) {}

    BatchResult process(List<String> ids, boolean forceImport) {
        ClaimedBatch batch = objects.claim(ids, lease);
        int stopped = objects.errorObjectsOfStoppedJobs(batch.unclaimed()).size();
        if (stopped > 0) {
            LOG.info("{} object(s) belong to jobs that were aborted or timed out; set to error", stopped);
        }
        if (batch.objects().isEmpty()) {
            return new BatchResult(0, 0, stopped, 0, batch.unclaimed().size() - stopped);
        }
        List<ObjectWork> work = batch.objects().stream()
                .map(claimed -> new ObjectWork(claimed, batch.sources().get(claimed.object().sourceId()),
                        batch.jobs().get(claimed.object().jobId()), forceImport))
                .toList();
        Set<String> jobIds = jobIdsOf(work);
        BatchSignal signal = new BatchSignal(batch.token(), ConsumerRunner.stopSignal());
        work.forEach(item -> item.signal = signal);
        try (AutoCloseable heartbeat = leaseKeeper.keep(lease, signal::heartbeat)) {
            stages.map(work, this::fetch);
            if (signal.shutdown.getAsBoolean()) {
                throw new ConsumerStopping(); // the objects go back to WAITING, the messages back to the queue
            }
            work.forEach(ObjectWork::fetchDone);
            objects.markFetched(batch.token(), work.stream().filter(w -> w.result == null)
                    .map(w -> w.object.id()).toList());
            guardTakeovers(work);
            List<ObjectResult> results = catalogJoinsTransaction
                    ? importInTransaction(batch.token(), work)
                    : importOutsideTransaction(batch.token(), work);
            int completed = (int) results.stream().filter(r -> r.state() == ObjectState.COMPLETE).count();
            int lost = work.size() - results.size();
            return new BatchResult(work.size(), completed, results.size() - completed + stopped, lost,
                    batch.unclaimed().size() - stopped);
        } catch (RuntimeException e) {
            // the engine failed (the database, most likely), or the consumer is stopping: give the objects back at
            // once, so that the redelivered messages can claim them again instead of waiting for the lease to expire
            boolean interrupted = Thread.interrupted();
            try {
                if (signal.shutdown.getAsBoolean()) { // a ConsumerStopping, or an interrupted fetch or import
                    objects.handBackOnStop(batch.token());
                } else {
                    objects.giveBack(batch.token());
                }
            } catch (RuntimeException releaseFailure) {
                e.addSuppressed(releaseFailure);
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            for (String jobId : jobIds) {
                try {
                    if (completion.finishIfDone(jobId)) {
                        LOG.info("Job {} finished", jobId);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("Could not check whether job {} is finished: {}", jobId, e.getMessage());
                }
            }
        }
    }

    /**
     * Gives the objects going on to import the batch's takeover guard: one query for the providers of their datasets
     * and guids (a harvester usually keeps the remote id, its guid, as the dataset id).
     */
    private void guardTakeovers(List<ObjectWork> work) {
        Set<String> likely = new LinkedHashSet<>();
        for (ObjectWork item : work) {
            if (item.result == null) {
                likely.add(item.object.packageId());
                if (item.claimed.kind() != ObjectKind.DELETE) {
                    likely.add(item.object.guid());
                }
            }
        }
        likely.remove(null);
        if (likely.isEmpty()) {
            return;
        }
        TakeoverGuard guard = TakeoverGuard.load(objects, likely);
        work.forEach(item -> item.guard = guard);
    }

    // ------------------------------------------------------------------------------------------------- fetch

    /** The fetch stage of one object, outside any transaction; decides its result unless it goes on to import. */
    private ObjectWork fetch(ObjectWork work) {
        HarvestObject object = work.object;
        if (work.signal.shutdown.getAsBoolean()) {
            return work; // the consumer is stopping: the batch is given back after the fetches
        }
        if (work.claimed.deliveries() > retryLimit) {
            String message = "Too many consecutive retries for object " + object.id() + " ("
                    + (work.claimed.deliveries() - 1) + " attempts did not finish)";
            LOG.warn(message);
            work.result = work.error(message, "Fetch", true);
            return work;
        }
        Optional<Harvester> found = harvesters.find(work.source.type());
        if (found.isEmpty()) {
            work.result = work.error("System error - No harvester could be found for source type "
                    + work.source.type(), "Fetch", true);
            return work;
        }
        work.harvester = found.get();
        if (work.claimed.kind() == ObjectKind.DELETE) {
            confirmVanished(work);
            return work;
        }
        FetchOutcome fetched;
        try {
            fetched = work.harvester.fetch(work.context(object));
        } catch (Throwable e) {
            if (work.signal.shutdown.getAsBoolean()) {
                return work; // interrupted by the consumer's shutdown: not the object's fault
            }
            // any Throwable, StackOverflowError included: a plugin must never take a worker thread down
            LOG.warn("Fetch of object {} ({}) failed: {}", object.id(), object.guid(), GatherRunner.describe(e));
            LOG.debug("Fetch of object {} ({}) failed", object.id(), object.guid(), e);
            work.result = work.error(GatherRunner.describe(e), "Fetch", true);
            return work;
        }
        if (fetched instanceof FetchOutcome.Unchanged) {
            work.result = work.done(ReportStatus.NOT_MODIFIED, null, false, false, true);
        } else if (fetched instanceof FetchOutcome.Failed failed) {
            work.result = work.error(failed.message(), "Fetch", true);
        } else if (fetched instanceof FetchOutcome.Proceed proceed) {
            if (proceed.content() != null) {
                work.fetchedContent = proceed.content();
                work.object = object.toBuilder().content(proceed.content()).build();
            }
        } else {
            work.result = work.error("The harvester's fetch stage returned no outcome", "Fetch", true);
        }
        return work;
    }

    private void confirmVanished(ObjectWork work) {
        HarvestObject object = work.object;
        try {
            if (!work.harvester.confirmVanished(work.context(object))) {
                LOG.info("Object {} ({}): the listing missed it but the remote still has it; nothing deleted",
                        object.id(), object.guid());
                work.result = work.done(ReportStatus.NOT_MODIFIED, null, false, false, true);
            }
        } catch (Throwable e) {
            work.result = work.error("Could not confirm that " + object.guid() + " was removed from the remote, so"
                    + " its dataset was kept: " + GatherRunner.describe(e), "Fetch", true);
        }
    }

    // ------------------------------------------------------------------------------------------------ import

    /** The import stage of one object, in whatever transaction the caller runs; plugin failures are results. */
    private ObjectResult runImport(ObjectWork work) {
        if (work.result != null) {
            return work.result;
        }
        work.forgetImportErrors(); // an import that is run again (after a failed batch commit) starts afresh
        work.refusal = null;
        HarvestObject object = work.object;
        if (work.claimed.kind() == ObjectKind.DELETE) {
            String packageId = object.packageId();
            Optional<String> refusal = work.refusal(packageId);
            if (refusal.isPresent()) {
                return work.error(refusal.get(), "Import", false);
            }
            try {
                if (packageId != null) {
                    catalog.deleteDataset(packageId);
                }
                return work.done(ReportStatus.DELETED, packageId, false, true, false);
            } catch (Throwable e) {
                return work.error("Could not delete dataset " + packageId + ": " + GatherRunner.describe(e),
                        "Import", false);
            }
        }
        ImportOutcome imported;
        try {
            imported = work.harvester.importObject(work.context(object));
        } catch (Throwable e) {
            if (work.refusal != null) {
                return work.error(work.refusal, "Import", false);
            }
            LOG.warn("Import of object {} ({}) failed: {}", object.id(), object.guid(), GatherRunner.describe(e));
            LOG.debug("Import of object {} ({}) failed", object.id(), object.guid(), e);
            return work.error(GatherRunner.describe(e), "Import", false);
        }
        if (work.refusal != null) {
            // the guarded catalog refused a write: the object errors, whatever the harvester made of the refusal
            return work.error(work.refusal, "Import", false);
        }
        String written = imported instanceof ImportOutcome.Updated updated ? updated.datasetId()
                : imported instanceof ImportOutcome.Deleted deleted ? deleted.datasetId() : null;
        Optional<String> refusal = work.refusal(written);
        if (refusal.isPresent()) {
            // a write that did not go through the guarded catalog: with the embedded catalog it is rolled back
            return work.error(refusal.get(), "Import", false);
        }
        if (imported instanceof ImportOutcome.Created created) {
            return work.done(ReportStatus.ADDED, created.datasetId(), true, false, false);
        } else if (imported instanceof ImportOutcome.Updated updated) {
            return work.done(ReportStatus.UPDATED, updated.datasetId(), true, false, false);
        } else if (imported instanceof ImportOutcome.Deleted deleted) {
            return work.done(ReportStatus.DELETED, deleted.datasetId(), false, true, false);
        } else if (imported instanceof ImportOutcome.Unchanged unchanged) {
            return work.done(ReportStatus.NOT_MODIFIED, unchanged.datasetId(), false, false, false);
        } else if (imported instanceof ImportOutcome.Skipped skipped) {
            LOG.info("Object {} ({}) skipped: {}", object.id(), object.guid(), skipped.reason());
            return work.done(ReportStatus.NOT_MODIFIED, null, false, false, false);
        } else if (imported instanceof ImportOutcome.Failed failed) {
            return work.error(failed.message(), "Import", false);
        }
        return work.error("The harvester's import stage returned no outcome", "Import", false);
    }

    /** Thrown inside an object's savepoint to roll back what a failed import wrote. */
    private static final class ImportFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient ObjectResult result;

        ImportFailed(ObjectResult result) {
            super(null, null, false, false);
            this.result = result;
        }
    }

    /** Thrown to roll back the catalog writes of objects whose claim was lost (taken over, or their job stopped). */
    private static final class ClaimsLost extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ClaimsLost(List<String> objectIds) {
            super("claims lost before the commit: " + objectIds, null, false, false);
        }
    }

    /**
     * One transaction for the batch: each object's import in a savepoint, then every outcome in one batched
     * compare-and-set, then the batch's {@code current} bookkeeping. If any claim was lost, or the commit fails, the
     * whole transaction rolls back and the objects are imported again one transaction each, which settles each of
     * them on its own.
     */
    private List<ObjectResult> importInTransaction(String token, List<ObjectWork> work) {
        try {
            return database.inTransaction(session -> {
                objects.holdJobs(jobIdsOf(work));
                List<ObjectResult> results = new ArrayList<>(work.size());
                for (ObjectWork item : work) {
                    results.add(importInSavepoint(item));
                    session.clear(); // keeps a batch's memory to one object's entities
                }
                List<String> lost = objects.writeResults(token, results);
                if (!lost.isEmpty()) {
                    throw new ClaimsLost(lost);
                }
                objects.updateCurrent(results);
                return results;
            });
        } catch (RuntimeException batchFailure) {
            LOG.warn("A batch of {} objects could not be committed ({}); importing them one transaction each",
                    work.size(), GatherRunner.describe(batchFailure));
            List<ObjectResult> results = new ArrayList<>(work.size());
            for (ObjectWork item : work) {
                importAlone(token, item).ifPresent(results::add);
            }
            return results;
        }
    }

    /**
     * Runs an object's import in a savepoint of this thread's transaction: a failed import rolls back what it wrote
     * and becomes an error result. The outcome is not recorded here.
     */
    private ObjectResult importInSavepoint(ObjectWork item) {
        if (item.result != null) {
            return item.result; // decided at fetch: nothing to import, nothing to roll back
        }
        try {
            return database.inTransaction(session -> {
                ObjectResult result = runImport(item);
                if (result.state() == ObjectState.ERROR) {
                    throw new ImportFailed(result);
                }
                return result;
            });
        } catch (ImportFailed failed) {
            return failed.result;
        } catch (RuntimeException e) {
            // the import's own writes failed in the database (a constraint, say): that object errors, not the batch
            LOG.warn("Import of object {} ({}) failed in the database: {}", item.object.id(), item.object.guid(),
                    GatherRunner.describe(e));
            return item.error("Import failed: " + GatherRunner.describe(e), "Import", false);
        }
    }

    /** Imports and records one object in a transaction of its own; empty if its claim was lost. */
    private Optional<ObjectResult> importAlone(String token, ObjectWork item) {
        try {
            return Optional.of(database.inTransaction(session -> {
                objects.holdJobs(List.of(item.object.jobId()));
                ObjectResult result = importInSavepoint(item);
                List<String> lost = objects.writeResults(token, List.of(result));
                if (!lost.isEmpty()) {
                    throw new ClaimsLost(lost);
                }
                objects.updateCurrent(List.of(result));
                return result;
            }));
        } catch (ClaimsLost lost) {
            LOG.warn("Object {} was taken over or its job aborted before this worker finished it; its import was"
                    + " rolled back", item.object.id());
            return Optional.empty();
        } catch (RuntimeException failure) {
            if (HarvestDatabase.isConnectionFailure(failure)) {
                // the database connection went away (a restart, a terminated session): no fault of this object;
                // the batch's unfinished objects are given back and their messages come back
                throw failure;
            }
            // this object's own transaction failed at commit: it is the culprit
            LOG.warn("Object {} ({}) could not be committed: {}", item.object.id(), item.object.guid(),
                    GatherRunner.describe(failure));
            ObjectResult result = item.error("Import failed at commit: " + GatherRunner.describe(failure),
                    "Import", false);
            boolean written = database.inTransaction(session -> objects.writeResults(token, List.of(result)).isEmpty());
            if (!written) {
                LOG.warn("Object {} was taken over or its job aborted before this worker recorded its error",
                        item.object.id());
                return Optional.empty();
            }
            return Optional.of(result);
        }
    }

    private static Set<String> jobIdsOf(List<ObjectWork> work) {
        Set<String> ids = new LinkedHashSet<>();
        work.forEach(item -> ids.add(item.object.jobId()));
        return ids;
    }

    private List<ObjectResult> importOutsideTransaction(String token, List<ObjectWork> work) {
        List<ObjectResult> results = stages.map(work, this::runImport);
        List<String> lost = objects.finishAll(token, jobIdsOf(work), results);
        if (!lost.isEmpty()) {
            LOG.warn("{} object(s) were taken over or their job aborted while this worker imported them into the"
                    + " catalog; their outcome was not recorded: {}", lost.size(), lost);
        }
        return results.stream().filter(result -> !lost.contains(result.objectId())).toList();
    }

    // ------------------------------------------------------------------------------------------------- state

    /** The consumer is stopping: the batch is given back before its imports. */
    private static final class ConsumerStopping extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ConsumerStopping() {
            super("the consumer is stopping; the batch was given back", null, false, false);
        }
    }

    /**
     * What a batch's fetches ask before each remote request ({@link FetchContext#isCancelled()}): whether the
     * consumer is stopping, whether the lease heartbeat found the batch's claims gone (its job aborted or timed out,
     * another worker took over), and, for the object asked about, one read of its claim and its job.
     */
    private final class BatchSignal {
        final String token;
        final java.util.function.BooleanSupplier shutdown;
        volatile boolean claimsLost;

        BatchSignal(String token, java.util.function.BooleanSupplier shutdown) {
            this.token = token;
            this.shutdown = shutdown;
        }

        boolean heartbeat() {
            boolean held = objects.extendLease(token, lease);
            if (!held) {
                claimsLost = true;
            }
            return held;
        }

        boolean cancelled(String objectId) {
            return shutdown.getAsBoolean() || claimsLost || !objects.stillClaimed(objectId, token);
        }
    }

    /** One object on its way through the batch. */
    private final class ObjectWork {
        final ClaimedObject claimed;
        final HarvestSource source;
        final HarvestJob job;
        final boolean forceImport;
        final List<ObjectError> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        HarvestObject object;
        Harvester harvester;
        String fetchedContent;
        /** What the fetch asks whether it must stop. */
        BatchSignal signal;
        /** The batch's takeover guard, or null when nothing of the batch is imported. */
        TakeoverGuard guard;
        /** Why the guarded catalog refused a write of this import, or null. */
        volatile String refusal;
        /** Decided before the import stage (an error, or unchanged); null while the object goes on to import. */
        ObjectResult result;

        ObjectWork(ClaimedObject claimed, HarvestSource source, HarvestJob job, boolean forceImport) {
            this.claimed = claimed;
            this.source = source;
            this.job = job;
            this.forceImport = forceImport;
            this.object = claimed.object();
        }

        private int fetchErrors;

        void fetchDone() {
            fetchErrors = errors.size();
        }

        void forgetImportErrors() {
            synchronized (errors) {
                errors.subList(fetchErrors, errors.size()).clear();
            }
        }

        StageContext context(HarvestObject current) {
            return new StageContext(this, current);
        }

        Optional<String> refusal(String datasetId) {
            return guard == null || datasetId == null ? Optional.empty() : guard.refusal(source, datasetId, null);
        }

        Catalog catalog() {
            return guard == null ? catalog : guard.catalogFor(catalog, source, message -> refusal = message);
        }

        ObjectResult done(ReportStatus report, String packageId, boolean makeCurrent, boolean uncurrent,
                boolean afterFetch) {
            return new ObjectResult(object.id(), object.sourceId(), object.guid(), ObjectState.COMPLETE, report,
                    packageId, makeCurrent, uncurrent, fetchedContent, List.copyOf(errors), afterFetch);
        }

        ObjectResult error(String message, String stage, boolean afterFetch) {
            List<ObjectError> all = new ArrayList<>(errors);
            all.add(new ObjectError(message, stage, null));
            return new ObjectResult(object.id(), object.sourceId(), object.guid(), ObjectState.ERROR,
                    ReportStatus.ERRORED, null, false, false, fetchedContent, all, afterFetch);
        }
    }

    private final class StageContext implements FetchContext, ImportContext {
        private final ObjectWork work;
        private final HarvestObject object;

        StageContext(ObjectWork work, HarvestObject object) {
            this.work = work;
            this.object = object;
        }

        @Override
        public boolean catalogWritesMayRollBack() {
            return catalogJoinsTransaction;
        }

        @Override
        public HarvestSource source() {
            return work.source;
        }

        @Override
        public HarvestJob job() {
            return work.job;
        }

        @Override
        public HarvestObject object() {
            return object;
        }

        @Override
        public Optional<HarvestObject> previousObject() {
            return work.claimed.previous();
        }

        @Override
        public boolean forceImport() {
            return work.forceImport;
        }

        @Override
        public Catalog catalog() {
            return work.catalog();
        }

        @Override
        public Settings settings() {
            return settings;
        }

        @Override
        public void recordError(String message) {
            work.errors.add(new ObjectError(message, "Fetch", null));
        }

        @Override
        public boolean isCancelled() {
            return work.signal != null && work.signal.cancelled(object.id());
        }

        @Override
        public void recordError(String message, Integer line) {
            work.errors.add(new ObjectError(line == null ? message : message + ", line " + line, "Import", null));
        }
    }
}
