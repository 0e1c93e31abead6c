package dev.harvest.core.store;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.core.db.HarvestDatabase;
import dev.harvest.core.progress.JobActivity;
import dev.harvest.core.progress.JobProgress;
import dev.harvest.core.progress.JobStages;
import dev.harvest.core.progress.StallHints;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hibernate.Session;

/**
 * The read side for front ends (the CLI, reports, an embedding application's pages): sources, jobs, statistics,
 * objects and errors, as API records and plain values. Nothing here changes state, and nothing hands out a
 * database session.
 */
public final class HarvestQueries {

    private final HarvestDatabase database;
    private final SourceStore sources;
    private final JobStore jobs;
    private final GatherWriter gather;

    public HarvestQueries(HarvestDatabase database, SourceStore sources, JobStore jobs, GatherWriter gather) {
        this.database = database;
        this.sources = sources;
        this.jobs = jobs;
        this.gather = gather;
    }

    /** @return the source with this id or name */
    public Optional<HarvestSource> findSource(String idOrName) {
        return sources.findSource(idOrName);
    }

    /** @return sources, newest first */
    public List<HarvestSource> listSources(boolean includeInactive, int limit) {
        return sources.listSources(includeInactive, limit);
    }

    /** @return the job */
    public Optional<HarvestJob> findJob(String jobId) {
        return jobs.findJob(jobId);
    }

    /** @return the source's most recently created job */
    public Optional<HarvestJob> latestJob(String sourceId) {
        return jobs.latestJob(sourceId);
    }

    /** @return jobs, newest first, of one source or all when {@code sourceId} is null, of a status or all */
    public List<HarvestJob> listJobs(String sourceId, JobStatus status) {
        return jobs.listJobs(sourceId, status);
    }

    /** @return the number of jobs of a source */
    public long jobCount(String sourceId) {
        return jobs.jobCount(sourceId);
    }

    /** @return the most recent earlier finished job of the source without errors */
    public Optional<HarvestJob> lastErrorFreeJob(String sourceId, String excludingJobId) {
        return jobs.lastErrorFreeJob(sourceId, excludingJobId);
    }

