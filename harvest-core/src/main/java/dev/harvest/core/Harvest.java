package dev.harvest.core;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.Harvester;
import dev.harvest.api.ValidationContext;
import dev.harvest.api.Settings;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.queue.HarvestQueue;
import dev.harvest.api.queue.HarvestQueueProvider;
import dev.harvest.api.queue.QueueException;
import dev.harvest.api.queue.QueueName;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogProvider;
import dev.harvest.core.catalog.EmbeddedCatalog;
import dev.harvest.core.catalog.EmbeddedCatalogProvider;
import dev.harvest.core.catalog.EngineCatalogContext;
import dev.harvest.core.config.SettingDeclarations;
import dev.harvest.core.config.ConfigException;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.db.HarvestDatabase;
import dev.harvest.core.engine.Engine;
import dev.harvest.core.engine.HarvesterRegistry;
import dev.harvest.core.store.Entities;
import dev.harvest.core.store.HarvestQueries;
import dev.harvest.core.store.JobStatus;
import dev.harvest.core.store.JobStore.JobCreation;
import dev.harvest.core.store.Stores;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * The harvest engine of one site: its database, harvesters, catalog and queue, and the operations ckanext-harvest
 * offers (sources, jobs, {@code run}, {@code run_test}, consumers).
 *
 * <pre>{@code
 * try (Harvest harvest = Harvest.builder(HarvestConfig.embedded(Path.of("harvest-data"))).build()) {
 *     HarvestSource source = harvest.createSource(SourceRequest.of("my-portal", "https://data.example.org", "ckan"));
 *     JobReport report = harvest.runTest(source.name());
 * }
 * }</pre>
 */
public final class Harvest implements AutoCloseable {

    /**
     * ckanext-harvest's {@code UPDATE_FREQUENCIES}, in order. A source's frequency may also be a cron expression
     * with an optional time zone; see {@link dev.harvest.core.engine.Frequency}.
     */
    public static final List<String> FREQUENCIES = dev.harvest.core.engine.Frequency.CLASSIC;

    private final HarvestConfig config;
    private final HarvestDatabase database;
    private final Stores stores;
    private final HarvesterRegistry harvesters;
    private final Catalog catalog;
    private final boolean ownsCatalog;
    private final QueueHolder queue;
    private final Engine engine;
    private Runnable databaseLog = () -> {};

    private Harvest(HarvestConfig config, HarvestDatabase database, Stores stores, HarvesterRegistry harvesters,
            Catalog catalog, boolean ownsCatalog, QueueHolder queue, Clock clock,
            dev.harvest.core.notify.RecipientLookup recipients, dev.harvest.core.notify.MailTransport mailTransport) {
        this.config = config;
        this.database = database;
        this.stores = stores;
        this.harvesters = harvesters;
        this.catalog = catalog;
        this.ownsCatalog = ownsCatalog;
        this.queue = queue;
        // the embedded catalog writes through the harvest transaction: a dataset and its object commit together
        this.engine = new Engine(config, stores, harvesters, catalog, catalog instanceof EmbeddedCatalog, queue::get,
                clock, recipients, mailTransport);
    }

    /**
     * @param config the site configuration
     * @return a builder
     */
    public static Builder builder(HarvestConfig config) {
        return new Builder(config);
    }

    /**
     * Every setting the engine and the plugins on a class path declare, without opening anything: what
     * {@code harvester config --list} prints.
     *
     * @param classLoader where to look for plugins
     * @return the declared settings with their owners
     */
    public static SettingDeclarations declaredSettings(ClassLoader classLoader) {
        return Plugins.discover(classLoader, true).settings();
    }

    /** @return the site configuration */
    public Settings settings() {
        return config;
    }

    /** @return the queue backend type in use: {@code memory}, {@code redis} or {@code amqp} */
    public String queueType() {
        return config.queueType();
    }

    /** @return the catalog datasets are imported into */
    public Catalog catalog() {
        return catalog;
    }

    /** @return the harvesters of this process */
    public HarvesterRegistry harvesters() {
        return harvesters;
    }

    /** @return the read side: sources, jobs, statistics, objects and errors */
    public HarvestQueries queries() {
        return stores.queries();
    }

