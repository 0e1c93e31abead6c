package dev.harvest.core.store;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;
import dev.harvest.core.db.HarvestDatabase;
import dev.harvest.core.store.Transitions.ObjectTransition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hibernate.Session;

/**
 * Object claims and outcomes, a batch at a time. One statement claims a batch (skipping rows another claimer holds);
 * a few set queries read its objects, extras, jobs, sources and current objects; one statement extends the batch's
 * lease. Outcomes are written by guarded compare-and-sets on the claim token, inside the caller's transaction, so a
 * worker that lost its claim (to a takeover or an abort) writes nothing.
 */
public final class ObjectBatchStore {

    private final HarvestDatabase database;
    private final SqlDialect dialect;
    private final Clock clock;

    public ObjectBatchStore(HarvestDatabase database, SqlDialect dialect, Clock clock) {
        this.database = database;
        this.dialect = dialect;
        this.clock = clock;
    }

    /**
     * One claimed object.
     *
     * @param object the object as claimed, with its extras; its {@code packageId} is the dataset an earlier harvest
     *     of its guid created, if the object has none of its own
     * @param kind a record to harvest, or a deletion
     * @param deliveries how many times the object has been claimed, this time included ({@code retry_times})
     * @param previous the source's current object for the same guid, with content and extras
     */
    public record ClaimedObject(HarvestObject object, ObjectKind kind, int deliveries,
            Optional<HarvestObject> previous) {}

    /**
     * A worker's hold on a batch of objects: only the holder of the token can move them on.
     *
     * @param token the claim token written to {@code claimed_by}
     * @param objects the claimed objects, in the order asked for
     * @param jobs their jobs by id
     * @param sources their sources by id
     * @param unclaimed the ids asked for that could not be claimed (done, unknown, held, or their job stopped)
     */
    public record ClaimedBatch(String token, List<ClaimedObject> objects, Map<String, HarvestJob> jobs,
            Map<String, HarvestSource> sources, List<String> unclaimed) {}

    /**
     * Claims the objects among {@code ids} that are waiting, or whose previous worker's lease expired, and whose
     * job is running. Counts the delivery in {@code retry_times}.
     */
    public ClaimedBatch claim(Collection<String> ids, Duration lease) {
        List<String> asked = List.copyOf(new LinkedHashSet<>(ids));
        String token = Rows.newId();
        if (asked.isEmpty()) {
            return new ClaimedBatch(token, List.of(), Map.of(), Map.of(), List.of());
        }
        LocalDateTime now = Rows.now(clock);
        return database.inTransaction(session -> session.doReturningWork(connection -> {
            String claimable = "o.id in (" + marks(asked.size()) + ") and (" + ObjectTransition.CLAIM.guard("o")
                    + " or (" + ObjectTransition.RECLAIM.guard("o") + " and o.lease_until < ?))"
                    + " and exists (select 1 from harvest_job j where j.id = o.harvest_job_id and j.status = 'Running')";
            try (PreparedStatement update = connection.prepareStatement("update harvest_object o set state = 'FETCH',"
                    + " claimed_by = ?, lease_until = ?, retry_times = coalesce(retry_times, 0) + 1, fetch_started = ?,"
                    + " fetch_finished = null, import_started = null, import_finished = null where "
                    + dialect.claimable(claimable))) {
                int i = 1;
                update.setString(i++, token);
                update.setTimestamp(i++, Timestamp.valueOf(now.plus(lease)));
                update.setTimestamp(i++, Timestamp.valueOf(now));
                for (String id : asked) {
                    update.setString(i++, id);
                }
                update.setTimestamp(i, Timestamp.valueOf(now));
                if (update.executeUpdate() == 0) {
                    return new ClaimedBatch(token, List.of(), Map.of(), Map.of(), asked);
                }
            }
            return readClaimed(session, connection, token, asked);
        }));
    }

