package dev.harvest.core.store;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.NewHarvestObject;
import dev.harvest.core.db.HarvestDatabase;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.hibernate.Session;

/**
 * What a gather writes: its objects, in JDBC batches; the guids it saw without objects; the deletion objects after a
 * full listing. An object gathered exactly as the source's current object for its guid was (same content, extras
 * and source configuration, compared by a content hash) is stored finished, {@code not modified}, and never queued.
 */
public final class GatherWriter {

    /** Gathers that store fewer objects than this change the table too little to mislead the planner. */
    static final long ANALYZE_AFTER_OBJECTS = 1_000;

    private final HarvestDatabase database;
    private final SqlDialect dialect;
    private final Clock clock;

    public GatherWriter(HarvestDatabase database, SqlDialect dialect, Clock clock) {
        this.database = database;
        this.dialect = dialect;
        this.clock = clock;
    }

    /** What one stored batch of gathered objects needs done next. */
    public record StoredBatch(List<String> waitingIds, int finishedUnchanged) {}

    /**
     * Stores one batch of gathered objects. Guids this job already has are skipped, so a gather that is re-run after
     * its worker died does not duplicate work.
     *
     * @param job the job
     * @param sourceConfig the source's configuration, part of the content hash
     * @param batch the objects
     * @param skipUnchanged whether objects identical to the current ones are finished here as not modified
     * @return the ids of the objects to fetch and import (in batch order), and how many were finished unchanged
     */
    public StoredBatch insertObjects(HarvestJob job, String sourceConfig, Collection<NewHarvestObject> batch,
            boolean skipUnchanged) {
        if (batch.isEmpty()) {
            return new StoredBatch(List.of(), 0);
        }
        Map<String, NewHarvestObject> byGuid = new LinkedHashMap<>();
        batch.forEach(object -> byGuid.putIfAbsent(object.guid(), object));
        LocalDateTime now = Rows.now(clock);
        try {
            return database.inTransaction(session ->
                    insertBatch(session, job, sourceConfig, byGuid.values(), skipUnchanged, now));
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
            return insertBatch(session, job, sourceConfig, byGuid.values(), skipUnchanged, now);
        });
    }

    /** The unique index (job, guid, unique_guid) refuses a guid twice in one job: objects inserted here take the
     * column's default, true; only migrated history holds duplicates, marked null (changeset 7). */
    private static boolean isUniqueViolation(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.sql.SQLException sql && "23505".equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /** The current object's hash and dataset, for a guid. */
    private record Current(String hash, String packageId) {}

    private StoredBatch insertBatch(Session session, HarvestJob job, String sourceConfig,
            Collection<NewHarvestObject> batch, boolean skipUnchanged, LocalDateTime now) {
        Map<String, String> hashes = new LinkedHashMap<>();
        for (NewHarvestObject object : batch) {
            hashes.put(object.guid(), contentHash(sourceConfig, object));
        }
        Map<String, Current> current = skipUnchanged ? currentHashes(session, job.sourceId(), hashes) : Map.of();
        List<String> waiting = new ArrayList<>(batch.size());
        int[] unchanged = {0};
        // plain JDBC batches: one round trip per batch instead of one per row
        session.doWork(connection -> {
            Timestamp gathered = Timestamp.valueOf(now);
            try (PreparedStatement objects = connection.prepareStatement(
                            "insert into harvest_object (id, guid, current, gathered, content, state, report_status,"
                                    + " package_id, fetch_finished, import_finished, metadata_modified_date,"
                                    + " retry_times, harvest_job_id, harvest_source_id, queued_at, kind, content_hash)"
                                    + " values (?, ?, false, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)");
                    PreparedStatement extras = connection.prepareStatement(
                            "insert into harvest_object_extra (id, harvest_object_id, key, value)"
                                    + " values (?, ?, ?, ?)")) {
                boolean anyExtra = false;
                for (NewHarvestObject gatheredObject : batch) {
                    String id = Rows.newId();
                    String hash = hashes.get(gatheredObject.guid());
                    Current known = current.get(gatheredObject.guid());
                    boolean same = hash != null && known != null && hash.equals(known.hash());
                    objects.setString(1, id);
                    objects.setString(2, gatheredObject.guid());
                    objects.setTimestamp(3, gathered);
                    // an unchanged object is bookkeeping: the current object keeps the content
                    objects.setString(4, same ? null : gatheredObject.content());
                    objects.setString(5, same ? ObjectState.COMPLETE.name() : ObjectState.WAITING.name());
                    objects.setString(6, same ? ReportStatus.NOT_MODIFIED.value() : null);
                    objects.setString(7, same ? known.packageId() : null);
                    objects.setTimestamp(8, same ? gathered : null);
                    objects.setTimestamp(9, same ? gathered : null);
                    objects.setTimestamp(10, gatheredObject.metadataModified() == null ? null
                            : Timestamp.valueOf(LocalDateTime.ofInstant(gatheredObject.metadataModified(),
                                    ZoneOffset.UTC)));
                    objects.setString(11, job.id());
                    objects.setString(12, job.sourceId());
                    objects.setTimestamp(13, same ? null : gathered);
                    objects.setString(14, ObjectKind.HARVEST.value());
                    objects.setString(15, hash);
                    objects.addBatch();
                    if (same) {
                        unchanged[0]++;
                        continue;
                    }
                    waiting.add(id);
                    for (Map.Entry<String, String> extra : gatheredObject.extras().entrySet()) {
                        extras.setString(1, Rows.newId());
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
        return new StoredBatch(waiting, unchanged[0]);
    }

    private static Map<String, Current> currentHashes(Session session, String sourceId, Map<String, String> hashes) {
        List<String> guids = hashes.entrySet().stream().filter(e -> e.getValue() != null).map(Map.Entry::getKey)
                .toList();
        if (guids.isEmpty()) {
            return Map.of();
        }
        Map<String, Current> current = new LinkedHashMap<>();
        session.createNativeQuery("select guid, content_hash, package_id from harvest_object"
                        + " where harvest_source_id = :s and current = true and guid in (:g)", Object[].class)
                .setParameter("s", sourceId)
                .setParameterList("g", guids)
                .getResultList()
                .forEach(row -> current.put((String) row[0], new Current((String) row[1], (String) row[2])));
        return current;
    }

    /**
     * The hash that decides whether a gathered record is unchanged: SHA-256 over the source configuration, the
     * content and the extras (sorted by key). Null for a record gathered without content.
     */
    static String contentHash(String sourceConfig, NewHarvestObject object) {
        if (object.content() == null) {
            return null;
        }
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            update(digest, sourceConfig == null ? "" : sourceConfig);
            update(digest, object.content());
            for (Map.Entry<String, String> extra : new TreeMap<>(object.extras()).entrySet()) {
                update(digest, extra.getKey());
                update(digest, extra.getValue() == null ? "" : extra.getValue());
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static void update(MessageDigest digest, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        // the length first, so that ("ab", "c") and ("a", "bc") differ
        digest.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
        digest.update((byte) ':');
        digest.update(bytes);
    }

    /**
     * Refreshes PostgreSQL's statistics of the object tables after a gather stored many rows. Measured on a 5,000
     * dataset harvest: without it the batch claims' set queries (extras, current objects, {@code current}
     * bookkeeping) run as sequential scans until autovacuum analyzes the table, a minute or more later, and cost
     * 3 to 4 ms each instead of a fraction of one. H2 keeps its statistics itself.
     *
     * @param storedObjects how many objects the gather stored
     */
    public void refreshStatistics(long storedObjects) {
        if (!dialect.isPostgres() || storedObjects < ANALYZE_AFTER_OBJECTS) {
            return;
        }
        database.inTransaction(session -> session.createNativeMutationQuery(
                "analyze harvest_object, harvest_object_extra").executeUpdate());
    }

    /** Records guids a gather saw without creating objects for them ({@code markPresent}). */
    public void markPresent(String jobId, Collection<String> guids) {
        if (guids.isEmpty()) {
            return;
        }
        // an upsert, so that two gatherers of one job (a takeover after a lease expired) cannot collide
        database.inTransaction(session -> {
            session.doWork(connection -> {
                try (PreparedStatement statement = connection.prepareStatement(dialect.insertGatherSeen())) {
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
            known.addAll(database.read(session -> session.createSelectionQuery(
                            "select distinct guid from ObjectEntity where sourceId = :s and current = true"
                                    + " and guid in (:g)", String.class)
                    .setParameter("s", sourceId)
                    .setParameterList("g", chunk)
                    .getResultList()));
        }
        return known;
    }

    /** @return whether the source provides any dataset (has any current object) */
    public boolean providesAny(String sourceId) {
        return database.read(session -> !session.createNativeQuery("select 1 from harvest_object"
                        + " where harvest_source_id = :s and current = true", Object.class)
                .setParameter("s", sourceId)
                .setMaxResults(1)
                .getResultList()
                .isEmpty());
    }

    /** @return the number of datasets the source currently provides (objects with {@code current = true}) */
    public long currentDatasetCount(String sourceId) {
        return database.read(session -> session.createSelectionQuery(
                        "select count(*) from ObjectEntity where sourceId = :s and current = true", Long.class)
                .setParameter("s", sourceId)
                .getSingleResult());
    }

    /** @return the number of datasets the source provides that this job's gather did not see */
    public long countVanished(HarvestJob job) {
        // set differences rather than NOT EXISTS: hashed whatever the statistics say, never a nested loop over
        // the job's new rows
        return database.read(session -> ((Number) session.createNativeQuery(
                        "select count(*) from (select o.guid from harvest_object o where o.harvest_source_id = :s"
                                + " and o.current = true and o.harvest_job_id <> :j"
                                + " except select n.guid from harvest_object n where n.harvest_job_id = :j"
                                + " except select p.guid from harvest_gather_seen p where p.harvest_job_id = :j) v",
                        Object.class)
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
     * Creates a deletion object (kind {@code delete}) for every dataset the source provides that this job's gather
     * did not see, streaming the candidates in batches. Each points at the dataset of its guid's current object.
     *
     * @param publish receives each batch of new object ids, after its commit
     * @return the number of deletion objects created
     */
    public long createDeletionObjects(HarvestJob job, int batchSize, Consumer<List<String>> publish) {
        long created = 0;
        while (true) {
            LocalDateTime now = Rows.now(clock);
            List<String> ids = database.inTransaction(session -> {
                List<Object[]> vanished = session.createNativeQuery(
                                "select o.guid, max(o.package_id) " + vanishedFrom() + " group by o.guid order by o.guid",
                                Object[].class)
                        .setParameter("s", job.sourceId())
                        .setParameter("j", job.id())
                        .setMaxResults(batchSize)
                        .getResultList();
                List<String> inserted = new ArrayList<>(vanished.size());
                session.doWork(connection -> {
                    try (PreparedStatement insert = connection.prepareStatement(
                            "insert into harvest_object (id, guid, current, gathered, state, package_id, retry_times,"
                                    + " harvest_job_id, harvest_source_id, queued_at, kind)"
                                    + " values (?, ?, false, ?, 'WAITING', ?, 0, ?, ?, ?, ?)")) {
                        Timestamp gathered = Timestamp.valueOf(now);
                        for (Object[] row : vanished) {
                            String id = Rows.newId();
                            insert.setString(1, id);
                            insert.setString(2, (String) row[0]);
                            insert.setTimestamp(3, gathered);
                            insert.setString(4, (String) row[1]);
                            insert.setString(5, job.id());
                            insert.setString(6, job.sourceId());
                            insert.setTimestamp(7, gathered);
                            insert.setString(8, ObjectKind.DELETE.value());
                            insert.addBatch();
                            inserted.add(id);
                        }
                        insert.executeBatch();
                    }
                });
                return inserted;
            });
            if (ids.isEmpty()) {
                return created;
            }
            created += ids.size();
            publish.accept(ids);
        }
    }
}