    /** @return the stores, for tests and tools that need a transition directly */
    public Stores stores() {
        return stores;
    }

    /** @return the engine's stages and periodic tasks */
    public Engine engine() {
        return engine;
    }

    // ------------------------------------------------------------------ sources

    /**
     * Creates a source after ckanext-harvest's validation (spec §2.2): name, URL, known type, frequency, the
     * harvester's config validation, and one source per URL and config.
     *
     * @param request the source
     * @return the created source
     * @throws HarvestException with per-field messages when invalid
     */
    public HarvestSource createSource(SourceRequest request) {
        return createSource(SourceForm.of(request));
    }

    /**
     * Creates a source from what an operator typed, checking every field at once: name, URL, known type,
     * {@code active} (CKAN's {@code asbool}), frequency, the organization (it must exist in the catalog; its id is
     * stored), the harvester's config validation, and one source per URL and config.
     *
     * @param form the source as text
     * @return the created source
     * @throws HarvestException with a message per bad field
     */
    public HarvestSource createSource(SourceForm form) {
        SourceValidator.ValidNew valid = sourceValidator().validateNew(form);
        return stores.sources().createSource(valid.name(), valid.url(), valid.title(), valid.type(), valid.config(),
                valid.ownerOrg(), valid.frequency(), valid.active());
    }

    /**
     * Changes a source ({@code harvester source update}), checking the given fields as a creation would, all at
     * once; a changed config goes through the harvester's {@code validateConfig}. {@code active} true reactivates a
     * removed source; false removes it (its New jobs are aborted). A changed frequency reschedules the source.
     *
     * @param idOrName a source id or name
     * @param update the fields to change
     * @return the source as it is now
     * @throws HarvestException if the source is unknown, nothing is to change, or any field is bad
     */
    public HarvestSource updateSource(String idOrName, SourceUpdate update) {
        HarvestSource source = source(idOrName);
        SourceValidator.ValidUpdate valid = sourceValidator().validateUpdate(source, update);
        return stores.sources().updateSource(source.id(), valid.url(), valid.title(), valid.config(),
                valid.frequency(), valid.active(), valid.ownerOrg(), valid.clearOwnerOrg());
    }

    /**
     * CKAN's {@code asbool}, as {@code active} is read: {@code true}/{@code yes}/{@code on}/{@code y}/{@code t}/
     * {@code 1} and {@code false}/{@code no}/{@code off}/{@code n}/{@code f}/{@code 0}, in any case.
     *
     * @param text the text
     * @return the value, or empty if the text is neither
     */
    public static Optional<Boolean> parseBoolean(String text) {
        return SourceValidator.parseBoolean(text);
    }

    private SourceValidator sourceValidator() {
        return new SourceValidator(stores.sources(), harvesters, catalog, validationContext());
    }

    /**
     * @return what {@link Harvester#validateConfig(String, ValidationContext)} gets: this engine's catalog and
     *     settings
     */
    public ValidationContext validationContext() {
        return new ValidationContext() {
            @Override
            public Catalog catalog() {
                return catalog;
            }

            @Override
            public Settings settings() {
                return config;
            }
        };
    }

    /**
     * @param idOrName a source id or name
     * @return the source
     * @throws HarvestException {@code Source <idOrName> not found.}
     */
    public HarvestSource source(String idOrName) {
        return stores.sources().findSource(idOrName)
                .orElseThrow(() -> new HarvestException("Source <" + idOrName + "> not found."));
    }

    /**
     * @param includeInactive whether to include inactive sources ({@code sources all})
     * @return sources, newest first, at most {@code ckan.harvest.harvest_source_limit}
     */
    public List<HarvestSource> sources(boolean includeInactive) {
        return stores.sources().listSources(includeInactive, config.intValue("ckan.harvest.harvest_source_limit"));
    }

    /**
     * Deactivates a source ({@code rmsource}), keeping its datasets, jobs and objects; its New jobs are aborted.
     *
     * @param idOrName a source id or name
     * @return the source as it was
     */
    public HarvestSource removeSource(String idOrName) {
        HarvestSource source = source(idOrName);
        stores.sources().deactivateSource(source.id());
        return source;
    }

