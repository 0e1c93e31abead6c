package dev.harvest.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestSource;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.testing.MutableClock;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 13, failures 1 and 2: a remote whose listing never runs out, repeats its pages, exceeds the count it
 * declared, or takes too long. Each gather stops at its bound with a gather error naming it, keeps the objects it
 * stored, and deletes nothing (its listing is incomplete).
 */
class GatherBoundsTest {

    private final MutableClock clock = new MutableClock();
    private final PagingHarvester paging = new PagingHarvester(clock);
    private Harvest harvest;

    private Harvest open(Kind kind, Map<String, String> settings) {
        harvest = paging.site(kind, settings, new InMemoryHarvestQueue("bounds-test"));
        return harvest;
    }

    @AfterEach
    void close() {
        paging.release();
        if (harvest != null) {
            harvest.close();
        }
    }

    private HarvestSource source(String config) {
        return harvest.createSource(SourceRequest.of("hostile", "http://remote.example.org/", PagingHarvester.NAME)
                .withConfig(config));
    }

    /** A first, complete harvest of five datasets whose guids the hostile listings never list. */
    private HarvestSource sourceWithFiveDatasets() {
        HarvestSource source = source("{\"mode\": \"finite\", \"pages\": 1, \"page\": 5, \"prefix\": \"old\"}");
        assertEquals("Finished", harvest.runTest(source.name()).job().status());
        assertEquals(5, harvest.queries().currentDatasetCount(source.id()));
        return source;
    }

    private void reconfigure(HarvestSource source, String config) {
        ScriptedSites.setConfig(harvest, source, config);
    }

    private static String onlyGatherError(JobReport report) {
        assertEquals(1, report.gatherErrors().size(), () -> "gather errors: " + report.gatherErrors());
        return report.gatherErrors().get(0);
    }

