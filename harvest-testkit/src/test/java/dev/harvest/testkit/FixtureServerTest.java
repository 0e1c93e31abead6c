package dev.harvest.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FixtureServerTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final FixtureServer server = FixtureServer.start();

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.url(pathAndQuery))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void urlsPointAtTheLoopbackAddressAndTheServersPort() {
        assertEquals("http://127.0.0.1:" + server.port() + "/oai", server.url("/oai"));
        assertEquals("http://127.0.0.1:" + server.port(), server.baseUrl());
        assertThrows(IllegalArgumentException.class, () -> server.url("oai"));
    }

    @Test
    void aFixedDocumentIsServedAtItsExactPathWhateverTheQuery() throws Exception {
        server.serve("/oai", "text/xml", "<OAI-PMH/>");

        HttpResponse<String> plain = get("/oai");
        HttpResponse<String> withQuery = get("/oai?verb=Identify");
        HttpResponse<String> longerPath = get("/oai/more");

        assertEquals(200, plain.statusCode());
        assertEquals("<OAI-PMH/>", plain.body());
        assertEquals("text/xml", plain.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("<OAI-PMH/>", withQuery.body());
        assertEquals(404, longerPath.statusCode());
    }

    @Test
    void aClassPathResourceIsServedByteForByte() throws Exception {
        server.serveResource("/hello", "text/plain; charset=utf-8", "fixtures/hello.txt");

        HttpResponse<String> response = get("/hello");

        assertEquals(200, response.statusCode());
        assertEquals("Hello from the class path\n", response.body());
    }

    @Test
    void aMissingResourceFailsWhenItIsRegisteredNotWhenItIsRequested() {
        IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
                () -> server.serveResource("/x", "text/plain", "fixtures/no-such-file.txt"));

        assertTrue(failure.getMessage().contains("fixtures/no-such-file.txt"), failure.getMessage());
    }

    @Test
    void aHandlerSeesTheMethodPathDecodedQueryHeadersAndBody() throws Exception {
        server.serve("/api/3/action/package_search", request -> FixtureResponse.ok("application/json",
                "{\"seen\": \"" + request.method() + " " + request.path() + "\"}"));

        http.send(HttpRequest.newBuilder(URI.create(server.url(
                        "/api/3/action/package_search?fq=a&fq=b+c&q=%C3%A9t%C3%A9&flag")))
                .header("X-Api-Key", "secret")
                .POST(HttpRequest.BodyPublishers.ofString("{\"rows\": 10}"))
                .build(), HttpResponse.BodyHandlers.ofString());

        FixtureRequest request = server.requests().get(0);
        assertEquals("POST", request.method());
        assertEquals("/api/3/action/package_search", request.path());
        assertEquals("a", request.query("fq").orElseThrow());
        assertEquals(List.of("a", "b c"), request.queryValues("fq"));
        assertEquals("été", request.query("q").orElseThrow());
        assertEquals("", request.query("flag").orElseThrow());
        assertTrue(request.query("absent").isEmpty());
        assertEquals("secret", request.header("x-api-key").orElseThrow(), "header names ignore case");
        assertEquals("{\"rows\": 10}", request.body());
    }

    @Test
    void aHandlerAnswersFromTheQueryAsAPagedRemoteWould() throws Exception {
        server.serve("/oai", request -> request.query("resumptionToken").isPresent()
                ? FixtureResponse.ok("text/xml", "<page n=\"2\"/>")
                : FixtureResponse.ok("text/xml", "<page n=\"1\"/>"));

        assertEquals("<page n=\"1\"/>", get("/oai?verb=ListRecords").body());
        assertEquals("<page n=\"2\"/>", get("/oai?verb=ListRecords&resumptionToken=abc").body());
    }

    @Test
    void aResponseCarriesItsStatusAndExtraHeaders() throws Exception {
        server.serve("/moved", request -> FixtureResponse.status(410, "text/plain", "gone")
                .withHeader("Retry-After", "120")
                .withHeader("X-Seen", "1")
                .withHeader("X-Seen", "2"));

        HttpResponse<String> response = get("/moved");

        assertEquals(410, response.statusCode());
        assertEquals("gone", response.body());
        assertEquals("120", response.headers().firstValue("Retry-After").orElseThrow());
        assertEquals(List.of("1", "2"), response.headers().allValues("X-Seen"));
        assertThrows(IllegalArgumentException.class,
                () -> FixtureResponse.ok("text/plain", "").withHeader("content-type", "text/html"));
    }

    @Test
    void anUnknownPathAnswers404WithAShortText() throws Exception {
        HttpResponse<String> response = get("/nothing/here");

        assertEquals(404, response.statusCode());
        assertEquals("No fixture is served at /nothing/here", response.body());
    }

    @Test
    void anyOtherPathCanBeAnsweredByOneHandlerInsteadOf404() throws Exception {
        server.serve("/api", "application/json", "{}");
        server.serveAnyOtherPath(request -> FixtureResponse.ok("text/html", "<html>login</html>"));

        assertEquals("{}", get("/api").body());
        assertEquals("<html>login</html>", get("/anything?else=1").body());
    }

    @Test
    void aHandlerThatThrowsAnswers500WithTheMessage() throws Exception {
        server.serve("/broken", request -> {
            throw new IllegalStateException("fixture page 3 is missing");
        });

        HttpResponse<String> response = get("/broken");

        assertEquals(500, response.statusCode());
        assertTrue(response.body().contains("fixture page 3 is missing"), response.body());
    }

    @Test
    void requestsAreRecordedInArrivalOrderAndCountedPerPath() throws Exception {
        server.serve("/a", "text/plain", "a");

        get("/a?n=1");
        get("/b");
        get("/a?n=2");

        assertEquals(List.of("GET /a?n=1", "GET /b", "GET /a?n=2"),
                server.requests().stream().map(FixtureRequest::toString).toList());
        assertEquals(2, server.requestCount("/a"));
        assertEquals(1, server.requestCount("/b"));
        assertEquals(0, server.requestCount("/c"));
        assertEquals(List.of(Map.of("n", List.of("2"))),
                server.requests("/a").stream().skip(1).map(FixtureRequest::queryParameters).toList());
    }

    @Test
    void requestsAreServedInParallel() throws Exception {
        // Each handler waits until both requests are inside a handler: on a single thread, the first would wait
        // out the latch's timeout and answer 500.
        CountDownLatch bothInside = new CountDownLatch(2);
        server.serve("/slow", request -> {
            bothInside.countDown();
            try {
                return bothInside.await(10, TimeUnit.SECONDS)
                        ? FixtureResponse.ok("text/plain", "together")
                        : FixtureResponse.status(500, "text/plain", "served one at a time");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
        HttpRequest slow = HttpRequest.newBuilder(URI.create(server.url("/slow"))).build();

        CompletableFuture<HttpResponse<String>> first = http.sendAsync(slow, HttpResponse.BodyHandlers.ofString());
        CompletableFuture<HttpResponse<String>> second = http.sendAsync(slow, HttpResponse.BodyHandlers.ofString());

        assertEquals("together", first.get(30, TimeUnit.SECONDS).body());
        assertEquals("together", second.get(30, TimeUnit.SECONDS).body());
    }

    @Test
    void aClosedServerRefusesConnections() {
        FixtureServer closed = FixtureServer.start();
        String url = closed.url("/list.txt");

        closed.close();
        closed.close();

        Exception failure = assertThrows(Exception.class, () -> http.send(HttpRequest.newBuilder(URI.create(url))
                .build(), HttpResponse.BodyHandlers.ofString()));
        assertTrue(failure instanceof ConnectException || failure.getCause() instanceof ConnectException,
                "expected a refused connection, got " + failure);
    }
}
