package dev.harvest.core.action;

import dev.harvest.core.HarvestException;
import dev.harvest.core.db.JdbcReads;
import dev.harvest.core.db.HarvestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * What the actions read that the engine's read side ({@link dev.harvest.core.store.HarvestQueries}) does not offer:
 * whole source rows, objects with errors and extras, object ids, the harvest log, job statistics for a page of jobs
 * at once. Plain JDBC over the engine's pool; every statement is bounded by its caller's limit.
 */
final class ActionStore {

    /** Attributes {@code harvest_object_show} may look an object up by (its {@code attr}). */
    static final List<String> OBJECT_ATTRIBUTES = List.of("id", "guid", "package_id", "harvest_job_id",
            "harvest_source_id");

    private static final String SOURCE_COLUMNS = "id, name, url, title, description, config, created, type, active,"
            + " owner_org, frequency, next_run";

    private static final String OBJECT_COLUMNS = "id, guid, current, gathered, fetch_started, fetch_finished,"
            + " import_started, import_finished, content, state, metadata_modified_date, retry_times,"
            + " harvest_job_id, harvest_source_id, package_id, report_status";

    private static final int IDS_PER_STATEMENT = 500;

    private final DataSource dataSource;

    ActionStore(HarvestDatabase database) {
        this.dataSource = database.dataSource();
    }

    /** A {@code harvest_source} row. Times are UTC. */
    record SourceRow(String id, String name, String url, String title, String description, String config,
            LocalDateTime created, String type, boolean active, String ownerOrg, String frequency,
            LocalDateTime nextRun) {}

    Optional<SourceRow> sourceById(String id) {
        return sources("where id = ?", 1, id).stream().findFirst();
    }

    Optional<SourceRow> sourceByUrl(String url) {
        return sources("where url = ? order by created desc", 1, url).stream().findFirst();
    }

    /**
     * @param organizationId only this organization's, or null
     * @param onlyActive only active ones
     * @param limit the most rows
     * @return sources, newest first
     */
    List<SourceRow> listSources(String organizationId, boolean onlyActive, int limit) {
        List<String> where = new ArrayList<>();
        List<Object> values = new ArrayList<>();
        if (organizationId != null) {
            where.add("owner_org = ?");
            values.add(organizationId);
        }
        if (onlyActive) {
            where.add("active = ?");
            values.add(true);
        }
        return sources((where.isEmpty() ? "" : "where " + String.join(" and ", where)) + " order by created desc",
                limit, values.toArray());
    }

    private List<SourceRow> sources(String where, int limit, Object... values) {
        return query("select " + SOURCE_COLUMNS + " from harvest_source " + where + " fetch first " + limit
                + " rows only", rows -> {
                    List<SourceRow> found = new ArrayList<>();
                    while (rows.next()) {
                        found.add(new SourceRow(rows.getString(1), rows.getString(2), rows.getString(3),
                                rows.getString(4), rows.getString(5), rows.getString(6), time(rows, 7),
                                rows.getString(8), rows.getBoolean(9), rows.getString(10), rows.getString(11),
                                time(rows, 12)));
                    }
                    return found;
                }, values);
    }

    /**
     * The deprecated {@code status} of {@code harvest_source_list} items (spec §3.10), for many sources in two
     * grouped statements.
     *
     * @param sourceIds the sources
     * @return per source {@code {job_count, next_harvest, last_harvest_request[, msg]}}
     */
    Map<String, Map<String, Object>> legacyStatus(List<String> sourceIds) {
        Map<String, Map<String, Object>> statuses = new LinkedHashMap<>();
        if (sourceIds.isEmpty()) {
            return statuses;
        }
        String marks = String.join(", ", java.util.Collections.nCopies(sourceIds.size(), "?"));
        Map<String, long[]> counts = new LinkedHashMap<>();
        query("select source_id, count(*), sum(case when status = 'New' then 1 else 0 end) from harvest_job"
                + " where source_id in (" + marks + ") group by source_id", rows -> {
                    while (rows.next()) {
                        counts.put(rows.getString(1), new long[] {rows.getLong(2), rows.getLong(3)});
                    }
                    return null;
                }, sourceIds.toArray());
        Map<String, String> lastHarvest = new LinkedHashMap<>();
        query("select j.source_id, j.gather_finished from harvest_job j where j.status = 'Finished'"
                + " and j.source_id in (" + marks + ") order by j.source_id, j.created desc", rows -> {
                    while (rows.next()) {
                        String gatherFinished = Dicts.time(time(rows, 2));
                        lastHarvest.putIfAbsent(rows.getString(1), gatherFinished == null ? "None" : gatherFinished);
                    }
                    return null;
                }, sourceIds.toArray());
        for (String id : sourceIds) {
            Map<String, Object> status = new LinkedHashMap<>();
            long[] count = counts.get(id);
            if (count == null) {
                status.put("job_count", 0);
                status.put("next_harvest", "");
                status.put("last_harvest_request", "");
                status.put("msg", "No jobs yet");
            } else {
                status.put("job_count", count[0]);
                status.put("next_harvest", count[1] > 0 ? "Scheduled" : "Not yet scheduled");
                status.put("last_harvest_request", lastHarvest.getOrDefault(id, "Not yet harvested"));
            }
            statuses.put(id, status);
        }
        return statuses;
    }

