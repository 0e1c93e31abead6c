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
        LocalDateTime now = Rows.now(clock);
        return database.read(session -> session.createSelectionQuery(
                        "from SourceEntity where active = true and frequency <> 'MANUAL'"
                                + " and (nextRun is null or nextRun <= :now)",
                        SourceEntity.class)
                .setParameter("now", now)
                .getResultList()
                .stream()
                .map(Rows::toApi)
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
        return database.read(session -> session.createSelectionQuery(
                        "select distinct packageId from ObjectEntity where sourceId = :s and packageId is not null",
                        String.class)
                .setParameter("s", sourceId)
                .getResultList());
    }
}