    /**
     * Deletes a source's jobs and objects but keeps the source and the datasets ({@code clearsource_history}).
     *
     * @param idOrName a source id or name
     * @return the number of jobs deleted
     */
    public int clearSourceHistory(String idOrName) {
        HarvestSource source = source(idOrName);
        return stores.sources().clearSourceHistory(source.id());
    }

    /**
     * Deletes a source's datasets from the catalog, then its jobs and objects; keeps the source ({@code clearsource}).
     * A dataset that another source provides now (its current object belongs to the other source) is left alone.
     *
     * @param idOrName a source id or name
     * @return the number of datasets deleted
     */
    public int clearSource(String idOrName) {
        HarvestSource source = source(idOrName);
        Map<String, String> others = stores.sources().packageIdsProvidedByOthers(source.id());
        if (!others.isEmpty()) {
            org.slf4j.LoggerFactory.getLogger(Harvest.class).info("clearsource {}: kept {} dataset(s) that other"
                    + " sources provide: {}", source.name(), others.size(), others);
        }
        List<String> datasets = stores.sources().packageIdsOfSource(source.id());
        for (String datasetId : datasets) {
            try {
                catalog.deleteDataset(datasetId);
            } catch (Exception e) {
                throw new HarvestException("Could not delete dataset " + datasetId + " of source " + source.name()
                        + ": " + e.getMessage());
            }
        }
        stores.sources().clearSourceHistory(source.id());
        return datasets.size();
    }

    /**
     * Deletes the history of one source or of all ({@code source clear-history [-k]}), keeping the sources and
     * their datasets. With {@code keepCurrent}, the current objects and their jobs are kept (spec §5.3); running
     * jobs are kept too.
     *
     * @param idOrName a source id or name, or null for every source
     * @param keepCurrent whether to keep the current objects and the jobs that hold them
     * @return the number of jobs deleted
     * @throws HarvestException if the source is unknown
     */
    public int clearHistory(String idOrName, boolean keepCurrent) {
        String sourceId = idOrName == null ? null : source(idOrName).id();
        return stores.sources().clearHistory(sourceId, keepCurrent);
    }

    /**
     * Asks the catalog to rebuild the search index of the datasets that harvest sources provide ({@code reindex}),
     * a page of 1,000 dataset ids at a time.
     *
     * @param sourceIdOrName one source, or null for all
     * @return the number of datasets reindexed, or empty if the catalog has no search index to rebuild
     * @throws HarvestException if the source is unknown or the catalog fails
     */
    public java.util.OptionalLong reindex(String sourceIdOrName) {
        String sourceId = sourceIdOrName == null ? null : source(sourceIdOrName).id();
        long total = 0;
        String after = "";
        while (true) {
            List<String> page = stores.sources().currentDatasetIds(sourceId, after, 1000);
            java.util.OptionalLong done;
            try {
                done = catalog.reindex(page);
            } catch (CatalogException | RuntimeException e) {
                throw new HarvestException("The catalog could not reindex: " + e.getMessage());
            }
            if (done.isEmpty()) {
                return done;
            }
            total += done.getAsLong();
            if (page.size() < 1000) {
                return java.util.OptionalLong.of(total);
            }
            after = page.get(page.size() - 1);
        }
    }

    /**
     * What {@link #importObjects} did.
     *
     * @param imported objects re-imported
     * @param failed objects whose import failed
     * @param missingDataset objects left alone because their dataset is not active in the catalog
     * @param skippedSources names of the sources left out because they have a running job
     */
    public record ImportSummary(long imported, long failed, long missingDataset, List<String> skippedSources) {}

