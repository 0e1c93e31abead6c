package dev.harvest.core.action;

import dev.harvest.api.Harvester;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.core.Harvest;
import dev.harvest.core.HarvestException;
import dev.harvest.core.ImportRequest;
import dev.harvest.core.auth.Actor;
import dev.harvest.core.auth.UserRecipients;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/** The object actions of spec §5.5 and the other reads of §5.2: harvesters, log, notification recipients. */
final class ObjectActions {

    /** The most object ids {@code harvest_object_list} returns at once. */
    static final int MAX_OBJECT_IDS = 100_000;

    private final ActionSupport support;

    ObjectActions(ActionSupport support) {
        this.support = support;
    }

    void register(BiConsumer<String, Action> reads, BiConsumer<String, Action> writes) {
        reads.accept("harvest_object_show", this::show);
        reads.accept("harvest_object_list", this::list);
        writes.accept("harvest_objects_import", this::importObjects);
        reads.accept("harvesters_info_show", this::harvestersInfo);
        reads.accept("harvest_log_list", this::logList);
        writes.accept("harvest_get_notifications_recipients", this::notificationRecipients);
    }

    private Object show(Params params, Actor actor) {
        Optional<String> id = params.text("id");
        Optional<Map<String, Object>> object;
        if (id.isPresent()) {
            String attribute = params.text("attr").orElse("id");
            if (!ActionStore.OBJECT_ATTRIBUTES.contains(attribute)) {
                throw ActionException.Validation.of("attr", "Must be one of " + ActionStore.OBJECT_ATTRIBUTES);
            }
            object = support.store.object(attribute, id.get());
        } else if (params.text("dataset_id").isPresent()) {
            String datasetId = params.text("dataset_id").get();
            Optional<Dataset> dataset;
            try {
                dataset = support.harvest.catalog().findDataset(datasetId);
            } catch (Exception e) {
                throw new ActionException.Conflict("Could not look up dataset " + datasetId + ": " + e.getMessage());
            }
            object = support.store.currentObjectOfDataset(
                    dataset.orElseThrow(() -> new ActionException.NotFound("Dataset not found")).id());
        } else {
            throw ActionException.Validation.of("id", "Please provide either an \"id\" or a \"dataset_id\" parameter");
        }
        return object.orElseThrow(() -> new ActionException.NotFound("Harvest object not found"));
    }

    private Object list(Params params, Actor actor) {
        ActionSupport.requireLoggedIn(actor, "User " + actor.displayName()
                + " not authorized to list harvest objects");
        String sourceId = params.text("source_id").map(id -> support.source(id).id()).orElse(null);
        return support.store.objectIds(sourceId, params.bool("only_current", true),
                Math.min(params.integer("limit", MAX_OBJECT_IDS, 0), MAX_OBJECT_IDS), params.integer("offset", 0, 0));
    }

    /** Re-imports stored objects; returns how many were processed (imported or failed). */
    private Object importObjects(Params params, Actor actor) {
        ActionSupport.requireSysadmin(actor, "Only sysadmins can reimport all harvest objects");
        Optional<String> source = params.text("source_id");
        if (source.isPresent()) {
            ActionStore.SourceRow row = support.findSource(source.get()).orElseThrow(
                    () -> new ActionException.NotFound("Harvest source " + source.get() + " does not exist"));
            if (!row.active()) {
                throw ActionException.Validation.of("source_id", "This harvest source is not active");
            }
        }
        Optional<String> object = params.text("harvest_object_id");
        if (object.isPresent() && support.store.object("id", object.get()).isEmpty()) {
            throw new ActionException.NotFound("Harvest object not found");
        }
        ImportRequest request = new ImportRequest(source.orElse(null), null, object.orElse(null),
                params.text("package_id").orElse(null), params.text("guid").orElse(null),
                params.text("segments").orElse(null), params.bool("join_datasets", true));
        try {
            Harvest.ImportSummary summary = support.harvest.importObjects(request, failure -> {});
            return summary.imported() + summary.failed();
        } catch (HarvestException e) {
            throw ActionSupport.translate(e);
        }
    }

    private Object harvestersInfo(Params params, Actor actor) {
        return support.harvest.harvesters().all().stream()
                .map(Harvester::info)
                .map(info -> {
                    Map<String, Object> item = new LinkedHashMap<>();
                    item.put("name", info.name());
                    item.put("title", info.title());
                    item.put("description", info.description());
                    item.put("form_config_interface", "Text");
                    item.put("show_config", true);
                    return item;
                })
                .toList();
    }

    /**
     * The seed README's {@code harvest_log_list}: {@code level} (any case), {@code limit} (default 100; not a
     * number reads as 100), {@code per_page} (overrides limit), {@code offset}; newest first, as
     * {@code {content, level, created}}. Sysadmins only: the log names sources and jobs of every organization.
     */
    private Object logList(Params params, Actor actor) {
        ActionSupport.requireSysadmin(actor, "Only sysadmins can read the harvest log");
        int limit = params.integerOr("limit", 100);
        if (params.text("per_page").isPresent()) {
            limit = params.integerOr("per_page", limit);
        }
        int offset = Math.max(0, params.integerOr("offset", 0));
        String level = params.text("level").map(l -> l.toUpperCase(Locale.ROOT)).orElse(null);
        return support.store.logs(level, Math.max(0, Math.min(limit, 10_000)), offset);
    }

    private Object notificationRecipients(Params params, Actor actor) {
        ActionSupport.requireSysadmin(actor, "Only sysadmins can see the notification recipients");
        ActionStore.SourceRow source = support.source(params.required("source_id"));
        return UserRecipients.of(support.users, source.ownerOrg()).stream()
                .map(recipient -> {
                    Map<String, Object> item = new LinkedHashMap<>();
                    item.put("name", recipient.name());
                    item.put("email", recipient.email());
                    return item;
                })
                .toList();
    }
}
