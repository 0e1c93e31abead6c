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
import dev.harvest.core.store.HarvestStore;
import dev.harvest.core.store.ObjectClaim;
import dev.harvest.core.store.ObjectState;
import dev.harvest.core.store.ReportStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches and imports one object (ckanext-harvest's {@code fetch_callback} and {@code fetch_and_import_stages}),
 * with every step a compare-and-set on the object's claim. A plugin exception errors the object with its message;
 * database failures propagate, so that the queue message is not acknowledged and comes back.
 */
final class ObjectProcessor {

    private static final Logger LOG = LoggerFactory.getLogger(ObjectProcessor.class);

    private final HarvestStore store;
    private final HarvesterRegistry harvesters;
    private final Catalog catalog;
    private final Settings settings;
    private final Duration lease;
    private final int retryLimit;
    private final LeaseKeeper leaseKeeper;

    ObjectProcessor(HarvestStore store, HarvesterRegistry harvesters, Catalog catalog, Settings settings,
            Duration lease, int retryLimit, LeaseKeeper leaseKeeper) {
        this.store = store;
        this.harvesters = harvesters;
        this.catalog = catalog;
        this.settings = settings;
        this.lease = lease;
        this.retryLimit = retryLimit;
        this.leaseKeeper = leaseKeeper;
    }

    /** What happened to a fetch request. */
    enum Result {
        COMPLETED,
        ERRORED,
        /** Not claimable: finished already, unknown, or held by a live worker. The message is redundant. */
        SKIPPED,
        /** Claimed, but another worker took it over before this one finished; nothing was written. */
        LOST_RACE
    }

    Result process(String objectId, boolean forceImport) {
        Optional<ObjectClaim> claimed = store.claimObject(objectId, lease);
        if (claimed.isEmpty()) {
            if (store.errorObjectOfStoppedJob(objectId)) {
                LOG.info("Object {} belongs to a job that was aborted or timed out; set to error", objectId);
                return Result.ERRORED;
            }
            LOG.debug("Object {} is not waiting to be fetched; message skipped", objectId);
            return Result.SKIPPED;
        }
        ObjectClaim claim = claimed.get();
        HarvestObject object = claim.object();
        try (AutoCloseable heartbeat = leaseKeeper.keep(lease,
                () -> store.extendObjectLease(objectId, claim.token(), lease))) {
            return processClaimed(claim, object, forceImport);
        } catch (RuntimeException e) {
            // the engine failed (the database, most likely): give the object back at once, so that the redelivered
            // message can claim it again instead of waiting for the lease to expire
            try {
                store.releaseClaim(claim);
            } catch (RuntimeException releaseFailure) {
                e.addSuppressed(releaseFailure);
            }
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            try {
                finishJob(object.jobId());
            } catch (RuntimeException e) {
                LOG.warn("Could not check whether job {} is finished: {}", object.jobId(), e.getMessage());
            }
        }
    }

    private Result processClaimed(ObjectClaim claim, HarvestObject object, boolean forceImport) {
        String objectId = object.id();
        if (claim.deliveries() > retryLimit) {
            String message = "Too many consecutive retries for object " + objectId + " (" + (claim.deliveries() - 1)
                    + " attempts did not finish)";
            LOG.warn(message);
            return end(claim, ObjectState.ERROR, ReportStatus.ERRORED, null, false, false,
                    List.<String[]>of(error(message, "Fetch")), true);
        }
        HarvestSource source = claim.source();
        Optional<Harvester> found = harvesters.find(source.type());
        if (found.isEmpty()) {
            return end(claim, ObjectState.ERROR, ReportStatus.ERRORED, null, false, false,
                    List.<String[]>of(error("System error - No harvester could be found for source type " + source.type(),
                            "Fetch")), true);
        }
        if (claim.deletion()) {
            return delete(claim, object, found.get());
        }
        return fetchAndImport(claim, found.get(), source, claim.job(), forceImport);
    }

    private void finishJob(String jobId) {
        if (store.finishJobIfDone(jobId)) {
            LOG.info("Job {} finished", jobId);
        }
    }

    private Result delete(ObjectClaim claim, HarvestObject object, Harvester harvester) {
        List<String[]> errors = new ArrayList<>();
        boolean vanished;
        try {
            vanished = harvester.confirmVanished(new StageContext(claim.source(), claim.job(), object, errors, false));
        } catch (Throwable e) {
            errors.add(error("Could not confirm that " + object.guid() + " was removed from the remote, so its"
                    + " dataset was kept: " + GatherRunner.describe(e), "Fetch"));
            return end(claim, ObjectState.ERROR, ReportStatus.ERRORED, null, false, false, errors, true);
        }
        if (!vanished) {
            LOG.info("Object {} ({}): the listing missed it but the remote still has it; nothing deleted",
                    object.id(), object.guid());
            return end(claim, ObjectState.COMPLETE, ReportStatus.NOT_MODIFIED, null, false, false, errors, true);
        }
        if (!store.fetchSucceeded(claim, null)) {
            return Result.LOST_RACE;
        }
        String packageId = object.packageId();
        try {
            if (packageId != null) {
                catalog.deleteDataset(packageId);
            }
            return end(claim, ObjectState.COMPLETE, ReportStatus.DELETED, packageId, false, true, List.of(), false);
        } catch (Exception e) {
            return end(claim, ObjectState.ERROR, ReportStatus.ERRORED, null, false, false,
                    List.<String[]>of(error("Could not delete dataset " + packageId + ": " + GatherRunner.describe(e), "Import")),
                    false);
        }
    }

    private Result fetchAndImport(ObjectClaim claim, Harvester harvester, HarvestSource source, HarvestJob job,
            boolean forceImport) {
        HarvestObject object = claim.object();
        List<String[]> fetchErrors = new ArrayList<>();
        FetchOutcome fetched;
        try {
            fetched = harvester.fetch(new StageContext(source, job, object, fetchErrors, forceImport));
        } catch (Throwable e) {
            // any Throwable, StackOverflowError included: a plugin must never take a worker thread down
            LOG.warn("Fetch of object {} ({}) failed", object.id(), object.guid(), e);
            fetchErrors.add(error(GatherRunner.describe(e), "Fetch"));
            return end(claim, ObjectState.ERROR, ReportStatus.ERRORED, null, false, false, fetchErrors, true);
        }
        if (fetched instanceof FetchOutcome.Unchanged) {
            return end(claim, ObjectState.COMPLETE, ReportStatus.NOT_MODIFIED, null, false, false, fetchErrors, true);
        }
        if (fetched instanceof FetchOutcome.Failed failed) {
            fetchErrors.add(error(failed.message(), "Fetch"));
            return end(claim, ObjectState.ERROR, ReportStatus.ERRORED, null, false, false, fetchErrors, true);
        }
        if (!(fetched instanceof FetchOutcome.Proceed proceed)) {
            fetchErrors.add(error("The harvester's fetch stage returned no outcome", "Fetch"));
            return end(claim, ObjectState.ERROR, ReportStatus.ERRORED, null, false, false, fetchErrors, true);
        }
        if (!store.fetchSucceeded(claim, proceed.content())) {
            return Result.LOST_RACE;
        }
        if (proceed.content() != null) {
            object = new HarvestObject(object.id(), object.guid(), object.jobId(), object.sourceId(), proceed.content(),
                    object.metadataModified(), object.packageId(), object.extras());
        }
        List<String[]> importErrors = new ArrayList<>(fetchErrors);
        ImportOutcome imported;
        try {
            imported = harvester.importObject(new StageContext(source, job, object, importErrors, forceImport));
        } catch (Throwable e) {
            LOG.warn("Import of object {} ({}) failed", object.id(), object.guid(), e);
            importErrors.add(error(GatherRunner.describe(e), "Import"));
            return end(claim, ObjectState.ERROR, ReportStatus.ERRORED, null, false, false, importErrors, false);
        }
        if (imported instanceof ImportOutcome.Created created) {
            return end(claim, ObjectState.COMPLETE, ReportStatus.ADDED, created.datasetId(), true, false,
                    importErrors, false);
        } else if (imported instanceof ImportOutcome.Updated updated) {
            return end(claim, ObjectState.COMPLETE, ReportStatus.UPDATED, updated.datasetId(), true, false,
                    importErrors, false);
        } else if (imported instanceof ImportOutcome.Deleted deleted) {
            return end(claim, ObjectState.COMPLETE, ReportStatus.DELETED, deleted.datasetId(), false, true,
                    importErrors, false);
        } else if (imported instanceof ImportOutcome.Unchanged unchanged) {
            return end(claim, ObjectState.COMPLETE, ReportStatus.NOT_MODIFIED, unchanged.datasetId(), false, false,
                    importErrors, false);
        } else if (imported instanceof ImportOutcome.Skipped skipped) {
            LOG.info("Object {} ({}) skipped: {}", object.id(), object.guid(), skipped.reason());
            return end(claim, ObjectState.COMPLETE, ReportStatus.NOT_MODIFIED, null, false, false, importErrors,
                    false);
        } else if (imported instanceof ImportOutcome.Failed failed) {
            importErrors.add(error(failed.message(), "Import"));
        } else {
            importErrors.add(error("The harvester's import stage returned no outcome", "Import"));
        }
        return end(claim, ObjectState.ERROR, ReportStatus.ERRORED, null, false, false, importErrors, false);
    }

    private Result end(ObjectClaim claim, ObjectState state, ReportStatus report, String packageId,
            boolean makeCurrent, boolean uncurrent, List<String[]> errors, boolean afterFetch) {
        if (!store.finishObject(claim, state, report, packageId, makeCurrent, uncurrent, errors, afterFetch)) {
            LOG.warn("Object {} was taken over by another worker; this worker's result is dropped", claim.object().id());
            return Result.LOST_RACE;
        }
        return state == ObjectState.COMPLETE ? Result.COMPLETED : Result.ERRORED;
    }

    private static String[] error(String message, String stage) {
        return new String[] {message, stage};
    }

    private final class StageContext implements FetchContext, ImportContext {
        private final HarvestSource source;
        private final HarvestJob job;
        private final HarvestObject object;
        private final List<String[]> errors;
        private final boolean forceImport;

        StageContext(HarvestSource source, HarvestJob job, HarvestObject object, List<String[]> errors,
                boolean forceImport) {
            this.source = source;
            this.job = job;
            this.object = object;
            this.errors = errors;
            this.forceImport = forceImport;
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
        public HarvestObject object() {
            return object;
        }

        @Override
        public Optional<HarvestObject> previousObject() {
            return store.currentObject(object.sourceId(), object.guid(), object.id());
        }

        @Override
        public boolean forceImport() {
            return forceImport;
        }

        @Override
        public Catalog catalog() {
            return catalog;
        }

        @Override
        public Settings settings() {
            return settings;
        }

        @Override
        public void recordError(String message) {
            errors.add(error(message, "Fetch"));
        }

        @Override
        public void recordError(String message, Integer line) {
            errors.add(error(line == null ? message : message + ", line " + line, "Import"));
        }
    }
}
