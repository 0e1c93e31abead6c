package dev.harvest.core.store;

import dev.harvest.api.HarvestJob;
import dev.harvest.core.db.HarvestDatabase;
import dev.harvest.core.store.Transitions.JobTransition;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.hibernate.Session;

/**
 * The {@code harvest_job} table: creating jobs, the gather claim and its lease, and every job transition of
 * {@link Transitions.JobTransition}, each a guarded compare-and-set. Stopping a job (abort, timeout) errors its
 * unfinished objects in the same transaction.
 */
public final class JobStore {

    private final HarvestDatabase database;
    private final SqlDialect dialect;
    private final Clock clock;

    public JobStore(HarvestDatabase database, SqlDialect dialect, Clock clock) {
        this.database = database;
        this.dialect = dialect;
        this.clock = clock;
    }

    /** The outcome of creating a job. */
    public sealed interface JobCreation {
        record Created(HarvestJob job) implements JobCreation {}

        record SourceInactive() implements JobCreation {}

        record AlreadyPending(HarvestJob pending) implements JobCreation {}

        /** A scheduled creation lost to another {@code run}: it moved the schedule or created a job first. */
        record Superseded() implements JobCreation {}
    }

    /**
     * The guarded insert of a {@code New} job: it inserts only for an active source without a {@code New} or
     * {@code Running} job. On PostgreSQL the partial unique index {@code harvest_job_one_pending_idx} (one pending job
     * per source) is what makes it safe under concurrency: of two transactions inserting for the same source, the
     * second waits for the first and fails with a unique violation, which this store reads as "already pending".
     * H2 has no partial index: there the insert first locks the source row, so the second creation waits and its
     * guard then sees the first job.
     */
    private static final String GUARDED_INSERT = "insert into harvest_job (id, created, source_id, status, full_listing)"
            + " select ?, ?, s.id, 'New', ? from harvest_source s where s.id = ? and s.active = true"
            + " and not exists (select 1 from harvest_job p where p.source_id = s.id and p.status in ('New', 'Running'))";

    /**
     * Creates a {@code New} job unless the source is inactive or already has a {@code New} or {@code Running} job,
     * with one guarded insert (see {@link #GUARDED_INSERT}): two concurrent creations never both succeed.
     */
    public JobCreation createJob(String sourceId) {
        return guardedCreate(sourceId, "", List.of());
    }

    /**
     * {@code run}'s creation for a source of a classic frequency: in one transaction, moves the source's
     * {@code next_run} from the value this run read to the next one (a compare-and-set, so that of two concurrent
     * runs only one goes on), then inserts a job as {@link #createJob(String)} does. ckanext-harvest moves
     * {@code next_run} whether or not a job could be created, and so does this.
     *
     * @param sourceId the source
     * @param seenNextRun the {@code next_run} this run read (null if unset)
     * @param nextRun the new {@code next_run}
     * @return the outcome; {@link JobCreation.Superseded} if another run moved {@code next_run} first
     */
    public JobCreation createScheduledJob(String sourceId, LocalDateTime seenNextRun, LocalDateTime nextRun) {
        return database.inTransaction(session -> {
            var update = session.createNativeMutationQuery("update harvest_source set next_run = :next where id = :id"
                            + " and active = true and " + (seenNextRun == null ? "next_run is null" : "next_run = :seen"))
                    .setParameter("next", nextRun)
                    .setParameter("id", sourceId);
            if (seenNextRun != null) {
                update.setParameter("seen", seenNextRun);
            }
            int moved = update.executeUpdate();
            if (moved == 0) {
                return new JobCreation.Superseded();
            }
            return guardedCreate(sourceId, "", List.of());
        });
    }

