package dev.harvest.core.action;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.core.Harvest;
import dev.harvest.core.HarvestException;
import dev.harvest.core.auth.Actor;
import dev.harvest.core.auth.UserStore;
import dev.harvest.core.store.JobStats;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** What every group of actions shares: the engine, the users, the extra reads, source lookup and spec §5.1's rules. */
final class ActionSupport {

    final Harvest harvest;
    final UserStore users;
    final ActionStore store;

    ActionSupport(Harvest harvest, UserStore users) {
        this.harvest = harvest;
        this.users = users;
        this.store = new ActionStore(harvest.stores().database());
    }

    // ------------------------------------------------------------------ lookups

    /**
     * @param idOrName a source id or name
     * @return its row
     * @throws ActionException.NotFound {@code Harvest source not found}
     */
    ActionStore.SourceRow source(String idOrName) {
        return findSource(idOrName).orElseThrow(() -> new ActionException.NotFound("Harvest source not found"));
    }

    Optional<ActionStore.SourceRow> findSource(String idOrName) {
        return harvest.queries().findSource(idOrName.strip()).flatMap(found -> store.sourceById(found.id()));
    }

    /**
     * @param jobId a job id
     * @return the job
     * @throws ActionException.NotFound {@code Harvest job not found}
     */
    HarvestJob job(String jobId) {
        return harvest.queries().findJob(jobId.strip())
                .orElseThrow(() -> new ActionException.NotFound("Harvest job not found"));
    }

    /**
     * @param idOrName an organization's id or name in the catalog
     * @return its id, or empty if the catalog has no such organization (or cannot say)
     */
    Optional<String> organizationId(String idOrName) {
        return organization(idOrName).map(group -> group.id() == null ? idOrName.strip() : group.id());
    }

    Optional<CatalogGroup> organization(String idOrName) {
        if (idOrName == null || idOrName.isBlank()) {
            return Optional.empty();
        }
        try {
            return harvest.catalog().findGroup(GroupKind.ORGANIZATION, idOrName.strip());
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    // ------------------------------------------------------------------ spec §5.1

    static void requireSysadmin(Actor actor, String message) {
        if (!actor.isSysadmin()) {
            throw new ActionException.NotAuthorized(message);
        }
    }

    static void requireLoggedIn(Actor actor, String message) {
        if (actor.isAnonymous()) {
            throw new ActionException.NotAuthorized(message);
        }
    }

    /** Editing a source or its jobs: a sysadmin, or an admin or editor of the source's organization. */
    static void requireEdit(Actor actor, ActionStore.SourceRow source, String message) {
        if (!actor.canEdit(source.ownerOrg())) {
            throw new ActionException.NotAuthorized(message);
        }
    }

    /** Reading a source: anyone while it is active (sources are public), its editors once it is deleted. */
    static void requireRead(Actor actor, ActionStore.SourceRow source) {
        if (!source.active() && !actor.canEdit(source.ownerOrg())) {
            throw new ActionException.NotAuthorized("User " + actor.displayName()
                    + " not authorized to read harvest source " + source.id());
        }
    }

    // ------------------------------------------------------------------ shapes

    /** @return the job dict with statistics and error summaries */
    Map<String, Object> jobDict(HarvestJob job) {
        JobStats stats = harvest.queries().jobStats(job.id());
        return Dicts.job(job, stats.counts(), stats);
    }

    /** @return {@code harvest_source_show_status}: {@code {job_count, last_job, total_datasets}} */
    Map<String, Object> status(String sourceId) {
        Map<String, Object> status = new LinkedHashMap<>();
        Optional<HarvestJob> last = harvest.queries().latestJob(sourceId);
        if (last.isEmpty()) {
            status.put("job_count", 0);
            status.put("last_job", null);
            status.put("total_datasets", 0);
            return status;
        }
        status.put("job_count", harvest.queries().jobCount(sourceId));
        status.put("last_job", jobDict(last.get()));
        status.put("total_datasets", harvest.queries().currentDatasetCount(sourceId));
        return status;
    }

    /**
     * Spec §2.6's show shape: CKAN's package dict of the source with {@code source_type}, {@code frequency},
     * {@code config} and every config key at top level, its {@code status} and {@code active}. The config's
     * credentials are masked unless the caller is a sysadmin or an admin of the source's organization.
     */
    Map<String, Object> sourceDict(ActionStore.SourceRow source, Actor actor) {
        Map<String, Object> dict = new LinkedHashMap<>();
        dict.put("id", source.id());
        dict.put("name", source.name());
        dict.put("title", source.title() == null || source.title().isBlank() ? source.name() : source.title());
        dict.put("type", "harvest");
        dict.put("url", source.url());
        dict.put("notes", source.description() == null ? "" : source.description());
        dict.put("owner_org", source.ownerOrg());
        dict.put("organization", organization(source.ownerOrg()).map(group -> {
            Map<String, Object> organization = new LinkedHashMap<>();
            organization.put("id", group.id());
            organization.put("name", group.name());
            organization.put("title", group.title());
            organization.put("type", "organization");
            return organization;
        }).orElse(null));
        dict.put("private", false);
        dict.put("state", source.active() ? "active" : "deleted");
        dict.put("metadata_created", Dicts.time(source.created()));
        dict.put("metadata_modified", Dicts.time(source.created()));
        dict.put("extras", java.util.List.of());
        dict.put("source_type", source.type());
        dict.put("frequency", source.frequency());
        String config = Dicts.config(source.config(), !actor.canSeeSecrets(source.ownerOrg()));
        dict.put("config", config);
        if (!Dicts.copyConfigKeys(dict, config)) {
            dict.put("config", null);
        }
        dict.put("status", status(source.id()));
        dict.put("active", source.active());
        return dict;
    }

    /**
     * @param e what the engine refused
     * @return the action error: a validation error with its fields, else a conflict with the state
     */
    static ActionException translate(HarvestException e) {
        if (!e.fieldErrors().isEmpty()) {
            return new ActionException.Validation(e.fieldErrors());
        }
        return new ActionException.Conflict(e.getMessage());
    }
}
