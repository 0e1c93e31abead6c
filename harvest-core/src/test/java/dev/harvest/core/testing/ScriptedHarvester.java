package dev.harvest.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.api.ConfigValidationException;
import dev.harvest.api.FetchContext;
import dev.harvest.api.FetchOutcome;
import dev.harvest.api.GatherContext;
import dev.harvest.api.GatherOutcome;
import dev.harvest.api.Harvester;
import dev.harvest.api.HarvesterInfo;
import dev.harvest.api.ImportContext;
import dev.harvest.api.ImportOutcome;
import dev.harvest.api.NewHarvestObject;
import dev.harvest.api.ValidationContext;
import dev.harvest.api.catalog.Dataset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;

/**
 * A harvester driven by its source's config JSON, like ckanext-harvest's test harvesters: {@code guids} to gather
 * (full listing), and switches that make a stage fail or throw for one guid. Import writes a dataset named after
 * the guid whose {@code notes} is the gathered content, so a changed content updates it.
 *
 * <pre>{"guids": ["a", "b"], "count": 2000, "import_delay_ms": 5, "content": {"a": "v2"}, "partial": true,
 *  "fail_gather": "msg", "overflow_in_import": "a", "emit_unknown_only": ["a", "c"], "still_there": ["b"],
 *  "throw_in_gather": true, "throw_in_fetch": "a", "fail_import": "b" (or ["b", "c"]), "fetch_unchanged": "a",
 *  "extras": {"a": {"status": "delete"}}, "skip_unchanged": false, "long_title": "c", "dataset_ids": "guid",
 *  "delete_datasets": ["a"]}</pre>
 *
 * <p>It counts its fetch and import calls per source and guid ({@link #calls(String, String)}), so tests can tell
 * which objects reached the plugin.
 */
public class ScriptedHarvester implements Harvester {

    public static final String NAME = "scripted";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, java.util.concurrent.atomic.AtomicInteger> CALLS =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param sourceId a source
     * @param guidAndStage e.g. {@code a/import} or {@code a/fetch}
     * @return how often this process called that stage for that guid of that source
     */
    public static int calls(String sourceId, String guidAndStage) {
        var count = CALLS.get(sourceId + "/" + guidAndStage);
        return count == null ? 0 : count.get();
    }

    private static void count(String sourceId, String guid, String stage) {
        CALLS.computeIfAbsent(sourceId + "/" + guid + "/" + stage, key -> new java.util.concurrent.atomic.AtomicInteger())
                .incrementAndGet();
    }

    @Override
    public boolean skipsUnchangedRecords(dev.harvest.api.HarvestSource source) {
        try {
            return parse(source.config()).path("skip_unchanged").asBoolean(true);
        } catch (ConfigValidationException e) {
            return true;
        }
    }

    @Override
    public HarvesterInfo info() {
        return new HarvesterInfo(NAME, "Scripted", "A test harvester driven by its config");
    }

    @Override
    public String validateConfig(String config, ValidationContext context) throws ConfigValidationException {
        JsonNode node = parse(config);
        if (node.has("guids") && !node.get("guids").isArray()) {
            throw new ConfigValidationException("guids must be a list");
        }
        return config;
    }

    private static JsonNode parse(String config) throws ConfigValidationException {
        if (config == null || config.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(config);
        } catch (Exception e) {
            throw new ConfigValidationException("config is not JSON: " + e.getMessage());
        }
    }

    @Override
    public GatherOutcome gather(GatherContext context) throws Exception {
        JsonNode config = parse(context.source().config());
        int count = config.path("count").asInt(0);
        for (int i = 1; i <= count; i++) {
            context.emit(NewHarvestObject.withContent(String.format("obj-%05d", i), "content of object " + i));
        }
        for (JsonNode guid : config.path("guids")) {
            String content = config.path("content").path(guid.asText()).asText("content of " + guid.asText());
            Map<String, String> extras = new LinkedHashMap<>();
            config.path("extras").path(guid.asText()).properties()
                    .forEach(extra -> extras.put(extra.getKey(), extra.getValue().asText()));
            context.emit(new NewHarvestObject(guid.asText(), content, null, extras));
        }
        java.util.List<String> listed = new java.util.ArrayList<>();
        config.path("emit_unknown_only").forEach(guid -> listed.add(guid.asText()));
        java.util.Set<String> known = context.knownGuids(listed);
        for (String guid : listed) {
            if (!known.contains(guid)) {
                context.emit(NewHarvestObject.withContent(guid, "content of " + guid));
            }
        }
        if (config.path("throw_in_gather").asBoolean(false)) {
            throw new IllegalStateException("the remote catalog went away");
        }
        if (config.has("fail_gather")) {
            return GatherOutcome.failed(config.get("fail_gather").asText());
        }
        return config.path("partial").asBoolean(false) ? GatherOutcome.partialListing() : GatherOutcome.fullListing();
    }

