package dev.harvest.core;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.Harvester;
import dev.harvest.api.ConfigValidationException;
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
import dev.harvest.core.store.SourceUrls;
import dev.harvest.core.store.Stores;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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

    /** ckanext-harvest's {@code UPDATE_FREQUENCIES}, in order. */
    public static final List<String> FREQUENCIES = List.of("MANUAL", "MONTHLY", "WEEKLY", "BIWEEKLY", "DAILY", "ALWAYS");

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
            Catalog catalog, boolean ownsCatalog, QueueHolder queue, Clock clock) {
        this.config = config;
        this.database = database;
        this.stores = stores;
        this.harvesters = harvesters;
        this.catalog = catalog;
        this.ownsCatalog = ownsCatalog;
        this.queue = queue;
        // the embedded catalog writes through the harvest transaction: a dataset and its object commit together
        this.engine = new Engine(config, stores, harvesters, catalog, catalog instanceof EmbeddedCatalog, queue::get,
                clock);
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
        Map<String, List<String>> errors = new LinkedHashMap<>();
        String name = request.name() == null ? "" : request.name().strip();
        String url = request.url() == null ? "" : request.url().strip();
        String type = request.type() == null ? "" : request.type().strip();
        if (name.isEmpty()) {
            add(errors, "name", "Missing value");
        } else if (!name.matches("[a-z0-9_-]{2,100}")) {
            add(errors, "name", "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"
                    + " (2 to 100 characters)");
        } else if (stores.sources().findSource(name).isPresent()) {
            add(errors, "name", "That URL is already in use.");
        }
        if (url.isEmpty()) {
            add(errors, "url", "Missing value");
        } else if (!url.matches("(?i)https?://.+")) {
            add(errors, "url", "Must be an http:// or https:// URL, not '" + url + "'");
        }
        Optional<Harvester> harvester = harvesters.find(type);
        if (type.isEmpty()) {
            add(errors, "source_type", "Missing value");
        } else if (harvester.isEmpty()) {
            add(errors, "source_type", "Unknown harvester type: " + type + ". Registered types: "
                    + harvesters.names());
        }
        String frequency = request.frequency() == null || request.frequency().isBlank()
                ? "MANUAL" : request.frequency().strip().toUpperCase(Locale.ROOT);
        if (!FREQUENCIES.contains(frequency)) {
            add(errors, "frequency", "Frequency " + request.frequency() + " not recognised");
        }
        String config = request.config() == null ? "" : request.config().strip();
        if (harvester.isPresent()) {
            try {
                config = harvester.get().validateConfig(config, validationContext());
            } catch (ConfigValidationException e) {
                add(errors, "config", "Error parsing the configuration options: " + e.getMessage());
            } catch (RuntimeException e) {
                add(errors, "config", "Error parsing the configuration options: " + e);
            }
        }
        if (!url.isEmpty() && !errors.containsKey("config")) {
            String normalised = SourceUrls.normalise(url);
            if (stores.sources().findSourceWithUrlAndConfig(normalised, config).isPresent()) {
                add(errors, "url", "There already is a Harvest Source for this URL (& config): url=" + normalised
                        + " config=" + config);
            }
        }
        if (!errors.isEmpty()) {
            throw new HarvestException(errors);
        }
        return stores.sources().createSource(name, url, request.title(), type, config, blankToNull(request.ownerOrg()),
                frequency, request.active());
    }

    private ValidationContext validationContext() {
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

    private static void add(Map<String, List<String>> errors, String field, String message) {
        errors.computeIfAbsent(field, key -> new ArrayList<>()).add(message);
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
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
     *
     * @param idOrName a source id or name
     * @return the number of datasets deleted
     */
    public int clearSource(String idOrName) {
        HarvestSource source = source(idOrName);
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

    // ------------------------------------------------------------------ jobs

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
     * takes over the source's New job, or aborts a stuck Running one), gathers, fetches and imports every object.
     *
     * @param sourceIdOrName the source
     * @return the finished job's report
     */
    public JobReport runTest(String sourceIdOrName) {
        return runTest(sourceIdOrName, null);
    }

    /**
     * {@link #runTest(String)} limited to the objects whose guid is in {@code guids}, imported with
     * {@code forceImport}.
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
            stores.jobs().abortJob(pending.pending().id());
            job = newJob(source);
        } else {
            throw new HarvestException("Can not create jobs on inactive sources");
        }
        stores.jobs().startJob(job.id());
        engine.runInProcess(job.id(), guids);
        return report(job.id());
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
                    throw new HarvestException("Cannot connect to the " + type + " queue: " + e.getMessage());
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
                        catalog == null, new QueueHolder(checked, plugins, queue), clock);
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