    /**
     * {@code run}'s creation for a source with a cron frequency: inserts a job only if the source still has no job
     * created after {@code lastJobCreated} (the compare-and-set: another run that created a job meanwhile, even one
     * that already finished, makes this one lose) and none pending.
     *
     * @param sourceId the source
     * @param lastJobCreated the creation time of the source's latest job as this run read it, or null if it had none
     * @return the outcome; {@link JobCreation.Superseded} if a job was created meanwhile
     */
    public JobCreation createCronJob(String sourceId, LocalDateTime lastJobCreated) {
        if (lastJobCreated == null) {
            return guardedCreate(sourceId, " and not exists (select 1 from harvest_job n where n.source_id = s.id)",
                    List.of());
        }
        return guardedCreate(sourceId, " and not exists (select 1 from harvest_job n where n.source_id = s.id"
                + " and n.created > ?)", List.of(lastJobCreated));
    }

    private JobCreation guardedCreate(String sourceId, String extraGuard, List<LocalDateTime> extraValues) {
        LocalDateTime now = Rows.now(clock);
        String id = Rows.newId();
        Optional<Boolean> inserted = database.inTransaction(session -> session.doReturningWork(connection ->
                guardedInsert(connection, id, now, sourceId, extraGuard, extraValues)));
        if (inserted.isPresent() && inserted.get()) {
            return new JobCreation.Created(HarvestJob.builder().id(id).sourceId(sourceId)
                    .status(JobStatus.NEW.value()).created(Rows.instant(now)).build());
        }
        return database.read(session -> {
            SourceEntity source = session.find(SourceEntity.class, sourceId);
            if (source == null) {
                throw new IllegalArgumentException("Harvest source " + sourceId + " does not exist");
            }
            if (!Boolean.TRUE.equals(source.active)) {
                return new JobCreation.SourceInactive();
            }
            Optional<JobEntity> pending = session.createSelectionQuery(
                            "from JobEntity where sourceId = :s and status in ('New', 'Running') order by created desc",
                            JobEntity.class)
                    .setParameter("s", sourceId)
                    .setMaxResults(1)
                    .uniqueResultOptional();
            if (pending.isPresent()) {
                return new JobCreation.AlreadyPending(Rows.toApi(pending.get()));
            }
            return new JobCreation.Superseded();
        });
    }

    /**
     * Runs {@link #GUARDED_INSERT} in a savepoint of its own, so that a unique violation (a concurrent creation won)
     * leaves the enclosing transaction usable.
     *
     * @return true if inserted, false if a guard held it back, empty if a concurrent creation won the unique index
     */
    private static Optional<Boolean> guardedInsert(java.sql.Connection connection, String id, LocalDateTime now,
            String sourceId, String extraGuard, List<LocalDateTime> extraValues) throws java.sql.SQLException {
        java.sql.Savepoint savepoint = connection.setSavepoint();
        if (!"PostgreSQL".equals(connection.getMetaData().getDatabaseProductName())) {
            try (java.sql.PreparedStatement lock = connection.prepareStatement(
                    "select id from harvest_source where id = ? for update")) {
                lock.setString(1, sourceId);
                lock.executeQuery().close();
            }
        }
        try (java.sql.PreparedStatement insert = connection.prepareStatement(GUARDED_INSERT + extraGuard)) {
            insert.setString(1, id);
            insert.setTimestamp(2, java.sql.Timestamp.valueOf(now));
            insert.setBoolean(3, false);
            insert.setString(4, sourceId);
            int i = 5;
            for (LocalDateTime value : extraValues) {
                insert.setTimestamp(i++, java.sql.Timestamp.valueOf(value));
            }
            boolean inserted = insert.executeUpdate() == 1;
            connection.releaseSavepoint(savepoint);
            return Optional.of(inserted);
        } catch (java.sql.SQLException e) {
            if (!isPendingConflict(e)) {
                throw e;
            }
            connection.rollback(savepoint);
            return Optional.empty();
        }
    }

