package dev.harvest.examples.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DemoCatalogServerTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void theBundledCatalogHasTwelveIdentifiedDatasetsOfTwoPublishers() throws Exception {
        JsonNode catalog = new ObjectMapper().readTree(DemoCatalogServer.demoCatalog());
        Set<String> identifiers = new HashSet<>();
        Set<String> publishers = new HashSet<>();
        for (JsonNode dataset : catalog.get("dataset")) {
            identifiers.add(dataset.get("identifier").textValue());
            publishers.add(dataset.get("publisher").get("name").textValue());
            assertTrue(dataset.get("distribution").size() > 0, dataset.get("identifier") + " has distributions");
            assertTrue(dataset.get("keyword").size() > 0, dataset.get("identifier") + " has keywords");
        }
        assertEquals(12, identifiers.size());
        assertEquals(Set.of("Bureau of Water Resources", "Office of Transportation Statistics"), publishers);
    }

    @Test
    void theServerServesTheCatalogAtDataJsonAndNothingElse() throws Exception {
        try (DemoCatalogServer server = DemoCatalogServer.start(0)) {
            HttpResponse<byte[]> catalog = HTTP.send(HttpRequest.newBuilder(URI.create(server.catalogUrl())).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            HttpResponse<String> other = HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/other")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(200, catalog.statusCode());
            assertTrue(catalog.headers().firstValue("Content-Type").orElseThrow().startsWith("application/json"));
            assertArrayEquals(DemoCatalogServer.demoCatalog(), catalog.body());
            assertEquals(404, other.statusCode());
        }
    }

    @Test
    void theServerAlsoPagesTheDatasetsThroughACkanPackageSearch() throws Exception {
        try (DemoCatalogServer server = DemoCatalogServer.start(0)) {
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            var first = json.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(server.ckanUrl()
                            + "/api/3/action/package_search?rows=10&start=0&sort=id+asc")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            var last = json.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(server.ckanUrl()
                            + "/api/3/action/package_search?rows=10&start=10&fl=id")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());

            assertTrue(first.get("success").asBoolean());
            assertEquals(12, first.at("/result/count").asInt());
            assertEquals(10, first.at("/result/results").size());
            assertEquals(2, last.at("/result/results").size());
            assertEquals(1, last.at("/result/results/0").size(), "fl=id returns ids only");
            Set<String> ids = new java.util.TreeSet<>();
            first.at("/result/results").forEach(pkg -> ids.add(pkg.get("id").asText()));
            last.at("/result/results").forEach(pkg -> ids.add(pkg.get("id").asText()));
            assertEquals(12, ids.size(), "pages do not overlap");
        }
    }

    @Test
    void thePortComesFromTheCommandLineWithADefault() {
        assertEquals(DemoCatalogServer.DEFAULT_PORT, DemoCatalogServer.parsePort(new String[0]));
        assertEquals(9000, DemoCatalogServer.parsePort(new String[] {"--port", "9000"}));
    }

    @Test
    void badArgumentsAreNamed() {
        assertEquals("--port must be a number, not 'abc'", assertThrows(IllegalArgumentException.class,
                () -> DemoCatalogServer.parsePort(new String[] {"--port", "abc"})).getMessage());
        assertEquals("--port needs a value", assertThrows(IllegalArgumentException.class,
                () -> DemoCatalogServer.parsePort(new String[] {"--port"})).getMessage());
        assertEquals("Unknown argument '-p'", assertThrows(IllegalArgumentException.class,
                () -> DemoCatalogServer.parsePort(new String[] {"-p", "1"})).getMessage());
    }
}
