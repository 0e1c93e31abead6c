package dev.harvest.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The synthetic CKAN and target over real HTTP on 127.0.0.1. */
class SyntheticCkanTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int COUNT = 2000;

    private static SyntheticCkan ckan;
    private static SyntheticCkanTarget target;
    private static HttpClient http;

    @BeforeAll
    static void start() throws IOException {
        // with a page cache: the mutation test also shows that no stale page is served after a change
        ckan = new SyntheticCkan(4, 64L << 20);
        target = new SyntheticCkanTarget(20);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        ckan.close();
        target.close();
    }

    @Test
    void pagingReturnsEveryDatasetExactlyOnceInIdOrder() throws Exception {
        SyntheticPortal portal = new SyntheticPortal("paging", 1, 2500);
        String url = ckan.add(portal);
        List<String> seen = new ArrayList<>();
        long bytes = 0;
        int start = 0;
        while (true) {
            // asking for more than 1,000 rows gets 1,000, as from CKAN's rows_max
            HttpResponse<String> response = get(url + "/api/3/action/package_search?sort=id+asc&rows=5000&start="
                    + start);
            assertEquals(200, response.statusCode());
            JsonNode result = MAPPER.readTree(response.body()).get("result");
            assertEquals(2500, result.get("count").asInt());
            JsonNode results = result.get("results");
            if (results.isEmpty()) {
                break;
            }
            assertTrue(results.size() <= SyntheticCkan.MAX_ROWS);
            bytes += response.body().getBytes(StandardCharsets.UTF_8).length;
            for (JsonNode dataset : results) {
                seen.add(dataset.get("id").asText());
                assertEquals("active", dataset.get("state").asText());
                assertTrue(dataset.get("resources").size() >= 1 && dataset.get("tags").size() >= 1);
                assertTrue(dataset.get("organization").has("name") && dataset.get("extras").size() >= 1);
            }
            start += results.size();
        }
        assertEquals(2500, seen.size());
        assertEquals(2500, new HashSet<>(seen).size(), "no dataset twice");
        List<String> sorted = new ArrayList<>(seen);
        sorted.sort(null);
        assertEquals(sorted, seen, "sorted by id");
        assertTrue(ckan.cachedBytes() > 0, "the pages were cached");
        String page = "/api/3/action/package_search?sort=id+asc&rows=1000&start=1000";
        String cached = get(url + page).body();
        ckan.cachePages(false);
        try {
            assertEquals(get(url + page).body(), cached, "a cached page is the generated one");
        } finally {
            ckan.cachePages(true);
        }
        double average = (double) bytes / seen.size();
        assertTrue(average > 2500 && average < 5000, "datasets of about 3 KB, not " + average);

        JsonNode ids = MAPPER.readTree(get(url + "/api/3/action/package_search?fl=id&sort=id+asc&rows=1000&start=2000")
                .body()).get("result").get("results");
        assertEquals(500, ids.size());
        assertEquals(Set.of("id"), fieldNames(ids.get(0)));
        assertEquals(seen.get(2000), ids.get(0).get("id").asText());
    }

    @Test
    void theSameSeedGivesTheSameDatasets() throws Exception {
        String a = ckan.add(new SyntheticPortal("seed-a", 7, 50));
        String b = ckan.add(new SyntheticPortal("seed-b", 7, 50));
        String c = ckan.add(new SyntheticPortal("seed-c", 8, 50));
        String page = "/api/3/action/package_search?sort=id+asc&rows=50";
        assertEquals(get(a + page).body(), get(b + page).body());
        assertNotEquals(get(a + page).body(), get(c + page).body());
    }

    @Test
    void theMutationChangesExactlyOnePercentAndAddsAndDeletesHalfAPercent() throws Exception {
        SyntheticPortal portal = new SyntheticPortal("mutation", 3, COUNT);
        String url = ckan.add(portal);
        Map<String, String> before = listing(url, null);
        assertEquals(COUNT, before.size());
        Instant at = Instant.parse("2031-06-01T12:00:00.123456Z");
        String since = "metadata_modified:[2031-06-01T11:00:00Z TO *]";
        assertEquals(0, listing(url, since).size(), "nothing modified since then yet");

        SyntheticPortal.Mutation mutation = portal.mutate(0.01, 0.005, 0.005, at);

        assertEquals(20, mutation.modified().size());
        assertEquals(10, mutation.added().size());
        assertEquals(10, mutation.deleted().size());
        Set<String> touched = new HashSet<>(mutation.modified());
        touched.addAll(mutation.added());
        touched.addAll(mutation.deleted());
        assertEquals(40, touched.size(), "modified, added and deleted datasets are all different");

        Map<String, String> after = listing(url, null);
        assertEquals(COUNT, after.size());
        for (String id : before.keySet()) {
            if (mutation.deleted().contains(id)) {
                assertFalse(after.containsKey(id));
            } else if (mutation.modified().contains(id)) {
                JsonNode old = MAPPER.readTree(before.get(id));
                JsonNode changed = MAPPER.readTree(after.get(id));
                assertEquals("2031-06-01T12:00:00.123456", changed.get("metadata_modified").asText());
                assertNotEquals(old.get("notes"), changed.get("notes"));
                assertEquals(old.get("title"), changed.get("title"));
            } else {
                assertEquals(before.get(id), after.get(id), "unchanged dataset " + id);
            }
        }
        for (String id : mutation.added()) {
            assertTrue(after.containsKey(id));
            assertFalse(before.containsKey(id));
        }

        Set<String> modifiedSince = listing(url, since).keySet();
        Set<String> expected = new HashSet<>(mutation.modified());
        expected.addAll(mutation.added());
        assertEquals(expected, modifiedSince, "the incremental filter finds exactly the modified and added ones");
        assertEquals(COUNT - 10 - 20,
                listing(url, "metadata_modified:[* TO 2031-06-01T11:00:00Z]").size());

        String deleted = mutation.deleted().get(0);
        HttpResponse<String> gone = get(url + "/api/3/action/package_show?id=" + deleted);
        assertEquals(404, gone.statusCode());
        JsonNode envelope = MAPPER.readTree(gone.body());
        assertFalse(envelope.get("success").asBoolean());
        assertEquals("Not Found Error", envelope.get("error").get("__type").asText());
        HttpResponse<String> shown = get(url + "/api/3/action/package_show?id=" + mutation.modified().get(0));
        assertEquals(200, shown.statusCode());
        assertEquals(after.get(mutation.modified().get(0)),
                MAPPER.writeValueAsString(MAPPER.readTree(shown.body()).get("result")));
        String id = mutation.modified().get(1);
        assertEquals(1, MAPPER.readTree(get(url + "/api/3/action/package_search?rows=0&fq="
                + encode("id:\"" + id + "\"")).body()).get("result").get("count").asInt());
    }

    @Test
    void anUnsupportedFilterIsASearchQueryError() throws Exception {
        String url = ckan.add(new SyntheticPortal("errors", 4, 10));
        HttpResponse<String> response = get(url + "/api/3/action/package_search?fq=" + encode("res_format:CSV"));
        assertEquals(409, response.statusCode());
        assertEquals("Search Query Error", MAPPER.readTree(response.body()).get("error").get("__type").asText());
    }

    @Test
    void theTargetCountsCallsAndDelaysWrites() throws Exception {
        Map<String, Long> countsBefore = target.requestCounts();
        String api = target.url() + "/api/3/action/";
        HttpResponse<String> missing = get(api + "package_show?id=nothing-here");
        assertEquals(404, missing.statusCode());
        assertEquals("Not Found Error", MAPPER.readTree(missing.body()).get("error").get("__type").asText());

        long start = System.nanoTime();
        HttpResponse<String> created = post(api + "package_create",
                "{\"id\": \"d-1\", \"name\": \"first-dataset\", \"title\": \"First\"}");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(200, created.statusCode());
        assertTrue(millis >= 20, "a write is answered after 20 ms, not " + millis);
        assertEquals("first-dataset", MAPPER.readTree(get(api + "package_show?id=d-1").body())
                .get("result").get("name").asText());
        assertEquals("d-1", MAPPER.readTree(get(api + "package_show?id=first-dataset").body())
                .get("result").get("id").asText());

        HttpResponse<String> clash = post(api + "package_create", "{\"name\": \"first-dataset\"}");
        assertEquals(409, clash.statusCode());
        assertEquals("Validation Error", MAPPER.readTree(clash.body()).get("error").get("__type").asText());

        start = System.nanoTime();
        assertEquals(200, post(api + "package_update", "{\"id\": \"d-1\", \"name\": \"first-dataset\", "
                + "\"title\": \"Changed\"}").statusCode());
        assertTrue((System.nanoTime() - start) / 1_000_000 >= 20);
        assertEquals("Changed", MAPPER.readTree(get(api + "package_show?id=d-1").body())
                .get("result").get("title").asText());
        assertEquals(404, post(api + "package_update", "{\"id\": \"nope\", \"name\": \"x\"}").statusCode());
        assertEquals(200, post(api + "package_delete", "{\"id\": \"d-1\"}").statusCode());
        assertEquals("deleted", MAPPER.readTree(get(api + "package_show?id=d-1").body())
                .get("result").get("state").asText());

        Map<String, Long> counts = target.requestCounts();
        assertEquals(5, delta(countsBefore, counts, "package_show"));
        assertEquals(2, delta(countsBefore, counts, "package_create"));
        assertEquals(2, delta(countsBefore, counts, "package_update"));
        assertEquals(1, delta(countsBefore, counts, "package_delete"));

        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(URI.create(api + "package_create"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"anon\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, anonymous.statusCode(), "writes need an Authorization header");
    }

    @Test
    void readsAreAnsweredAtOnce() throws Exception {
        // 20 sequential small responses: with Nagle's algorithm against delayed ACKs each would take about 40 ms
        String api = target.url() + "/api/3/action/package_show?id=";
        String remote = ckan.add(new SyntheticPortal("latency", 9, 20)) + "/api/3/action/package_show?id=";
        get(api + "warm-up");
        long start = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            assertEquals(404, get(api + "unknown-" + i).statusCode());
            assertEquals(404, get(remote + "unknown-" + i).statusCode());
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 40 * 20, "40 small reads took " + millis + " ms");
    }

    @Test
    void theTargetAnswersConcurrentWritesInParallel() throws Exception {
        String api = target.url() + "/api/3/action/";
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < 16; i++) {
            calls.add(http.sendAsync(HttpRequest.newBuilder(URI.create(api + "package_create"))
                    .header("Authorization", "token")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"parallel-" + i + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (var call : calls) {
            assertEquals(200, call.get().statusCode());
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 16 * 20, "16 writes of 20 ms took " + millis + " ms: they were serialised");
    }

    private static long delta(Map<String, Long> before, Map<String, Long> after, String action) {
        return after.getOrDefault(action, 0L) - before.getOrDefault(action, 0L);
    }

    /** id -> compact JSON of each dataset a search lists, paging by 1,000. */
    private static Map<String, String> listing(String url, String fq) throws Exception {
        Map<String, String> datasets = new HashMap<>();
        int start = 0;
        while (true) {
            String query = "/api/3/action/package_search?sort=id+asc&rows=1000&start=" + start
                    + (fq == null ? "" : "&fq=" + encode(fq));
            JsonNode results = MAPPER.readTree(get(url + query).body()).get("result").get("results");
            if (results.isEmpty()) {
                return datasets;
            }
            for (JsonNode dataset : results) {
                datasets.put(dataset.get("id").asText(), MAPPER.writeValueAsString(dataset));
            }
            start += results.size();
        }
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String url, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "token")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
