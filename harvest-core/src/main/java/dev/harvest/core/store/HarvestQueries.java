package dev.harvest.core.store;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.core.db.HarvestDatabase;
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
