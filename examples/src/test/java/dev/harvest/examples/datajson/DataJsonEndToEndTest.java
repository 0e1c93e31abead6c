package dev.harvest.examples.datajson;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.core.Harvest;
import dev.harvest.core.HarvestException;
import dev.harvest.core.JobReport;
import dev.harvest.core.SourceRequest;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.examples.demo.DemoCatalogServer;
import dev.harvest.examples.testing.TestHttpServer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugin, discovered by the engine, harvests the demo catalog into the embedded catalog and keeps it in sync. */
class DataJsonEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dataDir;

    /** The embedded default, allowing the loopback test server, which the outbound HTTP policy refuses by default. */
    private HarvestConfig config() {
        return HarvestConfig.of(java.util.Map.of("harvest.data_dir", dataDir.toString(), "ckan.harvest.mq.type",
                "memory", "harvest.http.allow_private_addresses", "true"));
    }

    @Test
    void runTestImportsEveryDatasetThenFindsNothingChangedThenDeletesARemovedOne() throws Exception {
        ObjectNode demo = (ObjectNode) JSON.readTree(DemoCatalogServer.demoCatalog());
        try (TestHttpServer server = new TestHttpServer();
                Harvest harvest = Harvest.builder(config()).build()) {
            String url = server.serveJson("/data.json", JSON.writeValueAsString(demo));
            HarvestSource source = harvest.createSource(SourceRequest.of("demo-catalog", url, "datajson"));

            JobReport first = harvest.runTest(source.name());
            assertEquals(List.of(), first.gatherErrors());
            assertEquals(12, first.stats().count("added"), () -> "first run: " + first.stats());
            assertEquals(0, first.stats().count("errored"));
            String streamflowId = DataJsonHarvester.stableDatasetId(source.id(),
                    "https://water.example.org/id/streamflow-daily");
            Dataset streamflow = harvest.catalog().findDataset(streamflowId).orElseThrow();
            assertEquals("daily-streamflow-at-gauging-stations", streamflow.name());
            assertEquals(2, streamflow.dictList("resources").size());

            JobReport second = harvest.runTest(source.name());
            assertEquals(12, second.stats().count("not modified"), () -> "second run: " + second.stats());
            assertEquals(0, second.stats().count("added") + second.stats().count("updated"));

            ArrayNode datasets = (ArrayNode) demo.get("dataset");
            datasets.remove(0);
            server.serveJson("/data.json", JSON.writeValueAsString(demo));
            JobReport third = harvest.runTest(source.name());
            assertEquals(List.of(), third.gatherErrors());
            assertEquals(1, third.stats().count("deleted"), () -> "third run: " + third.stats());
            assertEquals(11, third.stats().count("not modified"));
            assertEquals("deleted", harvest.catalog().findDataset(streamflowId).orElseThrow().state());
        }
    }

    @Test
    void anInvalidConfigurationIsRefusedWhenTheSourceIsCreated() {
        try (Harvest harvest = Harvest.builder(config()).build()) {
            HarvestException error = assertThrows(HarvestException.class,
                    () -> harvest.createSource(SourceRequest.of("bad", "https://data.example.org/data.json",
                            "datajson").withConfig("{\"timeout_seconds\": -1}")));
            assertTrue(error.getMessage().contains("Error parsing the configuration options: timeout_seconds must be"
                    + " a positive integer, not the number -1"), error.getMessage());
        }
    }

    @Test
    void theEngineDiscoversTheHarvesterByItsName() {
        try (Harvest harvest = Harvest.builder(config()).build()) {
            assertInstanceOf(DataJsonHarvester.class, harvest.harvesters().find("datajson").orElseThrow());
        }
    }
}
