package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.ConfigValidationException;
import dev.harvest.api.HarvestSource;
import dev.harvest.testkit.HarvestTestBed;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The parsed source configuration and API client are worked out once per source configuration, not per object. */
class CkanSourceSetupCacheTest {

    final CkanHarvester harvester = new CkanHarvester(CkanHarvesterScenarioTest.fastTransport());

    static HarvestSource source(String id, String url, String config) {
        return HarvestSource.builder()
                .id(id)
                .name("name-" + id)
                .title("Title")
                .url(url)
                .type("ckan")
                .config(config)
                .frequency("MANUAL")
                .build();
    }

    @Test
    void theSameSourceConfigurationIsParsedOnceAndItsApiClientBuiltOnce() throws Exception {
        HarvestSource source = source("s1", "http://remote.example/", "{\"api_key\": \"k\"}");

        CkanHarvester.SourceSetup first = harvester.setup(source);
        CkanHarvester.SourceSetup second = harvester.setup(source(source.id(), source.url(), source.config()));

        assertSame(first, second);
        assertEquals("http://remote.example", first.api().baseUrl());
        assertEquals(1, harvester.cachedSetups());
    }

    @Test
    void anotherConfigurationTextUrlOrSourceIsASetupOfItsOwn() throws Exception {
        CkanHarvester.SourceSetup base = harvester.setup(source("s1", "http://a.example", "{\"force_all\": true}"));

        CkanHarvester.SourceSetup respaced = harvester.setup(source("s1", "http://a.example", "{\"force_all\":true}"));
        CkanHarvester.SourceSetup otherUrl = harvester.setup(source("s1", "http://b.example", "{\"force_all\": true}"));
        CkanHarvester.SourceSetup otherSource = harvester.setup(source("s2", "http://a.example",
                "{\"force_all\": true}"));
        CkanHarvester.SourceSetup changed = harvester.setup(source("s1", "http://a.example", "{\"force_all\": false}"));

        assertEquals(5, Set.of(base, respaced, otherUrl, otherSource, changed).size());
        assertEquals("http://b.example", otherUrl.api().baseUrl());
        assertTrue(base.config().forceAll());
        assertTrue(!changed.config().forceAll());
        assertNotSame(base.config().digest(), changed.config().digest());
    }

    @Test
    void theCacheKeepsNoMoreThanItsCapacity() throws Exception {
        for (int i = 0; i < 3 * CkanHarvester.SETUP_CACHE_SIZE; i++) {
            harvester.setup(source("s", "http://remote.example", "{\"user\": \"u" + i + "\"}"));
        }

        assertEquals(CkanHarvester.SETUP_CACHE_SIZE, harvester.cachedSetups());
    }

    @Test
    void anUnreadableConfigurationIsNotCachedAndFailsEveryTime() {
        HarvestSource source = source("s1", "http://remote.example", "[1, 2]");

        assertThrows(ConfigValidationException.class, () -> harvester.setup(source));
        assertThrows(ConfigValidationException.class, () -> harvester.setup(source));
        assertEquals(0, harvester.cachedSetups());
    }

    @Test
    void theSharedConfigurationCannotBeChangedThroughTheDictsItHandsOut() throws Exception {
        CkanSourceConfig config = harvester.setup(source("s1", "http://remote.example",
                "{\"default_tags\": [{\"name\": \"geo\", \"vocabulary\": {\"id\": \"v\"}}], "
                        + "\"default_extras\": {\"list\": [1, 2]}}")).config();

        config.defaultTags().get(0).put("name", "changed");
        @SuppressWarnings("unchecked")
        Map<String, Object> vocabulary = (Map<String, Object>) config.defaultTags().get(0).get("vocabulary");
        vocabulary.put("id", "changed");
        @SuppressWarnings("unchecked")
        List<Object> list = (List<Object>) config.defaultExtras().get("list");
        list.add(3);

        assertEquals("geo", config.defaultTags().get(0).get("name"));
        assertEquals(Map.of("id", "v"), config.defaultTags().get(0).get("vocabulary"));
        assertEquals(List.of(1, 2), config.defaultExtras().get("list"));
        assertThrows(UnsupportedOperationException.class,
                () -> ((List<?>) config.raw().get("default_tags")).clear());
    }

    @Test
    void threadsWorkingOnTheSameSourcesShareOneSetupPerSource() throws Exception {
        List<HarvestSource> sources = List.of(source("a", "http://a.example", "{}"),
                source("b", "http://b.example", "{\"api_key\": \"k\"}"), source("c", "http://c.example", ""));
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        Map<String, Set<CkanHarvester.SourceSetup>> seen = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Void>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Callable<Void> work = () -> {
                    start.await();
                    for (int i = 0; i < 500; i++) {
                        HarvestSource source = sources.get(i % sources.size());
                        seen.computeIfAbsent(source.id(),
                                id -> java.util.Collections.synchronizedSet(
                                        java.util.Collections.newSetFromMap(new IdentityHashMap<>())))
                                .add(harvester.setup(source));
                    }
                    return null;
                };
                futures.add(pool.submit(work));
            }
            start.countDown();
            for (Future<Void> future : futures) {
                future.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertEquals(Set.of("a", "b", "c"), seen.keySet());
        seen.forEach((id, setups) -> assertEquals(1, setups.size(), id));
        assertEquals(3, harvester.cachedSetups());
    }

    @Test
    void theCostOfTheSetupWorkPerObjectIsLoggedWithAndWithoutTheCache() throws Exception {
        HarvestSource source = source("s1", "http://remote.example/ckan/", CkanImportCostTest.CONFIG);
        HttpTransport transport = CkanHarvesterScenarioTest.fastTransport();
        int[] sink = {0};

        // What every import, fetch and confirmVanished did before the cache: parse and hash, build a client.
        double uncached = CkanImportCostTest.microsPerObject(() -> {
            CkanSourceConfig config = CkanSourceConfig.parse(source.config());
            CkanApi api = new CkanApi(source.url(), config.apiKey(), config.userAgent(), transport);
            sink[0] += config.digest().length() + api.baseUrl().length();
        });
        double cached = CkanImportCostTest.microsPerObject(() -> {
            CkanHarvester.SourceSetup setup = harvester.setup(source);
            sink[0] += setup.config().digest().length() + setup.api().baseUrl().length();
        });

        System.out.printf("[import cost] source setup per object: parsed each time %.2f µs, cached %.2f µs%n",
                uncached, cached);
        assertTrue(sink[0] > 0);
    }

    @Test
    void aWholeJobThroughTheEngineWorksOutItsSourceSetupOnce() throws Exception {
        try (MockCkan remote = MockCkan.withMockDatasets();
                HarvestTestBed testBed = HarvestTestBed.of(harvester)) {
            HarvestSource source = testBed.source("remote-ckan", remote.url(),
                    "{\"default_tags\": [{\"name\": \"geo\"}]}");

            testBed.harvest(source).assertFinishedWithoutErrors().assertCounts(2, 0, 0, 0, 0);

            assertEquals(1, harvester.cachedSetups(), "gather, fetch, import and the engine's questions share one");
        }
    }
}