    /**
     * Reads objects as a claim does (with their extras, jobs, sources and the current objects of their guids), by id
     * and without claiming them: {@code harvester import} re-imports finished objects from their stored content.
     *
     * @param ids object ids
     * @return the objects found, in the order asked for; {@code token} is null and {@code unclaimed} lists the ids
     *     not found
     */
    public ClaimedBatch load(Collection<String> ids) {
        List<String> asked = List.copyOf(new LinkedHashSet<>(ids));
        if (asked.isEmpty()) {
            return new ClaimedBatch(null, List.of(), Map.of(), Map.of(), List.of());
        }
        return database.read(session -> session.doReturningWork(connection ->
                readClaimed(session, connection, null, asked)));
    }

    private ClaimedBatch readClaimed(Session session, Connection connection, String token, List<String> asked)
            throws SQLException {
        Map<String, ObjectRow> rows = new LinkedHashMap<>();
        try (PreparedStatement select = connection.prepareStatement("select id, guid, harvest_job_id,"
                + " harvest_source_id, content, metadata_modified_date, package_id, retry_times, kind"
                + " from harvest_object where " + (token == null ? "" : "claimed_by = ? and ") + "id in ("
                + marks(asked.size()) + ")")) {
            int first = 1;
            if (token != null) {
                select.setString(first++, token);
            }
            bind(select, first, asked);
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    ObjectRow row = ObjectRow.read(result);
                    rows.put(row.id, row);
                }
            }
        }
        List<String> claimedIds = asked.stream().filter(rows::containsKey).toList();
        if (claimedIds.isEmpty()) {
            return new ClaimedBatch(token, List.of(), Map.of(), Map.of(), asked);
        }
        Map<String, ObjectRow> previous = previousObjects(connection, rows.values());
        Set<String> withExtras = new LinkedHashSet<>(claimedIds);
        previous.values().forEach(row -> withExtras.add(row.id));
        Map<String, Map<String, String>> extras = extras(connection, withExtras);
        Map<String, HarvestJob> jobs = new LinkedHashMap<>();
        session.createSelectionQuery("from JobEntity where id in (:ids)", JobEntity.class)
                .setParameterList("ids", rows.values().stream().map(row -> row.jobId).distinct().toList())
                .getResultList()
                .forEach(job -> jobs.put(job.id, Rows.toApi(job)));
        Map<String, HarvestSource> sources = new LinkedHashMap<>();
        session.createSelectionQuery("from SourceEntity where id in (:ids)", SourceEntity.class)
                .setParameterList("ids", rows.values().stream().map(row -> row.sourceId).distinct().toList())
                .getResultList()
                .forEach(source -> sources.put(source.id, Rows.toApi(source)));
        List<ClaimedObject> claimed = new ArrayList<>(claimedIds.size());
        for (String id : claimedIds) {
            ObjectRow row = rows.get(id);
            ObjectRow current = previous.get(id);
            String packageId = row.packageId != null ? row.packageId : current == null ? null : current.packageId;
            claimed.add(new ClaimedObject(row.toApi(packageId, extras.getOrDefault(id, Map.of())),
                    ObjectKind.of(row.kind), row.retryTimes,
                    Optional.ofNullable(current).map(c -> c.toApi(c.packageId, extras.getOrDefault(c.id, Map.of())))));
        }
        List<String> unclaimed = asked.stream().filter(id -> !rows.containsKey(id)).toList();
        return new ClaimedBatch(token, claimed, jobs, sources, unclaimed);
    }

    /**
     * The source's current object for each claimed object's guid, by the (source, guid, current) index: one query per
     * source, never a self-join whose plan depends on fresh statistics.
     */
    private static Map<String, ObjectRow> previousObjects(Connection connection, Collection<ObjectRow> claimed)
            throws SQLException {
        Map<String, Map<String, String>> idByGuidBySource = new LinkedHashMap<>();
        for (ObjectRow row : claimed) {
            idByGuidBySource.computeIfAbsent(row.sourceId, s -> new LinkedHashMap<>()).put(row.guid, row.id);
        }
        Map<String, ObjectRow> previous = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, String>> source : idByGuidBySource.entrySet()) {
            Map<String, String> idByGuid = source.getValue();
            try (PreparedStatement select = connection.prepareStatement("select id, guid, harvest_job_id,"
                    + " harvest_source_id, content, metadata_modified_date, package_id, retry_times, kind"
                    + " from harvest_object where harvest_source_id = ? and current = true and guid in ("
                    + marks(idByGuid.size()) + ") order by import_finished desc")) {
                select.setString(1, source.getKey());
                bind(select, 2, idByGuid.keySet());
                try (ResultSet result = select.executeQuery()) {
                    while (result.next()) {
                        ObjectRow current = ObjectRow.read(result);
                        String forId = idByGuid.get(current.guid);
                        if (!current.id.equals(forId)) {
                            previous.putIfAbsent(forId, current);
                        }
                    }
                }
            }
        }
        return previous;
    }

    private static Map<String, Map<String, String>> extras(Connection connection, Collection<String> objectIds)
            throws SQLException {
        Map<String, Map<String, String>> extras = new LinkedHashMap<>();
        if (objectIds.isEmpty()) {
            return extras;
        }
        try (PreparedStatement select = connection.prepareStatement("select harvest_object_id, key, value"
                + " from harvest_object_extra where harvest_object_id in (" + marks(objectIds.size()) + ")")) {
            bind(select, 1, objectIds);
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    extras.computeIfAbsent(result.getString(1), id -> new LinkedHashMap<>())
                            .put(result.getString(2), result.getString(3));
                }
            }
        }
        return extras;
    }

    /**
     * Errors objects whose job is no longer running but which are still unfinished (delivered after an abort or a
     * timeout), as ckanext-harvest's fetch callback does.
     *
     * @return the ids errored by this call
     */
    public List<String> errorObjectsOfStoppedJobs(Collection<String> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        LocalDateTime now = Rows.now(clock);
        String marker = "stop:" + Rows.newId();
        List<String> asked = List.copyOf(new LinkedHashSet<>(ids));
        return database.inTransaction(session -> session.doReturningWork(connection -> {
            try (PreparedStatement update = connection.prepareStatement("update harvest_object set state = 'ERROR',"
                    + " report_status = 'errored', claimed_by = ?, lease_until = null where id in ("
                    + marks(asked.size()) + ") and " + ObjectTransition.STOP.guard("")
                    + " and exists (select 1 from harvest_job j where j.id = harvest_object.harvest_job_id"
                    + " and j.status in ('Finished', 'Aborted'))")) {
                update.setString(1, marker);
                bind(update, 2, asked);
                if (update.executeUpdate() == 0) {
                    return List.<String>of();
                }
            }
            List<String[]> stopped = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement("select id, harvest_job_id from harvest_object"
                    + " where claimed_by = ? and id in (" + marks(asked.size()) + ")")) {
                select.setString(1, marker);
                bind(select, 2, asked);
                try (ResultSet result = select.executeQuery()) {
                    while (result.next()) {
                        stopped.add(new String[] {result.getString(1), result.getString(2)});
                    }
                }
            }
            try (PreparedStatement insert = errorInsert(connection)) {
                for (String[] object : stopped) {
                    addError(insert, object[0], new ObjectResult.ObjectError("Job " + object[1]
                            + " was aborted or timed out, object " + object[0] + " set to error", "Fetch", null), now);
                }
                insert.executeBatch();
            }
            try (PreparedStatement clear = connection.prepareStatement("update harvest_object set claimed_by = null"
                    + " where claimed_by = ? and id in (" + marks(asked.size()) + ")")) {
                clear.setString(1, marker);
                bind(clear, 2, asked);
                clear.executeUpdate();
            }
            return stopped.stream().map(object -> object[0]).toList();
        }));
    }

    /** @return whether the token still holds any object of its batch (their lease was extended) */
    public boolean extendLease(String token, Duration lease) {
        LocalDateTime until = Rows.now(clock).plus(lease);
        return database.inTransaction(session -> session.createNativeMutationQuery(
                        "update harvest_object set lease_until = :lease where claimed_by = :token and "
                                + ObjectTransition.FINISH.guard(""))
                .setParameter("lease", until)
                .setParameter("token", token)
                .executeUpdate()) > 0;
    }

    /** FETCH → IMPORT for the objects whose fetch succeeded, in one statement. */
    public int markFetched(String token, Collection<String> ids) {
        if (ids.isEmpty()) {
            return 0;
        }
        LocalDateTime now = Rows.now(clock);
        return database.inTransaction(session -> session.createNativeMutationQuery(
                        "update harvest_object set state = 'IMPORT', fetch_finished = :now, import_started = :now"
                                + " where claimed_by = :token and id in (:ids) and "
                                + ObjectTransition.FETCHED.guard(""))
                .setParameter("now", now)
                .setParameter("token", token)
                .setParameterList("ids", ids)
                .executeUpdate());
    }

    /**
     * @return whether the object is still claimed by this batch's token, unfinished, and its job still
     *     {@code Running} (one read by primary key: what a fetch asks before each remote request)
     */
    public boolean stillClaimed(String objectId, String token) {
        return database.read(session -> !session.createNativeQuery("select 1 from harvest_object o"
                        + " join harvest_job j on j.id = o.harvest_job_id where o.id = :id and o.claimed_by = :token"
                        + " and " + ObjectTransition.FINISH.guard("o") + " and j.status = 'Running'", Object.class)
                .setParameter("id", objectId)
                .setParameter("token", token)
                .getResultList()
                .isEmpty());
    }

    /**
     * Gives the batch's unfinished objects back (WAITING, no lease) after the engine failed, so that the
     * redelivered messages can claim them again at once. The delivery still counts towards
     * {@code harvest.retry_limit}: an object that keeps failing the engine ends in error instead of looping.
     */
    public int giveBack(String token) {
        return giveBack(token, true);
    }

    /**
     * Gives the batch's unfinished objects back because their consumer is stopping: as {@link #giveBack}, but the
     * delivery does not count towards {@code harvest.retry_limit} (restarting consumers is no fault of the objects).
     */
    public int handBackOnStop(String token) {
        return giveBack(token, false);
    }

    private int giveBack(String token, boolean deliveryCounts) {
        String uncount = deliveryCounts ? "" : ", retry_times = greatest(coalesce(retry_times, 1) - 1, 0)";
        return database.inTransaction(session -> session.createNativeMutationQuery(
                        "update harvest_object set state = 'WAITING', claimed_by = null, lease_until = null" + uncount
                                + " where claimed_by = :token and " + ObjectTransition.GIVE_BACK.guard(""))
                .setParameter("token", token)
                .executeUpdate());
    }

    /**
     * Holds the jobs for this thread's transaction, so that a job cannot be stopped half-way through a batch's
     * import: an abort waits for the batch's commit (see {@link SqlDialect#lockJobsOfBatch(int)}).
     */
    public void holdJobs(Collection<String> jobIds) {
        String lock = dialect.lockJobsOfBatch(jobIds.size());
        if (lock == null || jobIds.isEmpty()) {
            return;
        }
        database.read(session -> {
            session.doWork(connection -> {
                try (PreparedStatement select = connection.prepareStatement(lock)) {
                    bind(select, 1, jobIds);
                    select.executeQuery().close();
                }
            });
            return null;
        });
    }

    /**
     * Ends many objects in one transaction with batched statements (for outcomes decided outside the database, such
     * as imports into a remote catalog), then updates the {@code current} bookkeeping.
     *
     * @param token the batch's claim token
     * @param jobIds the jobs of the objects, held against a concurrent stop while the outcomes are written
     * @param results the outcomes
     * @return the ids whose claim was lost; nothing was written for them
     */
    public List<String> finishAll(String token, Collection<String> jobIds, List<ObjectResult> results) {
        if (results.isEmpty()) {
            return List.of();
        }
        return database.inTransaction(session -> {
            holdJobs(jobIds);
            List<String> lost = writeResults(token, results);
            updateCurrent(results.stream().filter(result -> !lost.contains(result.objectId())).toList());
            return lost;
        });
    }

    /**
     * Ends many objects in this thread's transaction with batched statements: one compare-and-set each on the claim
     * token, then their errors.
     *
     * @return the ids whose claim was lost; nothing was written for them
     */
    public List<String> writeResults(String token, List<ObjectResult> results) {
        if (results.isEmpty()) {
            return List.of();
        }
        LocalDateTime now = Rows.now(clock);
        return database.joined(session -> session.doReturningWork(connection -> {
            List<String> lost = new ArrayList<>();
            List<ObjectResult> written = new ArrayList<>();
            try (PreparedStatement update = finishStatement(connection)) {
                for (ObjectResult result : results) {
                    bindFinish(update, token, result, now);
                    update.addBatch();
                }
                int[] counts = update.executeBatch();
                for (int i = 0; i < counts.length; i++) {
                    // SUCCESS_NO_INFO (-2) counts as written: the drivers used here report real counts
                    if (counts[i] == 0) {
                        lost.add(results.get(i).objectId());
                    } else {
                        written.add(results.get(i));
                    }
                }
            }
            try (PreparedStatement insert = errorInsert(connection)) {
                boolean any = false;
                for (ObjectResult result : written) {
                    for (ObjectResult.ObjectError error : result.errors()) {
                        addError(insert, result.objectId(), error, now);
                        any = true;
                    }
                }
                if (any) {
                    insert.executeBatch();
                }
            }
            return lost;
        }));
    }

    /**
     * Keeps one current object per dataset and per guid of a source: the objects of {@code results} that became
     * current (the last one, where two in a batch name the same dataset or guid) replace the older ones, and a
     * deleted dataset keeps none. Runs in this thread's transaction.
     */
    public void updateCurrent(List<ObjectResult> results) {
        Map<String, String> lastByPackage = new LinkedHashMap<>();
        Map<List<String>, String> lastByGuid = new LinkedHashMap<>();
        Set<String> uncurrentPackages = new LinkedHashSet<>();
        for (ObjectResult result : results) {
            if (result.state() != ObjectState.COMPLETE) {
                continue;
            }
            if (result.makeCurrent()) {
                if (result.packageId() != null) {
                    lastByPackage.put(result.packageId(), result.objectId());
                }
                lastByGuid.put(List.of(result.sourceId(), result.guid()), result.objectId());
            } else if (result.uncurrent() && result.packageId() != null) {
                uncurrentPackages.add(result.packageId());
                lastByPackage.remove(result.packageId());
            }
        }
        if (lastByPackage.isEmpty() && lastByGuid.isEmpty() && uncurrentPackages.isEmpty()) {
            return;
        }
        Set<String> keep = new LinkedHashSet<>(lastByPackage.values());
        keep.addAll(lastByGuid.values());
        Set<String> packages = new LinkedHashSet<>(lastByPackage.keySet());
        packages.addAll(uncurrentPackages);
        Map<String, List<String>> guidsBySource = new LinkedHashMap<>();
        lastByGuid.keySet().forEach(key -> guidsBySource.computeIfAbsent(key.get(0), s -> new ArrayList<>()).add(key.get(1)));
        database.joined(session -> {
            String notKept = keep.isEmpty() ? "" : " and id not in (:keep)";
            if (!packages.isEmpty()) {
                var update = session.createNativeMutationQuery("update harvest_object set current = false"
                                + " where current = true and package_id in (:pkgs)" + notKept)
                        .setParameterList("pkgs", packages);
                if (!keep.isEmpty()) {
                    update.setParameterList("keep", keep);
                }
                update.executeUpdate();
            }
            for (Map.Entry<String, List<String>> source : guidsBySource.entrySet()) {
                var update = session.createNativeMutationQuery("update harvest_object set current = false"
                                + " where current = true and harvest_source_id = :s and guid in (:guids)" + notKept)
                        .setParameter("s", source.getKey())
                        .setParameterList("guids", source.getValue());
                if (!keep.isEmpty()) {
                    update.setParameterList("keep", keep);
                }
                update.executeUpdate();
            }
            return null;
        });
    }

    private static PreparedStatement finishStatement(Connection connection) throws SQLException {
        return connection.prepareStatement("update harvest_object set state = ?, report_status = ?,"
                + " package_id = coalesce(?, package_id), current = ?, content = coalesce(?, content),"
                + " claimed_by = null, lease_until = null, fetch_finished = coalesce(fetch_finished, ?),"
                + " import_finished = ? where id = ? and claimed_by = ? and " + ObjectTransition.FINISH.guard(""));
    }

    private static void bindFinish(PreparedStatement update, String token, ObjectResult result, LocalDateTime now)
            throws SQLException {
        Timestamp time = Timestamp.valueOf(now);
        update.setString(1, result.state().name());
        update.setString(2, result.report().value());
        update.setString(3, result.packageId());
        update.setBoolean(4, result.makeCurrent() && result.state() == ObjectState.COMPLETE);
        update.setString(5, result.content());
        update.setTimestamp(6, time);
        update.setTimestamp(7, result.afterFetch() ? null : time);
        update.setString(8, result.objectId());
        update.setString(9, token);
    }

    private static PreparedStatement errorInsert(Connection connection) throws SQLException {
        return connection.prepareStatement("insert into harvest_object_error"
                + " (id, harvest_object_id, message, stage, line, created) values (?, ?, ?, ?, ?, ?)");
    }

    private static void addError(PreparedStatement insert, String objectId, ObjectResult.ObjectError error,
            LocalDateTime now) throws SQLException {
        insert.setString(1, Rows.newId());
        insert.setString(2, objectId);
        insert.setString(3, ErrorText.cap(error.message()));
        insert.setString(4, error.stage());
        if (error.line() == null) {
            insert.setNull(5, java.sql.Types.INTEGER);
        } else {
            insert.setInt(5, error.line());
        }
        insert.setTimestamp(6, Timestamp.valueOf(now));
        insert.addBatch();
    }

    /**
     * Which objects {@code harvester import} re-imports (spec §5.5 {@code harvest_objects_import}): finished objects
     * ({@code COMPLETE} or {@code ERROR}) of kind {@code harvest}; current ones unless one object is asked for by id;
     * narrowed by every criterion given.
     *
     * @param sourceId only this source's objects, or null
     * @param jobId only this job's objects, or null
     * @param objectId only this object (current or not), or null
     * @param packageId only this dataset's objects, or null
     * @param guid only objects with this guid, or null
     * @param segments only objects whose id's MD5 in hex starts with one of these lowercase hex digits, or null
     * @param activeEmbeddedDatasets only objects whose dataset is active in the embedded catalog
     *     ({@code catalog_dataset}), or false to leave datasets unchecked here
     * @param excludedSourceIds sources left out (those with a running job)
     */
    public record ReimportSelection(String sourceId, String jobId, String objectId, String packageId, String guid,
            String segments, boolean activeEmbeddedDatasets, Set<String> excludedSourceIds) {}

    /**
     * A page of the objects a re-import selects, by id order after {@code afterId}: the caller streams the whole
     * selection a page at a time, so memory stays bounded whatever its size.
     *
     * @param selection what to select
     * @param afterId the last id of the previous page, or the empty string for the first
     * @param limit the page size
     * @return object ids, ascending
     */
    public List<String> reimportIds(ReimportSelection selection, String afterId, int limit) {
        List<String> values = new ArrayList<>();
        values.add(afterId);
        String sql = "select o.id from harvest_object o where o.id > ? and "
                + reimportCondition(selection, selection.activeEmbeddedDatasets(), values) + " order by o.id";
        return database.read(session -> session.doReturningWork(connection -> {
            try (PreparedStatement select = connection.prepareStatement(sql)) {
                bind(select, 1, values);
                select.setMaxRows(limit);
                List<String> ids = new ArrayList<>(limit);
                try (ResultSet result = select.executeQuery()) {
                    while (result.next() && ids.size() < limit) {
                        ids.add(result.getString(1));
                    }
                }
                return ids;
            }
        }));
    }

    /**
     * @param selection a selection that joins the embedded catalog's datasets
     * @return how many objects it leaves out because their dataset is not active; one statement
     */
    public long countReimportWithoutActiveDataset(ReimportSelection selection) {
        List<String> values = new ArrayList<>();
        String sql = "select count(*) from harvest_object o where " + reimportCondition(selection, false, values)
                + " and not exists (select 1 from catalog_dataset d where d.id = o.package_id and d.state = 'active')";
        return database.read(session -> session.doReturningWork(connection -> {
            try (PreparedStatement select = connection.prepareStatement(sql)) {
                if (!values.isEmpty()) {
                    bind(select, 1, values);
                }
                try (ResultSet result = select.executeQuery()) {
                    result.next();
                    return result.getLong(1);
                }
            }
        }));
    }

    private String reimportCondition(ReimportSelection selection, boolean activeDatasets, List<String> values) {
        StringBuilder sql = new StringBuilder("o.kind = '" + ObjectKind.HARVEST.value() + "' and "
                + Transitions.finished("o"));
        if (selection.objectId() != null) {
            sql.append(" and o.id = ?");
            values.add(selection.objectId());
        } else {
            sql.append(" and o.current = true");
        }
        if (selection.sourceId() != null) {
            sql.append(" and o.harvest_source_id = ?");
            values.add(selection.sourceId());
        }
        if (selection.jobId() != null) {
            sql.append(" and o.harvest_job_id = ?");
            values.add(selection.jobId());
        }
        if (selection.packageId() != null) {
            sql.append(" and o.package_id = ?");
            values.add(selection.packageId());
        }
        if (selection.guid() != null) {
            sql.append(" and o.guid = ?");
            values.add(selection.guid());
        }
        if (selection.segments() != null) {
            sql.append(" and ").append(dialect.md5FirstHexDigit("o.id")).append(" in (")
                    .append(marks(selection.segments().length())).append(")");
            selection.segments().chars().forEach(c -> values.add(String.valueOf((char) c)));
        }
        if (activeDatasets) {
            sql.append(" and exists (select 1 from catalog_dataset d where d.id = o.package_id and d.state = 'active')");
        }
        if (!selection.excludedSourceIds().isEmpty()) {
            sql.append(" and o.harvest_source_id not in (").append(marks(selection.excludedSourceIds().size()))
                    .append(")");
            values.addAll(selection.excludedSourceIds());
        }
        return sql.toString();
    }

    /**
     * Records what a re-import did, in this thread's transaction: an object whose import created or updated its
     * dataset becomes the current object of that dataset and guid (with its dataset id), one whose import deleted
     * the dataset stops being current, as a harvest's import would record it. States, report statuses and timestamps
     * stay as they are, so the statistics of the object's job do not change. Only finished objects are touched.
     *
     * @param results the outcomes of the imports that succeeded
     */
    public void recordReimported(List<ObjectResult> results) {
        List<ObjectResult> changing = results.stream().filter(r -> r.makeCurrent() || r.uncurrent()).toList();
        if (changing.isEmpty()) {
            return;
        }
        database.joined(session -> {
            session.doWork(connection -> {
                try (PreparedStatement update = connection.prepareStatement("update harvest_object set"
                        + " package_id = coalesce(?, package_id), current = ? where id = ? and "
                        + Transitions.finished(""))) {
                    for (ObjectResult result : changing) {
                        update.setString(1, result.packageId());
                        update.setBoolean(2, result.makeCurrent());
                        update.setString(3, result.objectId());
                        update.addBatch();
                    }
                    update.executeBatch();
                }
            });
            return null;
        });
        updateCurrent(changing);
    }

    /**
     * @param jobId the job
     * @param guids only objects with these guids, or null for all
     * @param limit the most ids
     * @return ids of the job's WAITING objects, for the in-process run
     */
    public List<String> waitingObjectIds(String jobId, Collection<String> guids, int limit) {
        return database.read(session -> {
            // no ORDER BY: the (job, state) index hands out the first waiting rows without sorting all of them
            var query = session.createSelectionQuery("select id from ObjectEntity where jobId = :j and state = 'WAITING'"
                    + (guids == null ? "" : " and guid in (:guids)"), String.class)
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
        LocalDateTime now = Rows.now(clock);
        return database.read(session -> session.createNativeQuery(
                        "select o.id from harvest_object o join harvest_job j on j.id = o.harvest_job_id"
                                + " where j.status = 'Running' and ("
                                + (includeWaiting ? "o.state = 'WAITING' or " : "")
                                + "(" + ObjectTransition.RECLAIM.guard("o") + " and o.lease_until < :now))",
                        String.class)
                .setParameter("now", now)
                .setMaxResults(limit)
                .getResultList());
    }

    /**
     * Records that objects were re-sent to the fetch queue. Rows a worker holds at that moment are skipped rather
     * than waited for: the worker is claiming them (so the mark is moot), and waiting on rows it locks in another
     * order is a deadlock PostgreSQL breaks by failing one of the two.
     */
    public void markObjectsQueued(Collection<String> objectIds) {
        if (objectIds.isEmpty()) {
            return;
        }
        LocalDateTime now = Rows.now(clock);
        database.inTransaction(session -> session.createNativeMutationQuery(
                        "update harvest_object o set queued_at = :now where " + dialect.claimable("o.id in (:ids)"))
                .setParameter("now", now)
                .setParameterList("ids", objectIds)
                .executeUpdate());
    }

    /**
     * Which source provides a dataset now: the source of the dataset's {@code current} object.
     *
     * @param sourceId the source
     * @param sourceName its name
     */
    public record DatasetOwner(String sourceId, String sourceName) {}

    /**
     * The sources that provide these datasets now (spec §1.8: the source of each dataset's current object), for the
     * takeover guard: one query for a batch's dataset ids (in chunks of 1,000).
     *
     * @param packageIds dataset ids
     * @return dataset id → its provider, for the datasets that have a current object
     */
    public Map<String, DatasetOwner> currentOwners(Collection<String> packageIds) {
        List<String> ids = packageIds.stream().filter(java.util.Objects::nonNull).distinct().toList();
        Map<String, DatasetOwner> owners = new LinkedHashMap<>();
        if (ids.isEmpty()) {
            return owners;
        }
        return database.read(session -> session.doReturningWork(connection -> {
            for (int from = 0; from < ids.size(); from += 1000) {
                List<String> chunk = ids.subList(from, Math.min(ids.size(), from + 1000));
                try (PreparedStatement select = connection.prepareStatement("select o.package_id,"
                        + " o.harvest_source_id, s.name from harvest_object o join harvest_source s"
                        + " on s.id = o.harvest_source_id where o.current = true and o.package_id in ("
                        + marks(chunk.size()) + ") order by o.import_finished")) {
                    bind(select, 1, chunk);
                    try (ResultSet result = select.executeQuery()) {
                        while (result.next()) {
                            // the latest current object wins, should two sources both hold one (older data)
                            owners.put(result.getString(1), new DatasetOwner(result.getString(2),
                                    result.getString(3)));
                        }
                    }
                }
            }
            return owners;
        }));
    }

    private static String marks(int count) {
        return String.join(", ", Collections.nCopies(Math.max(count, 1), "?"));
    }

    private static void bind(PreparedStatement statement, int from, Collection<String> values) throws SQLException {
        int i = from;
        for (String value : values) {
            statement.setString(i++, value);
        }
        if (values.isEmpty()) {
            statement.setString(i, null);
        }
    }

    /** One {@code harvest_object} row as a claim reads it. */
    private record ObjectRow(String id, String guid, String jobId, String sourceId, String content,
            LocalDateTime metadataModified, String packageId, int retryTimes, String kind) {

        static ObjectRow read(ResultSet result) throws SQLException {
            return read(result, 1);
        }

        static ObjectRow read(ResultSet result, int from) throws SQLException {
            Timestamp modified = result.getTimestamp(from + 5);
            return new ObjectRow(result.getString(from), result.getString(from + 1), result.getString(from + 2),
                    result.getString(from + 3), result.getString(from + 4),
                    modified == null ? null : modified.toLocalDateTime(), result.getString(from + 6),
                    result.getInt(from + 7), result.getString(from + 8));
        }

        HarvestObject toApi(String packageIdToUse, Map<String, String> extras) {
            return HarvestObject.builder()
                    .id(id)
                    .guid(guid)
                    .jobId(jobId)
                    .sourceId(sourceId)
                    .content(content)
                    .metadataModified(Rows.instant(metadataModified))
                    .packageId(packageIdToUse)
                    .extras(extras)
                    .build();
        }
    }
}