    /** @return the number of datasets the source currently provides */
    public long currentDatasetCount(String sourceId) {
        return gather.currentDatasetCount(sourceId);
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
        return database.read(session -> {
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

    /**
     * One error of a job, for an export: a gather error (no object), or an object error with its object.
     *
     * @param stage {@code Gather} for a gather error, else the object error's stage ({@code Fetch}, {@code Import},
     *     {@code Abort}, {@code Timeout})
     * @param objectId the object, or null for a gather error
     * @param guid the object's guid, or null
     * @param packageId the object's dataset, or null
     * @param message the message
     * @param line the document line, or null
     * @param created when the error was recorded (UTC)
     */
    public record ErrorRow(String stage, String objectId, String guid, String packageId, String message, Integer line,
            java.time.LocalDateTime created) {}

    /**
     * Streams every error of a job to {@code sink}, gather errors first, then object errors by object gather order:
     * a database cursor read in fetches of 500 rows, so an export of any size needs bounded memory. The sink runs
     * inside the read transaction.
     *
     * @param jobId the job
     * @param sink receives each error
     * @return the number of errors streamed
     */
    public long forEachError(String jobId, java.util.function.Consumer<ErrorRow> sink) {
        return database.read(session -> session.doReturningWork(connection -> {
            long count = 0;
            try (java.sql.PreparedStatement gather = connection.prepareStatement("select message, created"
                    + " from harvest_gather_error where harvest_job_id = ? order by created, id")) {
                gather.setFetchSize(500);
                gather.setString(1, jobId);
                try (java.sql.ResultSet rows = gather.executeQuery()) {
                    while (rows.next()) {
                        sink.accept(new ErrorRow("Gather", null, null, null, rows.getString(1), null,
                                time(rows.getTimestamp(2))));
                        count++;
                    }
                }
            }
            try (java.sql.PreparedStatement objects = connection.prepareStatement("select e.stage, o.id, o.guid,"
                    + " o.package_id, e.message, e.line, e.created from harvest_object_error e join harvest_object o"
                    + " on o.id = e.harvest_object_id where o.harvest_job_id = ?"
                    + " order by o.gathered, o.guid, o.id, e.created, e.id")) {
                objects.setFetchSize(500);
                objects.setString(1, jobId);
                try (java.sql.ResultSet rows = objects.executeQuery()) {
                    while (rows.next()) {
                        int number = rows.getInt(6);
                        Integer line = rows.wasNull() ? null : number;
                        sink.accept(new ErrorRow(rows.getString(1), rows.getString(2), rows.getString(3),
                                rows.getString(4), rows.getString(5), line, time(rows.getTimestamp(7))));
                        count++;
                    }
                }
            }
            return count;
        }));
    }

    private static java.time.LocalDateTime time(java.sql.Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toLocalDateTime();
    }

    /** @return the job's objects counted by state */
    public Map<String, Long> objectStateCounts(String jobId) {
        return database.read(session -> {
            Map<String, Long> counts = new LinkedHashMap<>();
            session.createSelectionQuery("select state, count(*) from ObjectEntity where jobId = :j group by state",
                            Object[].class)
                    .setParameter("j", jobId)
                    .getResultList()
                    .forEach(row -> counts.put((String) row[0], ((Number) row[1]).longValue()));
            return counts;
        });
    }

    /** The most job ids bound in one statement; longer lists are read a chunk at a time. */
    private static final int IDS_PER_STATEMENT = 500;

    /** @return the current time of the stores' clock, UTC as stored: what leases and stall hints compare with */
    public java.time.LocalDateTime now() {
        return jobs.now();
    }

    /**
     * The objects of many jobs counted by stage: one grouped statement per {@value #IDS_PER_STATEMENT} jobs, which
     * the {@code (harvest_job_id, state)} index answers; never a statement per job or per object.
     *
     * @param jobIds the jobs
     * @return each job's stages, {@link JobStages#NONE} for a job without objects
     */
    public Map<String, JobStages> jobStages(java.util.Collection<String> jobIds) {
        Map<String, Map<String, Long>> counts = new LinkedHashMap<>();
        jobIds.forEach(id -> counts.put(id, new LinkedHashMap<>()));
        forEachChunk(jobIds, (chunk, connection) -> {
            try (java.sql.PreparedStatement select = connection.prepareStatement("select harvest_job_id, state,"
                    + " count(*) from harvest_object where harvest_job_id in (" + marks(chunk.size()) + ")"
                    + " group by harvest_job_id, state")) {
                bind(select, 1, chunk);
                try (java.sql.ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        counts.get(rows.getString(1)).put(rows.getString(2), rows.getLong(3));
                    }
                }
            }
        });
        Map<String, JobStages> stages = new LinkedHashMap<>();
        counts.forEach((id, byState) -> stages.put(id, JobStages.of(byState)));
        return stages;
    }

    /**
     * @param jobIds the jobs
     * @return each job's number of gather errors; one grouped statement per {@value #IDS_PER_STATEMENT} jobs
     */
    public Map<String, Long> gatherErrorCounts(java.util.Collection<String> jobIds) {
        Map<String, Long> counts = new LinkedHashMap<>();
        jobIds.forEach(id -> counts.put(id, 0L));
        forEachChunk(jobIds, (chunk, connection) -> {
            try (java.sql.PreparedStatement select = connection.prepareStatement("select harvest_job_id, count(*)"
                    + " from harvest_gather_error where harvest_job_id in (" + marks(chunk.size()) + ")"
                    + " group by harvest_job_id")) {
                bind(select, 1, chunk);
                try (java.sql.ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        counts.put(rows.getString(1), rows.getLong(2));
                    }
                }
            }
        });
        return counts;
    }

    /**
     * What tells whether unfinished jobs move: for each job its gather claim, its objects by stage, the claims whose
     * lease expired, and when an object was last claimed and gathered. One grouped statement per
     * {@value #IDS_PER_STATEMENT} jobs; meant for the {@code New} and {@code Running} jobs of a listing (it reads
     * every object row of the jobs asked for, where {@link #jobStages} needs only the index).
     *
     * @param jobIds the jobs
     * @return each job found, by id
     */
    public Map<String, JobActivity> jobActivity(java.util.Collection<String> jobIds) {
        java.sql.Timestamp now = java.sql.Timestamp.valueOf(now());
        Map<String, JobActivity> activity = new LinkedHashMap<>();
        forEachChunk(jobIds, (chunk, connection) -> {
            String inFlight = "o.state in ('FETCH', 'IMPORT') and o.lease_until < ?";
            try (java.sql.PreparedStatement select = connection.prepareStatement("select j.id, j.status, j.created,"
                    + " j.queued_at, j.gather_started, j.gather_finished, j.gather_lease_until,"
                    + " a.waiting, a.fetching, a.importing, a.complete, a.errored, a.expired, a.oldest_expired,"
                    + " a.last_claim, a.last_gathered"
                    + " from harvest_job j left join (select o.harvest_job_id,"
                    + " sum(case when o.state = 'WAITING' then 1 else 0 end) waiting,"
                    + " sum(case when o.state = 'FETCH' then 1 else 0 end) fetching,"
                    + " sum(case when o.state = 'IMPORT' then 1 else 0 end) importing,"
                    + " sum(case when o.state = 'COMPLETE' then 1 else 0 end) complete,"
                    + " sum(case when o.state = 'ERROR' then 1 else 0 end) errored,"
                    + " sum(case when " + inFlight + " then 1 else 0 end) expired,"
                    + " min(case when " + inFlight + " then o.lease_until end) oldest_expired,"
                    + " max(o.fetch_started) last_claim, max(o.gathered) last_gathered"
                    + " from harvest_object o where o.harvest_job_id in (" + marks(chunk.size()) + ")"
                    + " group by o.harvest_job_id) a on a.harvest_job_id = j.id"
                    + " where j.id in (" + marks(chunk.size()) + ")")) {
                select.setTimestamp(1, now);
                select.setTimestamp(2, now);
                bind(select, 3, chunk);
                bind(select, 3 + chunk.size(), chunk);
                try (java.sql.ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        JobStages stages = new JobStages(rows.getLong(8), rows.getLong(9), rows.getLong(10),
                                rows.getLong(11), rows.getLong(12));
                        activity.put(rows.getString(1), new JobActivity(rows.getString(1), rows.getString(2),
                                time(rows.getTimestamp(3)), time(rows.getTimestamp(4)), time(rows.getTimestamp(5)),
                                time(rows.getTimestamp(6)), time(rows.getTimestamp(7)), stages, rows.getLong(13),
                                time(rows.getTimestamp(14)), time(rows.getTimestamp(15)),
                                time(rows.getTimestamp(16))));
                    }
                }
            }
        });
        return activity;
    }

