package dev.harvest.core.store;

import dev.harvest.api.HarvestSource;
import dev.harvest.core.db.HarvestDatabase;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;
import org.hibernate.Session;

/** The {@code harvest_source} table: creating, finding, deactivating and scheduling sources, and clearing them. */
public final class SourceStore {

    private final HarvestDatabase database;
    private final Clock clock;

    public SourceStore(HarvestDatabase database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    /**
     * Inserts a source.
     *
     * @return the stored source
     */
    public HarvestSource createSource(String name, String url, String title, String type, String config,
            String ownerOrg, String frequency, boolean active) {
        SourceEntity source = new SourceEntity();
        source.id = Rows.newId();
        source.name = name;
        source.url = url.strip();
        source.title = title == null || title.isBlank() ? name : title;
        source.description = "";
        source.config = config == null ? "" : config;
        source.created = Rows.now(clock);
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
        return Rows.toApi(source);
    }

    /**
     * @param idOrName a source id or name
     * @return the source
     */
    public Optional<HarvestSource> findSource(String idOrName) {
        return database.read(session -> findSourceEntity(session, idOrName).map(Rows::toApi));
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
        return database.read(session -> session.createSelectionQuery(
                        "from SourceEntity" + (includeInactive ? "" : " where active = true") + " order by created desc",
                        SourceEntity.class)
                .setMaxResults(limit)
                .getResultList()
                .stream()
                .map(Rows::toApi)
                .toList());
    }

    /**
     * Finds another source with the same normalised URL and the same config (ckanext-harvest's uniqueness rule:
     * the same URL with a different config is allowed).
     */
    public Optional<HarvestSource> findSourceWithUrlAndConfig(String normalisedUrl, String config) {
        String wanted = config == null ? "" : config;
        return database.read(session -> session.createSelectionQuery("from SourceEntity", SourceEntity.class)
                .getResultStream()
                .filter(source -> SourceUrls.normalise(source.url).equals(normalisedUrl))
                .filter(source -> (source.config == null ? "" : source.config).equals(wanted))
                .findFirst()
                .map(Rows::toApi));
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
            session.createMutationQuery("update JobEntity set status = "
                            + Transitions.JobTransition.ABORT.target() + " where sourceId = :id and status = 'New'")
                    .setParameter("id", sourceId)
                    .executeUpdate();
            return updated == 1;
        });
    }

    /**
     * Changes a source's fields in one transaction, with the source row locked; a null field stays as it is.
     * Deactivating aborts the source's {@code New} jobs, as {@link #deactivateSource(String)} does; a changed
     * frequency clears the next run, so that {@code run} schedules the source afresh.
     *
     * @param sourceId the source
     * @param url a new URL, or null
     * @param title a new title (blank for the name), or null
     * @param config a new, validated config, or null
     * @param frequency a new frequency, or null
     * @param active whether the source is active, or null
     * @param ownerOrg a new organization id, or null
     * @param clearOwnerOrg whether to remove the organization
     * @return the source as it is now
     */
    public HarvestSource updateSource(String sourceId, String url, String title, String config, String frequency,
            Boolean active, String ownerOrg, boolean clearOwnerOrg) {
        return database.inTransaction(session -> {
            SourceEntity source = session.find(SourceEntity.class, sourceId,
                    jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
            if (source == null) {
                throw new IllegalArgumentException("Harvest source " + sourceId + " does not exist");
            }
            if (url != null) {
                source.url = url.strip();
            }
            if (title != null) {
                source.title = title.isBlank() ? source.name : title;
            }
            if (config != null) {
                source.config = config;
            }
            if (frequency != null && !frequency.equals(source.frequency)) {
                source.frequency = frequency;
                source.nextRun = null;
            }
            if (clearOwnerOrg) {
                source.ownerOrg = null;
            } else if (ownerOrg != null) {
                source.ownerOrg = ownerOrg;
            }
            if (active != null) {
                source.active = active;
                if (!active) {
                    session.createMutationQuery("update JobEntity set status = "
                                    + Transitions.JobTransition.ABORT.target()
                                    + " where sourceId = :id and status = 'New'")
                            .setParameter("id", sourceId)
                            .executeUpdate();
                }
            }
            return Rows.toApi(source);
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

    /**
     * What {@code run} decides a source's schedule on.
     *
     * @param id the source
     * @param frequency its frequency as stored
     * @param created when the source was created (UTC)
     * @param nextRun its {@code next_run} (UTC), or null
     * @param lastJobCreated when its most recently created job was created (UTC), or null if it has none
     */
    public record ScheduledSource(String id, String frequency, LocalDateTime created, LocalDateTime nextRun,
            LocalDateTime lastJobCreated) {}

    /** @return every active source whose frequency is not {@code MANUAL}, with its last job's creation; one query */
    public List<ScheduledSource> scheduledSources() {
        return database.read(session -> session.doReturningWork(connection -> {
            List<ScheduledSource> scheduled = new java.util.ArrayList<>();
            try (java.sql.PreparedStatement select = connection.prepareStatement("select s.id, s.frequency, s.created,"
                    + " s.next_run, (select max(j.created) from harvest_job j where j.source_id = s.id)"
                    + " from harvest_source s where s.active = true and s.frequency is not null"
                    + " and upper(s.frequency) <> 'MANUAL' order by s.created, s.id");
                    java.sql.ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    scheduled.add(new ScheduledSource(rows.getString(1), rows.getString(2), local(rows.getTimestamp(3)),
                            local(rows.getTimestamp(4)), local(rows.getTimestamp(5))));
                }
            }
            return scheduled;
        }));
    }

    private static LocalDateTime local(java.sql.Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toLocalDateTime();
    }

    /**
     * Deletes the history of a source, or of every source, keeping the sources and the datasets
     * ({@code clearsource_history}, {@code source clear-history}). Without {@code keepCurrent} every job, object and
     * error goes. With it (spec §5.3), the objects that are not current, of jobs that are not Running and have no
     * current object, go with their errors and extras; then the jobs that are not Running and have no object left,
     * with their gather errors. Each is one statement over all the rows concerned, in one transaction.
     *
     * @param sourceId a source, or null for all sources
     * @param keepCurrent whether to keep the current objects and their jobs
     * @return the number of jobs deleted
     */
    public int clearHistory(String sourceId, boolean keepCurrent) {
        if (sourceId != null && !keepCurrent) {
            return clearSourceHistory(sourceId);
        }
        String ofSource = sourceId == null ? "" : " and o.harvest_source_id = :s";
        String objects = "select o.id from harvest_object o where coalesce(o.current, false) = false" + ofSource
                + (keepCurrent ? " and not exists (select 1 from harvest_job j where j.id = o.harvest_job_id"
                        + " and j.status = 'Running')"
                        + " and not exists (select 1 from harvest_object c where c.harvest_job_id = o.harvest_job_id"
                        + " and c.current = true)" : "");
        String jobs = "select j.id from harvest_job j where 1 = 1" + (sourceId == null ? "" : " and j.source_id = :s")
                + (keepCurrent ? " and j.status <> 'Running' and not exists (select 1 from harvest_object o"
                        + " where o.harvest_job_id = j.id)" : "");
        return database.inTransaction(session -> {
            if (!keepCurrent) {
                // everything of every source
                session.createNativeMutationQuery("delete from harvest_object_error").executeUpdate();
                session.createNativeMutationQuery("delete from harvest_object_extra").executeUpdate();
                session.createNativeMutationQuery("delete from harvest_object").executeUpdate();
                session.createNativeMutationQuery("delete from harvest_gather_error").executeUpdate();
                session.createNativeMutationQuery("delete from harvest_gather_seen").executeUpdate();
                return session.createNativeMutationQuery("delete from harvest_job").executeUpdate();
            }
            bind(session.createNativeMutationQuery("delete from harvest_object_error where harvest_object_id in ("
                    + objects + ")"), sourceId).executeUpdate();
            bind(session.createNativeMutationQuery("delete from harvest_object_extra where harvest_object_id in ("
                    + objects + ")"), sourceId).executeUpdate();
            // the ids first: a DELETE whose sub-select reads the table it deletes from is not portable
            List<String> objectIds = bind(session.createNativeQuery(objects, String.class), sourceId).getResultList();
            for (int from = 0; from < objectIds.size(); from += 1000) {
                session.createNativeMutationQuery("delete from harvest_object where id in (:ids)")
                        .setParameterList("ids", objectIds.subList(from, Math.min(objectIds.size(), from + 1000)))
                        .executeUpdate();
            }
            bind(session.createNativeMutationQuery("delete from harvest_gather_error where harvest_job_id in ("
                    + jobs + ")"), sourceId).executeUpdate();
            bind(session.createNativeMutationQuery("delete from harvest_gather_seen where harvest_job_id in ("
                    + jobs + ")"), sourceId).executeUpdate();
            List<String> jobIds = bind(session.createNativeQuery(jobs, String.class), sourceId).getResultList();
            int deleted = 0;
            for (int from = 0; from < jobIds.size(); from += 1000) {
                deleted += session.createNativeMutationQuery("delete from harvest_job where id in (:ids)")
                        .setParameterList("ids", jobIds.subList(from, Math.min(jobIds.size(), from + 1000)))
                        .executeUpdate();
            }
            return deleted;
        });
    }

    private static <Q extends org.hibernate.query.CommonQueryContract> Q bind(Q query, String sourceId) {
        if (sourceId != null) {
            query.setParameter("s", sourceId);
        }
        return query;
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

    /**
     * A page of the datasets that sources currently provide (the datasets of their current objects), by id order.
     *
     * @param sourceId one source, or null for all
     * @param afterId the last id of the previous page, or the empty string
     * @param limit the page size
     * @return dataset ids, ascending
     */
    public List<String> currentDatasetIds(String sourceId, String afterId, int limit) {
        return database.read(session -> {
            var query = session.createNativeQuery("select distinct package_id from harvest_object where current = true"
                            + " and package_id is not null and package_id > :after"
                            + (sourceId == null ? "" : " and harvest_source_id = :s") + " order by package_id",
                            String.class)
                    .setParameter("after", afterId);
            if (sourceId != null) {
                query.setParameter("s", sourceId);
            }
            return query.setMaxResults(limit).getResultList();
        });
    }

    /**
     * The datasets {@code clearsource} deletes: those the source's objects point at, except the datasets that another
     * source provides now (whose current object belongs to another source: taken over, or never this source's).
     *
     * @return dataset ids
     */
    public List<String> packageIdsOfSource(String sourceId) {
        return database.read(session -> session.createNativeQuery(
                        "select distinct o.package_id from harvest_object o where o.harvest_source_id = :s"
                                + " and o.package_id is not null and not exists (select 1 from harvest_object c"
                                + " where c.package_id = o.package_id and c.current = true"
                                + " and c.harvest_source_id <> :s)", String.class)
                .setParameter("s", sourceId)
                .getResultList());
    }

    /**
     * The datasets that a source's objects point at but that another source provides now, which {@code clearsource}
     * leaves alone.
     *
     * @param sourceId the source being cleared
     * @return dataset id → name of the source that provides it
     */
    public java.util.Map<String, String> packageIdsProvidedByOthers(String sourceId) {
        java.util.Map<String, String> others = new java.util.LinkedHashMap<>();
        database.read(session -> session.createNativeQuery(
                        "select distinct c.package_id, s.name from harvest_object c join harvest_source s"
                                + " on s.id = c.harvest_source_id where c.current = true and c.harvest_source_id <> :s"
                                + " and c.package_id in (select o.package_id from harvest_object o"
                                + " where o.harvest_source_id = :s and o.package_id is not null)"
                                + " order by c.package_id", Object[].class)
                .setParameter("s", sourceId)
                .getResultList())
                .forEach(row -> others.putIfAbsent((String) row[0], (String) row[1]));
        return others;
    }
}
