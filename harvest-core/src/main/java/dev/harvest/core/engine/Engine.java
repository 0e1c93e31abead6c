package dev.harvest.core.engine;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.queue.HarvestQueue;
import dev.harvest.api.queue.QueueException;
import dev.harvest.api.queue.QueueName;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.db.HarvestDatabase;
import dev.harvest.core.notify.JobNotifier;
import dev.harvest.core.notify.MailSettings;
import dev.harvest.core.notify.MailTransport;
import dev.harvest.core.notify.RecipientLookup;
import dev.harvest.core.notify.SmtpMailTransport;
import dev.harvest.core.store.GatherWriter;
import dev.harvest.core.store.JobStore;
import dev.harvest.core.store.JobStore.JobCreation;
import dev.harvest.core.store.ObjectBatchStore;
import dev.harvest.core.store.SourceStore;
import dev.harvest.core.store.Stores;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stages and the periodic task of the engine. Queue-driven work goes through {@link #gatherMessage(String)} and
 * {@link #fetchBatch(List)}, which consumers call; {@link #runInProcess(String, boolean)} runs a job without queues,
 * through the same batch path; {@link #run()} is ckanext-harvest's {@code harvest_jobs_run}, made idempotent.
 */
public final class Engine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    private static final DateTimeFormatter PYTHON_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    private final HarvestConfig config;
    private final SourceStore sources;
    private final JobStore jobs;
    private final ObjectBatchStore objects;
    private final Supplier<HarvestQueue> queue;
    private final GatherRunner gatherRunner;
    private final ObjectBatchProcessor batchProcessor;
    private final int batchSize;
    private final LeaseKeeper leaseKeeper = new LeaseKeeper();
    private final StageExecutor stages;
    private final Reimporter reimporter;
    private final Clock clock;
    private final JobNotifier notifier;
    private final JobCompletion completion;

    /**
     * @param config the site configuration
     * @param stores the harvest database's stores
     * @param harvesters the harvesters of this process
     * @param catalog where datasets are imported
     * @param catalogJoinsTransaction whether the catalog writes through this thread's harvest transaction (the
     *     embedded catalog), so that a dataset and its object's state commit together
     * @param queue the queue, opened on first use
     * @param clock the clock of leases, timeouts and schedules
     */
    public Engine(HarvestConfig config, Stores stores, HarvesterRegistry harvesters, Catalog catalog,
            boolean catalogJoinsTransaction, Supplier<HarvestQueue> queue, Clock clock) {
        this(config, stores, harvesters, catalog, catalogJoinsTransaction, queue, clock, RecipientLookup.none(), null);
    }

    /**
     * @param config the site configuration
     * @param stores the harvest database's stores
     * @param harvesters the harvesters of this process
     * @param catalog where datasets are imported
     * @param catalogJoinsTransaction whether the catalog writes through this thread's harvest transaction (the
     *     embedded catalog), so that a dataset and its object's state commit together
     * @param queue the queue, opened on first use
     * @param clock the clock of leases, timeouts and schedules
     * @param recipients who receives notification mails besides {@code ckan.harvest.status_mail.recipients}
     * @param mailTransport how notification mails are sent, or null for the SMTP server of {@code smtp.server}
     * @throws dev.harvest.core.config.ConfigException if a mail setting is invalid
     */
    public Engine(HarvestConfig config, Stores stores, HarvesterRegistry harvesters, Catalog catalog,
            boolean catalogJoinsTransaction, Supplier<HarvestQueue> queue, Clock clock, RecipientLookup recipients,
            MailTransport mailTransport) {
        MailSettings mail = MailSettings.from(config);
        this.notifier = new JobNotifier(mail, stores.queries(), catalog, recipients,
                mailTransport != null ? mailTransport : new SmtpMailTransport(mail, clock));
        this.config = config;
        this.clock = clock;
        this.sources = stores.sources();
        this.jobs = stores.jobs();
        this.objects = stores.objects();
        GatherWriter writer = stores.gather();
        HarvestDatabase database = stores.database();
        this.queue = queue;
        this.batchSize = config.intValue("harvest.object_batch_size");
        this.stages = new StageExecutor(config.intValue("harvest.fetch_parallelism"));
        double maxShare = Double.parseDouble(config.get("harvest.deletion_guard.max_share", "0.5"));
        this.completion = new JobCompletion(jobs, notifier);
        this.gatherRunner = new GatherRunner(jobs, sources, writer, harvesters, config,
                config.intValue("harvest.gather_batch_size"),
                Duration.ofSeconds(config.intValue("harvest.gather_lease_seconds")), maxShare, leaseKeeper,
                completion, clock);
        this.batchProcessor = new ObjectBatchProcessor(database, objects, jobs, harvesters, catalog,
                catalogJoinsTransaction, config, Duration.ofSeconds(config.intValue("harvest.object_lease_seconds")),
                config.intValue("harvest.retry_limit"), leaseKeeper, stages, completion);
        this.reimporter = new Reimporter(database, objects, harvesters, catalog, catalogJoinsTransaction, config,
                stages, batchSize);
    }

    /** @return how many fetch messages a consumer takes and processes at once ({@code harvest.object_batch_size}) */
    public int batchSize() {
        return batchSize;
    }

    /**
     * {@code New} → {@code Running}, then publishes the job to the gather queue. If publishing fails the job stays
     * {@code Running} with no gather: {@link #run()} re-publishes it (the fix for ckanext-harvest's job that is
     * Running forever when the publish after the status change fails).
     *
     * @param jobId a New job
     * @return whether the job was started by this call
     */
    public boolean startJob(String jobId) {
        if (!jobs.startJob(jobId)) {
            return false;
        }
        try {
            queue.get().publish(QueueName.GATHER, jobId);
            LOG.info("Sent job {} to the gather queue", jobId);
        } catch (QueueException | RuntimeException e) {
            LOG.warn("Job {} is Running but could not be sent to the gather queue ({}); the next run will retry",
                    jobId, e.getMessage());
        }
        return true;
    }

    /**
     * {@link #startJob(String)} for many jobs: one batched compare-and-set, then one publish of the jobs it
     * started. If publishing fails the jobs stay {@code Running} with no gather, and {@link #run()} re-publishes them.
     *
     * @param jobIds New jobs
     * @return the ids started by this call
     */
    public List<String> startJobs(List<String> jobIds) {
        List<String> started = jobs.startJobs(jobIds);
        if (started.isEmpty()) {
            return started;
        }
        try {
            queue.get().publish(QueueName.GATHER, started);
            LOG.info("Sent {} job(s) to the gather queue", started.size());
        } catch (QueueException | RuntimeException e) {
            LOG.warn("{} job(s) are Running but could not be sent to the gather queue ({}); the next run will retry",
                    started.size(), e.getMessage());
        }
        return started;
    }

    /**
     * Handles one gather message: gathers the job unless it is not running, already gathered or held by a live
     * gatherer. New objects are published to the fetch queue batch by batch, after each batch's commit; a batch that
     * cannot be published stays WAITING for {@link #run()} to queue.
     *
     * @param jobId the job id from the message
     */
    public void gatherMessage(String jobId) {
        gatherRunner.gather(jobId, ids -> {
            try {
                queue.get().publish(QueueName.FETCH, ids);
            } catch (QueueException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }, true);
    }

    /**
     * Gathers a job without publishing its objects, for callers that process the objects themselves.
     *
     * @param jobId a Running job
     */
    public void gatherWithoutPublishing(String jobId) {
        gatherRunner.gather(jobId, ids -> {}, true);
    }

    /**
     * Handles a batch of fetch messages: claims the objects that can be claimed, fetches and imports them. When it
     * returns, their outcomes are committed and the messages may be acknowledged; when it throws, they must not be.
     *
     * @param objectIds the object ids from the messages
     */
    public void fetchBatch(List<String> objectIds) {
        batchProcessor.process(objectIds, false);
    }

    /**
     * Handles one fetch message; see {@link #fetchBatch(List)}.
     *
     * @param objectId the object id from the message
     */
    public void fetchMessage(String objectId) {
        fetchBatch(List.of(objectId));
    }

    /**
     * Runs a started job's gather, fetch and import in this thread, without queues ({@code run_test}).
     *
     * <p>A job started with guids ({@link JobStore#startJob(String, java.util.Collection)}) gathers objects for
     * those guids only: the others are never created, so the job finishes normally and its statistics count exactly
     * the guids asked for. Its gather lists the whole remote (no incremental window), infers no deletions, records
     * a gather error for each guid it did not list, and the job never becomes the source's last error-free job.
     *
     * @param jobId a Running job
     * @param forceImport whether imports run with {@code forceImport} (a harvest of some guids)
     */
    public void runInProcess(String jobId, boolean forceImport) {
        gatherRunner.gather(jobId, ids -> {}, !forceImport);
        while (true) {
            List<String> waiting = objects.waitingObjectIds(jobId, null, batchSize);
            if (waiting.isEmpty()) {
                break;
            }
            ObjectBatchProcessor.BatchResult result = batchProcessor.process(waiting, forceImport);
            if (result.claimed() == 0 && result.errored() == 0) {
                break; // every object left is held by another worker; they are not this run's to wait for
            }
        }
        completion.finishIfDone(jobId);
    }

    /**
     * Runs the import stage again on the selected finished objects, from their stored content, with
     * {@code forceImport} and without any remote request ({@code harvester import}); see {@link Reimporter}.
     *
     * @param selection which objects
     * @param checkDatasetsInCatalog whether to look each object's dataset up in the catalog and leave the object
     *     alone unless the dataset is active (for a catalog whose datasets the selection cannot join)
     * @param onFailure receives each object that failed, or whose import recorded an error, as it happens
     * @return what was done
     */
    public Reimporter.Summary reimport(ObjectBatchStore.ReimportSelection selection, boolean checkDatasetsInCatalog,
            java.util.function.Consumer<Reimporter.Failure> onFailure) {
        return reimporter.run(selection, checkDatasetsInCatalog, onFailure);
    }

    /** What one {@link #run()} did. */
    public record RunSummary(int scheduled, int started, int finished, int timedOut, int jobsRequeued,
            int objectsRequeued) {}

    /**
     * The periodic task, safe to run from cron on several machines at once (every step is a compare-and-set):
     * creates jobs for sources whose frequency is due; starts New jobs (gather queue); finishes Running jobs whose
     * objects are all done; applies {@code ckan.harvest.timeout}; and re-queues work whose message was lost: jobs
     * never gathered or whose gatherer died, objects whose worker died (expired lease), and, when the fetch queue is
     * empty, WAITING objects.
     *
     * @return what it did
     */
    public RunSummary run() {
        int scheduled = scheduleSources();
        int started = 0;
        for (String jobId : jobs.newJobIds()) {
            if (startJob(jobId)) {
                started++;
            }
        }
        int timedOut = applyTimeouts();
        int finished = 0;
        for (String jobId : jobs.runningGatheredJobIds()) {
            if (completion.finishIfDone(jobId)) {
                LOG.info("Job {} finished", jobId);
                finished++;
            }
        }
        int jobsRequeued = requeueJobs();
        int objectsRequeued = requeueObjects();
        return new RunSummary(scheduled, started, finished, timedOut, jobsRequeued, objectsRequeued);
    }

    /**
     * Creates the jobs of the sources whose frequency is due (see {@link Frequency}) and starts them. Every creation
     * is a compare-and-set, so that concurrent runs create one job between them: for a classic frequency the move
     * of {@code next_run} from the value this run read, for a cron expression "no job created since the last one
     * this run saw"; and always the guarded insert that allows one New or Running job per source.
     */
    private int scheduleSources() {
        int created = 0;
        LocalDateTime now = now();
        for (SourceStore.ScheduledSource source : sources.scheduledSources()) {
            Frequency frequency;
            try {
                frequency = Frequency.parse(source.frequency());
            } catch (IllegalArgumentException e) {
                LOG.warn("Source {} is not scheduled: {}", source.id(), e.getMessage());
                continue;
            }
            JobCreation creation;
            if (frequency instanceof Frequency.Classic classic) {
                if (source.nextRun() != null && source.nextRun().isAfter(now)) {
                    continue;
                }
                creation = jobs.createScheduledJob(source.id(), source.nextRun(), classic.nextRun(now));
            } else {
                Frequency.CronSchedule cron = (Frequency.CronSchedule) frequency;
                LocalDateTime since = source.lastJobCreated() != null ? source.lastJobCreated() : source.created();
                if (since == null || !cron.isDue(since, now)) {
                    continue;
                }
                creation = jobs.createCronJob(source.id(), source.lastJobCreated());
                LocalDateTime from = creation instanceof JobCreation.Created ? now : since;
                sources.setNextRun(source.id(), cron.nextAfter(from.toInstant(java.time.ZoneOffset.UTC))
                        .map(next -> LocalDateTime.ofInstant(next, java.time.ZoneOffset.UTC)).orElse(null));
            }
            if (creation instanceof JobCreation.Created job) {
                LOG.info("Scheduled job {} of source {} ({})", job.job().id(), source.id(), frequency);
                startJob(job.job().id());
                created++;
            }
        }
        return created;
    }

    /**
     * ckanext-harvest's {@code next_run_from_now}.
     *
     * @param frequency a classic source frequency
     * @param now the current time (UTC)
     * @return when the source is next due
     */
    static LocalDateTime nextRun(String frequency, LocalDateTime now) {
        Frequency parsed = Frequency.parse(frequency);
        if (!(parsed instanceof Frequency.Classic classic)) {
            throw new IllegalArgumentException("Frequency " + frequency + " is a cron expression");
        }
        return classic.nextRun(now);
    }

    private int applyTimeouts() {
        if (!config.isSet("ckan.harvest.timeout")) {
            return 0;
        }
        int minutes = config.intValue("ckan.harvest.timeout");
        int timedOut = 0;
        LocalDateTime now = now();
        for (HarvestJob job : jobs.listJobs(null, dev.harvest.core.store.JobStatus.RUNNING)) {
            LocalDateTime last = jobs.lastActionTime(job.id());
            if (now.isAfter(last.plusMinutes(minutes))) {
                String message = "Job " + job.id() + " timeout (" + minutes + " minutes)\n"
                        + "\tJob created: " + python(job.created()) + "\n"
                        + "\tJob gather finished: " + python(job.gatherFinished()) + "\n"
                        + "\tJob last action time: " + PYTHON_TIME.format(last) + "\n";
                if (completion.timeOut(job.id(), message)) {
                    LOG.warn("Job {} timed out after {} minutes without progress", job.id(), minutes);
                    timedOut++;
                }
            }
        }
        return timedOut;
    }

    private static String python(java.time.Instant instant) {
        return instant == null ? "None" : PYTHON_TIME.format(LocalDateTime.ofInstant(instant, java.time.ZoneOffset.UTC));
    }

    private int requeueJobs() {
        List<String> lost = jobs.runningJobsNeedingGather();
        if (lost.isEmpty()) {
            return 0;
        }
        try {
            if (queue.get().waitingCount(QueueName.GATHER) > 0) {
                // messages are still waiting; re-queueing now would only duplicate them
                return 0;
            }
            queue.get().publish(QueueName.GATHER, lost);
            jobs.markJobsQueued(lost);
            LOG.info("Re-sent {} job(s) to the gather queue", lost.size());
            return lost.size();
        } catch (QueueException e) {
            LOG.warn("Could not re-send jobs to the gather queue: {}", e.getMessage());
            return 0;
        }
    }

    private int requeueObjects() {
        try {
            boolean fetchQueueEmpty = queue.get().waitingCount(QueueName.FETCH) == 0;
            int total = 0;
            List<String> ids = objects.objectsToRequeue(fetchQueueEmpty, 10_000);
            if (!ids.isEmpty()) {
                queue.get().publish(QueueName.FETCH, ids);
                objects.markObjectsQueued(ids);
                total += ids.size();
                LOG.info("Re-sent {} object(s) to the fetch queue", ids.size());
            }
            return total;
        } catch (QueueException e) {
            LOG.warn("Could not re-send objects to the fetch queue: {}", e.getMessage());
            return 0;
        }
    }

    private LocalDateTime now() {
        return LocalDateTime.now(clock.withZone(java.time.ZoneOffset.UTC));
    }

    /**
     * A consumer of one queue: gather messages one at a time (a gather is long), fetch messages in batches of
     * {@link #batchSize()}. A gather that makes no progress for {@code harvest.gather.stalled_after_seconds} gives
     * its slot to a new worker, up to {@code harvest.gather.max_stalled} stalled gathers.
     *
     * @param queue the queue backend
     * @param queueName which queue
     * @param threads worker threads
     * @return the (not yet started) consumer
     */
    public ConsumerRunner consumer(HarvestQueue queue, QueueName queueName, int threads) {
        return switch (queueName) {
            case GATHER -> new ConsumerRunner(queue, queueName, ids -> ids.forEach(this::gatherMessage), 1, threads,
                    new ConsumerRunner.StalledWork(
                            Duration.ofSeconds(config.intValue("harvest.gather.stalled_after_seconds")),
                            config.intValue("harvest.gather.max_stalled"), clock));
            case FETCH -> new ConsumerRunner(queue, queueName, this::fetchBatch, batchSize, threads);
        };
    }

    /** @return the notifier of finished jobs */
    public JobNotifier notifier() {
        return notifier;
    }

    /** Stops the lease heartbeats and the stage threads, and waits a bounded time for queued notification mails. */
    @Override
    public void close() {
        leaseKeeper.close();
        stages.close();
        notifier.close();
    }
}
