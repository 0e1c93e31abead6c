package dev.harvest.core.testing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.util.List;

/**
 * Writes harvest history into a {@link CkanSiteDatabase} the way ckanext-harvest stores it: a source is a CKAN
 * dataset of type {@code harvest} (name, title, organization in {@code package}) plus its {@code harvest_source} row;
 * harvested datasets are {@code package} rows that objects point at.
 */
public final class CkanSiteHistory implements AutoCloseable {

    /** When the history starts; every row is dated from it. */
    public static final LocalDateTime T0 = LocalDateTime.of(2024, 3, 1, 8, 0);

    private final Connection connection;
    private int sequence;

    public CkanSiteHistory(CkanSiteDatabase site) throws SQLException {
        this.connection = site.connect();
    }

    private void execute(String sql, Object... values) {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                Object value = values[i] instanceof LocalDateTime time ? Timestamp.valueOf(time) : values[i];
                statement.setObject(i + 1, value);
            }
            statement.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    private LocalDateTime next() {
        return T0.plusMinutes(++sequence);
    }

    /** A harvest source: its dataset of type harvest (with {@code title}) and its row (with an empty title). */
    public CkanSiteHistory source(String id, String name, String title, String url, String type, boolean active,
            String ownerOrg, String frequency, String config) {
        execute("insert into package (id, name, title, owner_org, type, state) values (?, ?, ?, ?, 'harvest', ?)",
                id, name, title, ownerOrg, active ? "active" : "deleted");
        execute("insert into harvest_source (id, url, title, description, config, created, type, active, user_id,"
                + " publisher_id, frequency) values (?, ?, '', '', ?, ?, ?, ?, '', '', ?)",
                id, url, config, next(), type, active, frequency);
        return this;
    }

    /** A job; times follow its status (a Finished job has all of them). */
    public CkanSiteHistory job(String id, String sourceId, String status) {
        LocalDateTime created = next();
        boolean gathered = !status.equals("New");
        execute("insert into harvest_job (id, created, gather_started, gather_finished, finished, source_id, status)"
                + " values (?, ?, ?, ?, ?, ?, ?)", id, created, gathered ? created.plusSeconds(1) : null,
                gathered ? created.plusSeconds(5) : null, status.equals("Finished") ? created.plusSeconds(30) : null,
                sourceId, status);
        return this;
    }

    /** A local dataset (a {@code package} row of type dataset), as a harvest import created it. */
    public CkanSiteHistory dataset(String id, String name) {
        execute("insert into package (id, name, title, type, state) values (?, ?, ?, 'dataset', 'active')",
                id, name, name);
        return this;
    }

    /** An object of a job; {@code packageId} may be null. */
    public CkanSiteHistory object(String id, String jobId, String sourceId, String guid, String state,
            String reportStatus, boolean current, String packageId, String content) {
        LocalDateTime gathered = next();
        boolean done = state.equals("COMPLETE") || state.equals("ERROR");
        execute("insert into harvest_object (id, guid, current, gathered, fetch_started, content, fetch_finished,"
                + " import_started, import_finished, state, retry_times, harvest_job_id, harvest_source_id,"
                + " package_id, report_status) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                id, guid, current, gathered, state.equals("WAITING") ? null : gathered.plusSeconds(1), content,
                done || state.equals("IMPORT") ? gathered.plusSeconds(2) : null,
                done || state.equals("IMPORT") ? gathered.plusSeconds(3) : null, done ? gathered.plusSeconds(4) : null,
                state, state.equals("WAITING") ? 0 : 1, jobId, sourceId, packageId, reportStatus);
        return this;
    }

    public CkanSiteHistory extra(String objectId, String key, String value) {
        execute("insert into harvest_object_extra (id, harvest_object_id, key, value) values (?, ?, ?, ?)",
                "extra-" + objectId + "-" + key, objectId, key, value);
        return this;
    }

    public CkanSiteHistory objectError(String objectId, String message, String stage, Integer line) {
        execute("insert into harvest_object_error (id, harvest_object_id, message, stage, line, created)"
                + " values (?, ?, ?, ?, ?, ?)", "oerr-" + (++sequence), objectId, message, stage, line, next());
        return this;
    }

    public CkanSiteHistory gatherError(String jobId, String message) {
        execute("insert into harvest_gather_error (id, harvest_job_id, message, created) values (?, ?, ?, ?)",
                "gerr-" + (++sequence), jobId, message, next());
        return this;
    }

    public CkanSiteHistory log(String level, String content) {
        execute("insert into harvest_log (id, content, level, created) values (?, ?, cast(? as log_level), ?)",
                "log-" + (++sequence), content, level, next());
        return this;
    }

