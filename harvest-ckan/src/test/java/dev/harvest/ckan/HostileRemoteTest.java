package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.http.OutboundPolicy;
import dev.harvest.testkit.HarvestResult;
import dev.harvest.testkit.HarvestTestBed;
import dev.harvest.testkit.InvalidSourceException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Remotes that attack the harvest server or misbehave on purpose (issue 13: failures 3, 9 and the remote side of 10),
 * each a real HTTP server on loopback. Tests that check the outbound policy itself set
 * {@code harvest.http.allow_private_addresses} back to false, or rely on the redirect rule, which holds whatever the
 * address rule says.
 */
class HostileRemoteTest {

    private static final String SECRET = "INTERNAL-ADMIN-SECRET token=abc123";

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeEverything() throws Exception {
        for (AutoCloseable closeable : open) {
            closeable.close();
        }
    }

    private HostileServer server(HostileServer.Behaviour behaviour) throws IOException {
        HostileServer server = new HostileServer(behaviour);
        open.add(server);
        return server;
    }

    private HarvestTestBed testBed(Map<String, String> settings) {
        HarvestTestBed.Builder builder = HarvestTestBed.builder().harvester(new CkanHarvester());
        settings.forEach(builder::setting);
        HarvestTestBed testBed = builder.build();
        open.add(testBed);
        return testBed;
    }

    private HostileServer internalAdminPage() throws IOException {
        return server(exchange -> HostileServer.send(exchange, 200, "text/plain", SECRET));
    }

    private static void assertNoSecret(HarvestResult result) {
        String everything = result.describe() + result.gatherErrors() + result.objectErrorsByGuid();
        assertFalse(everything.contains("INTERNAL") || everything.contains("abc123"), everything);
    }

    // ------------------------------------------------------------------------------------- failure 3: SSRF

    @Test
    void aRedirectToAnotherLoopbackPortIsNotFollowedAndTheInternalPageIsNeverRequested() throws Exception {
        HostileServer internal = internalAdminPage();
        HostileServer remote = server(exchange -> HostileServer.redirect(exchange, internal.url() + "/admin"));
        HarvestTestBed testBed = testBed(Map.of());

        HarvestResult result = testBed.harvest(testBed.source("hostile", remote.url(), "{}"));

        assertEquals(0, internal.requests.get(), "the internal port was reached");
        String errors = String.join("\n", result.gatherErrors());
        assertTrue(errors.contains("Refused to follow a redirect from " + remote.url().replace("http://", "http://")
                + " to another origin, " + internal.url() + " (followed only with "
                + OutboundPolicy.CROSS_ORIGIN_REDIRECTS + " = true)"), errors);
        assertNoSecret(result);
    }

    @Test
    void whenCrossOriginRedirectsAreAllowedTheReachedPageIsDescribedButNeverQuoted() throws Exception {
        HostileServer internal = internalAdminPage();
        HostileServer remote = server(exchange -> HostileServer.redirect(exchange, internal.url() + "/admin"));
        HarvestTestBed testBed = testBed(Map.of(OutboundPolicy.CROSS_ORIGIN_REDIRECTS, "true"));

        HarvestResult result = testBed.harvest(testBed.source("hostile", remote.url(), "{}"));

        assertTrue(internal.requests.get() > 0, "the redirect was followed, as configured");
        String errors = String.join("\n", result.gatherErrors());
        assertTrue(errors.contains("is not valid JSON (HTTP 200, Content-Type text/plain, " + SECRET.length()
                + " bytes; parse error at line 1, column "), errors);
        assertNoSecret(result);
    }

