package dev.harvest.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestSource;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.testkit.fixtures.InMemoryCatalog;
import dev.harvest.testkit.fixtures.LineListHarvester;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HarvestTestBedTest {

    private static final String LIST = "alpha|Alpha records\nbeta|Beta records\ngamma|Gamma records\n";

    private final FixtureServer remote = FixtureServer.start();
    private HarvestTestBed testBed;

    @AfterEach
    void close() {
        if (testBed != null) {
            testBed.close();
        }
        remote.close();
    }

    private HarvestSource servedSource(String list) {
        remote.serve("/list.txt", "text/plain", list);
        if (testBed == null) {
            testBed = HarvestTestBed.of(new LineListHarvester());
        }
        return testBed.source("lines", remote.url("/list.txt"), "");
    }

    @Test
    void aHarvestRunsTheWholeJobAndReportsEveryObjectWithItsDatasetAndContent() {
        HarvestSource source = servedSource(LIST);

        HarvestResult result = testBed.harvest(source);

        result.assertFinishedWithoutErrors().assertCounts(3, 0, 0, 0, 0);
        assertEquals("Finished", result.status());
        assertEquals(List.of("alpha", "beta", "gamma"), result.objects().stream().map(HarvestedObject::guid).toList());
        HarvestedObject beta = result.object("beta").orElseThrow();
        assertEquals("COMPLETE", beta.state());
        assertEquals("added", beta.reportStatus());
        assertTrue(beta.current());
        assertEquals("beta|Beta records", beta.content());
        Dataset dataset = testBed.dataset(beta.datasetId().orElseThrow()).orElseThrow();
        assertEquals("Beta records", dataset.title());
        assertEquals(dataset, testBed.dataset("line-beta").orElseThrow(), "found by id and by name alike");
    }

    @Test
    void aSecondHarvestUpdatesTheChangedRecordAndLeavesTheOthersNotModified() {
        HarvestSource source = servedSource(LIST);
        testBed.harvest(source).assertFinishedWithoutErrors();
        remote.serve("/list.txt", "text/plain", LIST.replace("Beta records", "Beta records, revised"));

        HarvestResult second = testBed.harvest(source);

        second.assertFinishedWithoutErrors().assertCounts(0, 1, 0, 2, 0);
        assertEquals("updated", second.object("beta").orElseThrow().reportStatus());
        assertEquals("Beta records, revised", testBed.dataset("line-beta").orElseThrow().title());
    }

    @Test
    void harvestingChosenGuidsImportsOnlyThoseAndEndsTheJobFinishedAsRunTestDoes() {
        HarvestSource source = servedSource(LIST);

        HarvestResult result = testBed.harvest(source, Set.of("beta"));

        assertEquals("Finished", result.status());
        assertEquals("added", result.object("beta").orElseThrow().reportStatus());
        assertTrue(testBed.dataset("line-beta").isPresent());
        assertFalse(testBed.dataset("line-alpha").isPresent(), "alpha was not chosen");
    }

    @Test
    void gatherAndObjectErrorsAreReportedAndListedInTheFailureMessage() {
        HarvestSource source = servedSource("alpha|Alpha\nnot a record\nbeta|!Broken\n");

        HarvestResult result = testBed.harvest(source);

        assertEquals("Finished", result.status());
        assertEquals(List.of("Line 2 of " + remote.url("/list.txt") + " is not guid|title: not a record"),
                result.gatherErrors());
        assertEquals(Map.of("beta", List.of("IllegalArgumentException: Cannot import beta: its title is !Broken")),
                result.objectErrorsByGuid());
        assertEquals(2, result.errored(), "one object with errors plus one gather error");
        assertEquals(1, result.added());
        AssertionError failure = assertThrows(AssertionError.class, result::assertFinishedWithoutErrors);
        assertTrue(failure.getMessage().contains("not a record"), failure.getMessage());
        assertTrue(failure.getMessage().contains("beta: IllegalArgumentException: Cannot import beta"),
                failure.getMessage());
    }

    @Test
    void aCountsFailureShowsEveryExpectedAndActualCount() {
        HarvestSource source = servedSource(LIST);
        HarvestResult result = testBed.harvest(source);

        AssertionError failure = assertThrows(AssertionError.class, () -> result.assertCounts(2, 0, 0, 1, 0));

        assertTrue(failure.getMessage().contains(
                "expected: <added=2 updated=0 deleted=0 not modified=1 errored=0> but was: "
                        + "<added=3 updated=0 deleted=0 not modified=0 errored=0>"), failure.getMessage());
    }

    @Test
    void aConfigurationTheHarvesterRejectsIsAnInvalidSourceExceptionWithItsMessage() {
        remote.serve("/list.txt", "text/plain", LIST);
        testBed = HarvestTestBed.of(new LineListHarvester());

        InvalidSourceException refused = assertThrows(InvalidSourceException.class,
                () -> testBed.source("lines", remote.url("/list.txt"), "{\"rows\": 5}"));

        assertEquals(List.of("Error parsing the configuration options: the line-list harvester takes no "
                + "configuration, not {\"rows\": 5}"), refused.fieldErrors().get("config"));
    }

    @Test
    void aSourceSpecGivesTheSourceItsTitleOwnerAndFrequency() throws Exception {
        testBed = HarvestTestBed.of(new LineListHarvester());
        testBed.catalog().createGroup(dev.harvest.api.catalog.GroupKind.ORGANIZATION,
                new dev.harvest.api.catalog.CatalogGroup(Map.of("id", "fixture-org", "name", "fixture-org")));

        HarvestSource source = testBed.source(SourceSpec.of("lines", remote.url("/list.txt"))
                .withTitle("Lines of the fixture")
                .withOwnerOrg("fixture-org")
                .withFrequency("daily"));

        assertEquals("Lines of the fixture", source.title());
        assertEquals("fixture-org", source.ownerOrg());
        assertEquals("DAILY", source.frequency());
        assertEquals(LineListHarvester.NAME, source.type());
    }

    @Test
    void settingsGivenToTheBuilderReachTheHarvester() {
        remote.serve("/list.txt", "text/plain", LIST);
        testBed = HarvestTestBed.builder()
                .harvester(new LineListHarvester())
                .setting(LineListHarvester.NOTES_SETTING, "from the test bed")
                .build();
        HarvestSource source = testBed.source("lines", remote.url("/list.txt"), "");

        testBed.harvest(source).assertFinishedWithoutErrors();

        assertEquals("from the test bed", testBed.dataset("line-alpha").orElseThrow().string("notes"));
        assertEquals("from the test bed", testBed.settings().get(LineListHarvester.NOTES_SETTING).orElseThrow());
    }

    @Test
    void aCatalogGivenToTheBuilderReceivesTheDatasets() {
        InMemoryCatalog catalog = new InMemoryCatalog();
        remote.serve("/list.txt", "text/plain", LIST);
        testBed = HarvestTestBed.builder().harvester(new LineListHarvester()).catalog(catalog).build();
        HarvestSource source = testBed.source("lines", remote.url("/list.txt"), "");

        testBed.harvest(source).assertFinishedWithoutErrors().assertCounts(3, 0, 0, 0, 0);

        assertSame(catalog, testBed.catalog());
        assertEquals(3, catalog.writes());
        assertEquals("Gamma records", catalog.findDataset("line-gamma").orElseThrow().title());
    }

    @Test
    void theDatasetsOfASourceAreItsActiveDatasetsByName() throws Exception {
        HarvestSource source = servedSource(LIST);
        testBed.harvest(source).assertFinishedWithoutErrors();
        testBed.catalog().deleteDataset(testBed.dataset("line-beta").orElseThrow().id());

        List<Dataset> datasets = testBed.datasets(source);

        assertEquals(List.of("line-alpha", "line-gamma"), datasets.stream().map(Dataset::name).toList());
    }

    @Test
    void theClockStandsStillButForTheTestAndOneSecondBeforeEachHarvest() {
        MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
        remote.serve("/list.txt", "text/plain", LIST);
        testBed = HarvestTestBed.builder().harvester(new LineListHarvester()).clock(clock).build();
        HarvestSource source = testBed.source("lines", remote.url("/list.txt"), "");

        testBed.harvest(source).assertFinishedWithoutErrors();
        String created = testBed.dataset("line-alpha").orElseThrow().string("metadata_created");
        testBed.advanceClock(Duration.ofDays(1));

        assertEquals(LocalDateTime.parse("2030-01-01T00:00:01"), LocalDateTime.parse(created),
                "the embedded catalog stamps datasets with the test bed's clock, moved one second by the harvest");
        assertEquals(Instant.parse("2030-01-02T00:00:01Z"), testBed.clock().instant());
        assertEquals(ZoneOffset.UTC, testBed.clock().getZone());
    }

    @Test
    void aClockThatCannotBeMovedIsRefusedWithAnExplanation() {
        testBed = HarvestTestBed.builder()
                .harvester(new LineListHarvester())
                .clock(Clock.fixed(Instant.parse("2030-01-01T00:00:00Z"), ZoneOffset.UTC))
                .build();

        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> testBed.advanceClock(Duration.ofHours(1)));

        assertTrue(refused.getMessage().contains("MutableClock"), refused.getMessage());
    }

    @Test
    void closingDeletesTheDirectoryTheTestBedCreated() {
        HarvestTestBed own = HarvestTestBed.of(new LineListHarvester());
        Path directory = own.dataDirectory();
        assertTrue(Files.isDirectory(directory));

        own.close();

        assertFalse(Files.exists(directory), directory + " is left behind");
    }

    @Test
    void aDataDirectoryGivenToTheBuilderHoldsTheDatabaseAndIsKept(@TempDir Path directory) throws Exception {
        HarvestTestBed given = HarvestTestBed.builder().harvester(new LineListHarvester()).dataDirectory(directory)
                .build();

        given.close();

        assertEquals(directory, given.dataDirectory());
        try (var files = Files.list(directory)) {
            assertTrue(files.anyMatch(file -> file.getFileName().toString().startsWith("harvest")),
                    "the H2 database lives in the given directory");
        }
    }

    @Test
    void aTestBedWithoutAHarvesterIsRefused() {
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> HarvestTestBed.builder().build());

        assertTrue(refused.getMessage().contains("harvester("), refused.getMessage());
    }
}
