package dev.harvest.core.action;

import dev.harvest.api.HarvestSource;
import dev.harvest.core.HarvestException;
import dev.harvest.core.SourceForm;
import dev.harvest.core.SourceUpdate;
import dev.harvest.core.auth.Actor;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/** The source actions of spec §5.2 and §5.3. */
final class SourceActions {

    private final ActionSupport support;

    SourceActions(ActionSupport support) {
        this.support = support;
    }

    void register(BiConsumer<String, Action> reads, BiConsumer<String, Action> writes) {
        reads.accept("harvest_source_show", this::show);
        reads.accept("harvest_source_show_status", this::showStatus);
        reads.accept("harvest_source_list", this::list);
        writes.accept("harvest_source_create", this::create);
        writes.accept("harvest_source_update", (params, actor) -> update(params, actor, false));
        writes.accept("harvest_source_patch", (params, actor) -> update(params, actor, true));
        writes.accept("harvest_source_delete", this::delete);
        writes.accept("harvest_source_clear", this::clear);
        writes.accept("harvest_source_job_history_clear", this::jobHistoryClear);
        writes.accept("harvest_sources_job_history_clear", this::allJobHistoryClear);
        reads.accept("harvest_source_reindex", this::reindex);
        reads.accept("harvest_sources_reindex", this::reindexAll);
    }

    private Object show(Params params, Actor actor) {
        ActionStore.SourceRow source;
        Optional<String> id = params.text("id");
        if (id.isPresent()) {
            source = support.source(id.get());
        } else if (params.text("url").isPresent()) {
            source = support.store.sourceByUrl(params.string("url"))
                    .orElseThrow(() -> new ActionException.NotFound("Harvest source not found"));
        } else {
            throw ActionException.Validation.of("id", "Missing value");
        }
        ActionSupport.requireRead(actor, source);
        return support.sourceDict(source, actor);
    }

    private Object showStatus(Params params, Actor actor) {
        String id = params.required("id");
        ActionStore.SourceRow source = support.findSource(id)
                .orElseThrow(() -> new ActionException.NotFound("Harvest source " + id + " does not exist"));
        ActionSupport.requireRead(actor, source);
        return support.status(source.id());
    }