    @Test
    void aHostNameThatResolvesToLoopbackIsRefusedBeforeAnyConnection() throws Exception {
        HostileServer remote = server(exchange -> HostileServer.send(exchange, 200, "application/json", "{}"));
        HarvestTestBed testBed = testBed(Map.of(OutboundPolicy.ALLOW_PRIVATE_ADDRESSES, "false"));

        HarvestResult result = testBed.harvest(testBed.source("by-name", "http://localhost:" + remote.port(), "{}"));

        assertEquals(0, remote.requests.get());
        String errors = String.join("\n", result.gatherErrors());
        assertTrue(errors.contains("Refused by the outbound HTTP policy: localhost resolves to "), errors);
        assertTrue(errors.contains("which is a loopback address (allowed only with "
                + OutboundPolicy.ALLOW_PRIVATE_ADDRESSES + " = true or an entry in " + OutboundPolicy.ALLOWED_HOSTS
                + ")"), errors);
    }

    @Test
    void aSourceWhoseHostIsALiteralPrivateAddressIsRefusedWhenItIsCreated() {
        HarvestTestBed testBed = testBed(Map.of(OutboundPolicy.ALLOW_PRIVATE_ADDRESSES, "false"));

        for (String url : List.of("http://127.0.0.1:5432/", "http://169.254.169.254/latest/meta-data",
                "http://[::1]:8080", "http://10.0.0.1", "http://2130706433/")) {
            InvalidSourceException refused = assertThrows(InvalidSourceException.class,
                    () -> testBed.source("literal", url, "{}"), url);
            assertTrue(refused.getMessage().contains("url: ") && refused.getMessage().contains(" address (allowed only"
                    + " with " + OutboundPolicy.ALLOW_PRIVATE_ADDRESSES), refused.getMessage());
        }
    }

    @Test
    void anAllowedHostNameDoesNotLetItsRedirectsReachOtherPrivateAddresses() throws Exception {
        HostileServer internal = internalAdminPage();
        HostileServer remote = server(exchange -> HostileServer.redirect(exchange, internal.url() + "/admin"));
        HarvestTestBed testBed = testBed(Map.of(OutboundPolicy.ALLOW_PRIVATE_ADDRESSES, "false",
                OutboundPolicy.ALLOWED_HOSTS, "localhost", OutboundPolicy.CROSS_ORIGIN_REDIRECTS, "true"));

        HarvestResult result = testBed.harvest(testBed.source("allowed", "http://localhost:" + remote.port(), "{}"));

        assertTrue(remote.requests.get() > 0, "the allowed host was reached");
        assertEquals(0, internal.requests.get(), "every hop is checked");
        String errors = String.join("\n", result.gatherErrors());
        assertTrue(errors.contains("Refused by the outbound HTTP policy: 127.0.0.1 is a loopback address"), errors);
        assertNoSecret(result);
    }

