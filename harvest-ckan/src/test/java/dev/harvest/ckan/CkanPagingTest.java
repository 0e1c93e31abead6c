package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.GatherOutcome;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Paging through package_search on a server that caps rows, inserts while paging, or ignores start. */
class CkanPagingTest {

    static final int DATASETS = 2500;

    MockCkan remote;
    InMemoryCatalog catalog;
    TestHarvestRunner runner;

    @BeforeEach
    void start() throws Exception {
        remote = MockCkan.empty();
        for (int i = 0; i < DATASETS; i++) {
            remote.addDataset(String.format("id-%05d", i), "name-" + i, "org", "2020-01-01T00:00:00");
        }
        catalog = new InMemoryCatalog();
        runner = new TestHarvestRunner(new CkanHarvester(CkanHarvesterScenarioTest.fastTransport()), catalog,
                remote.url(), "");
    }

    @AfterEach
    void stop() {
        remote.close();
    }

    List<Integer> starts() {
        return remote.requestsTo("package_search").stream().map(r -> Integer.parseInt(r.params().get("start")))
                .toList();
    }

    @Test
    void startAdvancesByTheRowsTheServerReturnedWhenItCapsRows() throws Exception {
        remote.rowsMax = 700;

        TestHarvestRunner.JobResult job = runner.run();

        assertEquals(DATASETS, job.emitCalls);
        assertEquals(List.of(0, 700, 1400, 2100), starts());
        assertTrue(remote.requestsTo("package_search").stream()
                .allMatch(r -> "1000".equals(r.params().get("rows")) && "id asc".equals(r.params().get("sort"))));
        assertEquals(GatherOutcome.fullListing(), job.gatherOutcome);
    }

    @Test
    void pagingStopsAtCountWithoutAskingForAnEmptyPage() throws Exception {
        runner.run();

        assertEquals(List.of(0, 1000, 2000), starts());
    }

    @Test
    void aDatasetInsertedWhilePagingShiftsRowsButEachIdIsEmittedOnce() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean inserted = new java.util.concurrent.atomic.AtomicBoolean();
        // Just before page 2 is served, a dataset sorting first appears: page 2 repeats the last row of page 1.
        remote.scriptApplies = request -> {
            if ("1000".equals(request.params().get("start")) && inserted.compareAndSet(false, true)) {
                remote.addDataset("id-0000-inserted", "inserted", "org", "2020-01-01T00:00:00");
            }
            return false;
        };

        TestHarvestRunner.JobResult job = runner.run();