    /** Sets a source's description, which CKAN calls {@code notes}. */
    void setDescription(String sourceId, String description) {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement update = JdbcReads.prepare(connection,
                        "update harvest_source set description = ? where id = ?", description, sourceId)) {
            update.executeUpdate();
            if (!connection.getAutoCommit()) {
                connection.commit();
            }
        } catch (SQLException e) {
            throw new HarvestException("Cannot save the source's notes: " + e.getMessage());
        }
    }

    /**
     * @param level an upper-cased level, or null for all
     * @param limit the most records
     * @param offset records to skip
     * @return {@code harvest_log} records, newest first, as {@code {content, level, created}}
     */
    List<Map<String, Object>> logs(String level, int limit, int offset) {
        return query("select content, level, created from harvest_log"
                + (level == null ? "" : " where upper(level) = ?") + " order by created desc, id desc"
                + " offset " + Math.max(0, offset) + " rows fetch next " + Math.max(0, limit) + " rows only", rows -> {
                    List<Map<String, Object>> records = new ArrayList<>();
                    while (rows.next()) {
                        Map<String, Object> record = new LinkedHashMap<>();
                        record.put("content", rows.getString(1));
                        record.put("level", rows.getString(2));
                        record.put("created", Dicts.time(time(rows, 3)));
                        records.add(record);
                    }
                    return records;
                }, level == null ? new Object[0] : new Object[] {level});
    }

    /**
     * @param attribute one of {@link #OBJECT_ATTRIBUTES}
     * @param value its value
     * @return the first object with it, as spec §5.2's object dict without errors and extras
     */
    Optional<Map<String, Object>> object(String attribute, String value) {
        if (!OBJECT_ATTRIBUTES.contains(attribute)) {
            throw new IllegalArgumentException(attribute);
        }
        return objects("where " + attribute + " = ? order by gathered desc, id", value);
    }

    /** @return the dataset's current object with the latest import, as {@link #object} */
    Optional<Map<String, Object>> currentObjectOfDataset(String packageId) {
        return objects("where package_id = ? and current = true order by import_finished desc", packageId);
    }

    private Optional<Map<String, Object>> objects(String where, String value) {
        Optional<Map<String, Object>> object = query("select " + OBJECT_COLUMNS + " from harvest_object " + where
                + " fetch first 1 rows only", rows -> {
                    if (!rows.next()) {
                        return Optional.<Map<String, Object>>empty();
                    }
                    Map<String, Object> dict = new LinkedHashMap<>();
                    dict.put("id", rows.getString(1));
                    dict.put("guid", rows.getString(2));
                    dict.put("current", rows.getBoolean(3));
                    dict.put("gathered", Dicts.time(time(rows, 4)));
                    dict.put("fetch_started", Dicts.time(time(rows, 5)));
                    dict.put("fetch_finished", Dicts.time(time(rows, 6)));
                    dict.put("import_started", Dicts.time(time(rows, 7)));
                    dict.put("import_finished", Dicts.time(time(rows, 8)));
                    dict.put("content", rows.getString(9));
                    dict.put("state", rows.getString(10));
                    dict.put("metadata_modified_date", Dicts.time(time(rows, 11)));
                    dict.put("retry_times", rows.getInt(12));
                    dict.put("harvest_job_id", rows.getString(13));
                    dict.put("harvest_source_id", rows.getString(14));
                    dict.put("package_id", rows.getString(15));
                    dict.put("report_status", rows.getString(16));
                    return Optional.of(dict);
                }, value);
        object.ifPresent(this::addErrorsAndExtras);
        return object;
    }

    private void addErrorsAndExtras(Map<String, Object> object) {
        String id = (String) object.get("id");
        object.put("source", object.get("harvest_source_id"));
        object.put("job", object.get("harvest_job_id"));
        if (object.get("package_id") != null) {
            object.put("package", object.get("package_id"));
        }
        object.put("errors", query("select id, harvest_object_id, message, stage, line, created"
                + " from harvest_object_error where harvest_object_id = ? order by created, id", rows -> {
                    List<Map<String, Object>> errors = new ArrayList<>();
                    while (rows.next()) {
                        Map<String, Object> error = new LinkedHashMap<>();
                        error.put("id", rows.getString(1));
                        error.put("harvest_object_id", rows.getString(2));
                        error.put("message", rows.getString(3));
                        error.put("stage", rows.getString(4));
                        int line = rows.getInt(5);
                        error.put("line", rows.wasNull() ? null : line);
                        error.put("created", Dicts.time(time(rows, 6)));
                        errors.add(error);
                    }
                    return errors;
                }, id));
        object.put("extras", query("select key, value from harvest_object_extra where harvest_object_id = ?"
                + " order by key", rows -> {
                    Map<String, Object> extras = new LinkedHashMap<>();
                    while (rows.next()) {
                        extras.put(rows.getString(1), rows.getString(2));
                    }
                    return extras;
                }, id));
    }

    /**
     * @param sourceId a source, or null for all
     * @param onlyCurrent only current objects
     * @param limit the most ids
     * @param offset ids to skip
     * @return object ids, in id order
     */
    List<String> objectIds(String sourceId, boolean onlyCurrent, int limit, int offset) {
        List<String> where = new ArrayList<>();
        List<Object> values = new ArrayList<>();
        if (sourceId != null) {
            where.add("harvest_source_id = ?");
            values.add(sourceId);
        }
        if (onlyCurrent) {
            where.add("current = true");
        }
        return query("select id from harvest_object" + (where.isEmpty() ? "" : " where " + String.join(" and ", where))
                + " order by id offset " + offset + " rows fetch next " + limit + " rows only", rows -> {
                    List<String> ids = new ArrayList<>();
                    while (rows.next()) {
                        ids.add(rows.getString(1));
                    }
                    return ids;
                }, values.toArray());
    }

    /**
     * Spec §3.10's statistics of many jobs: three grouped statements per {@value #IDS_PER_STATEMENT} jobs, never a
     * statement per job.
     *
     * @param jobIds the jobs
     * @return each job's {@code {added, updated, not modified, errored, deleted[, null]}}
     */
    Map<String, Map<String, Long>> jobStats(Collection<String> jobIds) {
        Map<String, Map<String, Long>> stats = new LinkedHashMap<>();
        List<String> ids = List.copyOf(new LinkedHashSet<>(jobIds));
        for (String id : ids) {
            Map<String, Long> counts = new LinkedHashMap<>();
            for (String key : List.of("added", "updated", "not modified", "errored", "deleted")) {
                counts.put(key, 0L);
            }
            stats.put(id, counts);
        }
        for (int from = 0; from < ids.size(); from += IDS_PER_STATEMENT) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + IDS_PER_STATEMENT));
            String marks = String.join(", ", java.util.Collections.nCopies(chunk.size(), "?"));
            Object[] values = chunk.toArray();
            query("select harvest_job_id, report_status, count(*) from harvest_object where harvest_job_id in ("
                    + marks + ") group by harvest_job_id, report_status", rows -> {
                        while (rows.next()) {
                            String status = rows.getString(2);
                            stats.get(rows.getString(1)).put(status == null ? "null" : status, rows.getLong(3));
                        }
                        return null;
                    }, values);
            query("select o.harvest_job_id, count(distinct e.harvest_object_id) from harvest_object_error e"
                    + " join harvest_object o on o.id = e.harvest_object_id where o.harvest_job_id in (" + marks
                    + ") group by o.harvest_job_id", rows -> {
                        while (rows.next()) {
                            if (rows.getLong(2) > 0) {
                                stats.get(rows.getString(1)).put("errored", rows.getLong(2));
                            }
                        }
                        return null;
                    }, values);
            query("select harvest_job_id, count(*) from harvest_gather_error where harvest_job_id in (" + marks
                    + ") group by harvest_job_id", rows -> {
                        while (rows.next()) {
                            stats.get(rows.getString(1)).merge("errored", rows.getLong(2), Long::sum);
                        }
                        return null;
                    }, values);
        }
        return stats;
    }

    private static LocalDateTime time(ResultSet rows, int column) throws SQLException {
        Timestamp timestamp = rows.getTimestamp(column);
        return timestamp == null ? null : timestamp.toLocalDateTime();
    }

    private <T> T query(String sql, JdbcReads.RowReader<T> reader, Object... values) {
        return JdbcReads.query(dataSource, "Cannot read the harvest database", sql, reader, values);
    }
}
