package dev.harvest.ckan;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.api.FetchContext;
import dev.harvest.api.FetchOutcome;
import dev.harvest.api.GatherContext;
import dev.harvest.api.GatherOutcome;
import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.Harvester;
import dev.harvest.api.ImportContext;
import dev.harvest.api.ImportOutcome;
import dev.harvest.api.NewHarvestObject;
import dev.harvest.api.Settings;
import dev.harvest.api.catalog.Catalog;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Drives a harvester through gather, fetch and import the way the engine does (current objects, previous object,
 * last error-free job, known guids, fetched content, deletions after a full listing with a deletion guard and
 * {@code confirmVanished}), so the harvester can be tested without harvest-core.
 *
 * <p>Like the engine, it finishes a gathered record as {@code not modified} without fetch or import when the
 * harvester's {@link Harvester#skipsUnchangedRecords} allows it and the record's content, extras and source
 * configuration equal those of the current object for its guid (unless the import is forced);
 * {@link #engineSkipsUnchanged} turns that off, to test the harvester's own change detection.
 */
final class TestHarvestRunner {

    /** What one job did. */
    static final class JobResult {
        final HarvestJob job;
        GatherOutcome gatherOutcome;
        final List<String> gatherErrors = new ArrayList<>();
        final List<NewHarvestObject> emitted = new ArrayList<>();
        final Set<String> markedPresent = new HashSet<>();
        /** Calls to emit, duplicates included (the engine keeps one object per guid). */
        int emitCalls;
        final Map<String, String> statusByGuid = new LinkedHashMap<>();
        final Map<String, ImportOutcome> outcomeByGuid = new LinkedHashMap<>();
        final Map<String, String> errorByGuid = new LinkedHashMap<>();
        /** The guid lists passed to knownGuids, one per call. */
        final List<List<String>> knownGuidsAsked = new ArrayList<>();
        /** The guids finished as not modified at gather time, without fetch or import. */
        final Set<String> skippedAtGather = new HashSet<>();

        JobResult(HarvestJob job) {
            this.job = job;
        }

        boolean errorFree() {
            return gatherErrors.isEmpty() && errorByGuid.isEmpty();
        }

        long count(String status) {
            return statusByGuid.values().stream().filter(status::equals).count();
        }
    }

    final Harvester harvester;
    final Catalog catalog;
    final Map<String, String> settings = new HashMap<>();
    HarvestSource source;
    boolean forceImport;
    /** Whether unchanged records are finished at gather time, as the engine does. */
    boolean engineSkipsUnchanged = true;
    private final Map<String, HarvestObject> currentByGuid = new LinkedHashMap<>();
    /** The source configuration each current object was imported with. */
    private final Map<String, String> configByGuid = new HashMap<>();
    private HarvestJob lastErrorFreeJob;

    TestHarvestRunner(Harvester harvester, Catalog catalog, String url, String config) {
        this.harvester = harvester;
        this.catalog = catalog;
        this.source = HarvestSource.builder()
                .id("source-id")
                .name("test-source")
                .title("Test Source")
                .url(url)
                .type("ckan")
                .config(config)
                .frequency("MANUAL")
                .build();
    }

    TestHarvestRunner withConfig(String config) {
        source = HarvestSource.builder()
                .id(source.id())
                .name(source.name())
                .title(source.title())
                .url(source.url())
                .type(source.type())
                .config(config)
                .ownerOrg(source.ownerOrg())
                .frequency(source.frequency())
                .active(source.active())
                .build();
        return this;
    }

    TestHarvestRunner withOwnerOrg(String ownerOrg) {
        source = HarvestSource.builder()
                .id(source.id())
                .name(source.name())
                .title(source.title())
                .url(source.url())
                .type(source.type())
                .config(source.config())
                .ownerOrg(ownerOrg)
                .frequency(source.frequency())
                .active(source.active())
                .build();
        return this;
    }

    Settings settings() {
        return key -> Optional.ofNullable(settings.get(key));
    }

    JobResult run() throws Exception {
        HarvestJob job = HarvestJob.builder()
                .id(UUID.randomUUID().toString())
                .sourceId(source.id())
                .status("Running")
                .created(Instant.now())
                .gatherStarted(Instant.now())
                .build();
        JobResult result = new JobResult(job);
        result.gatherOutcome = gather(job, result);
        if (result.gatherOutcome instanceof GatherOutcome.Failed failed) {
            result.gatherErrors.add(failed.message());
        }
        for (NewHarvestObject emitted : result.emitted) {
            importOne(job, emitted, result);
        }
        if (result.gatherOutcome instanceof GatherOutcome.Completed completed && completed.fullListing()) {
            deleteVanished(result);
        }
        if (result.errorFree()) {
            lastErrorFreeJob = job;
        }
        return result;
    }

    private GatherOutcome gather(HarvestJob job, JobResult result) throws Exception {
        Map<String, NewHarvestObject> byGuid = new LinkedHashMap<>();
        GatherContext context = new GatherContext() {
            @Override public HarvestSource source() { return source; }
            @Override public HarvestJob job() { return job; }
            @Override public Settings settings() { return TestHarvestRunner.this.settings(); }
            @Override public Optional<HarvestJob> lastErrorFreeJob() { return Optional.ofNullable(lastErrorFreeJob); }
            @Override public void emit(NewHarvestObject object) {
                result.emitCalls++;
                byGuid.putIfAbsent(object.guid(), object);
            }
            @Override public void markPresent(String guid) { result.markedPresent.add(guid); }
            @Override public void gatherError(String message) { result.gatherErrors.add(message); }
            @Override public Set<String> knownGuids(java.util.Collection<String> guids) {
                result.knownGuidsAsked.add(List.copyOf(guids));
                Set<String> known = new HashSet<>(guids);
                known.retainAll(currentByGuid.keySet());
                return known;
            }
            @Override public long emittedCount() { return byGuid.size(); }
        };
        try {
            return harvester.gather(context);
        } finally {
            result.emitted.addAll(byGuid.values());
        }
    }

    private FetchContext fetchContext(HarvestJob job, HarvestObject object, JobResult result) {
        return new FetchContext() {
            @Override public HarvestSource source() { return source; }
            @Override public HarvestJob job() { return job; }
            @Override public HarvestObject object() { return object; }
            @Override public Settings settings() { return TestHarvestRunner.this.settings(); }
            @Override public void recordError(String message) { result.errorByGuid.put(object.guid(), message); }
        };
    }

    private void importOne(HarvestJob job, NewHarvestObject emitted, JobResult result) throws Exception {
        HarvestObject previous = currentByGuid.get(emitted.guid());
        if (engineSkipsUnchanged && !forceImport && previous != null && emitted.content() != null
                && emitted.content().equals(previous.content()) && emitted.extras().equals(previous.extras())
                && java.util.Objects.equals(source.config(), configByGuid.get(emitted.guid()))
                && harvester.skipsUnchangedRecords(source)) {
            result.skippedAtGather.add(emitted.guid());
            result.statusByGuid.put(emitted.guid(), "not modified");
            return;
        }
        HarvestObject gathered = HarvestObject.builder()
                .id(UUID.randomUUID().toString())
                .guid(emitted.guid())
                .jobId(job.id())
                .sourceId(source.id())
                .content(emitted.content())
                .metadataModified(emitted.metadataModified())
                .packageId(previous == null ? null : previous.packageId())
                .extras(emitted.extras())
                .build();
        FetchOutcome fetched;
        try {
            fetched = harvester.fetch(fetchContext(job, gathered, result));
        } catch (Exception e) {
            fetched = FetchOutcome.failed(String.valueOf(e));
        }
        if (fetched instanceof FetchOutcome.Failed failed) {
            result.errorByGuid.put(emitted.guid(), failed.message());
            result.statusByGuid.put(emitted.guid(), "errored");
            return;
        }
        if (!(fetched instanceof FetchOutcome.Proceed proceed)) {
            result.statusByGuid.put(emitted.guid(), "not modified");
            return;
        }
        HarvestObject object = proceed.content() == null ? gathered
                : HarvestObject.builder()
                        .id(gathered.id())
                        .guid(gathered.guid())
                        .jobId(gathered.jobId())
                        .sourceId(gathered.sourceId())
                        .content(proceed.content())
                        .metadataModified(gathered.metadataModified())
                        .packageId(gathered.packageId())
                        .extras(gathered.extras())
                        .build();
        ImportOutcome outcome;
        try {
            outcome = harvester.importObject(new ImportContext() {
                @Override public HarvestSource source() { return source; }
                @Override public HarvestJob job() { return job; }
                @Override public HarvestObject object() { return object; }
                @Override public Optional<HarvestObject> previousObject() { return Optional.ofNullable(previous); }
                @Override public boolean forceImport() { return forceImport; }
                @Override public Catalog catalog() { return catalog; }
                @Override public Settings settings() { return TestHarvestRunner.this.settings(); }
                @Override public void recordError(String message, Integer line) {
                    result.errorByGuid.put(emitted.guid(), message);
                }
            });
        } catch (Exception e) {
            outcome = ImportOutcome.failed(String.valueOf(e));
        }
        result.outcomeByGuid.put(emitted.guid(), outcome);
        String status;
        if (outcome instanceof ImportOutcome.Created created) {
            currentByGuid.put(emitted.guid(), withPackage(object, created.datasetId()));
            configByGuid.put(emitted.guid(), source.config());
            status = "added";
        } else if (outcome instanceof ImportOutcome.Updated updated) {
            currentByGuid.put(emitted.guid(), withPackage(object, updated.datasetId()));
            configByGuid.put(emitted.guid(), source.config());
            status = "updated";
        } else if (outcome instanceof ImportOutcome.Failed failed) {
            result.errorByGuid.put(emitted.guid(), failed.message());
            status = "errored";
        } else {
            status = "not modified";
        }
        result.statusByGuid.put(emitted.guid(), status);
    }

    private void deleteVanished(JobResult result) throws Exception {
        Set<String> seen = new HashSet<>(result.markedPresent);
        result.emitted.forEach(object -> seen.add(object.guid()));
        List<String> vanished = currentByGuid.keySet().stream().filter(guid -> !seen.contains(guid)).toList();
        if (vanished.isEmpty()) {
            return;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> config = source.config() == null || source.config().isBlank()
                ? Map.of() : new ObjectMapper().readValue(source.config(), Map.class);
        double maxShare = config.get("deletion_guard_max_share") instanceof Number n ? n.doubleValue() : 0.5;
        boolean force = Boolean.TRUE.equals(config.get("force_deletions"));
        if (!force && vanished.size() > maxShare * currentByGuid.size()) {
            result.gatherErrors.add("Deletion guard: " + vanished.size() + " of " + currentByGuid.size()
                    + " datasets vanished; none deleted");
            return;
        }
        for (String guid : vanished) {
            HarvestObject current = currentByGuid.get(guid);
            HarvestObject deletion = HarvestObject.builder()
                    .id(UUID.randomUUID().toString())
                    .guid(guid)
                    .jobId(result.job.id())
                    .sourceId(source.id())
                    .packageId(current.packageId())
                    .extras(Map.of())
                    .build();
            boolean confirmed;
            try {
                confirmed = harvester.confirmVanished(fetchContext(result.job, deletion, result));
            } catch (Exception e) {
                result.errorByGuid.put(guid, String.valueOf(e));
                result.statusByGuid.put(guid, "errored");
                continue;
            }
            if (!confirmed) {
                result.statusByGuid.put(guid, "not modified");
                continue;
            }
            catalog.deleteDataset(currentByGuid.remove(guid).packageId());
            result.statusByGuid.put(guid, "deleted");
        }
    }

    private static HarvestObject withPackage(HarvestObject object, String packageId) {
        return HarvestObject.builder()
                .id(object.id())
                .guid(object.guid())
                .jobId(object.jobId())
                .sourceId(object.sourceId())
                .content(object.content())
                .metadataModified(object.metadataModified())
                .packageId(packageId)
                .extras(object.extras())
                .build();
    }
}