    /**
     * Runs the import stage again on already fetched objects, from their stored content, without any remote request
     * ({@code harvester import}, ckanext-harvest's {@code harvest_objects_import}); the harvester is called with
     * {@code forceImport}. Objects of sources with a running job are left out (their harvest is writing the same
     * datasets). Streams the selection a page at a time; see {@link dev.harvest.core.engine.Reimporter}.
     *
     * @param request which objects
     * @param onFailure receives each object whose import failed or recorded an error, as it happens
     * @return what was done
     * @throws HarvestException naming every bad criterion (unknown source, job, object or dataset; an inactive
     *     source; segments that are not hex digits)
     */
    public ImportSummary importObjects(ImportRequest request,
            java.util.function.Consumer<dev.harvest.core.engine.Reimporter.Failure> onFailure) {
        List<String> errors = new ArrayList<>();
        String sourceId = null;
        if (request.source() != null) {
            Optional<HarvestSource> found = stores.sources().findSource(request.source());
            if (found.isEmpty()) {
                errors.add("Source <" + request.source() + "> not found.");
            } else if (!found.get().active()) {
                errors.add("This harvest source is not active: " + request.source());
            } else {
                sourceId = found.get().id();
            }
        }
        if (request.jobId() != null && stores.jobs().findJob(request.jobId()).isEmpty()) {
            errors.add("Job <" + request.jobId() + "> not found.");
        }
        if (request.objectId() != null && stores.objects().load(List.of(request.objectId())).objects().isEmpty()) {
            errors.add("Harvest object <" + request.objectId() + "> not found.");
        }
        String packageId = null;
        if (request.packageId() != null) {
            try {
                Optional<dev.harvest.api.catalog.Dataset> dataset = catalog.findDataset(request.packageId());
                if (dataset.isEmpty() || "deleted".equals(dataset.get().state())) {
                    errors.add("Dataset <" + request.packageId() + "> not found"
                            + (dataset.isEmpty() ? "." : " (it is deleted)."));
                } else {
                    packageId = dataset.get().id();
                }
            } catch (CatalogException | RuntimeException e) {
                errors.add("Could not look up dataset " + request.packageId() + ": " + e.getMessage());
            }
        }
        String segments = null;
        if (request.segments() != null) {
            segments = request.segments().strip().toLowerCase(java.util.Locale.ROOT).chars().distinct()
                    .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
            if (!segments.matches("[0-9a-f]+")) {
                errors.add("--segments must be hex digits (0-9, a-f), e.g. 15af, not '" + request.segments() + "'");
            }
        }
        if (!errors.isEmpty()) {
            throw new HarvestException(String.join("; ", errors));
        }
        java.util.Set<String> running = new java.util.LinkedHashSet<>();
        List<String> skipped = new ArrayList<>();
        for (HarvestJob job : stores.jobs().listJobs(null, JobStatus.RUNNING)) {
            if (running.add(job.sourceId())) {
                skipped.add(stores.sources().findSource(job.sourceId()).map(HarvestSource::name).orElse(job.sourceId()));
            }
        }
        boolean embedded = catalog instanceof EmbeddedCatalog;
        dev.harvest.core.store.ObjectBatchStore.ReimportSelection selection =
                new dev.harvest.core.store.ObjectBatchStore.ReimportSelection(sourceId, request.jobId(),
                        request.objectId(), packageId, request.guid(), segments,
                        request.joinDatasets() && embedded, running);
        dev.harvest.core.engine.Reimporter.Summary summary =
                engine.reimport(selection, request.joinDatasets() && !embedded, onFailure);
        return new ImportSummary(summary.imported(), summary.failed(), summary.missingDataset(), skipped);
    }

    // ------------------------------------------------------------------ jobs

    /**
     * Creates and starts a job for every active source that has no {@code New} or {@code Running} job
     * ({@code job-all}, ckanext-harvest's {@code harvest_job_create_all}, without its limit of 100 sources).
     *
     * @return the jobs started
     */
    public List<HarvestJob> createJobsForAllSources() {
        List<HarvestJob> created = stores.jobs().createJobsForActiveSources();
        java.util.Set<String> started = new java.util.HashSet<>(
                engine.startJobs(created.stream().map(HarvestJob::id).toList()));
        return created.stream().filter(job -> started.contains(job.id()))
                .map(job -> job.toBuilder().status(JobStatus.RUNNING.value()).build())
                .toList();
    }

    /** ckanext-harvest's default life span of {@code abort-failed-jobs}, in days. */
    public static final int DEFAULT_FAILED_JOB_LIFE_SPAN = 7;

    /**
     * What {@link #abortFailedJobs} did.
     *
     * @param message ckanext-harvest's result: {@code There is no jobs to abort} or {@code Done. Aborted jobs: <n>}
     * @param abortedJobIds the jobs aborted
     */
    public record AbortFailedJobsResult(String message, List<String> abortedJobIds) {}