    /**
     * @return whether the failure is another transaction's pending job winning the one-pending-job index: a unique
     *     violation (23505), or H2's "concurrent update" (90131) when both inserted at once
     */
    static boolean isPendingConflict(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.sql.SQLException sql) {
                String state = sql.getSQLState();
                if ("23505".equals(state) || sql.getErrorCode() == 90131 || "90131".equals(state)) {
                    return true;
                }
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }

    /**
     * Creates a {@code New} job for every active source that has no {@code New} or {@code Running} one
     * ({@code job-all}): one batch of guarded inserts (see {@link #GUARDED_INSERT}), each inserting only for a
     * source without a pending job. A concurrent creation that wins a source's unique index fails the batch, which
     * is then tried again (the guards then see that source's job and leave it out).
     *
     * @return the created jobs, oldest source first
     */
    public List<HarvestJob> createJobsForActiveSources() {
        for (int attempt = 1; ; attempt++) {
            try {
                return createJobsForActiveSourcesOnce();
            } catch (RuntimeException e) {
                if (attempt >= 5 || !isPendingConflict(e)) {
                    throw e;
                }
            }
        }
    }

    private List<HarvestJob> createJobsForActiveSourcesOnce() {
        LocalDateTime now = Rows.now(clock);
        return database.inTransaction(session -> session.doReturningWork(connection -> {
            List<String> sourceIds = new java.util.ArrayList<>();
            try (java.sql.PreparedStatement select = connection.prepareStatement(
                    "select s.id from harvest_source s where s.active = true and not exists (select 1 from harvest_job j"
                            + " where j.source_id = s.id and j.status in ('New', 'Running')) order by s.created, s.id");
                    java.sql.ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    sourceIds.add(rows.getString(1));
                }
            }
            List<HarvestJob> created = new java.util.ArrayList<>(sourceIds.size());
            if (sourceIds.isEmpty()) {
                return created;
            }
            List<String> ids = new java.util.ArrayList<>(sourceIds.size());
            try (java.sql.PreparedStatement insert = connection.prepareStatement(GUARDED_INSERT)) {
                for (String sourceId : sourceIds) {
                    String id = Rows.newId();
                    ids.add(id);
                    insert.setString(1, id);
                    insert.setTimestamp(2, java.sql.Timestamp.valueOf(now));
                    insert.setBoolean(3, false);
                    insert.setString(4, sourceId);
                    insert.addBatch();
                }
                int[] counts = insert.executeBatch();
                for (int i = 0; i < counts.length; i++) {
                    if (counts[i] != 0) {
                        created.add(HarvestJob.builder().id(ids.get(i)).sourceId(sourceIds.get(i))
                                .status(JobStatus.NEW.value()).created(Rows.instant(now)).build());
                    }
                }
            }
            return created;
        }));
    }

    /**
     * {@code New} → {@code Running} for many jobs, one batched compare-and-set.
     *
     * @param jobIds New jobs
     * @return the ids this call started, in the order given
     */
    public List<String> startJobs(List<String> jobIds) {
        if (jobIds.isEmpty()) {
            return List.of();
        }
        LocalDateTime now = Rows.now(clock);
        return database.inTransaction(session -> session.doReturningWork(connection -> {
            List<String> started = new java.util.ArrayList<>(jobIds.size());
            try (java.sql.PreparedStatement update = connection.prepareStatement("update harvest_job set status = "
                    + JobTransition.START.target() + ", queued_at = ? where id = ? and "
                    + JobTransition.START.guard("status"))) {
                for (String id : jobIds) {
                    update.setTimestamp(1, java.sql.Timestamp.valueOf(now));
                    update.setString(2, id);
                    update.addBatch();
                }
                int[] counts = update.executeBatch();
                for (int i = 0; i < counts.length; i++) {
                    if (counts[i] != 0) {
                        started.add(jobIds.get(i));
                    }
                }
            }
            return started;
        }));
    }

    /**
     * A running job with what {@code abort-failed-jobs} decides on.
     *
     * @param id the job
     * @param sourceId its source
     * @param frequency its source's frequency
     * @param created when the job was created (UTC)
     */
    public record RunningJob(String id, String sourceId, String frequency, LocalDateTime created) {}

    /** @return every {@code Running} job with its source's frequency, oldest first; one query */
    public List<RunningJob> runningJobs() {
        return database.read(session -> session.createNativeQuery("select j.id, j.source_id, s.frequency, j.created"
                        + " from harvest_job j join harvest_source s on s.id = j.source_id where j.status = 'Running'"
                        + " order by j.created", Object[].class)
                .getResultList()
                .stream()
                .map(row -> new RunningJob((String) row[0], (String) row[1], (String) row[2], toLocal(row[3])))
                .toList());
    }

    private static LocalDateTime toLocal(Object value) {
        if (value instanceof java.sql.Timestamp timestamp) {
            return timestamp.toLocalDateTime();
        }
        return (LocalDateTime) value;
    }

    /** @return the current time of this store's clock, in UTC as stored */
    public LocalDateTime now() {
        return Rows.now(clock);
    }

    /** @return the job */
    public Optional<HarvestJob> findJob(String jobId) {
        return database.read(session -> Optional.ofNullable(session.find(JobEntity.class, jobId)).map(Rows::toApi));
    }

    /** @return the source's most recently created job */
    public Optional<HarvestJob> latestJob(String sourceId) {
        return database.read(session -> session.createSelectionQuery(
                        "from JobEntity where sourceId = :s order by created desc", JobEntity.class)
                .setParameter("s", sourceId)
                .setMaxResults(1)
                .uniqueResultOptional()
                .map(Rows::toApi));
    }

    /** @return jobs, newest first, of one source or all when {@code sourceId} is null */
    public List<HarvestJob> listJobs(String sourceId, JobStatus status) {
        StringBuilder hql = new StringBuilder("from JobEntity where 1 = 1");
        if (sourceId != null) {
            hql.append(" and sourceId = :s");
        }
        if (status != null) {
            hql.append(" and status = :status");
        }
        hql.append(" order by created desc");
        return database.read(session -> {
            var query = session.createSelectionQuery(hql.toString(), JobEntity.class);
            if (sourceId != null) {
                query.setParameter("s", sourceId);
            }
            if (status != null) {
                query.setParameter("status", status.value());
            }
            return query.getResultList().stream().map(Rows::toApi).toList();
        });
    }

    /** @return the number of jobs of a source */
    public long jobCount(String sourceId) {
        return database.read(session -> session.createSelectionQuery(
                        "select count(*) from JobEntity where sourceId = :source", Long.class)
                .setParameter("source", sourceId)
                .getSingleResult());
    }

    /**
     * {@code New} → {@code Running}, recording when the job was queued.
     *
     * @return whether this call made the transition
     */
    public boolean startJob(String jobId) {
        return startJob(jobId, null);
    }

    /**
     * {@code New} → {@code Running}, recording when the job was queued and, for a {@code run_test} with guids, the
     * guids it harvests: its gather then creates objects for those guids only, whoever runs it, and the job is never
     * the last error-free job of its source.
     *
     * @param jobId a New job
     * @param guids the guids to harvest, or null for a whole harvest
     * @return whether this call made the transition
     */
    public boolean startJob(String jobId, Collection<String> guids) {
        LocalDateTime now = Rows.now(clock);
        String filter = guids == null ? null : GuidFilter.encode(guids);
        return database.inTransaction(session -> session.createMutationQuery(
                        "update JobEntity set status = " + JobTransition.START.target() + ", queuedAt = :now,"
                                + " guidFilter = :filter where id = :id and " + JobTransition.START.guard("status"))
                .setParameter("now", now)
                .setParameter("filter", filter)
                .setParameter("id", jobId)
                .executeUpdate()) == 1;
    }

    /**
     * @param jobId a job
     * @return the guids the job harvests ({@code run_test} with guids), or empty for a whole harvest
     */
    public Optional<Set<String>> guidFilter(String jobId) {
        return database.read(session -> session.createSelectionQuery(
                        "select guidFilter from JobEntity where id = :id", String.class)
                .setParameter("id", jobId)
                .uniqueResultOptional()
                .map(GuidFilter::decode));
    }

    /** Records that running jobs were (re)sent to the gather queue. */
    public void markJobsQueued(List<String> jobIds) {
        if (jobIds.isEmpty()) {
            return;
        }
        LocalDateTime now = Rows.now(clock);
        database.inTransaction(session -> session.createMutationQuery(
                        "update JobEntity set queuedAt = :now where id in (:ids)")
                .setParameter("now", now)
                .setParameterList("ids", jobIds)
                .executeUpdate());
    }

    /**
     * Claims a running job's gather for one worker: allowed when nobody gathered it yet, or when the previous
     * gatherer's lease expired before it finished (it died).
     *
     * @return the claimed job, or empty if the job is not running, already gathered or held by a live worker
     */
    public Optional<HarvestJob> claimGather(String jobId, String owner, Duration lease) {
        LocalDateTime now = Rows.now(clock);
        return database.inTransaction(session -> {
            int updated = session.createMutationQuery(
                            "update JobEntity set gatherOwner = :owner, gatherLeaseUntil = :lease,"
                                    + " gatherStarted = coalesce(gatherStarted, :now)"
                                    + " where id = :id and status = 'Running' and gatherFinished is null"
                                    + " and (gatherOwner is null or gatherLeaseUntil < :now)")
                    .setParameter("owner", owner)
                    .setParameter("lease", now.plus(lease))
                    .setParameter("now", now)
                    .setParameter("id", jobId)
                    .executeUpdate();
            return updated == 1 ? Optional.of(Rows.toApi(session.find(JobEntity.class, jobId))) : Optional.empty();
        });
    }

    /** @return whether the gatherer still holds the job (it extended its lease) */
    public boolean extendGatherLease(String jobId, String owner, Duration lease) {
        LocalDateTime until = Rows.now(clock).plus(lease);
        return database.inTransaction(session -> session.createMutationQuery(
                        "update JobEntity set gatherLeaseUntil = :lease where id = :id and gatherOwner = :owner"
                                + " and gatherFinished is null and status = 'Running'")
                .setParameter("lease", until)
                .setParameter("id", jobId)
                .setParameter("owner", owner)
                .executeUpdate()) == 1;
    }

    /**
     * @return whether the job is still {@code Running} and its gather still held by {@code owner} (one read by
     *     primary key: the check a gather makes on every page)
     */
    public boolean holdsGather(String jobId, String owner) {
        return database.read(session -> session.createSelectionQuery(
                        "select count(*) from JobEntity where id = :id and status = 'Running' and gatherOwner = :owner"
                                + " and gatherFinished is null", Long.class)
                .setParameter("id", jobId)
                .setParameter("owner", owner)
                .getSingleResult()) > 0;
    }

    /**
     * Whether a live worker holds a running job: its gather lease is still valid, it was sent to the gather queue
     * less than {@code quiet} ago and nobody claimed it yet, an object of it is claimed under a valid lease, or an
     * object of it was finished less than {@code quiet} ago (a consumer between two batches).
     *
     * @param jobId a job
     * @param quiet how long a job must have made no progress before it counts as abandoned
     * @return what shows that a worker holds it, or empty if nobody does (every lease expired)
     */
    public Optional<String> liveWork(String jobId, Duration quiet) {
        LocalDateTime now = Rows.now(clock);
        return database.read(session -> {
            JobEntity job = session.find(JobEntity.class, jobId);
            if (job == null) {
                return Optional.empty();
            }
            if (job.gatherFinished == null && job.gatherOwner != null && job.gatherLeaseUntil != null
                    && !job.gatherLeaseUntil.isBefore(now)) {
                return Optional.of("its gather is held by a worker whose lease runs until " + job.gatherLeaseUntil
                        + " UTC");
            }
            if (job.gatherFinished == null && job.gatherOwner == null && job.queuedAt != null
                    && job.queuedAt.isAfter(now.minus(quiet))) {
                return Optional.of("it was sent to the gather queue at " + job.queuedAt + " UTC, less than "
                        + quiet.toSeconds() + " s ago");
            }
            long claimed = session.createSelectionQuery("select count(*) from ObjectEntity where jobId = :j"
                            + " and state in ('FETCH', 'IMPORT') and leaseUntil >= :now", Long.class)
                    .setParameter("j", jobId).setParameter("now", now).getSingleResult();
            if (claimed > 0) {
                return Optional.of(claimed + " of its objects are claimed by workers whose leases have not expired");
            }
            LocalDateTime lastFinished = session.createSelectionQuery(
                            "select max(importFinished) from ObjectEntity where jobId = :j", LocalDateTime.class)
                    .setParameter("j", jobId).getSingleResult();
            if (lastFinished != null && lastFinished.isAfter(now.minus(quiet))) {
                return Optional.of("a worker finished one of its objects at " + lastFinished + " UTC, less than "
                        + quiet.toSeconds() + " s ago");
            }
            return Optional.empty();
        });
    }

    /**
     * Gives an unfinished gather back (a consumer that shuts down mid-gather), so that the next gather message
     * claims it at once instead of waiting for the lease to expire. What the gather stored stays; the next
     * gatherer skips the guids already stored.
     *
     * @return whether the gather was still held by {@code owner}
     */
    public boolean releaseGather(String jobId, String owner) {
        return database.inTransaction(session -> session.createMutationQuery(
                        "update JobEntity set gatherOwner = null, gatherLeaseUntil = null where id = :id"
                                + " and gatherOwner = :owner and gatherFinished is null")
                .setParameter("id", jobId)
                .setParameter("owner", owner)
                .executeUpdate()) == 1;
    }

    /** Ends a gather held by {@code owner}; {@code fullListing} records whether deletions may be inferred. */
    public boolean finishGather(String jobId, String owner, boolean fullListing) {
        LocalDateTime now = Rows.now(clock);
        return database.inTransaction(session -> session.createMutationQuery(
                        "update JobEntity set gatherFinished = :now, fullListing = :full, gatherLeaseUntil = null"
                                + " where id = :id and gatherOwner = :owner and gatherFinished is null")
                .setParameter("now", now)
                .setParameter("full", fullListing)
                .setParameter("id", jobId)
                .setParameter("owner", owner)
                .executeUpdate()) == 1;
    }

    /**
     * Marks a job {@code Finished} if its gather is done and every object is COMPLETE or ERROR, in one statement,
     * so that concurrent workers finishing the last objects cannot both miss it or both do it.
     *
     * @return whether this call finished the job
     */
    public boolean finishJobIfDone(String jobId) {
        LocalDateTime now = Rows.now(clock);
        return database.inTransaction(session -> session.createNativeMutationQuery(
                        "update harvest_job set status = " + JobTransition.FINISH.target() + ", finished = :now"
                                + " where id = :id and " + JobTransition.FINISH.guard("status")
                                + " and gather_finished is not null"
                                + " and not exists (select 1 from harvest_object o where o.harvest_job_id = :id"
                                + " and " + Transitions.unfinished("o") + ")")
                .setParameter("now", now)
                .setParameter("id", jobId)
                .executeUpdate()) == 1;
    }

    /** @return running jobs whose gather has finished (candidates for {@link #finishJobIfDone}) */
    public List<String> runningGatheredJobIds() {
        return database.read(session -> session.createSelectionQuery(
                        "select id from JobEntity where status = 'Running' and gatherFinished is not null", String.class)
                .getResultList());
    }

    /**
     * Finishes a job on timeout with ckanext-harvest's message, erroring its unfinished objects.
     *
     * @return whether this call finished it
     */
    public boolean timeOutJob(String jobId, String message) {
        LocalDateTime now = Rows.now(clock);
        return database.inTransactionRetryingDeadlocks(session -> {
            lockToStop(session, jobId);
            int updated = session.createMutationQuery("update JobEntity set status = "
                            + JobTransition.FINISH.target() + ", finished = :now where id = :id and "
                            + JobTransition.FINISH.guard("status"))
                    .setParameter("now", now)
                    .setParameter("id", jobId)
                    .executeUpdate();
            if (updated == 1) {
                insertGatherError(session, jobId, message, now);
                stopUnfinishedObjects(session, jobId, "Job " + jobId + " timed out before this object was finished",
                        "Timeout", now);
            }
            return updated == 1;
        });
    }

    /**
     * The job's last action time (spec §1.9): the latest import_finished of a COMPLETE object, else the end of
     * the gather, else the latest gathered object, else the job's creation.
     */
    public LocalDateTime lastActionTime(String jobId) {
        return database.read(session -> {
            LocalDateTime lastImport = session.createSelectionQuery(
                            "select max(importFinished) from ObjectEntity where jobId = :j and state = 'COMPLETE'",
                            LocalDateTime.class)
                    .setParameter("j", jobId).getSingleResult();
            if (lastImport != null) {
                return lastImport;
            }
            JobEntity job = session.find(JobEntity.class, jobId);
            if (job.gatherFinished != null) {
                return job.gatherFinished;
            }
            LocalDateTime lastGathered = session.createSelectionQuery(
                            "select max(gathered) from ObjectEntity where jobId = :j", LocalDateTime.class)
                    .setParameter("j", jobId).getSingleResult();
            return lastGathered != null ? lastGathered : job.created;
        });
    }

    /**
     * Aborts a job: {@code Aborted}, and every unfinished object {@code ERROR} with report status
     * {@code errored} and an object error saying why. An object that a worker finishes meanwhile ends either
     * COMPLETE (the worker committed first) or ERROR with the abort error, never both.
     *
     * @return the number of objects errored, or -1 if the job was already finished or aborted
     */
    public int abortJob(String jobId) {
        LocalDateTime now = Rows.now(clock);
        return database.inTransactionRetryingDeadlocks(session -> {
            lockToStop(session, jobId);
            int updated = session.createMutationQuery("update JobEntity set status = "
                            + JobTransition.ABORT.target() + ", finished = :now, gatherOwner = null,"
                            + " gatherLeaseUntil = null where id = :id and " + JobTransition.ABORT.guard("status"))
                    .setParameter("now", now)
                    .setParameter("id", jobId)
                    .executeUpdate();
            if (updated == 0) {
                return -1;
            }
            return stopUnfinishedObjects(session, jobId,
                    "Job " + jobId + " was aborted before this object was finished", "Abort", now);
        });
    }

    /** Waits until no batch of the job is importing, and keeps new ones from starting until this commits. */
    private void lockToStop(Session session, String jobId) {
        session.doWork(connection -> {
            try (java.sql.PreparedStatement lock = connection.prepareStatement(dialect.lockJobToStop())) {
                lock.setString(1, jobId);
                lock.executeQuery().close();
            }
        });
    }

    /**
     * Errors every unfinished object of a stopped job and gives exactly those objects an error saying why. The
     * update comes first and marks the rows it changed: a concurrent worker's commit is either seen by the update
     * (the object is then done and left alone) or waits for this transaction (and then finds the object ERROR and
     * writes nothing), so the error rows always match the objects this call errored.
     */
    private int stopUnfinishedObjects(Session session, String jobId, String message, String stage,
            LocalDateTime now) {
        String marker = "stop:" + Rows.newId();
        int stopped = session.createNativeMutationQuery(
                        "update harvest_object set state = 'ERROR', report_status = 'errored', claimed_by = :marker,"
                                + " lease_until = null where harvest_job_id = :id and "
                                + Transitions.ObjectTransition.STOP.guard(""))
                .setParameter("marker", marker)
                .setParameter("id", jobId)
                .executeUpdate();
        if (stopped > 0) {
            session.createNativeMutationQuery(
                            "insert into harvest_object_error (id, harvest_object_id, message, stage, line, created)"
                                    + " select " + dialect.uuid() + ", o.id, :msg, :stage, null, :now"
                                    + " from harvest_object o where o.harvest_job_id = :id and o.claimed_by = :marker")
                    .setParameter("msg", message)
                    .setParameter("stage", stage)
                    .setParameter("now", now)
                    .setParameter("id", jobId)
                    .setParameter("marker", marker)
                    .executeUpdate();
            session.createNativeMutationQuery("update harvest_object set claimed_by = null"
                            + " where harvest_job_id = :id and claimed_by = :marker")
                    .setParameter("id", jobId)
                    .setParameter("marker", marker)
                    .executeUpdate();
        }
        return stopped;
    }

    /** @return ids of {@code New} jobs of active sources, oldest first */
    public List<String> newJobIds() {
        return database.read(session -> session.createNativeQuery(
                        "select j.id from harvest_job j join harvest_source s on s.id = j.source_id"
                                + " where j.status = 'New' and s.active = true order by j.created", String.class)
                .getResultList());
    }

    /**
     * Running jobs whose gather message may be lost: never claimed, or claimed by a gatherer whose lease expired.
     */
    public List<String> runningJobsNeedingGather() {
        LocalDateTime now = Rows.now(clock);
        return database.read(session -> session.createSelectionQuery(
                        "select id from JobEntity where status = 'Running' and gatherFinished is null"
                                + " and (gatherOwner is null or gatherLeaseUntil < :now)", String.class)
                .setParameter("now", now)
                .getResultList());
    }

    /**
     * The most recent earlier {@code Finished} job of the source that is error-free (spec §9.7, with three fixes:
     * aborted jobs are never error-free, neither is a job with any errored object, nor a {@code run_test} of some
     * guids, which saw only those).
     */
    public Optional<HarvestJob> lastErrorFreeJob(String sourceId, String excludingJobId) {
        return database.read(session -> session.createNativeQuery(
                        "select j.id from harvest_job j where j.source_id = :s and j.id <> :job"
                                + " and j.status = 'Finished' and j.gather_started is not null"
                                + " and j.guid_filter is null"
                                + " and not exists (select 1 from harvest_gather_error g where g.harvest_job_id = j.id)"
                                + " and not exists (select 1 from harvest_object o where o.harvest_job_id = j.id"
                                + " and o.state = 'ERROR')"
                                + " order by j.gather_started desc", String.class)
                .setParameter("s", sourceId)
                .setParameter("job", excludingJobId)
                .setMaxResults(1)
                .uniqueResultOptional()
                .map(id -> Rows.toApi(session.find(JobEntity.class, id))));
    }

    /**
     * Deletes {@code harvest_log} records older than a number of days ({@code clean_harvest_log}).
     *
     * @return the number of records deleted
     */
    public int deleteLogOlderThan(int days) {
        LocalDateTime cutoff = Rows.now(clock).minusDays(days);
        return database.inTransaction(session -> session.createMutationQuery(
                        "delete from LogEntity where created <= :cutoff")
                .setParameter("cutoff", cutoff)
                .executeUpdate());
    }

    /** Records a job-level error. */
    public void addGatherError(String jobId, String message) {
        LocalDateTime now = Rows.now(clock);
        database.inTransaction(session -> {
            insertGatherError(session, jobId, message, now);
            return null;
        });
    }

    private static void insertGatherError(Session session, String jobId, String message, LocalDateTime now) {
        GatherErrorEntity error = new GatherErrorEntity();
        error.id = Rows.newId();
        error.jobId = jobId;
        error.message = ErrorText.cap(message);
        error.created = now;
        session.persist(error);
    }
}
