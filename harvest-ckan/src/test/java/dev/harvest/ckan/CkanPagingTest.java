package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestSource;
import dev.harvest.testkit.HarvestResult;
import dev.harvest.testkit.HarvestTestBed;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Paging through package_search on a server that caps rows, inserts or deletes while paging, ignores start, or sends
 * pages too large to accept; each harvest runs through the real engine ({@link HarvestTestBed}).
 */
class CkanPagingTest {

    static final int DATASETS = 2500;

    MockCkan remote;
    HarvestTestBed testBed;

    @BeforeEach
    void startARemoteWith2500Datasets() throws Exception {
        remote = MockCkan.empty();
        for (int i = 0; i < DATASETS; i++) {
            remote.addDataset(String.format("id-%05d", i), "name-" + i, "org", "2020-01-01T00:00:00");
        }
    }

    @AfterEach
    void closeEverything() {
        try {
            if (testBed != null) {
                testBed.close();
            }
        } finally {
            remote.close();
        }
    }

    HarvestSource source(String config) {
        return source(new CkanHarvester(CkanHarvesterScenarioTest.fastTransport()), config);
    }

    HarvestSource source(CkanHarvester harvester, String config) {
        testBed = HarvestTestBed.of(harvester);
        return testBed.source("paged-ckan", remote.url(), config);
    }

    /** A harvester whose transport refuses responses over a size, as harvest.ckan.max_response_mb does. */
    static CkanHarvester cappedHarvester(long maxResponseBytes) {
        return new CkanHarvester(HttpTransport.builder().policy(MockCkan.LOOPBACK).maxAttempts(2).sleeper(delay -> { })
                .maxResponseBytes(maxResponseBytes).build());
    }

    List<Integer> starts() {
        return remote.requestsTo("package_search").stream().map(r -> Integer.parseInt(r.params().get("start")))
                .toList();
    }

    List<String> rowsAsked() {
        return remote.requestsTo("package_search").stream().map(r -> r.params().get("rows")).toList();
    }

    String stateOf(String id) {
        return testBed.dataset(id).orElseThrow(() -> new AssertionError("no local dataset " + id)).state();
    }

    @Test
    void startAdvancesByTheRowsTheServerReturnedWhenItCapsRows() {
        remote.rowsMax = 700;
        HarvestSource source = source("");

        HarvestResult job = testBed.harvest(source);

        job.assertFinishedWithoutErrors().assertCounts(DATASETS, 0, 0, 0, 0);
        assertEquals(List.of(0, 700, 1400, 2100), starts());
        assertTrue(remote.requestsTo("package_search").stream()
                .allMatch(r -> "1000".equals(r.params().get("rows")) && "id asc".equals(r.params().get("sort"))));
    }

    @Test
    void pagingStopsAtCountWithoutAskingForAnEmptyPage() {
        HarvestSource source = source("");

        testBed.harvest(source).assertFinishedWithoutErrors();

        assertEquals(List.of(0, 1000, 2000), starts());
    }

    @Test
    void aDatasetInsertedWhilePagingShiftsRowsButEachDatasetIsImportedOnce() {
        AtomicBoolean inserted = new AtomicBoolean();
        // Just before page 2 is served, a dataset sorting first appears: page 2 repeats the last row of page 1.
        remote.scriptApplies = request -> {
            if ("1000".equals(request.params().get("start")) && inserted.compareAndSet(false, true)) {
                remote.addDataset("id-0000-inserted", "inserted", "org", "2020-01-01T00:00:00");
            }
            return false;
        };
        HarvestSource source = source("");

        HarvestResult job = testBed.harvest(source);

        assertTrue(inserted.get());
        // One dataset added per remote dataset, though id-00999 was listed twice (the counts cover every object;
        // the engine's report lists only the first 1,000).
        job.assertFinishedWithoutErrors().assertCounts(DATASETS, 0, 0, 0, 0);
        assertEquals(List.of(0, 1000, 2000), starts());
        assertTrue(testBed.dataset("id-0000-inserted").isEmpty(), "it sorted onto page 1, which was served already");
    }

    @Test
    void aServerThatIgnoresStartIsDetectedInsteadOfLoopingForever() {
        String firstPage = MockCkan.json(Map.of("success", true, "result", Map.of(
                "count", DATASETS, "results", remote.datasets.subList(0, 1000))));
        for (int i = 0; i < 5; i++) {
            remote.enqueue(MockCkan.Scripted.status(200, firstPage));
        }
        HarvestSource source = source("");

        HarvestResult job = testBed.harvest(source);

        assertEquals("Finished", job.status());
        assertEquals(1000, job.added(), "the first page is kept");
        assertEquals(1, job.gatherErrors().size(), job::describe);
        assertTrue(job.gatherErrors().get(0).contains("The paging doesn't seem to work. URL: "),
                job.gatherErrors()::toString);
        assertEquals(2, remote.requestsTo("package_search").size(), "stopped at the repeated page");
    }

