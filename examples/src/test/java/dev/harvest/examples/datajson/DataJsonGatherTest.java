package dev.harvest.examples.datajson;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.api.GatherOutcome;
import dev.harvest.api.NewHarvestObject;
import dev.harvest.examples.demo.DemoCatalogServer;
import dev.harvest.examples.testing.MapSettings;
import dev.harvest.examples.testing.RecordingGatherContext;
import dev.harvest.examples.testing.TestHttpServer;
import dev.harvest.examples.testing.TestSources;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DataJsonGatherTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final DataJsonHarvester harvester = new DataJsonHarvester();
    private final TestHttpServer server;

    DataJsonGatherTest() throws Exception {
        server = new TestHttpServer();
        harvester.start(MapSettings.allowingLoopback());
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private static String dataset(String identifier, String title) {
        return "{\"identifier\": \"" + identifier + "\", \"title\": \"" + title + "\", \"modified\": \"2026-01-02\"}";
    }

    private static String catalog(String... datasets) {
        return "{\"conformsTo\": \"https://project-open-data.cio.gov/v1.1/schema\", \"dataset\": ["
                + String.join(",", datasets) + "]}";
    }

    private RecordingGatherContext gatherFrom(String url, String config) throws Exception {
        RecordingGatherContext context = new RecordingGatherContext(TestSources.dataJsonSource(url, config));
        lastOutcome = harvester.gather(context);
        return context;
    }

    private GatherOutcome lastOutcome;

    private String failureMessage() {
        return assertInstanceOf(GatherOutcome.Failed.class, lastOutcome).message();
    }

    @Test
    void everyDatasetOfTheDemoCatalogIsEmittedWithItsIdentifierAndContent() throws Exception {
        String url = server.serveBytes("/data.json", "application/json", DemoCatalogServer.demoCatalog());
        RecordingGatherContext context = gatherFrom(url, "");

        assertEquals(GatherOutcome.fullListing(), lastOutcome);
        assertEquals(12, context.emitted().size());
        assertEquals(List.of(), context.gatherErrors());
        NewHarvestObject first = context.emitted().get(0);
        assertEquals("https://water.example.org/id/streamflow-daily", first.guid());
        JsonNode content = JSON.readTree(first.content());
        assertEquals("Daily Streamflow at Gauging Stations", content.get("title").textValue());
        assertEquals(2, content.get("distribution").size());
        assertEquals(Instant.parse("2026-05-30T06:00:00Z"), first.metadataModified());
    }

    @Test
    void aBareArrayIsReadAsADcatUs10Catalog() throws Exception {
        String url = server.serveJson("/v10.json", "[" + dataset("a", "A") + "," + dataset("b", "B") + "]");
        RecordingGatherContext context = gatherFrom(url, "");

        assertEquals(GatherOutcome.fullListing(), lastOutcome);
        assertEquals(List.of("a", "b"), context.guids());
    }

    @Test
    void modifiedDatesWithoutZoneAreUtcAndIntervalsAreNotDates() throws Exception {
        String url = server.serveJson("/dates.json", catalog(
                "{\"identifier\": \"day\", \"title\": \"t\", \"modified\": \"2026-01-02\"}",
                "{\"identifier\": \"local\", \"title\": \"t\", \"modified\": \"2026-01-02T03:04:05\"}",
                "{\"identifier\": \"offset\", \"title\": \"t\", \"modified\": \"2026-01-02T03:04:05-05:00\"}",
                "{\"identifier\": \"repeating\", \"title\": \"t\", \"modified\": \"R/P1D\"}"));
        List<NewHarvestObject> emitted = gatherFrom(url, "").emitted();

        assertEquals(Instant.parse("2026-01-02T00:00:00Z"), emitted.get(0).metadataModified());
        assertEquals(Instant.parse("2026-01-02T03:04:05Z"), emitted.get(1).metadataModified());
        assertEquals(Instant.parse("2026-01-02T08:04:05Z"), emitted.get(2).metadataModified());
        assertNull(emitted.get(3).metadataModified());
    }

    @Test
    void aDatasetWithoutIdentifierIsAGatherErrorAndTheOthersAreStillEmitted() throws Exception {
        String url = server.serveJson("/data.json", catalog(
                dataset("a", "A"), "{\"title\": \"Nameless roads\"}", "{}", dataset("c", "C")));
        RecordingGatherContext context = gatherFrom(url, "");

        assertEquals(GatherOutcome.fullListing(), lastOutcome);
        assertEquals(List.of("a", "c"), context.guids());
        assertEquals(List.of(
                "Dataset #2 (\"Nameless roads\") in " + url + " has no identifier; skipped",
                "Dataset #3 in " + url + " has no identifier; skipped"), context.gatherErrors());
    }

    @Test
    void aRepeatedIdentifierIsEmittedOnceAndReported() throws Exception {
        String url = server.serveJson("/data.json", catalog(dataset("a", "First"), dataset("a", "Second")));
        RecordingGatherContext context = gatherFrom(url, "");

        assertEquals(List.of("a"), context.guids());
        assertEquals("First", JSON.readTree(context.emitted().get(0).content()).get("title").textValue());
        assertEquals(List.of("Dataset #2 in " + url + " repeats the identifier \"a\" of dataset #1; kept the first"),
                context.gatherErrors());
    }

    @Test
    void anEntryThatIsNotAnObjectIsAGatherError() throws Exception {
        String url = server.serveJson("/data.json", catalog(dataset("a", "A"), "\"oops\""));
        RecordingGatherContext context = gatherFrom(url, "");

        assertEquals(List.of("a"), context.guids());
        assertEquals(List.of("Entry #2 of the dataset array in " + url
                + " is the string \"oops\", not a dataset object; skipped"), context.gatherErrors());
    }

    @Test
    void aTruncatedDocumentFailsAfterEmittingTheDatasetsBeforeTheBreak() throws Exception {
        String whole = catalog(dataset("a", "A"), dataset("b", "B"), dataset("c", "C"));
        String cut = whole.substring(0, whole.indexOf("\"identifier\": \"c\"") + 10);
        String url = server.serveBytes("/data.json", "application/json", cut.getBytes(StandardCharsets.UTF_8));
        RecordingGatherContext context = gatherFrom(url, "");

        assertEquals(List.of("a", "b"), context.guids());
        String message = failureMessage();
        assertTrue(message.startsWith(url + " is truncated or malformed after dataset #2: "), message);
    }

    @Test
    void aDocumentCutAfterTheDatasetArrayIsNotAFullListing() throws Exception {
        String whole = catalog(dataset("a", "A"));
        String cut = whole.substring(0, whole.length() - 1);
        String url = server.serveBytes("/data.json", "application/json", cut.getBytes(StandardCharsets.UTF_8));
        RecordingGatherContext context = gatherFrom(url, "");

        assertEquals(List.of("a"), context.guids());
        assertTrue(failureMessage().startsWith(url + " is truncated or malformed after dataset #1"));
    }

    @Test
    void anHttpErrorFailsNamingTheStatusAndTheUrl() throws Exception {
        String url = server.serve("/data.json", 500, "text/plain", "Internal Server Error");
        RecordingGatherContext context = gatherFrom(url, "");

        assertEquals("HTTP 500 from " + url, failureMessage());
        assertEquals(0, context.emittedCount());
    }

    @Test
    void aMissingDocumentFailsWithHttp404() throws Exception {
        gatherFrom(server.url("/nowhere.json"), "");

        assertEquals("HTTP 404 from " + server.url("/nowhere.json"), failureMessage());
    }

    @Test
    void anHtmlPageFailsWithAClearMessage() throws Exception {
        String url = server.serve("/data.json", 200, "text/html; charset=utf-8", "<!DOCTYPE html><html></html>");
        gatherFrom(url, "");

        assertEquals(url + " returned an HTML page, not a data.json document", failureMessage());
    }

    @Test
    void anHtmlPageServedAsJsonIsRecognisedByItsContent() throws Exception {
        String url = server.serve("/data.json", 200, "application/json", "\n  <html><body>Login</body></html>");
        gatherFrom(url, "");

        assertEquals(url + " returned an HTML or XML page, not a data.json document", failureMessage());
    }

    @Test
    void aBodyThatIsNotJsonFailsNamingTheUrl() throws Exception {
        String url = server.serve("/data.json", 200, "text/plain", "Service temporarily unavailable");
        gatherFrom(url, "");

        assertTrue(failureMessage().startsWith(url + " is not a JSON document: "), failureMessage());
    }

    @Test
    void anObjectWithoutADatasetArrayIsNotACatalog() throws Exception {
        String url = server.serveJson("/data.json", "{\"success\": true, \"result\": []}");
        gatherFrom(url, "");

        assertEquals(url + " is not a data.json catalog: its top-level object has no \"dataset\" array",
                failureMessage());
    }

    @Test
    void aDatasetMemberThatIsNotAnArrayIsNotACatalog() throws Exception {
        String url = server.serveJson("/data.json", "{\"dataset\": {\"identifier\": \"a\"}}");
        gatherFrom(url, "");

        assertEquals(url + " is not a data.json catalog: its \"dataset\" member is an object, not an array",
                failureMessage());
    }

    @Test
    void aServerThatStallsMidDocumentFailsTheGatherAfterTheTimeout() throws Exception {
        String url = server.serveThenStall("/data.json", "{\"dataset\": [" + dataset("a", "A") + ", {\"ident");
        long started = System.nanoTime();
        RecordingGatherContext context = gatherFrom(url, "{\"timeout_seconds\": 1}");

        assertEquals(List.of("a"), context.guids());
        assertEquals("The download of " + url + " broke off after 1 datasets: no data for 1 seconds",
                failureMessage());
        assertTrue(System.nanoTime() - started < 20_000_000_000L, "gave up within 20 s");
    }

    @Test
    void anUnreachableServerFailsNamingTheUrl() throws Exception {
        String url = server.url("/data.json");
        server.close();
        gatherFrom(url, "{\"timeout_seconds\": 2}");

        assertTrue(failureMessage().startsWith("Could not download " + url), failureMessage());
    }

    @Test
    void aUrlThatIsNotHttpFailsTheGather() throws Exception {
        gatherFrom("ftp://example.org/data.json", "");

        assertEquals("Invalid source URL 'ftp://example.org/data.json': a data.json source needs an http or https URL",
                failureMessage());
    }

    @Test
    void filtersKeepOnlyMatchingDatasetsAfterDefaultsAreApplied() throws Exception {
        String url = server.serveJson("/data.json", catalog(
                "{\"identifier\": \"public\", \"title\": \"t\", \"accessLevel\": \"public\"}",
                "{\"identifier\": \"private\", \"title\": \"t\", \"accessLevel\": \"non-public\"}",
                "{\"identifier\": \"unstated\", \"title\": \"t\"}"));
        RecordingGatherContext context = gatherFrom(url,
                "{\"defaults\": {\"accessLevel\": \"public\"}, \"filters\": {\"accessLevel\": \"public\"}}");

        assertEquals(GatherOutcome.fullListing(), lastOutcome);
        assertEquals(List.of("public", "unstated"), context.guids());
        assertEquals("public", JSON.readTree(context.emitted().get(1).content()).get("accessLevel").textValue());
    }

    @Test
    void anInvalidStoredConfigurationFailsTheGather() throws Exception {
        gatherFrom(server.url("/data.json"), "{\"pages\": 3}");

        assertTrue(failureMessage().startsWith("Invalid configuration of source demo-catalog: Unknown configuration"
                + " option pages"), failureMessage());
    }

    @Test
    void originalUrlIsTheCatalogDocument() {
        var source = TestSources.dataJsonSource("https://data.example.org/data.json", "");
        assertEquals("https://data.example.org/data.json",
                harvester.originalUrl(source, null).orElseThrow());
        assertTrue(Arrays.asList("", " ").stream().allMatch(blank -> harvester.originalUrl(
                TestSources.dataJsonSource(blank, ""), null).isEmpty()));
    }
}