    @Override
    public boolean confirmVanished(FetchContext context) throws Exception {
        for (JsonNode guid : parse(context.source().config()).path("still_there")) {
            if (guid.asText().equals(context.object().guid())) {
                return false;
            }
        }
        return true;
    }

    /** @return whether a switch names this guid: a string, or a list of strings */
    private static boolean matches(JsonNode value, String guid) {
        if (value.isArray()) {
            for (JsonNode item : value) {
                if (guid.equals(item.asText())) {
                    return true;
                }
            }
            return false;
        }
        return guid.equals(value.asText(null));
    }

    /** The remote document of an object: the source URL, {@code /record/} and the guid. */
    @Override
    public Optional<String> originalUrl(dev.harvest.api.HarvestSource source, dev.harvest.api.HarvestObject object) {
        return Optional.of(source.url().replaceAll("/+$", "") + "/record/" + object.guid());
    }

    @Override
    public FetchOutcome fetch(FetchContext context) throws Exception {
        JsonNode config = parse(context.source().config());
        String guid = context.object().guid();
        count(context.source().id(), guid, "fetch");
        if (guid.equals(config.path("throw_in_fetch").asText(null))) {
            throw new java.io.IOException("connection reset while fetching " + guid);
        }
        if (guid.equals(config.path("fetch_unchanged").asText(null))) {
            return FetchOutcome.unchanged();
        }
        return FetchOutcome.proceed();
    }

    @Override
    public ImportOutcome importObject(ImportContext context) throws Exception {
        JsonNode config = parse(context.source().config());
        String guid = context.object().guid();
        count(context.source().id(), guid, "import");
        long delay = config.path("import_delay_ms").asLong(0);
        if (delay > 0) {
            Thread.sleep(delay);
        }
        if (guid.equals(config.path("overflow_in_import").asText(null))) {
            throw new StackOverflowError("deep recursion importing " + guid);
        }
        if (matches(config.path("fail_import"), guid)) {
            return ImportOutcome.failed("Invalid package with GUID " + guid + ": title missing");
        }
        // a stable id, so that a retry after a worker died between the catalog write and the commit finds the
        // dataset instead of creating it twice (the idempotence every real harvester needs)
        // "dataset_ids": "guid" keeps the remote's id, as the CKAN harvester does: two sources whose remotes share
        // ids then name the same dataset
        String datasetId = context.object().packageId() != null ? context.object().packageId()
                : "guid".equals(config.path("dataset_ids").asText(null)) ? guid
                : UUID.nameUUIDFromBytes((context.source().id() + "/" + guid).getBytes(StandardCharsets.UTF_8))
                        .toString();
        Optional<Dataset> existing = context.catalog().findDataset(datasetId);
        if (matches(config.path("delete_datasets"), guid)) {
            // the remote record says the dataset was withdrawn
            if (existing.isEmpty()) {
                return ImportOutcome.skipped(guid + " withdrawn, never imported");
            }
            context.catalog().deleteDataset(existing.get().id());
            return ImportOutcome.deleted(existing.get().id());
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("name", "ds-" + guid);
        // a title longer than its column: the catalog's insert fails in the database
        fields.put("title", guid.equals(config.path("long_title").asText(null)) ? "t".repeat(3000) : "Dataset " + guid);
        fields.put("notes", context.object().content());
        fields.put("owner_org", context.source().ownerOrg());
        if (existing.isPresent() && !"deleted".equals(existing.get().state())) {
            if (context.object().content().equals(existing.get().string("notes")) && !context.forceImport()) {
                return ImportOutcome.unchanged(existing.get().id());
            }
            fields.put("id", existing.get().id());
            return ImportOutcome.updated(context.catalog().updateDataset(new Dataset(fields)).id());
        }
        if (existing.isPresent()) {
            fields.put("id", existing.get().id());
            return ImportOutcome.created(context.catalog().updateDataset(new Dataset(fields)).id());
        }
        fields.put("id", datasetId);
        return ImportOutcome.created(context.catalog().createDataset(new Dataset(fields)).id());
    }
}