    /**
     * Aborts the {@code Running} jobs that are older than their source's life span ({@code abort-failed-jobs},
     * spec §5.4): 1 day for DAILY sources, 7 for WEEKLY, 14 for BIWEEKLY, 30 for MONTHLY, and {@code lifeSpanDays}
     * for MANUAL and ALWAYS ones. Aborting errors the jobs' unfinished objects, as {@code job_abort} does.
     *
     * @param lifeSpanDays the life span of MANUAL and ALWAYS sources' jobs, in days (0 or more)
     * @param include only these sources (ids or names); empty for all
     * @param exclude not these sources (ids or names)
     * @return ckanext-harvest's result message, and the jobs aborted
     * @throws HarvestException naming every unknown source, or a negative life span
     */
    public AbortFailedJobsResult abortFailedJobs(int lifeSpanDays, java.util.Collection<String> include,
            java.util.Collection<String> exclude) {
        List<String> errors = new ArrayList<>();
        if (lifeSpanDays < 0) {
            errors.add("life_span must be a number of days, 0 or more, not " + lifeSpanDays);
        }
        java.util.Set<String> included = sourceIds(include, errors);
        java.util.Set<String> excluded = sourceIds(exclude, errors);
        if (!errors.isEmpty()) {
            throw new HarvestException(String.join("; ", errors));
        }
        List<dev.harvest.core.store.JobStore.RunningJob> running = stores.jobs().runningJobs().stream()
                .filter(job -> included.isEmpty() || included.contains(job.sourceId()))
                .toList();
        if (running.isEmpty()) {
            return new AbortFailedJobsResult("There is no jobs to abort", List.of());
        }
        java.time.LocalDateTime now = stores.jobs().now();
        List<String> aborted = new ArrayList<>();
        for (dev.harvest.core.store.JobStore.RunningJob job : running) {
            if (excluded.contains(job.sourceId())) {
                continue;
            }
            int days = switch (job.frequency() == null ? "MANUAL" : job.frequency()) {
                case "DAILY" -> 1;
                case "WEEKLY" -> 7;
                case "BIWEEKLY" -> 14;
                case "MONTHLY" -> 30;
                default -> lifeSpanDays;
            };
            if (job.created().isBefore(now.minusDays(days)) && stores.jobs().abortJob(job.id()) >= 0) {
                aborted.add(job.id());
            }
        }
        return new AbortFailedJobsResult("Done. Aborted jobs: " + aborted.size(), aborted);
    }

    private java.util.Set<String> sourceIds(java.util.Collection<String> idsOrNames, List<String> errors) {
        java.util.Set<String> ids = new java.util.LinkedHashSet<>();
        for (String idOrName : idsOrNames) {
            stores.sources().findSource(idOrName.strip()).ifPresentOrElse(source -> ids.add(source.id()),
                    () -> errors.add("Source <" + idOrName.strip() + "> not found."));
        }
        return ids;
    }

    /**
     * Creates a job for a source and, if {@code run}, starts it: {@code Running} and sent to the gather queue.
     *
     * @param sourceIdOrName the source
     * @param run whether to start it now
     * @return the job
     * @throws HarvestException if the source is unknown or inactive, or already has a New or Running job
     */
    public HarvestJob createJob(String sourceIdOrName, boolean run) {
        HarvestJob job = newJob(source(sourceIdOrName));
        if (run) {
            engine.startJob(job.id());
            return stores.jobs().findJob(job.id()).orElseThrow();
        }
        return job;
    }

    private HarvestJob newJob(HarvestSource source) {
        JobCreation creation = stores.jobs().createJob(source.id());
        if (creation instanceof JobCreation.Created created) {
            return created.job();
        }
        if (creation instanceof JobCreation.SourceInactive) {
            throw new HarvestException("Can not create jobs on inactive sources");
        }
        throw new HarvestException("There already is an unrun job for this source");
    }

    /**
     * @param sourceIdOrName a source, or null for all
     * @return jobs, newest first
     */
    public List<HarvestJob> jobs(String sourceIdOrName) {
        return stores.jobs().listJobs(sourceIdOrName == null ? null : source(sourceIdOrName).id(), null);
    }

