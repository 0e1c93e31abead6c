package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.harvest.api.HarvestSource;
import dev.harvest.testkit.HarvestResult;
import dev.harvest.testkit.HarvestTestBed;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 13, failures 1 and 2, through the CKAN harvester and the real engine: a {@code package_search} that never
 * runs out (a huge count, new ids on every page) and one that ignores {@code start} and alternates two pages. Before
 * the engine's gather bounds, the first created objects until the database filled and the second looped forever;
 * now each gather stops at its bound, keeps what it stored, and names the bound in its gather error.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostileCkanRemoteTest {

    private static final int PAGE = 100;

    private HttpServer server;
    private HarvestTestBed testBed;
    private final AtomicInteger searches = new AtomicInteger();

    @AfterEach
    void closeEverything() {
        try {
            if (testBed != null) {
                testBed.close();
            }
        } finally {
            if (server != null) {
                server.stop(0);
            }
        }
    }

    /** Serves {@code package_search}: page number n (from 0) is {@code page.apply(n)}, whatever {@code start} says. */
    private String remote(IntFunction<List<String>> page) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/3/action/package_search", exchange -> {
            List<Map<String, Object>> results = new ArrayList<>();
            for (String id : page.apply(searches.getAndIncrement())) {
                Map<String, Object> dataset = new LinkedHashMap<>();
                dataset.put("id", id);
                dataset.put("name", "name-" + id);
                dataset.put("title", "Dataset " + id);
                dataset.put("type", "dataset");
                dataset.put("metadata_modified", "2020-01-01T00:00:00");
                dataset.put("resources", List.of());
                dataset.put("tags", List.of());
                dataset.put("groups", List.of());
                dataset.put("extras", List.of());
                results.add(dataset);
            }
            send(exchange, MockCkan.json(Map.of("success", true, "result",
                    Map.of("count", 1_000_000_000, "results", results))));
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static void send(HttpExchange exchange, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static List<String> ids(int from) {
        List<String> ids = new ArrayList<>(PAGE);
        for (int i = from; i < from + PAGE; i++) {
            ids.add(String.format("id-%09d", i));
        }
        return ids;
    }

    private HarvestSource source(String url, Map<String, String> settings) {
        HarvestTestBed.Builder builder = HarvestTestBed.builder()
                .harvester(new CkanHarvester(CkanHarvesterScenarioTest.fastTransport()));
        settings.forEach(builder::setting);
        testBed = builder.build();
        return testBed.source("hostile-ckan", url, "");
    }

    @Test
    void aSearchThatNeverRunsOutStopsAtTheMaximumNumberOfObjects() throws Exception {
        HarvestSource source = source(remote(n -> ids(n * PAGE)), Map.of("harvest.gather.max_objects", "500"));

        HarvestResult job = testBed.harvest(source);

        assertEquals("Finished", job.status());
        assertEquals(1, job.gatherErrors().size(), job::describe);
        assertTrue(job.gatherErrors().get(0).contains("harvest.gather.max_objects"), job::describe);
        assertEquals(500, job.added(), "the objects within the bound are imported");
        assertEquals(6, searches.get(), "the sixth page brought the 501st object");
    }

    @Test
    void aSearchThatIgnoresStartAndAlternatesTwoPagesStopsAtTheThirdPage() throws Exception {
        HarvestSource source = source(remote(n -> ids((n % 2) * PAGE)), Map.of());

        HarvestResult job = testBed.harvest(source);

        assertEquals("Finished", job.status());
        assertEquals(1, job.gatherErrors().size(), job::describe);
        assertTrue(job.gatherErrors().get(0).contains("page 3 of the remote listing brought no record"),
                job::describe);
        assertEquals(2 * PAGE, job.added());
        assertEquals(3, searches.get(), "pages A, B, and A again: stopped there");
    }
}