    @Test
    void connectionFailuresReadAlikeWhetherThePortIsClosedOrSilent() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            closedPort = probe.getLocalPort();
        }
        ServerSocket silent = silentServer(new java.util.concurrent.atomic.AtomicInteger());
        HttpTransport transport = HttpTransport.builder().policy(MockCkan.LOOPBACK).maxAttempts(1)
                .readTimeout(Duration.ofMillis(300)).callTimeout(Duration.ofSeconds(10)).build();

        String closed = failure(transport, "http://127.0.0.1:" + closedPort).replace(":" + closedPort, ":PORT");
        String silentMessage = failure(transport, "http://127.0.0.1:" + silent.getLocalPort())
                .replace(":" + silent.getLocalPort(), ":PORT");

        assertEquals("Request error: could not connect to 127.0.0.1 (GET http://127.0.0.1:PORT/api/3/action/"
                + "package_show?id=x)", closed);
        assertEquals(closed, silentMessage);
    }

    /** A server that accepts connections, reads their requests, counts them, and never answers. */
    private ServerSocket silentServer(java.util.concurrent.atomic.AtomicInteger requests) throws IOException {
        ServerSocket silent = new ServerSocket(0);
        open.add(silent);
        Thread acceptor = new Thread(() -> {
            List<Socket> held = new ArrayList<>();
            try {
                while (true) {
                    Socket socket = silent.accept(); // accepts and never answers
                    held.add(socket);
                    Thread reader = new Thread(() -> {
                        try {
                            var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                                    java.nio.charset.StandardCharsets.ISO_8859_1));
                            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                                // the request's head, up to the blank line
                            }
                            requests.incrementAndGet();
                        } catch (IOException closed) {
                            // the client went away
                        }
                    });
                    reader.setDaemon(true);
                    reader.start();
                }
            } catch (IOException closed) {
                held.forEach(socket -> {
                    try {
                        socket.close();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                });
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        return silent;
    }

    @Test
    void aRequestToASilentRemoteEndsSoonAfterItsThreadIsInterrupted() throws Exception {
        // a consumer stopping (SIGTERM) interrupts its workers; a blocked socket read ignores the interrupt
        java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
        ServerSocket silent = silentServer(accepted);
        HttpTransport transport = HttpTransport.builder().policy(MockCkan.LOOPBACK).maxAttempts(3)
                .readTimeout(Duration.ofSeconds(100)).callTimeout(Duration.ofSeconds(120)).build();
        CkanApi api = new CkanApi("http://127.0.0.1:" + silent.getLocalPort(), null, null, transport);
        java.util.concurrent.ExecutorService worker = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<?> request = worker.submit(() -> {
                api.get("package_search", List.of(Map.entry("rows", "10")));
                return null;
            });
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (accepted.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(1, accepted.get(), "the request reached the silent remote");
            Thread.sleep(300); // the client sent its request: let it block reading the answer that never comes
            request.cancel(true); // interrupts the worker

            worker.shutdown();
            assertTrue(worker.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS),
                    "the request ended within seconds of the interrupt, not at its 100 s read timeout");
            assertEquals(1, accepted.get(), "an interrupted request is not retried");
        } finally {
            worker.shutdownNow();
        }
    }

    private static String failure(HttpTransport transport, String base) {
        CkanApi api = new CkanApi(base, null, null, transport);
        return assertThrows(CkanRemoteException.class, () -> api.get("package_show", List.of(Map.entry("id", "x"))))
                .getMessage();
    }

    // --------------------------------------------------------------------- failure 10: per-request deadline

    @Test
    void aSlowDripRemoteIsCutOffAtTheRequestDeadline() throws Exception {
        HostileServer drip = server(exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write("{\"success\": true, \"result\": \"".getBytes());
                for (int i = 0; i < 600; i++) { // a byte every 50 ms: never silent for a read timeout
                    out.write('x');
                    out.flush();
                    Thread.sleep(50);
                }
            }
        });
        HttpTransport transport = HttpTransport.builder().policy(MockCkan.LOOPBACK).maxAttempts(3)
                .sleeper(delay -> { }).readTimeout(Duration.ofSeconds(5)).callTimeout(Duration.ofSeconds(1)).build();
        long started = System.nanoTime();

        String message = failure(transport, drip.url());

        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertEquals("Request error: no complete response from 127.0.0.1 within the request deadline of 1 s (GET "
                + drip.url() + "/api/3/action/package_show?id=x)", message);
        assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "took " + took);
        assertEquals(1, drip.requests.get(), "no retry after the deadline");
    }

    @Test
    void retriesStopWhenTheirWaitWouldOutlastTheRequestDeadline() throws Exception {
        HostileServer unavailable = server(exchange ->
                HostileServer.send(exchange, 503, "application/json", "{\"success\": false}"));
        AtomicLong now = new AtomicLong();
        List<Duration> waits = new ArrayList<>();
        HttpTransport transport = HttpTransport.builder().policy(MockCkan.LOOPBACK).maxAttempts(10)
                .backoff(Duration.ofSeconds(4), Duration.ofSeconds(60)).callTimeout(Duration.ofSeconds(10))
                .nanoTime(now::get).sleeper(delay -> {
                    waits.add(delay);
                    now.addAndGet(delay.toNanos());
                }).build();

        String message = failure(transport, unavailable.url());

        assertTrue(message.startsWith("HTTP error: 503 "), message);
        assertEquals(List.of(Duration.ofSeconds(4)), waits, "the 8 s wait would have passed the 10 s deadline");
        assertEquals(2, unavailable.requests.get());
    }

    // ------------------------------------------------------------------ failure 9: one bad record, one error

    private static String dataset(String id, String extraValue) {
        return "{\"id\": \"" + id + "\", \"name\": \"" + id + "\", \"title\": \"Dataset " + id + "\", \"metadata_modified\":"
                + " \"2024-01-01T00:00:00\", \"resources\": [], \"tags\": [], \"extras\": [{\"key\": \"k\", \"value\": "
                + extraValue + "}]}";
    }

    private static String envelope(String result) {
        return "{\"success\": true, \"result\": " + result + "}";
    }

    private static String nested(int depth) {
        return "[".repeat(depth) + "1" + "]".repeat(depth);
    }

    private HostileServer catalogWith(Map<String, String> datasetsById) throws IOException {
        return server(exchange -> {
            String path = exchange.getRequestURI().getPath();
            String query = exchange.getRequestURI().getQuery();
            if (path.endsWith("/package_search")) {
                String results = String.join(", ", datasetsById.values());
                HostileServer.send(exchange, 200, "application/json",
                        envelope("{\"count\": " + datasetsById.size() + ", \"results\": [" + results + "]}"));
            } else if (path.endsWith("/package_show") && query != null) {
                String id = query.replaceAll(".*id=([^&]*).*", "$1");
                HostileServer.send(exchange, 200, "application/json", envelope(datasetsById.get(id)));
            } else {
                HostileServer.send(exchange, 404, "application/json", "{\"success\": false}");
            }
        });
    }

    @Test
    void aNanOrAnOverDeepValueErrorsOnlyItsOwnRecordNotItsPage() throws Exception {
        Map<String, String> datasets = new java.util.LinkedHashMap<>();
        datasets.put("good-one", dataset("good-one", "\"fine\""));
        datasets.put("not-a-number", dataset("not-a-number", "NaN"));
        datasets.put("too-deep", dataset("too-deep", nested(150)));
        datasets.put("good-two", dataset("good-two", "-Infinity").replace("-Infinity", "2.5"));
        HostileServer remote = catalogWith(datasets);
        HarvestTestBed testBed = testBed(Map.of());

        HarvestResult result = testBed.harvest(testBed.source("bad-records", remote.url(), "{}"));

        assertEquals(List.of(), result.gatherErrors(), "the page as a whole was read");
        assertEquals(2, result.added(), result.describe());
        assertEquals(2, result.errored(), result.describe());
        Map<String, List<String>> errors = result.objectErrorsByGuid();
        assertTrue(errors.get("not-a-number").toString().contains("Remote dataset not-a-number cannot be harvested:"
                + " it has a number that is not finite or out of range (NaN) at extras[0].value"), errors.toString());
        assertTrue(errors.get("too-deep").toString().contains("Remote dataset too-deep cannot be harvested: it has"
                + " nesting deeper than " + Json.MAX_RECORD_DEPTH + " levels at extras[0].value"), errors.toString());
    }

    @Test
    void aResponseNestedBeyondTheResponseBoundStillFailsAsAWhole() throws Exception {
        Map<String, String> datasets = Map.of("abyss", dataset("abyss", nested(Json.MAX_RESPONSE_DEPTH + 10)));
        HostileServer remote = catalogWith(datasets);
        HarvestTestBed testBed = testBed(Map.of());

        HarvestResult result = testBed.harvest(testBed.source("abyss", remote.url(), "{}"));

        String errors = String.join("\n", result.gatherErrors());
        assertTrue(errors.contains("is not valid JSON (HTTP 200, Content-Type application/json, ")
                && errors.contains("it is over a parser limit"), errors);
        assertEquals(0, result.added());
    }
}