    /**
     * Aborts the latest job of a source, or a job by id ({@code job_abort}): {@code Aborted}, and its unfinished
     * objects {@code ERROR}.
     *
     * @param sourceOrJobId a source id or name, or a job id
     * @return the aborted job
     * @throws HarvestException if nothing matches, or the job is already finished
     */
    public HarvestJob abortJob(String sourceOrJobId) {
        Optional<HarvestSource> source = stores.sources().findSource(sourceOrJobId);
        HarvestJob job;
        if (source.isPresent()) {
            job = stores.jobs().latestJob(source.get().id())
                    .orElseThrow(() -> new HarvestException("Error: source has no jobs"));
        } else {
            job = stores.jobs().findJob(sourceOrJobId).orElseThrow(() -> new HarvestException("Job not found."));
        }
        if (stores.jobs().abortJob(job.id()) < 0) {
            throw new HarvestException("Job " + job.id() + " is already " + job.status() + "; nothing to abort");
        }
        return stores.jobs().findJob(job.id()).orElseThrow();
    }

    /**
     * @param jobId a job id
     * @return the job's report
     */
    public JobReport report(String jobId) {
        HarvestQueries queries = stores.queries();
        HarvestJob job = queries.findJob(jobId).orElseThrow(() -> new HarvestException("Job not found."));
        return new JobReport(job, queries.findSource(job.sourceId()).orElseThrow(), queries.jobStats(jobId),
                queries.gatherErrors(jobId), queries.objectsOfJob(jobId, false, JobReport.OBJECT_LIMIT),
                queries.objectsOfJob(jobId, true, JobReport.OBJECT_LIMIT));
    }

    /**
     * Runs a whole harvest of one source in this process, without queues ({@code run_test}): creates a job (or
     * takes over the source's New job, or aborts a Running one that no live worker holds any more), gathers,
     * fetches and imports every object. A Running job that a live worker holds (a valid gather or object lease, or
     * progress within the object lease) is never aborted: this throws, naming the job.
     *
     * @param sourceIdOrName the source
     * @return the finished job's report
     * @throws HarvestException if the source is inactive, its Running job is held by a live worker, or another
     *     process started the job meanwhile
     */
    public JobReport runTest(String sourceIdOrName) {
        return runTest(sourceIdOrName, null);
    }

    /**
     * {@link #runTest(String)} limited to the records whose guid is in {@code guids}, imported with
     * {@code forceImport}: the gather creates objects for those guids only, so the job finishes and its statistics
     * count exactly them; a guid the gather did not list is a gather error naming it. Such a job never becomes the
     * source's last error-free job (the start of the next incremental harvest) and infers no deletions.
     *
     * @param sourceIdOrName the source
     * @param guids the guids to process, or null for all
     * @return the finished job's report
     */
    public JobReport runTest(String sourceIdOrName, Set<String> guids) {
        HarvestSource source = source(sourceIdOrName);
        if (!source.active()) {
            throw new HarvestException("Can not create jobs on inactive sources");
        }
        HarvestJob job;
        JobCreation creation = stores.jobs().createJob(source.id());
        if (creation instanceof JobCreation.Created created) {
            job = created.job();
        } else if (creation instanceof JobCreation.AlreadyPending pending
                && JobStatus.of(pending.pending().status()) == JobStatus.NEW) {
            job = pending.pending();
        } else if (creation instanceof JobCreation.AlreadyPending pending) {
            job = takeOverAbandoned(source, pending.pending());
        } else {
            throw new HarvestException("Can not create jobs on inactive sources");
        }
        if (!stores.jobs().startJob(job.id(), guids)) {
            throw new HarvestException("Job " + job.id() + " of source " + source.name() + " was started meanwhile"
                    + " by another process (another run_test, or run); run_test does not run a job twice. See it"
                    + " with: harvester report " + job.id());
        }
        engine.runInProcess(job.id(), guids != null);
        return report(job.id());
    }

