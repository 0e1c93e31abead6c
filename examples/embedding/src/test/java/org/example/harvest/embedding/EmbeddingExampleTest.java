package org.example.harvest.embedding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.core.JobReport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the example against a remote CKAN played by the JDK's HTTP server on 127.0.0.1: {@code package_search}
 * answers with three real package dicts (two from demo.ckan.org, one from ckanext-harvest's mock CKAN).
 */
class EmbeddingExampleTest {

    private final List<URI> requests = new CopyOnWriteArrayList<>();
    private HttpServer remote;

    @BeforeEach
    void startRemoteCkan() throws IOException {
        byte[] packageSearch;
        try (InputStream in = getClass().getResourceAsStream("/ckan/package_search.json")) {
            packageSearch = in.readAllBytes();
        }
        remote = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        remote.createContext("/", exchange -> {
            requests.add(exchange.getRequestURI());
            if (exchange.getRequestURI().getPath().equals("/api/3/action/package_search")) {
                // every dataset fits on the first page (count 3), so the harvester asks for no second one
                respond(exchange, 200, packageSearch);
            } else {
                respond(exchange, 404, "{\"success\": false, \"error\": {\"__type\": \"Not Found Error\"}}"
                        .getBytes(StandardCharsets.UTF_8));
            }
        });
        remote.start();
    }

    @AfterEach
    void stopRemoteCkan() {
        remote.stop(0);
    }

    @Test
    void harvestsTheRemoteCkanIntoTheApplicationsCatalogAndPrintsTheResult(@TempDir Path dataDir) {
        String url = "http://127.0.0.1:" + remote.getAddress().getPort();
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        InMemoryCatalog catalog;
        JobReport report;
        try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            catalog = new InMemoryCatalog(out);
            // the test's remote listens on loopback, which the outbound HTTP policy refuses by default
            report = EmbeddingExample.run(url, dev.harvest.core.config.HarvestConfig.of(java.util.Map.of(
                    "harvest.data_dir", dataDir.toString(), "ckan.harvest.mq.type", "memory",
                    "harvest.http.allow_private_addresses", "true")), catalog, out);
        }
        String output = printed.toString(StandardCharsets.UTF_8);

        assertEquals(3, report.stats().count("added"), output);
        assertEquals(0, report.stats().count("errored"), output);
        assertTrue(output.contains("Harvesters found: [ckan]"), output);
        assertTrue(output.contains("Harvest of " + url + ": Finished; added 3, updated 0, not modified 0, deleted 0,"
                + " errors 0"), output);
        assertTrue(output.contains("[catalog] created cabinet-office-energy-use (1c65c66a-fdec-4138-9c64-0f9bf087bcbb):"
                + " Cabinet Office 70 Whitehall energy use"), output);

        List<Dataset> datasets = catalog.datasets();
        assertEquals(List.of("anuclim_australia_current_climate_december_1976_2005_30_arcsec_1km",
                        "cabinet-office-energy-use",
                        "nombres-masculinos-mas-frecuentes-en-la-provincia-de-barcelona"),
                datasets.stream().map(Dataset::name).toList());
        Dataset barcelona = catalog.findDataset("6633bb2c-8f85-4ac6-8c9b-c4ab740e1595").orElseThrow();
        assertEquals("Nombres masculinos más frecuentes en la provincia de Barcelona", barcelona.title());
        assertEquals("active", barcelona.state());
        assertEquals(2, barcelona.dictList("resources").size());
        for (Dataset dataset : datasets) {
            assertTrue(output.contains("  " + dataset.name()), "the summary lists " + dataset.name() + ":\n" + output);
        }
        assertTrue(requests.stream().allMatch(request -> request.getPath().equals("/api/3/action/package_search")),
                () -> "requests: " + requests);
        assertTrue(requests.get(0).getQuery().contains("start=0"), () -> "requests: " + requests);
    }

    private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json;charset=utf-8");
        exchange.sendResponseHeaders(status, body.length);
        try (var out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
