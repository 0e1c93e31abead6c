package dev.harvest.core.engine;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.Harvester;
import dev.harvest.api.ImportContext;
import dev.harvest.api.ImportOutcome;
import dev.harvest.api.Settings;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.core.db.HarvestDatabase;
import dev.harvest.core.store.ObjectBatchStore;
import dev.harvest.core.store.ObjectBatchStore.ClaimedBatch;
import dev.harvest.core.store.ObjectBatchStore.ClaimedObject;
import dev.harvest.core.store.ObjectBatchStore.ReimportSelection;
import dev.harvest.core.store.ObjectResult;
import dev.harvest.core.store.ObjectState;
import dev.harvest.core.store.ReportStatus;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code harvester import}: runs the import stage again on finished objects, from the content stored in the harvest
 * database, with {@code forceImport} and without any remote request (ckanext-harvest's
 * {@code harvest_objects_import}).
 *
 * <p>The selection is streamed by id, a page of {@code harvest.object_batch_size} objects at a time, so memory stays
 * bounded. With the embedded catalog each page is one transaction: every object's import runs in a savepoint (a
 * failing one rolls back alone) and the page's bookkeeping commits with its datasets. With a remote catalog the
 * imports run outside any transaction, up to {@code harvest.fetch_parallelism} at once, and one transaction per page
 * records them. An object whose import created or updated its dataset becomes the current object of that dataset
 * (as a harvest would record it); states, report statuses and timestamps are left alone, so the statistics of past
 * jobs stay what they were.
 */
public final class Reimporter {

    private static final Logger LOG = LoggerFactory.getLogger(Reimporter.class);

    private final HarvestDatabase database;
    private final ObjectBatchStore objects;
    private final HarvesterRegistry harvesters;
    private final Catalog catalog;
    private final boolean catalogJoinsTransaction;
    private final Settings settings;
    private final StageExecutor stages;
    private final int pageSize;

    Reimporter(HarvestDatabase database, ObjectBatchStore objects, HarvesterRegistry harvesters, Catalog catalog,
            boolean catalogJoinsTransaction, Settings settings, StageExecutor stages, int pageSize) {
        this.database = database;
        this.objects = objects;
        this.harvesters = harvesters;
        this.catalog = catalog;
        this.catalogJoinsTransaction = catalogJoinsTransaction;
        this.settings = settings;
        this.stages = stages;
        this.pageSize = pageSize;
    }

    /**
     * One object that could not be re-imported, or whose import recorded an error.
     *
     * @param objectId the object
     * @param guid its guid
     * @param message what went wrong
     */
    public record Failure(String objectId, String guid, String message) {}

    /**
     * What a re-import did.
     *
     * @param imported objects whose import succeeded (created, updated, deleted, unchanged or skipped a dataset)
     * @param failed objects whose import failed; nothing of theirs was written
     * @param missingDataset objects left alone because their dataset is not active in the catalog
     */
    public record Summary(long imported, long failed, long missingDataset) {}

    /** What became of one object. */
    private record Done(ObjectResult result, Failure failure, List<Failure> warnings, boolean missingDataset) {}

    Summary run(ReimportSelection selection, boolean checkDatasetsInCatalog, Consumer<Failure> onFailure) {
        long imported = 0;
        long failed = 0;
        long missing = 0;
        String after = "";
        while (true) {
            List<String> ids = objects.reimportIds(selection, after, pageSize);
            if (ids.isEmpty()) {
                if (selection.activeEmbeddedDatasets()) {
                    missing += objects.countReimportWithoutActiveDataset(selection);
                }
                return new Summary(imported, failed, missing);
            }
            after = ids.get(ids.size() - 1);
            ClaimedBatch page = objects.load(ids);
            TakeoverGuard guard = TakeoverGuard.load(objects, page.objects().stream()
                    .flatMap(object -> java.util.stream.Stream.of(object.object().packageId(), object.object().guid()))
                    .filter(java.util.Objects::nonNull).toList());
            List<Done> done = catalogJoinsTransaction ? importInTransaction(page, guard, checkDatasetsInCatalog)
                    : importOutsideTransaction(page, guard, checkDatasetsInCatalog);
            for (Done item : done) {
                item.warnings().forEach(onFailure);
                if (item.missingDataset()) {
                    missing++;
                } else if (item.failure() != null) {
                    failed++;
                    onFailure.accept(item.failure());
                } else {
                    imported++;
                }
            }
        }
    }

    private List<Done> importInTransaction(ClaimedBatch page, TakeoverGuard guard, boolean checkDatasets) {
        try {
            return database.inTransaction(session -> {
                List<Done> done = new ArrayList<>(page.objects().size());
                for (ClaimedObject object : page.objects()) {
                    done.add(importInSavepoint(page, guard, object, checkDatasets));
                    session.clear();
                }
                objects.recordReimported(results(done));
                return done;
            });
        } catch (RuntimeException batchFailure) {
            LOG.warn("A page of {} re-imported objects could not be committed ({}); importing them one transaction"
                    + " each", page.objects().size(), GatherRunner.describe(batchFailure));
            List<Done> done = new ArrayList<>(page.objects().size());
            for (ClaimedObject object : page.objects()) {
                try {
                    done.add(database.inTransaction(session -> {
                        Done item = importInSavepoint(page, guard, object, checkDatasets);
                        objects.recordReimported(results(List.of(item)));
                        return item;
                    }));
                } catch (RuntimeException failure) {
                    done.add(failed(object, "Import failed at commit: " + GatherRunner.describe(failure)));
                }
            }
            return done;
        }
    }