        assertEquals(DATASETS, job.emitCalls, "each id is emitted once");
        assertEquals(DATASETS, job.emitted.size());
        assertEquals(List.of(0, 1000, 2000), starts());
    }

    @Test
    void aServerThatIgnoresStartIsDetectedInsteadOfLoopingForever() throws Exception {
        remote.rowsMax = 1000;
        String firstPage = MockCkan.json(java.util.Map.of("success", true, "result", java.util.Map.of(
                "count", DATASETS, "results", remote.datasets.subList(0, 1000))));
        for (int i = 0; i < 5; i++) {
            remote.enqueue(MockCkan.Scripted.status(200, firstPage));
        }

        TestHarvestRunner.JobResult job = runner.run();

        assertEquals(1000, job.emitted.size());
        assertInstanceOf(GatherOutcome.Completed.class, job.gatherOutcome);
        assertEquals(GatherOutcome.partialListing(), job.gatherOutcome);
        assertTrue(job.gatherErrors.get(0).contains("The paging doesn't seem to work. URL: "),
                job.gatherErrors::toString);
    }

    @Test
    void aPageFailingMidwayKeepsWhatWasEmittedButAllowsNoDeletions() throws Exception {
        runner.run();
        remote.enqueue(MockCkan.Scripted.status(200, MockCkan.json(java.util.Map.of("success", true, "result",
                java.util.Map.of("count", DATASETS, "results", remote.datasets.subList(0, 1000))))));
        remote.enqueue(MockCkan.Scripted.status(404, "gone"));
        runner.withConfig("{\"force_all\": true}");

        TestHarvestRunner.JobResult second = runner.run();

        assertEquals(GatherOutcome.partialListing(), second.gatherOutcome);
        assertEquals(1000, second.emitted.size());
        assertEquals(0, second.count("deleted"));
        assertTrue(second.gatherErrors.get(0).startsWith("Unable to search remote CKAN for datasets:Error sending "
                + "request to search remote CKAN instance " + remote.url()), second.gatherErrors::toString);
    }

    @Test
    void theIdListingOfAnIncrementalHarvestPagesWithFlId() throws Exception {
        runner.run();
        remote.requests.clear();

        TestHarvestRunner.JobResult second = runner.run();

        assertTrue(second.emitted.isEmpty());
        assertEquals(DATASETS, second.markedPresent.size());
        assertEquals(3, remote.requestsTo("package_search").stream().filter(r -> "id".equals(r.params().get("fl")))
                .count());
        assertEquals(List.of(1000, 1000, 500), second.knownGuidsAsked.stream().map(List::size).toList(),
                "the engine is asked which ids it knows once per page");
        assertEquals(GatherOutcome.fullListing(), second.gatherOutcome);
    }

    @Test
    void aDatasetDeletedBetweenTwoPagesDoesNotGetTheDatasetThatSlidBackDeleted() throws Exception {
        runner.run();
        AtomicBoolean removed = new AtomicBoolean();
        // Just before page 2 of the id listing, a dataset of page 1 is deleted: id-01000 slides back onto page 1,
        // which was already served, so the listing misses it although it still exists.
        remote.scriptApplies = request -> {
            if ("1000".equals(request.params().get("start")) && removed.compareAndSet(false, true)) {
                remote.datasets.remove(remote.dataset("id-00010"));
            }
            return false;
        };

        TestHarvestRunner.JobResult second = runner.run();

        assertTrue(removed.get());
        assertEquals(GatherOutcome.fullListing(), second.gatherOutcome);
        assertFalse(second.markedPresent.contains("id-01000"), "the offset listing missed it");
        assertEquals(Map.of("id-01000", "not modified"), second.statusByGuid);
        assertEquals("active", catalog.datasets.get("id-01000").state());
        assertTrue(second.errorFree(), second.errorByGuid::toString);

        // id-00010 was listed on page 1 before it went; the next harvest sees it gone, and the remote confirms it.
        TestHarvestRunner.JobResult third = runner.run();
        assertEquals(Map.of("id-00010", "deleted"), third.statusByGuid);
        assertEquals("deleted", catalog.datasets.get("id-00010").state());
    }

    TestHarvestRunner cappedRunner(long maxResponseBytes) {
        HttpTransport capped = HttpTransport.builder().maxAttempts(2).sleeper(delay -> { })
                .maxResponseBytes(maxResponseBytes).build();
        return new TestHarvestRunner(new CkanHarvester(capped), catalog, remote.url(), "");
    }

    List<String> rowsAsked() {
        return remote.requestsTo("package_search").stream().map(r -> r.params().get("rows")).toList();
    }

    @Test
    void aPageOverTheSizeCapIsAskedAgainWithHalfTheRows() throws Exception {
        int datasetBytes = MockCkan.json(remote.datasets.get(DATASETS - 1)).length();

        TestHarvestRunner.JobResult job = cappedRunner(300L * datasetBytes).run();

        assertEquals(GatherOutcome.fullListing(), job.gatherOutcome);
        assertTrue(job.gatherErrors.isEmpty(), job.gatherErrors::toString);
        assertEquals(DATASETS, job.emitted.size());
        assertEquals(List.of("1000", "500", "250"), rowsAsked().subList(0, 3));
        assertTrue(rowsAsked().subList(3, rowsAsked().size()).stream().allMatch("250"::equals), rowsAsked()::toString);
        assertEquals(List.of(0, 0, 0, 250, 500), starts().subList(0, 5));
    }

    @Test
    void aPageOverTheSizeCapEvenWithTenRowsFailsTheGather() throws Exception {
        int datasetBytes = MockCkan.json(remote.datasets.get(0)).length();

        TestHarvestRunner.JobResult job = cappedRunner(5L * datasetBytes).run();

        assertInstanceOf(GatherOutcome.Failed.class, job.gatherOutcome);
        assertEquals(List.of("1000", "500", "250", "125", "62", "31", "15", "10"), rowsAsked());
        assertTrue(job.gatherErrors.get(0).contains("is larger than the limit of"), job.gatherErrors::toString);
        assertTrue(job.gatherErrors.get(0).contains("even with 10 rows per page"), job.gatherErrors::toString);
        assertTrue(job.emitted.isEmpty());
    }
}