    /**
     * {@code run_test} on a source whose job is {@code Running}: aborts that job and creates a new one only if no
     * live worker holds it (every lease expired, and no object finished within the object lease); otherwise refuses,
     * naming the job, so that a test run never aborts a production harvest or another {@code run_test}.
     */
    private HarvestJob takeOverAbandoned(HarvestSource source, HarvestJob running) {
        java.time.Duration quiet = java.time.Duration.ofSeconds(Math.max(
                config.intValue("harvest.object_lease_seconds"), 1));
        java.util.Optional<String> live = stores.jobs().liveWork(running.id(), quiet);
        if (live.isPresent()) {
            throw new HarvestException("Job " + running.id() + " of source " + source.name() + " is Running and "
                    + live.get() + "; run_test does not abort a job that a live worker holds. Wait for it to"
                    + " finish (harvester report " + running.id() + "), or stop it with: harvester job_abort "
                    + running.id());
        }
        if (stores.jobs().abortJob(running.id()) >= 0) {
            org.slf4j.LoggerFactory.getLogger(Harvest.class).warn("run_test of source {}: job {} was Running with no"
                    + " live worker (its leases expired); aborted it to start a new one", source.name(),
                    running.id());
        }
        return newJob(source);
    }

    /**
     * The periodic task ({@code harvester run}, from cron): see {@link Engine#run()}.
     *
     * @return what it did
     */
    public Engine.RunSummary run() {
        return engine.run();
    }

    /**
     * Empties the gather and fetch queues of this site.
     *
     * @return messages removed per queue
     */
    public Map<QueueName, Long> purgeQueues() {
        Map<QueueName, Long> removed = new LinkedHashMap<>();
        try {
            for (QueueName name : QueueName.values()) {
                removed.put(name, queue.get().purge(name));
            }
        } catch (QueueException e) {
            throw new HarvestException("Cannot purge the queues: " + e.getMessage());
        }
        return removed;
    }

    /** @return the queue of this site, connected on first use */
    public HarvestQueue queue() {
        return queue.get();
    }

    /**
     * Deletes {@code harvest_log} records older than {@code ckan.harvest.log_timeframe} days ({@code clean_harvest_log}).
     *
     * @return the number of records deleted
     */
    public int cleanHarvestLog() {
        return stores.jobs().deleteLogOlderThan(config.intValue("ckan.harvest.log_timeframe"));
    }