    /**
     * Why each unfinished job among {@code jobs} is stalled, from {@link #jobActivity} of those jobs alone (finished
     * jobs cost nothing): see {@link StallHints}.
     *
     * @param jobList jobs of a listing
     * @param stalledAfter how long without progress makes a job stalled
     * @return the hints of each job that has any
     */
    public Map<String, List<String>> stallHints(List<HarvestJob> jobList, java.time.Duration stalledAfter) {
        List<String> unfinished = jobList.stream()
                .filter(job -> "New".equals(job.status()) || "Running".equals(job.status()))
                .map(HarvestJob::id)
                .toList();
        Map<String, List<String>> hints = new LinkedHashMap<>();
        if (unfinished.isEmpty()) {
            return hints;
        }
        java.time.LocalDateTime now = now();
        jobActivity(unfinished).forEach((id, activity) -> {
            List<String> reasons = StallHints.of(activity, now, stalledAfter);
            if (!reasons.isEmpty()) {
                hints.put(id, reasons);
            }
        });
        return hints;
    }

    /**
     * A job's progress in one statement: its gather state, its objects by stage (from the
     * {@code (harvest_job_id, state)} index) and its gather errors. What a progress line reads at every tick.
     *
     * @param jobId the job
     * @return its progress, or empty if there is no such job
     */
    public Optional<JobProgress> jobProgress(String jobId) {
        return progress("?", jobId);
    }

