package dev.harvest.core.engine;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.queue.HarvestQueue;
import dev.harvest.api.queue.QueueException;
import dev.harvest.api.queue.QueueName;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.store.HarvestStore;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.YearMonth;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stages and the periodic task of the engine. Queue-driven work goes through {@link #gatherMessage(String)} and
 * {@link #fetchMessage(String)}, which consumers call; {@link #runInProcess(String, Set)} runs a job without
 * queues; {@link #run()} is ckanext-harvest's {@code harvest_jobs_run}, made idempotent.
 */
public final class Engine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    private static final DateTimeFormatter PYTHON_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    private final HarvestConfig config;
    private final HarvestStore store;
    private final Supplier<HarvestQueue> queue;
    private final GatherRunner gatherRunner;
    private final ObjectProcessor objectProcessor;
    private final LeaseKeeper leaseKeeper = new LeaseKeeper();

    public Engine(HarvestConfig config, HarvestStore store, HarvesterRegistry harvesters, Catalog catalog,
            Supplier<HarvestQueue> queue, Clock clock) {
        this.config = config;
        this.store = store;
        this.queue = queue;
        double maxShare = Double.parseDouble(config.get("harvest.deletion_guard.max_share", "0.5"));
        this.gatherRunner = new GatherRunner(store, harvesters, config, config.intValue("harvest.gather_batch_size"),
                Duration.ofSeconds(config.intValue("harvest.gather_lease_seconds")), maxShare, leaseKeeper);
        this.objectProcessor = new ObjectProcessor(store, harvesters, catalog, config,
                Duration.ofSeconds(config.intValue("harvest.object_lease_seconds")),
                config.intValue("harvest.retry_limit"), leaseKeeper);
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
        if (!store.startJob(jobId)) {
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
        });
    }

    /**
     * Gathers a job without publishing its objects, for callers that process the objects themselves.
     *
     * @param jobId a Running job
     */
    public void gatherWithoutPublishing(String jobId) {
        gatherRunner.gather(jobId, ids -> {});
    }

    /**
     * Handles one fetch message: fetches and imports the object if it can be claimed.
     *
     * @param objectId the object id from the message
     */
    public void fetchMessage(String objectId) {
        objectProcessor.process(objectId, false);
    }

    /**
     * Runs a started job's gather, fetch and import in this thread, without queues ({@code run_test}).
     *
     * @param jobId a Running job
     * @param guids only these guids are fetched and imported (with {@code forceImport}); null for all
     */
    public void runInProcess(String jobId, Set<String> guids) {
        gatherRunner.gather(jobId, ids -> {});
        while (true) {
            List<String> waiting = store.waitingObjectIds(jobId, guids, 500);
            if (waiting.isEmpty()) {
                break;
            }
            int completed = 0;
            for (String objectId : waiting) {
                if (objectProcessor.process(objectId, guids != null) != ObjectProcessor.Result.SKIPPED) {
                    completed++;
                }
            }
            if (completed == 0) {
                break; // every object left is held by another worker; they are not this run's to wait for
            }
        }
        if (guids != null) {
            // The objects left out on purpose must not keep the job running, and a job that imported only some
            // guids must never become the "last error-free job" that the next incremental harvest starts from:
            // an aborted job is neither.
            store.abortJob(jobId);
        }
        store.finishJobIfDone(jobId);
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
        for (String jobId : store.newJobIds()) {
            if (startJob(jobId)) {
                started++;
            }
        }
        int timedOut = applyTimeouts();
        int finished = 0;
        for (String jobId : store.runningGatheredJobIds()) {
            if (store.finishJobIfDone(jobId)) {
                LOG.info("Job {} finished", jobId);
                finished++;
            }
        }
        int jobsRequeued = requeueJobs();
        int objectsRequeued = requeueObjects();
        return new RunSummary(scheduled, started, finished, timedOut, jobsRequeued, objectsRequeued);
    }

    private int scheduleSources() {
        int created = 0;
        LocalDateTime now = store.now();
        for (HarvestSource source : store.sourcesDueForScheduling()) {
            HarvestStore.JobCreation creation = store.createJob(source.id());
            if (creation instanceof HarvestStore.JobCreation.Created job) {
                startJob(job.job().id());
                created++;
            }
            store.setNextRun(source.id(), nextRun(source.frequency(), now));
        }
        return created;
    }

    /**
     * ckanext-harvest's {@code next_run_from_now}.
     *
     * @param frequency a source frequency
     * @param now the current time (UTC)
     * @return when the source is next due
     */
    static LocalDateTime nextRun(String frequency, LocalDateTime now) {
        return switch (frequency) {
            case "ALWAYS" -> now;
            case "DAILY" -> now.plusDays(1);
            case "WEEKLY" -> now.plusDays(7);
            case "BIWEEKLY" -> now.plusDays(14);
            case "MONTHLY" -> now.plusDays(YearMonth.from(now).lengthOfMonth());
            default -> throw new IllegalArgumentException("Frequency " + frequency + " not recognised");
        };
    }

    private int applyTimeouts() {
        if (!config.isSet("ckan.harvest.timeout")) {
            return 0;
        }
        int minutes = config.intValue("ckan.harvest.timeout");
        int timedOut = 0;
        LocalDateTime now = store.now();
        for (HarvestJob job : store.listJobs(null, dev.harvest.core.store.JobStatus.RUNNING)) {
            LocalDateTime last = store.lastActionTime(job.id());
            if (now.isAfter(last.plusMinutes(minutes))) {
                String message = "Job " + job.id() + " timeout (" + minutes + " minutes)\n"
                        + "\tJob created: " + python(job.created()) + "\n"
                        + "\tJob gather finished: " + python(job.gatherFinished()) + "\n"
                        + "\tJob last action time: " + PYTHON_TIME.format(last) + "\n";
                if (store.timeOutJob(job.id(), message)) {
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
        List<String> jobs = store.runningJobsNeedingGather();
        if (jobs.isEmpty()) {
            return 0;
        }
        try {
            if (queue.get().waitingCount(QueueName.GATHER) > 0) {
                // messages are still waiting; re-queueing now would only duplicate them
                return 0;
            }
            queue.get().publish(QueueName.GATHER, jobs);
            jobs.forEach(store::markJobQueued);
            LOG.info("Re-sent {} job(s) to the gather queue", jobs.size());
            return jobs.size();
        } catch (QueueException e) {
            LOG.warn("Could not re-send jobs to the gather queue: {}", e.getMessage());
            return 0;
        }
    }

    private int requeueObjects() {
        try {
            boolean fetchQueueEmpty = queue.get().waitingCount(QueueName.FETCH) == 0;
            int total = 0;
            List<String> ids = store.objectsToRequeue(fetchQueueEmpty, 10_000);
            if (!ids.isEmpty()) {
                queue.get().publish(QueueName.FETCH, ids);
                store.markObjectsQueued(ids);
                total += ids.size();
                LOG.info("Re-sent {} object(s) to the fetch queue", ids.size());
            }
            return total;
        } catch (QueueException e) {
            LOG.warn("Could not re-send objects to the fetch queue: {}", e.getMessage());
            return 0;
        }
    }

    /** @return the consumer for {@link #gatherMessage} or {@link #fetchMessage} messages of a queue */
    public Consumer<String> handlerFor(QueueName queueName) {
        return switch (queueName) {
            case GATHER -> this::gatherMessage;
            case FETCH -> this::fetchMessage;
        };
    }

    /** Stops the lease heartbeats. */
    @Override
    public void close() {
        leaseKeeper.close();
    }
}