    private void assertNothingDeleted(HarvestSource source, JobReport report) throws Exception {
        assertEquals(0, report.stats().count("deleted"));
        for (int i = 0; i < 5; i++) {
            String id = String.format("ds-old-%09d", i);
            assertEquals("active", harvest.catalog().findDataset(id).orElseThrow().state(), id);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void anEndlessListingStopsAtTheSitesMaximumNumberOfObjectsAndDeletesNothing(Kind kind) throws Exception {
        open(kind, Map.of("harvest.gather.max_objects", "1000"));
        HarvestSource source = sourceWithFiveDatasets();
        reconfigure(source, "{\"mode\": \"endless\", \"page\": 100, \"count\": 1000000000}");

        JobReport report = harvest.runTest(source.name());

        assertEquals("Finished", report.job().status());
        assertTrue(onlyGatherError(report).contains("harvest.gather.max_objects"), report.gatherErrors()::toString);
        assertTrue(onlyGatherError(report).contains("1000 objects"));
        assertEquals(1000, report.stats().count("added"), "the objects within the bound are imported");
        assertEquals(1 + 11, paging.pages(source.id()), "the first harvest's page, then 11: the 11th brought the"
                + " 1001st object");
        assertNothingDeleted(source, report);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aSourcesOwnMaximumOverridesTheSites(Kind kind) throws Exception {
        open(kind, Map.of());
        HarvestSource source = source("{\"mode\": \"endless\", \"page\": 100, \"gather_max_objects\": 250}");

        JobReport report = harvest.runTest(source.name());

        assertTrue(onlyGatherError(report).contains("250 objects"), report.gatherErrors()::toString);
        assertEquals(250, report.stats().count("added"));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aRemoteThatIgnoresStartAndAlternatesTwoPagesStopsAtTheFirstRepeatedPage(Kind kind) throws Exception {
        open(kind, Map.of());
        HarvestSource source = sourceWithFiveDatasets();
        reconfigure(source, "{\"mode\": \"alternate\", \"page\": 100}");

        JobReport report = harvest.runTest(source.name());

        assertEquals("Finished", report.job().status());
        assertTrue(onlyGatherError(report).contains("page 3 of the remote listing brought no record"),
                report.gatherErrors()::toString);
        assertEquals(1 + 3, paging.pages(source.id()), "the first harvest's page, then A, B and A again: not a"
                + " consecutive repeat, still stopped");
        assertEquals(200, report.stats().count("added"));
        assertNothingDeleted(source, report);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aListingBeyondTheDeclaredCountAndItsMarginStops(Kind kind) throws Exception {
        open(kind, Map.of());
        HarvestSource source = sourceWithFiveDatasets();
        // 150 declared: the margin is max(10% of 150, 100) = 100, so the 251st distinct guid stops the gather
        reconfigure(source, "{\"mode\": \"endless\", \"page\": 100, \"count\": 150}");

        JobReport report = harvest.runTest(source.name());

        String error = onlyGatherError(report);
        assertTrue(error.contains("declared 150 records but the listing brought 251"), error);
        assertTrue(error.contains("harvest.gather.count_margin"), error);
        assertEquals(250, report.stats().count("added"));
        assertNothingDeleted(source, report);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aGatherThatOutrunsItsWallTimeStops(Kind kind) throws Exception {
        open(kind, Map.of("harvest.gather.max_seconds", "60"));
        HarvestSource source = sourceWithFiveDatasets();
        // each page takes 25 s of the test clock: the third page starts after 75 s
        reconfigure(source, "{\"mode\": \"endless\", \"page\": 10, \"advance_seconds\": 25}");

        JobReport report = harvest.runTest(source.name());

        String error = onlyGatherError(report);
        assertTrue(error.contains("60 seconds") && error.contains("harvest.gather.max_seconds"), error);
        assertEquals(20, report.stats().count("added"), "two pages fit in the minute");
        assertNothingDeleted(source, report);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aHarvesterThatSwallowsTheStopStillGetsTheBoundsErrorAndNoDeletions(Kind kind) throws Exception {
        open(kind, Map.of("harvest.gather.max_objects", "300"));
        HarvestSource source = sourceWithFiveDatasets();
        reconfigure(source, "{\"mode\": \"endless\", \"page\": 100, \"swallow\": true}");

        JobReport report = harvest.runTest(source.name());

        assertTrue(paging.gatherEndedWith instanceof CancellationException);
        assertTrue(onlyGatherError(report).contains("300 objects"), report.gatherErrors()::toString);
        assertNothingDeleted(source, report);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aSecondListingOfTheSameRecordsIsNotMistakenForARepeatingRemote(Kind kind) throws Exception {
        open(kind, Map.of());
        HarvestSource source = sourceWithFiveDatasets();
        reconfigure(source, "{\"mode\": \"finite\", \"pages\": 3, \"page\": 10, \"second_listing\": true,"
                + " \"force_deletions\": true}");

        JobReport report = harvest.runTest(source.name());

        assertEquals(List.of(), report.gatherErrors());
        assertEquals(30, report.stats().count("added"));
        assertEquals(5, report.stats().count("deleted"), "a complete listing still infers deletions");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aSourceWhoseBoundsAreNotUsableNumbersIsRefusedWhenSavedNamingEachKey(Kind kind) {
        open(kind, Map.of());
        HarvestException refused = org.junit.jupiter.api.Assertions.assertThrows(HarvestException.class,
                () -> source("{\"mode\": \"finite\", \"gather_max_objects\": \"lots\","
                        + " \"gather_max_seconds\": 0, \"gather_count_margin\": -1, \"force_deletions\": \"yes\"}"));
        List<String> messages = refused.fieldErrors().get("config");
        assertEquals(4, messages.size(), () -> "config errors: " + messages);
        assertTrue(messages.contains("Error parsing the configuration options: gather_max_objects must be a whole"
                + " number above 0, not \"lots\""), messages::toString);
        assertTrue(messages.stream().anyMatch(m -> m.contains("gather_max_seconds must be a whole number above 0")));
        assertTrue(messages.stream().anyMatch(m -> m.contains("gather_count_margin must be a number from 0 up")));
        assertTrue(messages.stream().anyMatch(m -> m.contains("force_deletions must be true or false")));
        assertEquals(0, harvest.sources(true).size());
    }
}
