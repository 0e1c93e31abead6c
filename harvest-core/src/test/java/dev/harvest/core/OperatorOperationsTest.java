package dev.harvest.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.core.engine.Reimporter;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.testing.MapCatalog;
import dev.harvest.core.testing.MutableClock;
import dev.harvest.core.testing.ScriptedHarvester;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The operators' engine operations (import, reindex, job-all, abort-failed-jobs) on H2 and on PostgreSQL. */
class OperatorOperationsTest {

    private final MutableClock clock = new MutableClock();
    private Harvest harvest;

    @AfterEach
    void close() {
        if (harvest != null) {
            harvest.close();
        }
    }

    private Harvest open(Kind kind, MapCatalog catalog) {
        Harvest.Builder builder = Harvest.builder(TestDatabases.config(kind, Map.of("harvest.object_batch_size", "2",
                        "harvest.db.pool_size", "3")))
                .discoverHarvesters(false)
                .harvester(new ScriptedHarvester())
                .queue(new InMemoryHarvestQueue("operator-test"))
                .clock(clock);
        if (catalog != null) {
            builder.catalog(catalog);
        }
        harvest = builder.build();
        return harvest;
    }

    private HarvestSource source(String name, String frequency, String config) {
        return harvest.createSource(new SourceRequest(name, "http://" + name + ".example.org/", ScriptedHarvester.NAME,
                null, true, null, frequency, config));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void reindexHandsTheHarvestedDatasetIdsToACatalogWithASearchIndexAndTheEmbeddedOneHasNone(Kind kind) {
        MapCatalog catalog = new MapCatalog();
        open(kind, catalog);
        source("src", "MANUAL", "{\"guids\": [\"a\", \"b\", \"c\"]}");
        harvest.runTest("src");

        assertEquals(3, harvest.reindex(null).getAsLong());
        List<String> expected = harvest.queries().objectsOfJob(harvest.queries().latestJob(
                harvest.source("src").id()).orElseThrow().id(), false, 10).stream()
                .map(o -> o.packageId()).sorted().toList();
        assertEquals(List.of(expected), catalog.reindexCalls(), "one page, in id order");
        harvest.close();

        open(kind, null);
        assertTrue(harvest.reindex(null).isEmpty(), "the embedded catalog has no search index");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void importWithARemoteCatalogLooksEachDatasetUpAndReimportsPageByPageFromStoredContent(Kind kind)
            throws Exception {
        MapCatalog catalog = new MapCatalog();
        open(kind, catalog);
        HarvestSource source = source("src", "MANUAL", "{\"guids\": [\"a\", \"b\", \"c\", \"d\", \"e\"]}");
        harvest.runTest("src");
        String datasetB = catalog.findDataset("ds-b").orElseThrow().id();
        catalog.deleteDataset(datasetB);
        Map<String, Integer> before = importCalls(source, "a", "b", "c", "d", "e");
        List<Reimporter.Failure> failures = new ArrayList<>();

        Harvest.ImportSummary summary = harvest.importObjects(ImportRequest.all(), failures::add);

        assertEquals(new Harvest.ImportSummary(4, 0, 1, List.of()), summary);
        assertTrue(failures.isEmpty(), failures.toString());
        Map<String, Integer> after = importCalls(source, "a", "b", "c", "d", "e");
        for (String guid : List.of("a", "c", "d", "e")) {
            assertEquals(before.get(guid) + 1, after.get(guid), guid + " imported once more");
        }
        assertEquals(before.get("b"), after.get("b"), "b's dataset is deleted: left alone");
        assertEquals(0, ScriptedHarvester.calls(source.id(), "a/fetch") - 1, "nothing fetched again");

        Harvest.ImportSummary unjoined = harvest.importObjects(
                new ImportRequest("src", null, null, null, null, null, false), failures::add);
        assertEquals(5, unjoined.imported(), "-j imports b too");
        assertEquals("active", catalog.findDataset(datasetB).orElseThrow().state(), "b's dataset is back");
    }

    private static Map<String, Integer> importCalls(HarvestSource source, String... guids) {
        return java.util.Arrays.stream(guids)
                .collect(Collectors.toMap(g -> g, g -> ScriptedHarvester.calls(source.id(), g + "/import")));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void abortFailedJobsUsesTheLifeSpanOfEachSourcesFrequency(Kind kind) {
        open(kind, null);
        source("manual", "MANUAL", "");
        source("daily", "DAILY", "");
        source("weekly", "WEEKLY", "");
        assertEquals("There is no jobs to abort", harvest.abortFailedJobs(3, List.of(), List.of()).message());
        HarvestJob manual = harvest.createJob("manual", true);
        HarvestJob daily = harvest.createJob("daily", true);
        harvest.createJob("weekly", true);
        clock.advance(Duration.ofDays(4));

        assertEquals("Done. Aborted jobs: 0", harvest.abortFailedJobs(3, List.of("weekly"), List.of()).message());
        Harvest.AbortFailedJobsResult excluded = harvest.abortFailedJobs(3, List.of(), List.of("daily"));
        assertEquals(List.of(manual.id()), excluded.abortedJobIds());
        Harvest.AbortFailedJobsResult rest = harvest.abortFailedJobs(3, List.of(), List.of());
        assertEquals("Done. Aborted jobs: 1", rest.message());
        assertEquals(List.of(daily.id()), rest.abortedJobIds(), "4 days > 1 day; the weekly job is within 7");
        assertEquals("Aborted", harvest.queries().findJob(daily.id()).orElseThrow().status());

        HarvestException unknown = assertThrows(HarvestException.class,
                () -> harvest.abortFailedJobs(-1, List.of("nope"), List.of("gone")));
        assertEquals("life_span must be a number of days, 0 or more, not -1; Source <nope> not found.;"
                + " Source <gone> not found.", unknown.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void jobAllStartsOneJobPerActiveSourceWithoutAPendingJob(Kind kind) {
        open(kind, null);
        source("one", "MANUAL", "");
        source("two", "MANUAL", "");
        source("pending", "MANUAL", "");
        source("removed", "MANUAL", "");
        harvest.removeSource("removed");
        HarvestJob pending = harvest.createJob("pending", false);

        List<HarvestJob> started = harvest.createJobsForAllSources();

        Set<String> sources = started.stream().map(job -> harvest.queries().findSource(job.sourceId()).orElseThrow()
                .name()).collect(Collectors.toSet());
        assertEquals(Set.of("one", "two"), sources);
        assertTrue(started.stream().allMatch(job -> harvest.queries().findJob(job.id()).orElseThrow().status()
                .equals("Running")));
        assertEquals("New", harvest.queries().findJob(pending.id()).orElseThrow().status());
        assertTrue(harvest.createJobsForAllSources().isEmpty(), "every active source has a pending job now");
        assertFalse(harvest.jobs("removed").stream().findAny().isPresent());
    }
}
