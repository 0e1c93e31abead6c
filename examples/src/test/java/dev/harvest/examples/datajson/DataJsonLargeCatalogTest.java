package dev.harvest.examples.datajson;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.harvest.api.GatherOutcome;
import dev.harvest.examples.testing.MapSettings;
import dev.harvest.examples.testing.RecordingGatherContext;
import dev.harvest.examples.testing.TestHttpServer;
import dev.harvest.examples.testing.TestSources;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gather of a catalog far larger than one dataset keeps only one dataset in memory at a time. */
class DataJsonLargeCatalogTest {

    private static final int DATASETS = 50_000;
    private static final int SAMPLE_AT = 40_000;

    @TempDir
    Path temp;

    @Test
    void fiftyThousandDatasetsAreGatheredWithoutHoldingTheDocumentInMemory() throws Exception {
        Path document = temp.resolve("data.json");
        writeCatalog(document, DATASETS);
        long documentBytes = Files.size(document);

        long[] heapGrowthAtSample = {-1};
        try (TestHttpServer server = new TestHttpServer()) {
            String url = server.serveFile("/data.json", "application/json", document);
            long baseline = usedHeapAfterGc();
            RecordingGatherContext counting = new RecordingGatherContext(TestSources.dataJsonSource(url, ""), false);
            counting.onEmit(() -> {
                if (counting.emittedCount() == SAMPLE_AT) {
                    heapGrowthAtSample[0] = usedHeapAfterGc() - baseline;
                }
            });

            DataJsonHarvester harvester = new DataJsonHarvester();
            harvester.start(MapSettings.allowingLoopback());
            GatherOutcome outcome = harvester.gather(counting);

            assertEquals(GatherOutcome.fullListing(), outcome);
            assertEquals(DATASETS, counting.emittedCount());
            assertEquals(List.of(), counting.gatherErrors());
        }
        // Holding the parsed document would cost several times its size; the harvester keeps only identifiers.
        assertTrue(heapGrowthAtSample[0] >= -documentBytes, "the heap was sampled");
        assertTrue(heapGrowthAtSample[0] < documentBytes / 3,
                "heap grew by " + heapGrowthAtSample[0] / 1024 / 1024 + " MiB while gathering a "
                        + documentBytes / 1024 / 1024 + " MiB document");
    }

    private static long usedHeapAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Writes a DCAT-US catalog of realistic ~1.6 kB datasets, one at a time. */
    private static void writeCatalog(Path file, int count) throws IOException {
        String description = "Measurements collected by field crews and automated stations, quality-controlled and "
                .repeat(12);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file));
                JsonGenerator json = new JsonFactory().createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("conformsTo", "https://project-open-data.cio.gov/v1.1/schema");
            json.writeArrayFieldStart("dataset");
            for (int i = 1; i <= count; i++) {
                json.writeStartObject();
                json.writeStringField("identifier", "https://data.example.org/id/dataset-" + i);
                json.writeStringField("title", "Generated dataset number " + i);
                json.writeStringField("description", description + i);
                json.writeStringField("modified", "2026-01-01T00:00:00Z");
                json.writeStringField("accessLevel", "public");
                json.writeArrayFieldStart("keyword");
                json.writeString("generated");
                json.writeString("test " + (i % 100));
                json.writeEndArray();
                json.writeObjectFieldStart("publisher");
                json.writeStringField("name", i % 2 == 0 ? "Bureau of Water Resources" : "Office of Statistics");
                json.writeEndObject();
                json.writeArrayFieldStart("distribution");
                json.writeStartObject();
                json.writeStringField("downloadURL", "https://data.example.org/files/dataset-" + i + ".csv");
                json.writeStringField("mediaType", "text/csv");
                json.writeEndObject();
                json.writeEndArray();
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        }
    }
}
