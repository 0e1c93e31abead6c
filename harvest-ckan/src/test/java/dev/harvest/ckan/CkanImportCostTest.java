package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.ImportContext;
import dev.harvest.api.ImportOutcome;
import dev.harvest.api.Settings;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.GroupKind;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A quick micro-benchmark of the harvester's own per-object import cost (no HTTP: an O(1) catalog in memory), logged
 * and not asserted: the figures depend on the machine. It shows what per-object work costs next to the import
 * itself, e.g. parsing and hashing the source configuration for every object.
 */
class CkanImportCostTest {

    static final String CONFIG = "{\"api_key\": \"remote-key\", \"user_agent\": \"bench/1.0\", "
            + "\"default_tags\": [{\"name\": \"geo\"}, {\"name\": \"namibia\"}], "
            + "\"default_extras\": {\"encoding\": \"utf8\", "
            + "\"harvest_url\": \"{harvest_source_url}/dataset/{dataset_id}\"}, "
            + "\"organizations_filter_exclude\": [\"remote-organization\"], \"user\": \"harvester-user\", "
            + "\"clean_tags\": true, \"deletion_guard_max_share\": 0.2}";

    static final int WARM_UP_ROUNDS = 3;
    static final int ROUNDS = 7;
    static final int OBJECTS_PER_ROUND = 2000;

    final CkanHarvester harvester = new CkanHarvester(CkanHarvesterScenarioTest.fastTransport());
    final HarvestSource source = HarvestSource.builder()
            .id("source-id")
            .name("bench")
            .title("Bench")
            .url("http://127.0.0.1:9/ckan/")
            .type("ckan")
            .config(CONFIG)
            .frequency("MANUAL")
            .build();
    final HarvestJob job = HarvestJob.builder()
            .id("job-id")
            .sourceId("source-id")
            .status("Running")
            .created(Instant.now())
            .gatherStarted(Instant.now())
            .build();
    final String content = MockCkan.json(MockCkan.listOfMaps(MockCkan.fixtures().get("datasets")).get(1));
    final String guid = CkanHarvesterScenarioTest.CABINET;
    final String digest;

    CkanImportCostTest() throws Exception {
        digest = CkanSourceConfig.parse(CONFIG).digest();
    }

    @Test
    void thePerObjectImportCostIsLoggedForUnchangedAndNewDatasets() throws Exception {
        MapCatalog catalog = new MapCatalog();
        ImportOutcome first = harvester.importObject(context(catalog, guid, null));
        assertInstanceOf(ImportOutcome.Created.class, first);
        HarvestObject previous = object(guid, guid);

        double unchanged = microsPerObject(() -> {
            ImportOutcome outcome = harvester.importObject(context(catalog, guid, previous));
            assertInstanceOf(ImportOutcome.Unchanged.class, outcome);
        });
        double created = microsPerObject(() -> {
            MapCatalog empty = new MapCatalog();
            ImportOutcome outcome = harvester.importObject(context(empty, guid, null));
            assertInstanceOf(ImportOutcome.Created.class, outcome);
        });

        System.out.printf("[import cost] per object: unchanged %.1f µs, new %.1f µs (CPU time, fastest of %d rounds of %d)%n",
                unchanged, created, ROUNDS, OBJECTS_PER_ROUND);
        assertEquals(1, catalog.datasets.size());
    }

    interface Step {
        void run() throws Exception;
    }

    /**
     * The CPU time per object of the fastest round: the thread's own CPU time, so that other work on the machine
     * (parallel builds) disturbs it less than wall time.
     */
    static double microsPerObject(Step step) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        boolean cpuTime = threads.isCurrentThreadCpuTimeSupported();
        for (int round = 0; round < WARM_UP_ROUNDS; round++) {
            for (int i = 0; i < OBJECTS_PER_ROUND; i++) {
                step.run();
            }
        }
        double[] micros = new double[ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            long start = cpuTime ? threads.getCurrentThreadCpuTime() : System.nanoTime();
            for (int i = 0; i < OBJECTS_PER_ROUND; i++) {
                step.run();
            }
            long end = cpuTime ? threads.getCurrentThreadCpuTime() : System.nanoTime();
            micros[round] = (end - start) / 1000.0 / OBJECTS_PER_ROUND;
        }
        return Arrays.stream(micros).min().orElseThrow();
    }

    HarvestObject object(String guid, String packageId) {
        return HarvestObject.builder()
                .id("object-id")
                .guid(guid)
                .jobId(job.id())
                .sourceId(source.id())
                .content(content)
                .packageId(packageId)
                .extras(Map.of(CkanHarvester.CONFIG_DIGEST_EXTRA, digest))
                .build();
    }

    ImportContext context(Catalog catalog, String guid, HarvestObject previous) {
        HarvestObject object = object(guid, previous == null ? null : previous.packageId());
        return new ImportContext() {
            @Override public HarvestSource source() { return source; }
            @Override public HarvestJob job() { return job; }
            @Override public HarvestObject object() { return object; }
            @Override public Optional<HarvestObject> previousObject() { return Optional.ofNullable(previous); }
            @Override public boolean forceImport() { return false; }
            @Override public Catalog catalog() { return catalog; }
            @Override public Settings settings() { return key -> Optional.empty(); }
            @Override public void recordError(String message, Integer line) { }
        };
    }

    /** Datasets in a hash map, names in a hash set: every call O(1), so the harvester's own work shows. */
    static final class MapCatalog implements Catalog {
        final Map<String, Dataset> datasets = new HashMap<>();
        final Set<String> names = new HashSet<>();

        @Override public Optional<Dataset> findDataset(String idOrName) {
            return Optional.ofNullable(datasets.get(idOrName));
        }
        @Override public Dataset createDataset(Dataset dataset) throws CatalogException {
            if (!names.add(dataset.name())) {
                throw new CatalogException("That URL is already in use.");
            }
            dataset.put("state", "active");
            datasets.put(dataset.id(), dataset);
            return dataset;
        }
        @Override public Dataset updateDataset(Dataset dataset) {
            datasets.put(dataset.id(), dataset);
            return dataset;
        }
        @Override public void deleteDataset(String id) { }
        @Override public boolean isDatasetNameTaken(String name) {
            return names.contains(name);
        }
        @Override public Optional<CatalogGroup> findGroup(GroupKind kind, String idOrName) {
            return Optional.empty();
        }
        @Override public CatalogGroup createGroup(GroupKind kind, CatalogGroup group) {
            return group;
        }
    }
}