    /** Thrown inside an object's savepoint to roll back what a failed import wrote. */
    private static final class ImportFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Done done;

        ImportFailed(Done done) {
            super(null, null, false, false);
            this.done = done;
        }
    }

    private Done importInSavepoint(ClaimedBatch page, TakeoverGuard guard, ClaimedObject object,
            boolean checkDatasets) {
        try {
            return database.inTransaction(session -> {
                Done done = importOne(page, guard, object, checkDatasets);
                if (done.failure() != null) {
                    throw new ImportFailed(done);
                }
                return done;
            });
        } catch (ImportFailed failed) {
            return failed.done;
        } catch (RuntimeException e) {
            return failed(object, "Import failed: " + GatherRunner.describe(e));
        }
    }

    private List<Done> importOutsideTransaction(ClaimedBatch page, TakeoverGuard guard, boolean checkDatasets) {
        List<Done> done = stages.map(page.objects(), object -> importOne(page, guard, object, checkDatasets));
        database.inTransaction(session -> {
            objects.recordReimported(results(done));
            return null;
        });
        return done;
    }

    private static List<ObjectResult> results(List<Done> done) {
        return done.stream().filter(item -> item.result() != null).map(Done::result).toList();
    }

    private static Done failed(ClaimedObject object, String message) {
        return new Done(null, new Failure(object.object().id(), object.object().guid(), message), List.of(), false);
    }

    /** The import stage of one object, in whatever transaction the caller runs; plugin failures are results. */
    private Done importOne(ClaimedBatch page, TakeoverGuard guard, ClaimedObject claimed, boolean checkDatasets) {
        HarvestObject object = claimed.object();
        HarvestSource source = page.sources().get(object.sourceId());
        HarvestJob job = page.jobs().get(object.jobId());
        Optional<Harvester> harvester = harvesters.find(source.type());
        if (harvester.isEmpty()) {
            return failed(claimed, "System error - No harvester could be found for source type " + source.type());
        }
        if (checkDatasets && !datasetIsActive(object.packageId())) {
            return new Done(null, null, List.of(), true);
        }
        List<Failure> recorded = Collections.synchronizedList(new ArrayList<>());
        String[] refusal = new String[1];
        Catalog guarded = guard.catalogFor(catalog, source, message -> refusal[0] = message);
        ImportContext context = new ImportContext() {
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
                return claimed.previous();
            }

            @Override
            public boolean forceImport() {
                return true;
            }

            @Override
            public Catalog catalog() {
                return guarded;
            }

            @Override
            public Settings settings() {
                return settings;
            }

            @Override
            public void recordError(String message, Integer line) {
                recorded.add(new Failure(object.id(), object.guid(), line == null ? message : message + ", line " + line));
            }
        };
        ImportOutcome outcome;
        try {
            outcome = harvester.get().importObject(context);
        } catch (Throwable e) {
            if (refusal[0] != null) {
                return failed(claimed, refusal[0]);
            }
            LOG.debug("Re-import of object {} ({}) failed", object.id(), object.guid(), e);
            return failed(claimed, GatherRunner.describe(e));
        }
        String written = outcome instanceof ImportOutcome.Updated updated ? updated.datasetId()
                : outcome instanceof ImportOutcome.Deleted deleted ? deleted.datasetId() : null;
        Optional<String> refused = refusal[0] != null ? Optional.of(refusal[0])
                : written == null ? Optional.empty() : guard.refusal(source, written, null);
        if (refused.isPresent()) {
            return failed(claimed, refused.get());
        }
        if (outcome instanceof ImportOutcome.Created created) {
            return done(object, ReportStatus.ADDED, created.datasetId(), true, false, recorded);
        } else if (outcome instanceof ImportOutcome.Updated updated) {
            return done(object, ReportStatus.UPDATED, updated.datasetId(), true, false, recorded);
        } else if (outcome instanceof ImportOutcome.Deleted deleted) {
            return done(object, ReportStatus.DELETED, deleted.datasetId(), false, true, recorded);
        } else if (outcome instanceof ImportOutcome.Unchanged unchanged) {
            return done(object, ReportStatus.NOT_MODIFIED, unchanged.datasetId(), false, false, recorded);
        } else if (outcome instanceof ImportOutcome.Skipped) {
            return done(object, ReportStatus.NOT_MODIFIED, null, false, false, recorded);
        } else if (outcome instanceof ImportOutcome.Failed failed) {
            return failed(claimed, failed.message());
        }
        return failed(claimed, "The harvester's import stage returned no outcome");
    }

    private static Done done(HarvestObject object, ReportStatus report, String datasetId, boolean makeCurrent,
            boolean uncurrent, List<Failure> recorded) {
        ObjectResult result = new ObjectResult(object.id(), object.sourceId(), object.guid(), ObjectState.COMPLETE,
                report, datasetId, makeCurrent && datasetId != null, uncurrent, null, List.of(), false);
        return new Done(result, null, List.copyOf(recorded), false);
    }

    private boolean datasetIsActive(String packageId) {
        if (packageId == null) {
            return false;
        }
        try {
            Optional<Dataset> dataset = catalog.findDataset(packageId);
            return dataset.isPresent() && !"deleted".equals(dataset.get().state());
        } catch (Exception e) {
            LOG.warn("Could not look up dataset {} in the catalog: {}", packageId, e.getMessage());
            return false;
        }
    }
}