    /**
     * Spec §5.2, without the legacy publisher filter that left logged-in users an empty list: everyone gets the
     * active sources, and a deleted source only its editors.
     */
    private Object list(Params params, Actor actor) {
        String organizationId = params.text("organization_id")
                .map(org -> support.organizationId(org).orElse(org)).orElse(null);
        boolean onlyActive = params.bool("only_active", false);
        boolean onlyToRun = params.bool("only_to_run", false);
        boolean lastJobStatus = params.bool("return_last_job_status", false);
        int limit = Integer.parseInt(support.harvest.settings().get("ckan.harvest.harvest_source_limit", "100"));
        LocalDateTime now = support.harvest.queries().now();
        List<ActionStore.SourceRow> rows = support.store.listSources(organizationId, onlyActive, limit).stream()
                .filter(row -> row.active() || actor.canEdit(row.ownerOrg()))
                .filter(row -> !onlyToRun || !"MANUAL".equals(row.frequency())
                        && (row.nextRun() == null || !row.nextRun().isAfter(now)))
                .toList();
        Map<String, Map<String, Object>> legacy = support.store.legacyStatus(rows.stream()
                .map(ActionStore.SourceRow::id).toList());
        List<Map<String, Object>> items = new ArrayList<>();
        for (ActionStore.SourceRow row : rows) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("id", row.id());
            item.put("url", row.url());
            item.put("title", row.title() == null ? "" : row.title());
            item.put("description", row.description() == null ? "" : row.description());
            item.put("config", Dicts.config(row.config(), !actor.canSeeSecrets(row.ownerOrg())));
            item.put("created", Dicts.time(row.created()));
            item.put("type", row.type());
            item.put("active", row.active());
            item.put("user_id", "");
            item.put("publisher_id", "");
            item.put("frequency", row.frequency());
            item.put("next_run", Dicts.time(row.nextRun()));
            item.put("name", row.name());
            item.put("owner_org", row.ownerOrg());
            item.put("publisher_title", "");
            item.put("status", legacy.get(row.id()));
            if (lastJobStatus) {
                item.put("last_job_status", support.status(row.id()).get("last_job"));
            }
            items.add(item);
        }
        return items;
    }

    private Object create(Params params, Actor actor) {
        ActionSupport.requireLoggedIn(actor, "User " + actor.displayName()
                + " not authorized to create harvest sources");
        Optional<String> owner = params.text("owner_org");
        Optional<String> ownerId = owner.flatMap(support::organizationId);
        // an unknown organization is the validation's to report; a known one must be the caller's to edit
        if (owner.isEmpty() ? !actor.isSysadmin() : ownerId.isPresent() && !actor.canEdit(ownerId.get())) {
            throw new ActionException.NotAuthorized("User " + actor.displayName()
                    + " not authorized to create harvest sources" + (owner.isEmpty()
                            ? " without an organization (owner_org)" : " in organization " + owner.get()));
        }
        String active = params.text("state").map(state -> Boolean.toString("active".equals(state)))
                .orElse(params.string("active"));
        HarvestSource created;
        try {
            created = support.harvest.createSource(new SourceForm(params.string("name"), params.string("url"),
                    params.string("source_type"), params.string("title"), active, owner.orElse(null),
                    params.string("frequency"), params.string("config")));
        } catch (HarvestException e) {
            throw ActionSupport.translate(e);
        }
        params.text("notes").ifPresent(notes -> support.store.setDescription(created.id(), notes));
        return support.sourceDict(support.source(created.id()), actor);
    }

    /**
     * {@code harvest_source_update} replaces the source (CKAN's {@code package_update}: {@code name}, {@code url}
     * and {@code source_type} are required, an absent config or frequency is reset); {@code harvest_source_patch}
     * changes only the given fields. A source's name and type cannot change here.
     */
    private Object update(Params params, Actor actor, boolean patch) {
        ActionStore.SourceRow source = support.source(params.required("id"));
        ActionSupport.requireEdit(actor, source, "User " + actor.displayName()
                + " not authorized to update harvest source " + source.id());
        Map<String, List<String>> errors = new LinkedHashMap<>();
        if (!patch) {
            for (String required : List.of("name", "url", "source_type")) {
                if (params.text(required).isEmpty()) {
                    errors.computeIfAbsent(required, key -> new ArrayList<>()).add("Missing value");
                }
            }
        }
        params.text("name").filter(name -> !name.equals(source.name()) && !name.equals(source.id()))
                .ifPresent(name -> errors.computeIfAbsent("name", key -> new ArrayList<>())
                        .add("A harvest source cannot be renamed (it is " + source.name() + ")"));
        params.text("source_type").filter(type -> !type.equals(source.type()))
                .ifPresent(type -> errors.computeIfAbsent("source_type", key -> new ArrayList<>())
                        .add("The type of a harvest source cannot change (it is " + source.type() + ")"));
        if (!errors.isEmpty()) {
            throw new ActionException.Validation(errors);
        }
        Optional<String> owner = params.text("owner_org");
        Optional<String> ownerId = owner.flatMap(support::organizationId);
        if (ownerId.isPresent() && !ownerId.get().equals(source.ownerOrg()) && !actor.canEdit(ownerId.get())) {
            throw new ActionException.NotAuthorized("User " + actor.displayName()
                    + " not authorized to move harvest source " + source.id() + " to organization " + owner.get());
        }
        String active = params.text("state").map(state -> Boolean.toString("active".equals(state)))
                .orElse(params.text("active").orElse(null));
        SourceUpdate update = new SourceUpdate(
                params.string("url"),
                params.has("title") || !patch ? nullToEmpty(params.string("title")) : null,
                params.has("config") || !patch ? nullToEmpty(params.string("config")) : null,
                params.has("frequency") || !patch ? params.text("frequency").orElse("MANUAL") : null,
                active,
                params.has("owner_org") ? nullToEmpty(params.string("owner_org")) : null);
        if (!update.isEmpty()) {
            try {
                support.harvest.updateSource(source.id(), update);
            } catch (HarvestException e) {
                throw ActionSupport.translate(e);
            }
        }
        if (params.has("notes") || !patch) {
            support.store.setDescription(source.id(), nullToEmpty(params.string("notes")));
        }
        return support.sourceDict(support.source(source.id()), actor);
    }

    private static String nullToEmpty(String value) {
        return value == null ? "" : value;
    }

    private Object delete(Params params, Actor actor) {
        ActionStore.SourceRow source = support.source(params.required("id"));
        ActionSupport.requireEdit(actor, source, "User " + actor.displayName()
                + " not authorized to delete harvest source " + source.id());
        support.harvest.removeSource(source.id());
        if (params.bool("clear_source", false)) {
            clearSource(source);
        }
        return null;
    }

    private Object clear(Params params, Actor actor) {
        ActionStore.SourceRow source = sourceOrNotExists(params.required("id"));
        ActionSupport.requireEdit(actor, source, "User " + actor.displayName()
                + " not authorized to update harvest source " + source.id());
        clearSource(source);
        return Map.of("id", source.id());
    }

    private void clearSource(ActionStore.SourceRow source) {
        try {
            support.harvest.clearSource(source.id());
        } catch (HarvestException e) {
            throw ActionSupport.translate(e);
        }
    }

    private Object jobHistoryClear(Params params, Actor actor) {
        ActionStore.SourceRow source = sourceOrNotExists(params.required("id"));
        ActionSupport.requireEdit(actor, source, "User " + actor.displayName()
                + " not authorized to update harvest source " + source.id());
        support.harvest.clearHistory(source.id(), params.bool("keep_current", false));
        return Map.of("id", source.id());
    }

    private Object allJobHistoryClear(Params params, Actor actor) {
        ActionSupport.requireSysadmin(actor, "Only sysadmins can clear history for all harvest jobs");
        List<Map<String, Object>> cleared = new ArrayList<>();
        support.store.listSources(null, false, 1000)
                .forEach(source -> cleared.add(Map.of("id", source.id())));
        support.harvest.clearHistory(null, params.bool("keep_current", false));
        return cleared;
    }

    private Object reindex(Params params, Actor actor) {
        ActionStore.SourceRow source = support.source(params.required("id"));
        ActionSupport.requireEdit(actor, source, "User " + actor.displayName()
                + " not authorized to update harvest source " + source.id());
        reindex(source.id());
        return true;
    }

    private Object reindexAll(Params params, Actor actor) {
        ActionSupport.requireSysadmin(actor, "Only sysadmins can reindex all harvest sources");
        reindex(null);
        return true;
    }

    private void reindex(String sourceId) {
        try {
            support.harvest.reindex(sourceId);
        } catch (HarvestException e) {
            throw ActionSupport.translate(e);
        }
    }

    private ActionStore.SourceRow sourceOrNotExists(String id) {
        return support.findSource(id)
                .orElseThrow(() -> new ActionException.NotFound("Harvest source " + id + " does not exist"));
    }
}
