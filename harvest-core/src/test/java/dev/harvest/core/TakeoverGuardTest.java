package dev.harvest.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestSource;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.store.HarvestQueries.ObjectSummary;
import dev.harvest.core.testing.MapCatalog;
import dev.harvest.core.testing.MutableClock;
import dev.harvest.core.testing.ScriptedHarvester;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A harvest never takes over a dataset that another source provides, unless its config says
 * {@code "allow_takeover": true}; {@code clearsource} never deletes another source's datasets. The scripted harvester
 * keeps the remote ids as dataset ids ({@code "dataset_ids": "guid"}), as the CKAN harvester does, so two sources
 * whose remotes share ids name the same datasets.
 */
class TakeoverGuardTest {

    private static final String FIRST = "{\"guids\": [\"a\", \"b\"], \"dataset_ids\": \"guid\"}";

    private final MutableClock clock = new MutableClock();
    private Harvest harvest;

    @AfterEach
    void close() {
        if (harvest != null) {
            harvest.close();
        }
    }

    private void open(Kind kind, MapCatalog catalog) {
        Harvest.Builder builder = Harvest.builder(TestDatabases.config(kind, Map.of("harvest.db.pool_size", "3")))
                .discoverHarvesters(false)
                .harvester(new ScriptedHarvester())
                .queue(new InMemoryHarvestQueue("takeover-test"))
                .clock(clock);
        if (catalog != null) {
            builder.catalog(catalog);
        }
        harvest = builder.build();
    }

    private HarvestSource source(String name, String config) {
        return harvest.createSource(SourceRequest.of(name, "http://" + name + ".example.org/", ScriptedHarvester.NAME)
                .withConfig(config));
    }

    private static ObjectSummary object(JobReport report, String guid) {
        return report.objects().stream().filter(o -> o.guid().equals(guid)).findFirst().orElseThrow();
    }

    private String notes(String datasetId) throws Exception {
        Dataset dataset = harvest.catalog().findDataset(datasetId).orElseThrow();
        assertEquals("active", dataset.state());
        return dataset.string("notes");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aSecondSourceWhoseRemoteUsesTheSameIdsErrorsThoseObjectsNamingTheFirstSource(Kind kind) throws Exception {
        open(kind, null);
        HarvestSource first = source("first", FIRST);
        harvest.runTest("first");
        HarvestSource second = source("second", "{\"guids\": [\"a\", \"c\"], \"dataset_ids\": \"guid\","
                + " \"content\": {\"a\": \"the second remote's a\"}}");

        JobReport report = harvest.runTest("second");

        assertEquals("Finished", report.job().status());
        assertEquals(Map.of("a", "ERROR/errored", "c", "COMPLETE/added"), ScriptedSites.statusByGuid(report));
        assertEquals(List.of("Dataset ds-a is provided by harvest source first; set allow_takeover in this source's"
                + " config to take it over"), object(report, "a").errors());
        assertEquals("content of a", notes("a"), "the first source's dataset was not touched");
        assertEquals(2, harvest.queries().currentDatasetCount(first.id()), "the first source still provides a and b");
        assertEquals(1, harvest.queries().currentDatasetCount(second.id()));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void theGuardHoldsWithARemoteCatalogTooWhereNothingCouldBeRolledBack(Kind kind) throws Exception {
        open(kind, new MapCatalog());
        source("first", FIRST);
        harvest.runTest("first");
        source("second", "{\"guids\": [\"b\"], \"dataset_ids\": \"guid\", \"content\": {\"b\": \"changed\"}}");

        JobReport report = harvest.runTest("second");

        assertEquals(Map.of("b", "ERROR/errored"), ScriptedSites.statusByGuid(report));
        assertEquals("content of b", notes("b"), "refused before the catalog was written");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aSecondSourceMayNotDeleteTheFirstSourcesDatasetEither(Kind kind) throws Exception {
        open(kind, null);
        source("first", FIRST);
        harvest.runTest("first");
        source("second", "{\"guids\": [\"a\"], \"dataset_ids\": \"guid\", \"delete_datasets\": [\"a\"]}");

        JobReport report = harvest.runTest("second");

        assertEquals(List.of("Dataset a is provided by harvest source first; set allow_takeover in this source's"
                + " config to take it over"), object(report, "a").errors());
        assertEquals("content of a", notes("a"));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void allowTakeoverLetsTheSecondSourceUpdateTheDatasetAndThenTheFirstOneIsRefused(Kind kind) throws Exception {
        open(kind, null);
        HarvestSource first = source("first", FIRST);
        harvest.runTest("first");
        HarvestSource second = source("second", "{\"guids\": [\"a\"], \"dataset_ids\": \"guid\", \"allow_takeover\":"
                + " true, \"content\": {\"a\": \"the second remote's a\"}}");

        JobReport taken = harvest.runTest("second");

        assertEquals(Map.of("a", "COMPLETE/updated"), ScriptedSites.statusByGuid(taken));
        assertEquals("the second remote's a", notes("a"));
        assertEquals(1, harvest.queries().currentDatasetCount(first.id()));
        assertEquals(1, harvest.queries().currentDatasetCount(second.id()), "the second source provides a now");

        ScriptedSites.setConfig(harvest, first, "{\"guids\": [\"a\", \"b\"], \"dataset_ids\": \"guid\","
                + " \"content\": {\"a\": \"the first remote's new a\"}}");
        JobReport back = harvest.runTest("first");

        assertEquals("ERROR/errored", ScriptedSites.statusByGuid(back).get("a"));
        assertEquals(List.of("Dataset ds-a is provided by harvest source second; set allow_takeover in this source's"
                + " config to take it over"), object(back, "a").errors());
        assertEquals("the second remote's a", notes("a"));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void clearsourceOfTheSecondSourceSparesTheDatasetsTheFirstProvidesAndDeletesItsOwn(Kind kind) throws Exception {
        open(kind, null);
        HarvestSource first = source("first", FIRST);
        harvest.runTest("first");
        // the same record as the first remote's a: nothing to write, and the object points at the first's dataset
        source("second", "{\"guids\": [\"a\", \"b\", \"c\"], \"dataset_ids\": \"guid\", \"content\": {\"b\": \"x\"}}");
        JobReport report = harvest.runTest("second");
        assertEquals(Map.of("a", "COMPLETE/not modified", "b", "ERROR/errored", "c", "COMPLETE/added"),
                ScriptedSites.statusByGuid(report));
        assertEquals("a", object(report, "a").packageId());

        assertEquals(1, harvest.clearSource("second"), "only c, the second source's own dataset");

        assertEquals("content of a", notes("a"));
        assertEquals("content of b", notes("b"));
        assertEquals("deleted", harvest.catalog().findDataset("c").orElseThrow().state());
        assertEquals(2, harvest.queries().currentDatasetCount(first.id()));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void clearsourceDeletesADatasetTheSourceTookOverWithAllowTakeover(Kind kind) throws Exception {
        open(kind, null);
        source("first", FIRST);
        harvest.runTest("first");
        source("second", "{\"guids\": [\"a\"], \"dataset_ids\": \"guid\", \"allow_takeover\": true,"
                + " \"content\": {\"a\": \"mine now\"}}");
        harvest.runTest("second");

        assertEquals(1, harvest.clearSource("second"));

        assertEquals("deleted", harvest.catalog().findDataset("a").orElseThrow().state());
        assertTrue(harvest.catalog().findDataset("b").orElseThrow().state().equals("active"));
    }
}
