package dev.harvest.core.store;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.NewHarvestObject;
import dev.harvest.core.db.HarvestDatabase;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.hibernate.Session;

/**
 * Every read and write of the harvest tables. Each state change is a guarded compare-and-set (an {@code UPDATE}
 * whose {@code WHERE} names the expected state and, for objects, the claim token): zero rows updated means another
 * worker won the race, and the caller is told so instead of overwriting.
 */
public final class HarvestStore {

    /** The entities this store maps. */
    public static final List<Class<?>> ENTITIES = List.of(
            SourceEntity.class,
            JobEntity.class,
            ObjectEntity.class,
            ObjectExtraEntity.class,
            GatherErrorEntity.class,
            ObjectErrorEntity.class,
            LogEntity.class,
            CatalogDatasetEntity.class,
            CatalogGroupEntity.class);

    /** The extra that marks an object standing for a vanished remote record, as ckanext-spatial marks them. */
    public static final String DELETE_EXTRA_KEY = "status";

    public static final String DELETE_EXTRA_VALUE = "delete";

    private static final String TERMINAL = "('COMPLETE', 'ERROR')";

    private final HarvestDatabase database;
    private final Clock clock;

    public HarvestStore(HarvestDatabase database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    /** @return the current time in UTC, as stored */
    public LocalDateTime now() {
        return LocalDateTime.now(clock.withZone(ZoneOffset.UTC));
    }

    /** @return the database */
    public HarvestDatabase database() {
        return database;
    }

    static String newId() {
        return UUID.randomUUID().toString();
    }

    // ---------------------------------------------------------------- sources

    /**
     * Inserts a source.
     *
     * @return the stored source
     */
    public HarvestSource createSource(String name, String url, String title, String type, String config,
            String ownerOrg, String frequency, boolean active) {
        SourceEntity source = new SourceEntity();
        source.id = newId();
        source.name = name;
        source.url = url.strip();
        source.title = title == null || title.isBlank() ? name : title;
        source.description = "";
        source.config = config == null ? "" : config;
        source.created = now();
        source.type = type;
        source.active = active;
        source.userId = "";
        source.publisherId = "";
        source.ownerOrg = ownerOrg;
        source.frequency = frequency;
        database.inTransaction(session -> {
            session.persist(source);
            return null;
        });
        return toApi(source);
    }

    /**
     * @param idOrName a source id or name
     * @return the source
     */
    public Optional<HarvestSource> findSource(String idOrName) {
        return database.inTransaction(session -> findSourceEntity(session, idOrName).map(HarvestStore::toApi));
    }

    private static Optional<SourceEntity> findSourceEntity(Session session, String idOrName) {
        SourceEntity byId = session.find(SourceEntity.class, idOrName);
        if (byId != null) {
            return Optional.of(byId);
        }
        return session.createSelectionQuery("from SourceEntity where name = :name", SourceEntity.class)
                .setParameter("name", idOrName)
                .uniqueResultOptional();
    }

    /**
     * @param includeInactive whether to list inactive sources too
     * @param limit the most sources to list
     * @return sources, newest first
     */
    public List<HarvestSource> listSources(boolean includeInactive, int limit) {
        return database.inTransaction(session -> session.createSelectionQuery(
                        "from SourceEntity" + (includeInactive ? "" : " where active = true") + " order by created desc",
                        SourceEntity.class)
                .setMaxResults(limit)
                .getResultList()
                .stream()
                .map(HarvestStore::toApi)
                .toList());
    }

    /**
     * Finds another source with the same normalised URL and the same config (ckanext-harvest's uniqueness rule:
     * the same URL with a different config is allowed).
     */
    public Optional<HarvestSource> findSourceWithUrlAndConfig(String normalisedUrl, String config) {
        String wanted = config == null ? "" : config;
        return database.inTransaction(session -> session.createSelectionQuery("from SourceEntity", SourceEntity.class)
                .getResultStream()
                .filter(source -> SourceUrls.normalise(source.url).equals(normalisedUrl))
                .filter(source -> (source.config == null ? "" : source.config).equals(wanted))
                .findFirst()
                .map(HarvestStore::toApi));
    }

    /** @return the number of jobs of a source */
    public long jobCount(String sourceId) {
        return database.inTransaction(session -> session.createSelectionQuery(
                        "select count(*) from JobEntity where sourceId = :source", Long.class)
                .setParameter("source", sourceId)
                .getSingleResult());
    }

    /**
     * Deactivates a source, keeping its datasets, jobs and objects; its {@code New} jobs become {@code Aborted}.
     *
     * @return whether the source existed
     */
    public boolean deactivateSource(String sourceId) {
        return database.inTransaction(session -> {
            int updated = session.createMutationQuery("update SourceEntity set active = false where id = :id")
                    .setParameter("id", sourceId)
                    .executeUpdate();
            session.createMutationQuery(
                            "update JobEntity set status = 'Aborted' where sourceId = :id and status = 'New'")
                    .setParameter("id", sourceId)
                    .executeUpdate();
            return updated == 1;
        });
    }

    /** Sets a source's next scheduled run. */
    public void setNextRun(String sourceId, LocalDateTime nextRun) {
        database.inTransaction(session -> session.createMutationQuery(
                        "update SourceEntity set nextRun = :next where id = :id")
                .setParameter("next", nextRun)
                .setParameter("id", sourceId)
                .executeUpdate());
    }

    /** @return active sources with a frequency other than MANUAL whose next run is due */
    public List<HarvestSource> sourcesDueForScheduling() {
        LocalDateTime now = now();
        return database.inTransaction(session -> session.createSelectionQuery(
                        "from SourceEntity where active = true and frequency <> 'MANUAL'"
                                + " and (nextRun is null or nextRun <= :now)",
                        SourceEntity.class)
                .setParameter("now", now)
                .getResultList()
                .stream()
                .map(HarvestStore::toApi)
                .toList());
    }

    /**
     * Deletes every job, object and error of a source, keeping the source ({@code clearsource_history}).
     *
     * @return the number of jobs deleted
     */
    public int clearSourceHistory(String sourceId) {
        return database.inTransaction(session -> {
            // the foreign keys cascade, but H2 and PostgreSQL both do it faster child-first
            session.createNativeMutationQuery("delete from harvest_object_error where harvest_object_id in"
                            + " (select id from harvest_object where harvest_source_id = :s)")
                    .setParameter("s", sourceId).executeUpdate();
            session.createNativeMutationQuery("delete from harvest_object_extra where harvest_object_id in"
                            + " (select id from harvest_object where harvest_source_id = :s)")
                    .setParameter("s", sourceId).executeUpdate();
            session.createNativeMutationQuery("delete from harvest_object where harvest_source_id = :s")
                    .setParameter("s", sourceId).executeUpdate();
            return session.createNativeMutationQuery("delete from harvest_job where source_id = :s")
                    .setParameter("s", sourceId).executeUpdate();
        });
    }

    /** @return the ids of the datasets the source's objects point at */
    public List<String> packageIdsOfSource(String sourceId) {
        return database.inTransaction(session -> session.createSelectionQuery(
                        "select distinct packageId from ObjectEntity where sourceId = :s and packageId is not null",
                        String.class)
                .setParameter("s", sourceId)
                .getResultList());
    }

    /** @return the number of datasets the source currently provides (objects with {@code current = true}) */
    public long currentDatasetCount(String sourceId) {
        return database.inTransaction(session -> session.createSelectionQuery(
                        "select count(*) from ObjectEntity where sourceId = :s and current = true", Long.class)
                .setParameter("s", sourceId)
                .getSingleResult());
    }

    // ---------------------------------------------------------------- jobs

    /** The outcome of creating a job. */
    public sealed interface JobCreation {
        record Created(HarvestJob job) implements JobCreation {}

        record SourceInactive() implements JobCreation {}

        record AlreadyPending(HarvestJob pending) implements JobCreation {}
    }

    /**
     * Creates a {@code New} job unless the source already has a {@code New} or {@code Running} one. The source
     * row is locked for the check, so two concurrent creations cannot both succeed.
     */
    public JobCreation createJob(String sourceId) {
        return database.inTransaction(session -> {
            SourceEntity source = session.find(SourceEntity.class, sourceId,
                    jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
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
                return new JobCreation.AlreadyPending(toApi(pending.get()));
            }
            JobEntity job = new JobEntity();
            job.id = newId();
            job.created = now();
            job.sourceId = sourceId;
            job.status = JobStatus.NEW.value();
            job.fullListing = false;
            session.persist(job);
            return new JobCreation.Created(toApi(job));
        });
    }

    /** @return the job */
    public Optional<HarvestJob> findJob(String jobId) {
        return database.inTransaction(session ->
                Optional.ofNullable(session.find(JobEntity.class, jobId)).map(HarvestStore::toApi));
    }

    /** @return the source's most recently created job */
    public Optional<HarvestJob> latestJob(String sourceId) {
        return database.inTransaction(session -> session.createSelectionQuery(
                        "from JobEntity where sourceId = :s order by created desc", JobEntity.class)
                .setParameter("s", sourceId)
                .setMaxResults(1)
                .uniqueResultOptional()
                .map(HarvestStore::toApi));
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
        return database.inTransaction(session -> {
            var query = session.createSelectionQuery(hql.toString(), JobEntity.class);
            if (sourceId != null) {
                query.setParameter("s", sourceId);
            }
            if (status != null) {
                query.setParameter("status", status.value());
            }
            return query.getResultList().stream().map(HarvestStore::toApi).toList();
        });
    }

    /**
     * {@code New} → {@code Running}, recording when the job was queued.
     *
     * @return whether this call made the transition
     */
    public boolean startJob(String jobId) {
        LocalDateTime now = now();
        return database.inTransaction(session -> session.createMutationQuery(
                        "update JobEntity set status = 'Running', queuedAt = :now where id = :id and status = 'New'")
                .setParameter("now", now)
                .setParameter("id", jobId)
                .executeUpdate()) == 1;
    }

    /** Records that a running job was (re)sent to the gather queue. */
    public void markJobQueued(String jobId) {
        LocalDateTime now = now();
        database.inTransaction(session -> session.createMutationQuery(
                        "update JobEntity set queuedAt = :now where id = :id")
                .setParameter("now", now)
                .setParameter("id", jobId)
                .executeUpdate());
    }

    /**
     * Claims a running job's gather for one worker: allowed when nobody gathered it yet, or when the previous
     * gatherer's lease expired before it finished (it died).
     *
     * @return the claimed job, or empty if the job is not running, already gathered or held by a live worker
     */
    public Optional<HarvestJob> claimGather(String jobId, String owner, Duration lease) {
        LocalDateTime now = now();
        int updated = database.inTransaction(session -> session.createMutationQuery(
                        "update JobEntity set gatherOwner = :owner, gatherLeaseUntil = :lease,"
                                + " gatherStarted = coalesce(gatherStarted, :now)"
                                + " where id = :id and status = 'Running' and gatherFinished is null"
                                + " and (gatherOwner is null or gatherLeaseUntil < :now)")
                .setParameter("owner", owner)
                .setParameter("lease", now.plus(lease))
                .setParameter("now", now)
                .setParameter("id", jobId)
                .executeUpdate());
        return updated == 1 ? findJob(jobId) : Optional.empty();
    }

    /** @return whether the gatherer still holds the job (it extended its lease) */
    public boolean extendGatherLease(String jobId, String owner, Duration lease) {
        LocalDateTime until = now().plus(lease);
        return database.inTransaction(session -> session.createMutationQuery(
                        "update JobEntity set gatherLeaseUntil = :lease where id = :id and gatherOwner = :owner"
                                + " and gatherFinished is null and status = 'Running'")
                .setParameter("lease", until)
                .setParameter("id", jobId)
                .setParameter("owner", owner)
                .executeUpdate()) == 1;
    }

    /** Ends a gather held by {@code owner}; {@code fullListing} records whether deletions may be inferred. */
    public boolean finishGather(String jobId, String owner, boolean fullListing) {
        if (database.isPostgres()) {
            // a gather can add hundreds of thousands of rows faster than autovacuum re-plans: refresh the statistics
            // so the per-object queries that follow keep using their indexes
            database.inTransaction(session -> session.createNativeMutationQuery("analyze harvest_object")
                    .executeUpdate());
        }
        LocalDateTime now = now();
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
        LocalDateTime now = now();
        return database.inTransaction(session -> session.createNativeMutationQuery(
                        "update harvest_job set status = 'Finished', finished = :now"
                                + " where id = :id and status = 'Running' and gather_finished is not null"
                                + " and not exists (select 1 from harvest_object o where o.harvest_job_id = :id"
                                + " and (o.state is null or o.state not in " + TERMINAL + "))")
                .setParameter("now", now)
                .setParameter("id", jobId)
                .executeUpdate()) == 1;
    }

    /** @return running jobs whose gather has finished (candidates for {@link #finishJobIfDone}) */
    public List<String> runningGatheredJobIds() {
        return database.inTransaction(session -> session.createSelectionQuery(
                        "select id from JobEntity where status = 'Running' and gatherFinished is not null", String.class)
                .getResultList());
    }

    /**
     * Finishes a job on timeout with ckanext-harvest's message.
     *
     * @return whether this call finished it
     */
    public boolean timeOutJob(String jobId, String message) {
        LocalDateTime now = now();
        return database.inTransaction(session -> {
            int updated = session.createMutationQuery(
                            "update JobEntity set status = 'Finished', finished = :now where id = :id and status = 'Running'")
                    .setParameter("now", now)
                    .setParameter("id", jobId)
                    .executeUpdate();
            if (updated == 1) {
                insertGatherError(session, jobId, message, now);
                errorUnfinishedObjects(session, jobId, "Job " + jobId + " timed out before this object was finished",
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
        return database.inTransaction(session -> {
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
     * {@code errored} and an object error saying why.
     *
     * @return the number of objects errored, or -1 if the job was already finished or aborted
     */
    public int abortJob(String jobId) {
        LocalDateTime now = now();
        return database.inTransaction(session -> {
            int updated = session.createMutationQuery(
                            "update JobEntity set status = 'Aborted', finished = :now, gatherOwner = null,"
                                    + " gatherLeaseUntil = null where id = :id and status in ('New', 'Running')")
                    .setParameter("now", now)
                    .setParameter("id", jobId)
                    .executeUpdate();
            if (updated == 0) {
                return -1;
            }
            return errorUnfinishedObjects(session, jobId,
                    "Job " + jobId + " was aborted before this object was finished", "Abort", now);
        });
    }

    /** Errors every unfinished object of a stopped job, with an object error saying why. */
    private int errorUnfinishedObjects(Session session, String jobId, String message, String stage, LocalDateTime now) {
        session.createNativeMutationQuery(
                        "insert into harvest_object_error (id, harvest_object_id, message, stage, line, created)"
                                + " select " + uuidSql() + ", o.id, :msg, :stage, null, :now"
                                + " from harvest_object o where o.harvest_job_id = :id"
                                + " and (o.state is null or o.state not in " + TERMINAL + ")")
                .setParameter("msg", message)
                .setParameter("stage", stage)
                .setParameter("now", now)
                .setParameter("id", jobId)
                .executeUpdate();
        return session.createNativeMutationQuery(
                        "update harvest_object set state = 'ERROR', report_status = 'errored', claimed_by = null,"
                                + " lease_until = null where harvest_job_id = :id"
                                + " and (state is null or state not in " + TERMINAL + ")")
                .setParameter("id", jobId)
                .executeUpdate();
    }

    private String uuidSql() {
        // a fresh id per row, generated by the database; both expressions yield a 36-character UUID
        return database.isPostgres() ? "cast(gen_random_uuid() as varchar)" : "cast(random_uuid() as varchar)";
    }

    /** @return ids of {@code New} jobs of active sources, oldest first */
    public List<String> newJobIds() {
        return database.inTransaction(session -> session.createNativeQuery(
                        "select j.id from harvest_job j join harvest_source s on s.id = j.source_id"
                                + " where j.status = 'New' and s.active = true order by j.created", String.class)
                .getResultList());
    }

    /**
     * Running jobs whose gather message may be lost: never claimed, or claimed by a gatherer whose lease expired.
     */
    public List<String> runningJobsNeedingGather() {
        LocalDateTime now = now();
        return database.inTransaction(session -> session.createSelectionQuery(
                        "select id from JobEntity where status = 'Running' and gatherFinished is null"
                                + " and (gatherOwner is null or gatherLeaseUntil < :now)", String.class)
                .setParameter("now", now)
                .getResultList());
    }

    /**
     * The most recent earlier {@code Finished} job of the source that is error-free (spec §9.7, with two fixes:
     * aborted jobs are never error-free, and neither is a job with any errored object).
     */
    public Optional<HarvestJob> lastErrorFreeJob(String sourceId, String excludingJobId) {
        return database.inTransaction(session -> session.createNativeQuery(
                        "select j.id from harvest_job j where j.source_id = :s and j.id <> :job"
                                + " and j.status = 'Finished' and j.gather_started is not null"
                                + " and not exists (select 1 from harvest_gather_error g where g.harvest_job_id = j.id)"
                                + " and not exists (select 1 from harvest_object o where o.harvest_job_id = j.id"
                                + " and o.state = 'ERROR')"
                                + " order by j.gather_started desc", String.class)
                .setParameter("s", sourceId)
                .setParameter("job", excludingJobId)
                .setMaxResults(1)
                .uniqueResultOptional()
                .map(id -> toApi(session.find(JobEntity.class, id))));
    }

    // ---------------------------------------------------------------- gather output

    /**
     * Stores one batch of gathered objects. Guids this job already has are skipped, so a gather that is re-run
     * after its worker died does not duplicate work.
     *
     * @return the ids of the objects inserted, in batch order
     */
    public List<String> insertObjects(HarvestJob job, Collection<NewHarvestObject> batch) {
        if (batch.isEmpty()) {
            return List.of();
        }
        Map<String, NewHarvestObject> byGuid = new LinkedHashMap<>();
        batch.forEach(object -> byGuid.putIfAbsent(object.guid(), object));
        LocalDateTime now = now();
        try {
            return database.inTransaction(session -> insertBatch(session, job, byGuid.values(), now));
        } catch (RuntimeException e) {
            if (!isUniqueViolation(e)) {
                throw e;
            }
        }
        // Rare path: a guid of this batch was stored by an earlier batch, or by a gatherer of this job that died.
        // Checking first on every batch would cost a query per batch that the planner may answer with a scan.
        return database.inTransaction(session -> {
            List<String> existing = session.createSelectionQuery(
                            "select guid from ObjectEntity where jobId = :j and guid in (:guids)", String.class)
                    .setParameter("j", job.id())
                    .setParameterList("guids", byGuid.keySet())
                    .getResultList();
            existing.forEach(byGuid::remove);
            return insertBatch(session, job, byGuid.values(), now);
        });
    }

    private static boolean isUniqueViolation(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.sql.SQLException sql && "23505".equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    private List<String> insertBatch(Session session, HarvestJob job, Collection<NewHarvestObject> batch,
            LocalDateTime now) {
        List<String> ids = new ArrayList<>(batch.size());
        // plain JDBC batches: one round trip per batch instead of one per row
        session.doWork(connection -> {
            Timestamp gathered = Timestamp.valueOf(now);
            try (PreparedStatement objects = connection.prepareStatement(
                            "insert into harvest_object (id, guid, current, gathered, content, state,"
                                    + " metadata_modified_date, retry_times, harvest_job_id, harvest_source_id,"
                                    + " queued_at) values (?, ?, false, ?, ?, 'WAITING', ?, 0, ?, ?, ?)");
                    PreparedStatement extras = connection.prepareStatement(
                            "insert into harvest_object_extra (id, harvest_object_id, key, value)"
                                    + " values (?, ?, ?, ?)")) {
                boolean anyExtra = false;
                for (NewHarvestObject gatheredObject : batch) {
                    String id = newId();
                    objects.setString(1, id);
                    objects.setString(2, gatheredObject.guid());
                    objects.setTimestamp(3, gathered);
                    objects.setString(4, gatheredObject.content());
                    objects.setTimestamp(5, gatheredObject.metadataModified() == null ? null
                            : Timestamp.valueOf(LocalDateTime.ofInstant(gatheredObject.metadataModified(),
                                    ZoneOffset.UTC)));
                    objects.setString(6, job.id());
                    objects.setString(7, job.sourceId());
                    objects.setTimestamp(8, gathered);
                    objects.addBatch();
                    ids.add(id);
                    for (Map.Entry<String, String> extra : gatheredObject.extras().entrySet()) {
                        extras.setString(1, newId());
                        extras.setString(2, id);
                        extras.setString(3, extra.getKey());
                        extras.setString(4, extra.getValue());
                        extras.addBatch();
                        anyExtra = true;
                    }
                }
                objects.executeBatch();
                if (anyExtra) {
                    extras.executeBatch();
                }
            }
        });
        return ids;
    }

    /** Records guids a gather saw without creating objects for them ({@code markPresent}). */
    public void markPresent(String jobId, Collection<String> guids) {
        if (guids.isEmpty()) {
            return;
        }
        // an upsert, so that two gatherers of one job (a takeover after a lease expired) cannot collide
        String insert = database.isPostgres()
                ? "insert into harvest_gather_seen (harvest_job_id, guid) values (?, ?) on conflict do nothing"
                : "merge into harvest_gather_seen key (harvest_job_id, guid) values (?, ?)";
        database.inTransaction(session -> {
            session.doWork(connection -> {
                try (PreparedStatement statement = connection.prepareStatement(insert)) {
                    for (String guid : new LinkedHashSet<>(guids)) {
                        statement.setString(1, jobId);
                        statement.setString(2, guid);
                        statement.addBatch();
                    }
                    statement.executeBatch();
                }
            });
            return null;
        });
    }

    /** @return the guids among {@code guids} that the source provides (it has a current object for them) */
    public Set<String> currentGuids(String sourceId, Collection<String> guids) {
        if (guids.isEmpty()) {
            return Set.of();
        }
        Set<String> known = new LinkedHashSet<>();
        List<String> all = List.copyOf(new LinkedHashSet<>(guids));
        for (int from = 0; from < all.size(); from += 1000) {
            List<String> chunk = all.subList(from, Math.min(all.size(), from + 1000));
            known.addAll(database.inTransaction(session -> session.createSelectionQuery(
                            "select distinct guid from ObjectEntity where sourceId = :s and current = true"
                                    + " and guid in (:g)", String.class)
                    .setParameter("s", sourceId)
                    .setParameterList("g", chunk)
                    .getResultList()));
        }
        return known;
    }

    /** @return the number of datasets the source provides that this job's gather did not see */
    public long countVanished(HarvestJob job) {
        return database.inTransaction(session -> ((Number) session.createNativeQuery(
                        "select count(distinct o.guid) " + vanishedFrom(), Object.class)
                .setParameter("s", job.sourceId())
                .setParameter("j", job.id())
                .getSingleResult()).longValue());
    }

    private static String vanishedFrom() {
        return "from harvest_object o where o.harvest_source_id = :s and o.current = true"
                + " and o.harvest_job_id <> :j"
                + " and not exists (select 1 from harvest_object n where n.harvest_job_id = :j and n.guid = o.guid)"
                + " and not exists (select 1 from harvest_gather_seen p where p.harvest_job_id = :j and p.guid = o.guid)";
    }

    /**
     * Creates deletion objects (extra {@code status=delete}) for every dataset the source provides that this
     * job's gather did not see, streaming the candidates in batches.
     *
     * @param publish receives each batch of new object ids, after its commit
     * @return the number of deletion objects created
     */
    public long createDeletionObjects(HarvestJob job, int batchSize, Consumer<List<String>> publish) {
        long created = 0;
        while (true) {
            List<String> guids = database.inTransaction(session -> session.createNativeQuery(
                            "select distinct o.guid " + vanishedFrom() + " order by o.guid", String.class)
                    .setParameter("s", job.sourceId())
                    .setParameter("j", job.id())
                    .setMaxResults(batchSize)
                    .getResultList());
            if (guids.isEmpty()) {
                return created;
            }
            // the claim of each object looks up the dataset that the guid's current object points at
            List<String> ids = insertObjects(job, guids.stream()
                    .map(guid -> new NewHarvestObject(guid, null, null, Map.of(DELETE_EXTRA_KEY, DELETE_EXTRA_VALUE)))
                    .toList());
            created += ids.size();
            publish.accept(ids);
        }
    }

    /** Records a job-level error. */
    public void addGatherError(String jobId, String message) {
        LocalDateTime now = now();
        database.inTransaction(session -> {
            insertGatherError(session, jobId, message, now);
            return null;
        });
    }

    private static void insertGatherError(Session session, String jobId, String message, LocalDateTime now) {
        GatherErrorEntity error = new GatherErrorEntity();
        error.id = newId();
        error.jobId = jobId;
        error.message = message;
        error.created = now;
        session.persist(error);
    }

    /** @return the job's gather error messages, newest first */
    public List<String> gatherErrors(String jobId) {
        return database.inTransaction(session -> session.createSelectionQuery(
                        "select message from GatherErrorEntity where jobId = :j order by created desc", String.class)
                .setParameter("j", jobId)
                .getResultList());
    }

    // ---------------------------------------------------------------- objects

    /**
     * Claims an object for fetch and import: WAITING, or FETCH/IMPORT whose previous worker's lease expired.
     * Counts the delivery in {@code retry_times}.
     *
     * @return the claim, or empty if the object is finished, unknown, or held by a live worker
     */
    public Optional<ObjectClaim> claimObject(String objectId, Duration lease) {
        String token = newId();
        LocalDateTime now = now();
        return database.inTransaction(session -> {
            int updated = session.createNativeMutationQuery(
                            "update harvest_object set state = 'FETCH', claimed_by = :token, lease_until = :lease,"
                                    + " retry_times = coalesce(retry_times, 0) + 1, fetch_started = :now,"
                                    + " fetch_finished = null, import_started = null, import_finished = null"
                                    + " where id = :id and (state = 'WAITING' or state is null"
                                    + " or (state in ('FETCH', 'IMPORT') and lease_until < :now))"
                                    + " and exists (select 1 from harvest_job j where j.id = harvest_object.harvest_job_id"
                                    + " and j.status = 'Running')")
                    .setParameter("token", token)
                    .setParameter("lease", now.plus(lease))
                    .setParameter("now", now)
                    .setParameter("id", objectId)
                    .executeUpdate();
            if (updated == 0) {
                return Optional.empty();
            }
            // everything a worker needs, read in the claim's transaction rather than in one transaction each
            ObjectEntity object = session.find(ObjectEntity.class, objectId);
            session.refresh(object);
            Map<String, String> extras = extras(session, objectId);
            boolean deletion = DELETE_EXTRA_VALUE.equals(extras.get(DELETE_EXTRA_KEY));
            HarvestObject claimed = toApi(object, extras);
            if (claimed.packageId() == null) {
                String known = session.createSelectionQuery("select packageId from ObjectEntity where sourceId = :s"
                                + " and guid = :g and current = true and id <> :o", String.class)
                        .setParameter("s", object.sourceId)
                        .setParameter("g", object.guid)
                        .setParameter("o", objectId)
                        .setMaxResults(1)
                        .uniqueResultOptional()
                        .orElse(null);
                claimed = new HarvestObject(claimed.id(), claimed.guid(), claimed.jobId(), claimed.sourceId(),
                        claimed.content(), claimed.metadataModified(), known, claimed.extras());
            }
            return Optional.of(new ObjectClaim(claimed, toApi(session.find(JobEntity.class, object.jobId)),
                    toApi(session.find(SourceEntity.class, object.sourceId)), token, object.retryTimes, deletion));
        });
    }

    /**
     * Errors an object whose job is no longer running but which is still unfinished (delivered after an abort or a
     * timeout), as ckanext-harvest's fetch callback does.
     *
     * @return whether the object was errored by this call
     */
    public boolean errorObjectOfStoppedJob(String objectId) {
        LocalDateTime now = now();
        return database.inTransaction(session -> {
            int updated = session.createNativeMutationQuery(
                            "update harvest_object set state = 'ERROR', report_status = 'errored'"
                                    + " where id = :id and (state is null or state not in " + TERMINAL + ")"
                                    + " and exists (select 1 from harvest_job j where j.id = harvest_object.harvest_job_id"
                                    + " and j.status in ('Finished', 'Aborted'))")
                    .setParameter("id", objectId)
                    .executeUpdate();
            if (updated == 1) {
                String jobId = session.find(ObjectEntity.class, objectId).jobId;
                insertObjectError(session, objectId, "Job " + jobId + " was aborted or timed out, object " + objectId
                        + " set to error", "Fetch", null, now);
            }
            return updated == 1;
        });
    }

    private static Map<String, String> extras(Session session, String objectId) {
        Map<String, String> extras = new LinkedHashMap<>();
        session.createSelectionQuery("from ObjectExtraEntity where objectId = :o", ObjectExtraEntity.class)
                .setParameter("o", objectId)
                .getResultList()
                .forEach(extra -> extras.put(extra.key, extra.value));
        return extras;
    }

    /**
     * Gives a claimed object back (WAITING, no lease) after the engine failed mid-way, so that the message's
     * redelivery can claim it again at once.
     */
    public void releaseClaim(ObjectClaim claim) {
        database.inTransaction(session -> session.createNativeMutationQuery(
                        "update harvest_object set state = 'WAITING', claimed_by = null, lease_until = null"
                                + " where id = :id and claimed_by = :token and state in ('FETCH', 'IMPORT')")
                .setParameter("id", claim.object().id())
                .setParameter("token", claim.token())
                .executeUpdate());
    }

    /** @return whether the claim holder still holds the object (its lease was extended) */
    public boolean extendObjectLease(String objectId, String token, Duration lease) {
        LocalDateTime until = now().plus(lease);
        return database.inTransaction(session -> session.createNativeMutationQuery(
                        "update harvest_object set lease_until = :lease where id = :id and claimed_by = :token"
                                + " and state in ('FETCH', 'IMPORT')")
                .setParameter("lease", until)
                .setParameter("id", objectId)
                .setParameter("token", token)
                .executeUpdate()) == 1;
    }

    /**
     * FETCH → IMPORT, storing fetched content when there is any.
     *
     * @return false if the claim was lost
     */
    public boolean fetchSucceeded(ObjectClaim claim, String content) {
        LocalDateTime now = now();
        return database.inTransaction(session -> {
            var update = session.createNativeMutationQuery(
                            "update harvest_object set state = 'IMPORT', fetch_finished = :now, import_started = :now"
                                    + (content != null ? ", content = :content" : "")
                                    + " where id = :id and claimed_by = :token and state = 'FETCH'")
                    .setParameter("now", now)
                    .setParameter("id", claim.object().id())
                    .setParameter("token", claim.token());
            if (content != null) {
                update.setParameter("content", content);
            }
            return update.executeUpdate();
        }) == 1;
    }

    /**
     * Ends an object: COMPLETE or ERROR, with its report status, the dataset it maps to, the {@code current}
     * bookkeeping and any errors, in one transaction.
     *
     * @param claim the worker's claim
     * @param state COMPLETE or ERROR
     * @param report the report status
     * @param packageId the dataset, or null
     * @param makeCurrent whether this object becomes the dataset's current object (created or updated)
     * @param uncurrentPackage whether no object of the dataset stays current (deleted)
     * @param errors object errors to record: message, stage
     * @param afterFetch whether the object ends straight after fetch (no import stage)
     * @return false if the claim was lost (another worker took the object over); nothing was written then
     */
    public boolean finishObject(ObjectClaim claim, ObjectState state, ReportStatus report, String packageId,
            boolean makeCurrent, boolean uncurrentPackage, List<String[]> errors, boolean afterFetch) {
        LocalDateTime now = now();
        String objectId = claim.object().id();
        return database.inTransaction(session -> {
            int updated = session.createNativeMutationQuery(
                            "update harvest_object set state = :state, report_status = :report,"
                                    + " package_id = coalesce(:pkg, package_id), current = :current,"
                                    + " claimed_by = null, lease_until = null,"
                                    + (afterFetch ? " fetch_finished = :now" : " import_finished = :now")
                                    + " where id = :id and claimed_by = :token and state in ('FETCH', 'IMPORT')")
                    .setParameter("state", state.name())
                    .setParameter("report", report.value())
                    .setParameter("pkg", packageId)
                    .setParameter("current", makeCurrent)
                    .setParameter("now", now)
                    .setParameter("id", objectId)
                    .setParameter("token", claim.token())
                    .executeUpdate();
            if (updated == 0) {
                return false;
            }
            if ((makeCurrent || uncurrentPackage) && packageId != null) {
                session.createNativeMutationQuery("update harvest_object set current = false"
                                + " where package_id = :pkg and current = true and id <> :id")
                        .setParameter("pkg", packageId)
                        .setParameter("id", objectId)
                        .executeUpdate();
            }
            if (makeCurrent) {
                // one current object per guid of a source too, even if a harvester moved the guid to a new dataset
                session.createNativeMutationQuery("update harvest_object set current = false"
                                + " where harvest_source_id = :source and guid = :guid and current = true and id <> :id")
                        .setParameter("source", claim.object().sourceId())
                        .setParameter("guid", claim.object().guid())
                        .setParameter("id", objectId)
                        .executeUpdate();
            }
            for (String[] error : errors) {
                insertObjectError(session, objectId, error[0], error[1], null, now);
            }
            return true;
        });
    }

    /** Records an object error outside a stage transition (e.g. {@code recordError} from a plugin). */
    public void addObjectError(String objectId, String message, String stage, Integer line) {
        LocalDateTime now = now();
        database.inTransaction(session -> {
            insertObjectError(session, objectId, message, stage, line, now);
            return null;
        });
    }

    private static void insertObjectError(Session session, String objectId, String message, String stage,
            Integer line, LocalDateTime now) {
        ObjectErrorEntity error = new ObjectErrorEntity();
        error.id = newId();
        error.objectId = objectId;
        error.message = message;
        error.stage = stage;
        error.line = line;
        error.created = now;
        session.persist(error);
    }

    /** @return the source's current object for a guid, with content, excluding {@code exceptObjectId} */
    public Optional<HarvestObject> currentObject(String sourceId, String guid, String exceptObjectId) {
        return database.inTransaction(session -> session.createSelectionQuery(
                        "from ObjectEntity where sourceId = :s and guid = :g and current = true and id <> :o"
                                + " order by importFinished desc", ObjectEntity.class)
                .setParameter("s", sourceId)
                .setParameter("g", guid)
                .setParameter("o", exceptObjectId)
                .setMaxResults(1)
                .uniqueResultOptional()
                .map(object -> toApi(object, extras(session, object.id))));
    }

    /** A compact row for reports and tests. */
    public record ObjectSummary(String id, String guid, String state, String reportStatus, String packageId,
            boolean current, int retryTimes, List<String> errors) {}

    /**
     * @param jobId the job
     * @param onlyWithErrors only objects that have object errors
     * @param limit the most objects
     * @return the job's objects with their errors, in gather order; two queries whatever the limit
     */
    public List<ObjectSummary> objectsOfJob(String jobId, boolean onlyWithErrors, int limit) {
        return database.inTransaction(session -> {
            List<ObjectEntity> objects = session.createSelectionQuery("from ObjectEntity o where o.jobId = :j"
                            + (onlyWithErrors ? " and exists (from ObjectErrorEntity e where e.objectId = o.id)" : "")
                            + " order by o.gathered, o.guid", ObjectEntity.class)
                    .setParameter("j", jobId)
                    .setMaxResults(limit)
                    .getResultList();
            Map<String, List<String>> errors = new LinkedHashMap<>();
            if (!objects.isEmpty()) {
                session.createSelectionQuery("select e.objectId, e.message from ObjectErrorEntity e"
                                + " where e.objectId in (:ids) order by e.created", Object[].class)
                        .setParameterList("ids", objects.stream().map(object -> object.id).toList())
                        .getResultList()
                        .forEach(row -> errors.computeIfAbsent((String) row[0], id -> new ArrayList<>())
                                .add((String) row[1]));
            }
            return objects.stream()
                    .map(object -> new ObjectSummary(object.id, object.guid, object.state, object.reportStatus,
                            object.packageId, Boolean.TRUE.equals(object.current),
                            object.retryTimes == null ? 0 : object.retryTimes,
                            errors.getOrDefault(object.id, List.of())))
                    .toList();
        });
    }

    /** @return the job's objects counted by state */
    public Map<String, Long> objectStateCounts(String jobId) {
        return database.inTransaction(session -> {
            Map<String, Long> counts = new LinkedHashMap<>();
            session.createSelectionQuery("select state, count(*) from ObjectEntity where jobId = :j group by state",
                            Object[].class)
                    .setParameter("j", jobId)
                    .getResultList()
                    .forEach(row -> counts.put((String) row[0], ((Number) row[1]).longValue()));
            return counts;
        });
    }

    /**
     * @param jobId the job
     * @param guids only objects with these guids, or null for all
     * @param limit the most ids
     * @return ids of the job's WAITING objects, for the in-process run
     */
    public List<String> waitingObjectIds(String jobId, Collection<String> guids, int limit) {
        return database.inTransaction(session -> {
            var query = session.createSelectionQuery("select id from ObjectEntity where jobId = :j and state = 'WAITING'"
                    + (guids == null ? "" : " and guid in (:guids)") + " order by gathered", String.class)
                    .setParameter("j", jobId);
            if (guids != null) {
                query.setParameterList("guids", guids);
            }
            return query.setMaxResults(limit).getResultList();
        });
    }

    /**
     * Objects of running jobs whose fetch message may be lost: WAITING (only looked at when the fetch queue is
     * empty, so every WAITING object is then truly orphaned), or held by a worker whose lease expired. Uses the
     * state/lease index, not a scan of the whole table.
     */
    public List<String> objectsToRequeue(boolean includeWaiting, int limit) {
        LocalDateTime now = now();
        return database.inTransaction(session -> session.createNativeQuery(
                        "select o.id from harvest_object o join harvest_job j on j.id = o.harvest_job_id"
                                + " where j.status = 'Running' and ("
                                + (includeWaiting ? "o.state = 'WAITING' or " : "")
                                + "(o.state in ('FETCH', 'IMPORT') and o.lease_until < :now))", String.class)
                .setParameter("now", now)
                .setMaxResults(limit)
                .getResultList());
    }

    /** Records that objects were re-sent to the fetch queue. */
    public void markObjectsQueued(Collection<String> objectIds) {
        if (objectIds.isEmpty()) {
            return;
        }
        LocalDateTime now = now();
        database.inTransaction(session -> session.createNativeMutationQuery(
                        "update harvest_object set queued_at = :now where id in (:ids)")
                .setParameter("now", now)
                .setParameterList("ids", objectIds)
                .executeUpdate());
    }

    // ---------------------------------------------------------------- harvest_log

    /** @return the number of {@code harvest_log} records created at or before {@code cutoff} that were deleted */
    public int deleteLogOlderThan(LocalDateTime cutoff) {
        return database.inTransaction(session -> session.createMutationQuery(
                        "delete from LogEntity where created <= :cutoff")
                .setParameter("cutoff", cutoff)
                .executeUpdate());
    }

    // ---------------------------------------------------------------- statistics

    /** @return the job's statistics and error summaries (spec §3.10) */
    public JobStats jobStats(String jobId) {
        return database.inTransaction(session -> {
            Map<String, Long> counts = new LinkedHashMap<>();
            for (String key : List.of("added", "updated", "not modified", "errored", "deleted")) {
                counts.put(key, 0L);
            }
            for (Object[] row : session.createNativeQuery(
                            "select report_status, count(*) from harvest_object where harvest_job_id = :j"
                                    + " group by report_status", Object[].class)
                    .setParameter("j", jobId)
                    .getResultList()) {
                counts.put(row[0] == null ? "null" : (String) row[0], ((Number) row[1]).longValue());
            }
            long objectsWithErrors = ((Number) session.createNativeQuery(
                            "select count(distinct e.harvest_object_id) from harvest_object_error e"
                                    + " join harvest_object o on o.id = e.harvest_object_id where o.harvest_job_id = :j",
                            Object.class)
                    .setParameter("j", jobId)
                    .getSingleResult()).longValue();
            if (objectsWithErrors > 0) {
                counts.put("errored", objectsWithErrors);
            }
            long gatherErrors = ((Number) session.createNativeQuery(
                            "select count(*) from harvest_gather_error where harvest_job_id = :j", Object.class)
                    .setParameter("j", jobId)
                    .getSingleResult()).longValue();
            if (gatherErrors > 0) {
                counts.put("errored", counts.get("errored") + gatherErrors);
            }
            List<JobStats.ErrorCount> objectSummary = summary(session,
                    "select e.message, count(*) from harvest_object_error e join harvest_object o"
                            + " on o.id = e.harvest_object_id where o.harvest_job_id = :j group by e.message"
                            + " order by count(*) desc", jobId);
            List<JobStats.ErrorCount> gatherSummary = summary(session,
                    "select message, count(*) from harvest_gather_error where harvest_job_id = :j group by message"
                            + " order by count(*) desc", jobId);
            return new JobStats(counts, objectSummary, gatherSummary);
        });
    }

    private static List<JobStats.ErrorCount> summary(Session session, String sql, String jobId) {
        // messages are clob columns: grouping works on PostgreSQL text and H2 CLOB alike via a cast
        String portable = sql.replace("e.message", "cast(e.message as varchar(4000))")
                .replace("select message", "select cast(message as varchar(4000))")
                .replace("group by message", "group by cast(message as varchar(4000))");
        return session.createNativeQuery(portable, Object[].class)
                .setParameter("j", jobId)
                .setMaxResults(20)
                .getResultList()
                .stream()
                .map(row -> new JobStats.ErrorCount((String) row[0], ((Number) row[1]).longValue()))
                .toList();
    }

    // ---------------------------------------------------------------- mapping

    static HarvestSource toApi(SourceEntity source) {
        return new HarvestSource(source.id, source.name, source.title, source.url, source.type,
                source.config == null ? "" : source.config, source.ownerOrg,
                source.frequency == null ? "MANUAL" : source.frequency, Boolean.TRUE.equals(source.active));
    }

    static HarvestJob toApi(JobEntity job) {
        return new HarvestJob(job.id, job.sourceId, job.status, instant(job.created), instant(job.gatherStarted),
                instant(job.gatherFinished), instant(job.finished));
    }

    static HarvestObject toApi(ObjectEntity object, Map<String, String> extras) {
        return new HarvestObject(object.id, object.guid, object.jobId, object.sourceId, object.content,
                instant(object.metadataModifiedDate), object.packageId, extras);
    }

    static java.time.Instant instant(LocalDateTime time) {
        return time == null ? null : time.toInstant(ZoneOffset.UTC);
    }
}