    /**
     * A realistic history: three sources, one of them inactive; jobs in every status (New, Running, Finished,
     * Aborted, and two pending jobs of one source, which ckanext-harvest's check-then-insert allowed); objects in
     * every state and report status, with extras, object errors and a guid twice in one job; gather errors; logs at
     * every level; a guid and a url longer than harvest's former column limits.
     *
     * <p>The first source, {@code portal-a}, harvests {@code remoteUrl} and its last finished job holds one current
     * object per guid of {@code currentDatasets}, each linked to its local dataset ({@code package_id}; ckanext-harvest's
     * CKAN harvester keeps the remote id, other harvesters do not).
     *
     * @param remoteUrl the first source's url
     * @param ownerOrg the first source's organization
     * @param currentDatasets the remote datasets that the first source's last harvest imported: guid to local id
     * @return this history
     */
    public CkanSiteHistory realistic(String remoteUrl, String ownerOrg, java.util.Map<String, String> currentDatasets) {
        List<String> currentGuids = List.copyOf(currentDatasets.keySet());
        source("src-a", "portal-a", "Portal A", remoteUrl, "ckan", true, ownerOrg, "DAILY", "{}");
        source("src-b", "portal-b", "Portal B", "http://b.example.org/" + "long-path/".repeat(300), "ckan", true,
                null, "WEEKLY", "{\"default_tags\": [\"b\"]}");
        source("src-c", "old-portal", "Old portal", "http://c.example.org/", "ckan", false, null, "MANUAL", "");

        for (String guid : currentGuids) {
            dataset(currentDatasets.get(guid), "local-" + guid);
        }
        job("job-a1", "src-a", "Finished");
        for (String guid : currentGuids) {
            object("obj-a1-" + guid, "job-a1", "src-a", guid, "COMPLETE", "added", false, currentDatasets.get(guid),
                    "{\"id\": \"" + guid
                    + "\", \"version\": 1}");
        }
        // ckanext-harvest allowed a guid twice in one job
        object("obj-a1-dup1", "job-a1", "src-a", "twice", "ERROR", "errored", false, null, "{}");
        object("obj-a1-dup2", "job-a1", "src-a", "twice", "ERROR", "errored", false, null, "{}");
        objectError("obj-a1-dup1", "Remote error: 500", "Fetch", null);
        job("job-a2", "src-a", "Finished");
        for (String guid : currentGuids) {
            object("obj-a2-" + guid, "job-a2", "src-a", guid, "COMPLETE", "updated", true, currentDatasets.get(guid),
                    "{\"id\": \"" + guid
                    + "\", \"version\": 2}");
            extra("obj-a2-" + guid, "config_digest", "d-" + guid);
        }
        job("job-a3", "src-a", "New");

        job("job-b1", "src-b", "Finished");
        String longGuid = "urn:b:" + "x".repeat(1500);
        dataset("pkg-b-long", "b-long");
        object("obj-b1-long", "job-b1", "src-b", longGuid, "COMPLETE", "added", true, "pkg-b-long", "{}");
        object("obj-b1-same", "job-b1", "src-b", "b-same", "COMPLETE", "not modified", false, null, "{}");
        object("obj-b1-gone", "job-b1", "src-b", "b-gone", "COMPLETE", "deleted", false, null, null);
        extra("obj-b1-gone", "status", "delete");
        object("obj-b1-bad", "job-b1", "src-b", "b-bad", "ERROR", "errored", false, null, "{\"broken\": true}");
        objectError("obj-b1-bad", "Invalid tag: 'a&b'", "Import", 12);
        gatherError("job-b1", "Unable to get content for URL: http://b.example.org/api/3/action/package_search");
        job("job-b2", "src-b", "Running");
        object("obj-b2-wait", "job-b2", "src-b", "b-wait", "WAITING", null, false, null, "{}");
        object("obj-b2-fetch", "job-b2", "src-b", "b-fetch", "FETCH", null, false, null, "{}");
        object("obj-b2-import", "job-b2", "src-b", "b-import", "IMPORT", null, false, null, "{}");
        extra("obj-b2-wait", "status", "new");
        // a second pending job of the same source, which ckanext-harvest's check-then-insert let through
        job("job-b3", "src-b", "New");

        job("job-c1", "src-c", "Finished");
        gatherError("job-c1", "Job timeout: 2024-03-01 10:00:00 is greater than 2024-03-01 09:00:00");
        job("job-c2", "src-c", "Aborted");

        for (String level : List.of("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")) {
            log(level, "ckanext.harvest: a " + level.toLowerCase() + " line");
        }
        return this;
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