    /**
     * {@link #jobProgress} of the source's newest {@code Running} job, found in the same statement: what
     * {@code run_test} watches before it knows its job's id.
     *
     * @param sourceId the source
     * @return its running job's progress, or empty if none runs
     */
    public Optional<JobProgress> runningJobProgress(String sourceId) {
        return progress("(select r.id from harvest_job r where r.source_id = ? and r.status = 'Running'"
                + " order by r.created desc fetch first 1 rows only)", sourceId);
    }

    /**
     * @param job an expression of the job's id with one parameter, used twice: the objects are counted by state in a
     *     subquery of their own (an index-only scan of {@code (harvest_job_id, state)} on PostgreSQL, 9 to 17 ms for
     *     50,000 objects) before the job's row joins them, so that no wide row is sorted per object
     */
    private Optional<JobProgress> progress(String job, String value) {
        return database.read(session -> session.doReturningWork(connection -> {
            try (java.sql.PreparedStatement select = connection.prepareStatement("select j.id, j.status,"
                    + " j.gather_started, j.gather_finished,"
                    + " (select count(*) from harvest_gather_error g where g.harvest_job_id = j.id) gather_errors,"
                    + " c.state, c.objects"
                    + " from harvest_job j left join (select o.state, count(*) objects from harvest_object o"
                    + " where o.harvest_job_id = " + job + " group by o.state) c on 1 = 1"
                    + " where j.id = " + job)) {
                select.setString(1, value);
                select.setString(2, value);
                try (java.sql.ResultSet rows = select.executeQuery()) {
                    String id = null;
                    String status = null;
                    boolean started = false;
                    boolean finished = false;
                    long gatherErrors = 0;
                    Map<String, Long> byState = new LinkedHashMap<>();
                    while (rows.next()) {
                        id = rows.getString(1);
                        status = rows.getString(2);
                        started = rows.getTimestamp(3) != null;
                        finished = rows.getTimestamp(4) != null;
                        gatherErrors = rows.getLong(5);
                        if (rows.getString(6) != null) {
                            byState.put(rows.getString(6), rows.getLong(7));
                        }
                    }
                    return id == null ? Optional.<JobProgress>empty() : Optional.of(new JobProgress(id, status,
                            started, finished, JobStages.of(byState), gatherErrors));
                }
            }
        }));
    }

    /** Work on one chunk of ids with a connection. */
    private interface ChunkWork {
        void run(List<String> chunk, java.sql.Connection connection) throws java.sql.SQLException;
    }

    private void forEachChunk(java.util.Collection<String> ids, ChunkWork work) {
        List<String> all = List.copyOf(new java.util.LinkedHashSet<>(ids));
        if (all.isEmpty()) {
            return;
        }
        database.read(session -> {
            session.doWork(connection -> {
                for (int from = 0; from < all.size(); from += IDS_PER_STATEMENT) {
                    work.run(all.subList(from, Math.min(all.size(), from + IDS_PER_STATEMENT)), connection);
                }
            });
            return null;
        });
    }

    private static String marks(int count) {
        return String.join(", ", java.util.Collections.nCopies(Math.max(count, 1), "?"));
    }

    private static void bind(java.sql.PreparedStatement statement, int from, List<String> values)
            throws java.sql.SQLException {
        for (int i = 0; i < values.size(); i++) {
            statement.setString(from + i, values.get(i));
        }
    }

    /** @return the job's gather error messages, newest first */
    public List<String> gatherErrors(String jobId) {
        return database.read(session -> session.createSelectionQuery(
                        "select message from GatherErrorEntity where jobId = :j order by created desc", String.class)
                .setParameter("j", jobId)
                .getResultList());
    }

    /** @return the job's statistics and error summaries (spec §3.10) */
    public JobStats jobStats(String jobId) {
        return database.read(session -> {
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
}