    private void installDatabaseLog() {
        try {
            Class.forName("ch.qos.logback.classic.LoggerContext", false, Harvest.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return; // another SLF4J backend: database logging needs Logback
        }
        databaseLog = dev.harvest.core.log.DatabaseLogAppender.install(config, database.dataSource());
    }

    @Override
    public void close() {
        databaseLog.run();
        engine.close();
        queue.close();
        harvesters.closeAll();
        if (ownsCatalog) {
            closeQuietly(catalog);
        }
        database.close();
    }

    private static void closeQuietly(Catalog catalog) {
        try {
            catalog.close();
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(Harvest.class).warn("Closing the catalog failed: {}", e.toString());
        }
    }

    /** Opens the configured queue backend only when a command needs it. */
    private static final class QueueHolder {
        private final HarvestConfig config;
        private final Plugins plugins;
        private HarvestQueue queue;

        QueueHolder(HarvestConfig config, Plugins plugins, HarvestQueue given) {
            this.config = config;
            this.plugins = plugins;
            this.queue = given;
        }

        synchronized HarvestQueue get() {
            if (queue == null) {
                String type = config.queueType();
                HarvestQueueProvider provider = plugins.queue(type).orElseThrow(() -> new HarvestException(
                        "No queue backend for ckan.harvest.mq.type=" + type + " on the class path (available: "
                                + plugins.queueTypes() + ")"));
                try {
                    queue = provider.open(config);
                } catch (QueueException e) {
                    HarvestException failure = new HarvestException("Cannot connect to the " + type + " queue: "
                            + e.getMessage());
                    failure.initCause(e); // start-up retries recognise a broker that is not up yet by it
                    throw failure;
                }
            }
            return queue;
        }

        synchronized void close() {
            if (queue != null) {
                queue.close();
            }
        }
    }

    /** Assembles a {@link Harvest}. */
    public static final class Builder {
        private final HarvestConfig config;
        private final List<Harvester> harvesters = new ArrayList<>();
        private Catalog catalog;
        private HarvestQueue queue;
        private Clock clock = Clock.systemUTC();
        private ClassLoader classLoader = Harvest.class.getClassLoader();
        private boolean discover = true;
        private dev.harvest.core.notify.RecipientLookup recipients = dev.harvest.core.notify.RecipientLookup.none();
        private dev.harvest.core.notify.MailTransport mailTransport;

        private Builder(HarvestConfig config) {
            this.config = config;
        }

        /** Registers a harvester explicitly, in addition to those {@link ServiceLoader} finds. */
        public Builder harvester(Harvester harvester) {
            harvesters.add(harvester);
            return this;
        }

        /** Writes datasets to this catalog instead of the embedded one. */
        public Builder catalog(Catalog catalog) {
            this.catalog = catalog;
            return this;
        }

        /** Uses this queue instead of opening the configured backend. */
        public Builder queue(HarvestQueue queue) {
            this.queue = queue;
            return this;
        }

        /** The clock that decides leases, timeouts and schedules. */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** Where {@link ServiceLoader} looks for harvesters and queue backends (e.g. a plugins folder). */
        public Builder classLoader(ClassLoader classLoader) {
            this.classLoader = classLoader;
            return this;
        }

        /**
         * Who receives the notification mails of a source's jobs besides the addresses of
         * {@code ckan.harvest.status_mail.recipients}: where an application with users (sysadmins, organization
         * admins) plugs them in. The default adds nobody.
         */
        public Builder notificationRecipients(dev.harvest.core.notify.RecipientLookup lookup) {
            this.recipients = java.util.Objects.requireNonNull(lookup, "lookup");
            return this;
        }

        /** Sends notification mails this way instead of through the SMTP server of {@code smtp.server}. */
        public Builder mailTransport(dev.harvest.core.notify.MailTransport transport) {
            this.mailTransport = transport;
            return this;
        }

        /** Whether to discover harvesters with {@link ServiceLoader} (default true). */
        public Builder discoverHarvesters(boolean discover) {
            this.discover = discover;
            return this;
        }

        /**
         * Connects to the database (creating or upgrading the tables) and assembles the engine.
         *
         * @return the engine
         * @throws dev.harvest.core.db.DatabaseUnavailableException if the database cannot be reached
         * @throws IllegalStateException if two harvesters share a name
         */
        public Harvest build() {
            Plugins plugins = Plugins.discover(classLoader, discover).withHarvesters(harvesters);
            HarvestConfig checked = config.validated(plugins.settings());
            dev.harvest.core.notify.MailSettings.from(checked); // bad mail settings fail before anything opens
            if (queue == null && plugins.queue(checked.queueType()).isEmpty()) {
                throw new ConfigException("ckan.harvest.mq.type: no queue backend of type '" + checked.queueType()
                        + "' on the class path (available: " + String.join(", ", plugins.queueTypes()) + ")");
            }
            String catalogType = checked.get("harvest.catalog.type", EmbeddedCatalogProvider.TYPE);
            CatalogProvider catalogProvider = null;
            if (catalog == null) {
                catalogProvider = plugins.catalog(catalogType).orElseThrow(() -> new ConfigException(
                        "harvest.catalog.type: no catalog of type '" + catalogType + "' on the class path (available: "
                                + String.join(", ", plugins.catalogTypes()) + ")"));
            }
            HarvesterRegistry registry = new HarvesterRegistry();
            plugins.harvesters().forEach(registry::register);
            HarvestDatabase database = HarvestDatabase.open(checked, Entities.ALL);
            Catalog chosen = catalog;
            try {
                if (chosen == null) {
                    try {
                        chosen = catalogProvider.open(new EngineCatalogContext(checked, clock, database));
                    } catch (CatalogException e) {
                        throw new ConfigException("Cannot open the " + catalogType + " catalog: " + e.getMessage());
                    }
                }
                registry.startAll(checked);
                Harvest harvest = new Harvest(checked, database, Stores.of(database, clock), registry, chosen,
                        catalog == null, new QueueHolder(checked, plugins, queue), clock, recipients, mailTransport);
                harvest.installDatabaseLog();
                return harvest;
            } catch (RuntimeException e) {
                registry.closeAll();
                if (catalog == null && chosen != null) {
                    closeQuietly(chosen);
                }
                database.close();
                throw e;
            }
        }
    }
}