    @Test
    void aPageFailingMidwayKeepsWhatWasGatheredButDeletesNothing() {
        HarvestSource source = source("{\"force_all\": true}");
        testBed.harvest(source).assertFinishedWithoutErrors().assertCounts(DATASETS, 0, 0, 0, 0);
        remote.enqueue(MockCkan.Scripted.status(200, MockCkan.json(Map.of("success", true, "result",
                Map.of("count", DATASETS, "results", remote.datasets.subList(0, 1000))))));
        remote.enqueue(MockCkan.Scripted.status(404, "gone"));

        HarvestResult second = testBed.harvest(source);

        assertEquals(1000, second.notModified(), "the records of the first page are still imported");
        assertEquals(0, second.deleted(), "a partial listing infers no deletions");
        assertEquals("active", stateOf("id-02499"));
        assertEquals(1, second.gatherErrors().size(), second::describe);
        assertTrue(second.gatherErrors().get(0).startsWith("Unable to search remote CKAN for datasets:Error sending "
                + "request to search remote CKAN instance " + remote.url()), second.gatherErrors()::toString);
    }

    @Test
    void theIdListingOfAnIncrementalHarvestPagesWithFlIdAndKeepsEveryDataset() {
        HarvestSource source = source("");
        testBed.harvest(source).assertFinishedWithoutErrors();
        remote.requests.clear();

        HarvestResult second = testBed.harvest(source);

        second.assertFinishedWithoutErrors().assertCounts(0, 0, 0, 0, 0);
        assertEquals(List.of(), second.objects(), "every listed id is known: marked present, nothing to import");
        List<Integer> idListingStarts = remote.requestsTo("package_search").stream()
                .filter(r -> "id".equals(r.params().get("fl")))
                .map(r -> Integer.parseInt(r.params().get("start"))).toList();
        assertEquals(List.of(0, 1000, 2000), idListingStarts);
        assertEquals("active", stateOf("id-00000"));
        assertEquals("active", stateOf("id-02499"));
    }

    @Test
    void aDatasetDeletedBetweenTwoPagesDoesNotGetTheDatasetThatSlidBackDeleted() {
        HarvestSource source = source("");
        testBed.harvest(source).assertFinishedWithoutErrors();
        AtomicBoolean removed = new AtomicBoolean();
        // Just before page 2 of the id listing, a dataset of page 1 is deleted: id-01000 slides back onto page 1,
        // which was already served, so the listing misses it although it still exists.
        remote.scriptApplies = request -> {
            if ("1000".equals(request.params().get("start")) && removed.compareAndSet(false, true)) {
                remote.datasets.remove(remote.dataset("id-00010"));
            }
            return false;
        };

        HarvestResult second = testBed.harvest(source);

        assertTrue(removed.get());
        second.assertFinishedWithoutErrors();
        assertEquals(Map.of("id-01000", "not modified"), CkanHarvesterScenarioTest.statusByGuid(second),
                "the listing missed it, package_show found it active");
        assertEquals("active", stateOf("id-01000"));

        // id-00010 was listed on page 1 before it went; the next harvest sees it gone, and the remote confirms it.
        HarvestResult third = testBed.harvest(source);
        assertEquals(Map.of("id-00010", "deleted"), CkanHarvesterScenarioTest.statusByGuid(third));
        assertEquals("deleted", stateOf("id-00010"));
        assertEquals("active", stateOf("id-01000"));
    }

    @Test
    void aPageOverTheSizeCapIsAskedAgainWithHalfTheRows() {
        int datasetBytes = MockCkan.json(remote.datasets.get(DATASETS - 1)).length();
        HarvestSource source = source(cappedHarvester(300L * datasetBytes), "");

        HarvestResult job = testBed.harvest(source);

        job.assertFinishedWithoutErrors().assertCounts(DATASETS, 0, 0, 0, 0);
        assertEquals(List.of("1000", "500", "250"), rowsAsked().subList(0, 3));
        assertTrue(rowsAsked().subList(3, rowsAsked().size()).stream().allMatch("250"::equals), rowsAsked()::toString);
        assertEquals(List.of(0, 0, 0, 250, 500), starts().subList(0, 5));
    }

    @Test
    void aPageOverTheSizeCapEvenWithTenRowsFailsTheGather() {
        int datasetBytes = MockCkan.json(remote.datasets.get(0)).length();
        HarvestSource source = source(cappedHarvester(5L * datasetBytes), "");

        HarvestResult job = testBed.harvest(source);

        assertEquals(List.of("1000", "500", "250", "125", "62", "31", "15", "10"), rowsAsked());
        assertEquals(1, job.gatherErrors().size(), job::describe);
        assertTrue(job.gatherErrors().get(0).contains("is larger than the limit of"), job.gatherErrors()::toString);
        assertTrue(job.gatherErrors().get(0).contains("even with 10 rows per page"), job.gatherErrors()::toString);
        assertEquals(List.of(), job.objects());
    }
}
