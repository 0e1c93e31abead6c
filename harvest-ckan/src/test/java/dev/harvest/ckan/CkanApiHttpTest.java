package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every way a remote CKAN can answer badly, and what the client makes of it. */
class CkanApiHttpTest {

    MockCkan remote;
    final List<Duration> sleeps = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        remote = MockCkan.withMockDatasets();
    }

    @AfterEach
    void stop() {
        remote.close();
    }

    HttpTransport.Builder transport() {
        return HttpTransport.builder().policy(MockCkan.LOOPBACK).maxAttempts(3).sleeper(sleeps::add)
                .backoff(Duration.ofMillis(100), Duration.ofSeconds(1)).maxRetryAfter(Duration.ofSeconds(30))
                .connectTimeout(Duration.ofSeconds(2)).readTimeout(Duration.ofSeconds(2));
    }

    CkanApi api(HttpTransport transport) {
        return new CkanApi(remote.url(), null, null, transport);
    }

    JsonNode packageShow(CkanApi api) throws CkanRemoteException {
        return api.get("package_show", List.of(Map.entry("id", "dataset1-id")));
    }

    CkanRemoteException failure(CkanApi api) {
        return assertThrows(CkanRemoteException.class, () -> packageShow(api));
    }

    String showUrl() {
        return remote.url() + "/api/3/action/package_show?id=dataset1-id";
    }

    @Test
    void aGoodResponseYieldsTheResult() throws Exception {
        assertEquals("dataset1", packageShow(api(transport().build())).get("name").asText());
    }

    @Test
    void notFoundIsAnHttpErrorNamingTheUrlAndCkansMessage() {
        CkanRemoteException e = assertThrows(CkanRemoteException.class,
                () -> api(transport().build()).get("package_show", List.of(Map.entry("id", "missing"))));

        assertEquals("HTTP error: 404 " + remote.url() + "/api/3/action/package_show?id=missing: "
                + "Not Found Error: Not found", e.getMessage());
        assertTrue(e.isNotFound());
        assertTrue(sleeps.isEmpty(), "a 404 is not retried");
    }

    @Test
    void aServerErrorIsRetriedWithGrowingBackoffAndThenSucceeds() throws Exception {
        remote.enqueue(MockCkan.Scripted.status(500, "oops"), MockCkan.Scripted.status(502, "<html>bad gw</html>")
                .withContentType("text/html"));

        assertEquals("dataset1", packageShow(api(transport().build())).get("name").asText());
        assertEquals(List.of(Duration.ofMillis(100), Duration.ofMillis(200)), sleeps);
        assertEquals(3, remote.requests.size());
    }

    @Test
    void aServerErrorThatPersistsIsReportedAfterTheLastAttempt() {
        remote.enqueue(MockCkan.Scripted.status(500, "Site is down"), MockCkan.Scripted.status(500, "Site is down"),
                MockCkan.Scripted.status(500, "Site is down"));

        assertEquals("HTTP error: 500 " + showUrl(), failure(api(transport().build())).getMessage());
        assertEquals(3, remote.requests.size());
    }

    @Test
    void tooManyRequestsWaitsForRetryAfterBoundedByTheMaximum() throws Exception {
        remote.enqueue(MockCkan.Scripted.status(429, "slow down").withHeader("Retry-After", "7"),
                MockCkan.Scripted.status(429, "slow down").withHeader("Retry-After", "3600"));

        assertEquals("dataset1", packageShow(api(transport().build())).get("name").asText());
        assertEquals(List.of(Duration.ofSeconds(7), Duration.ofSeconds(30)), sleeps);
    }

    @Test
    void anHtmlPageWithStatus200IsNotTakenForJson() {
        remote.enqueue(MockCkan.Scripted.status(200, "<!DOCTYPE html><html><body>Please log in</body></html>")
                .withContentType("text/html; charset=utf-8"));

        String message = failure(api(transport().build())).getMessage();

        assertEquals("Response from " + showUrl() + " is not JSON (HTTP 200, Content-Type text/html; charset=utf-8,"
                + " 54 bytes; an error page or a login page?)", message);
        assertFalse(message.contains("Please log in"), "the body is never quoted: " + message);
    }

    @Test
    void jsonWithoutTheEnvelopeIsRefused() {
        remote.enqueue(MockCkan.Scripted.status(200, "[\"dataset1\"]"));

        assertTrue(failure(api(transport().build())).getMessage()
                .startsWith("Response from " + showUrl() + " is not a CKAN action API response"));
    }

    @Test
    void anEnvelopeReportingFailureCarriesCkansError() {
        remote.enqueue(MockCkan.Scripted.status(200, "{\"success\": false, \"error\": {\"__type\": "
                + "\"Search Query Error\", \"message\": \"Invalid search parameters: ['limit']\"}}"));

        CkanRemoteException e = failure(api(transport().build()));

        assertEquals("CKAN reported an error for " + showUrl() + ": Search Query Error: Invalid search "
                + "parameters: ['limit']", e.getMessage());
        assertEquals("Search Query Error", e.errorType());
    }

    @Test
    void aJsonBodyCutShortIsReportedAsInvalidJson() {
        remote.enqueue(MockCkan.Scripted.status(200, "{\"success\": true, \"result\": {\"name\": \"data"));

        String message = failure(api(transport().build())).getMessage();

        assertEquals("Response from " + showUrl() + " is not valid JSON (HTTP 200, Content-Type application/json, 42"
                + " bytes; it ends early at line 1, column 43 (truncated?))", message);
    }

    @Test
    void aBodyShorterThanItsContentLengthIsARequestError() {
        String body = "{\"success\": true, \"result\": {}}";
        for (int i = 0; i < 3; i++) {
            remote.enqueue(MockCkan.Scripted.status(200, body).truncatedFrom(body.length() + 100));
        }

        String message = failure(api(transport().build())).getMessage();

        assertTrue(message.startsWith("Request error: "), message);
        assertTrue(message.endsWith("(GET " + showUrl() + ")"), message);
    }

    @Test
    void aBodyOverTheSizeCapIsRefusedWithoutRetry() {
        remote.enqueue(MockCkan.Scripted.status(200, "{\"success\": true, \"result\": \"" + "x".repeat(5000) + "\"}"));

        String message = failure(api(transport().maxResponseBytes(1024).build())).getMessage();

        assertTrue(message.startsWith("Response from " + showUrl() + " is larger than the limit of 1024 bytes"),
                message);
        assertEquals(1, remote.requests.size());
    }

    @Test
    void aBodyOverTheSizeCapIsAResponseTooLargeException() {
        remote.enqueue(MockCkan.Scripted.status(200, "{\"success\": true, \"result\": \"" + "x".repeat(5000) + "\"}"));

        CkanRemoteException e = failure(api(transport().maxResponseBytes(1024).build()));

        assertEquals(1024, assertInstanceOf(ResponseTooLargeException.class, e).limit());
    }

    @Test
    void aServerTricklingItsResponseIsCutOffByTheCallTimeout() {
        // Each byte comes well within the read timeout, but the whole body would take about 5 s.
        remote.enqueue(MockCkan.Scripted.status(200, "{\"success\": true, \"result\": {\"name\": \"dataset1\"}}")
                .trickled(100));
        HttpTransport transport = transport().maxAttempts(1).readTimeout(Duration.ofSeconds(2))
                .callTimeout(Duration.ofSeconds(1)).build();
        long started = System.nanoTime();

        String message = failure(api(transport)).getMessage();

        assertTrue(message.startsWith("Request error: "), message);
        assertTrue(message.endsWith("(GET " + showUrl() + ")"), message);
        assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(4)) < 0,
                "cut off after about 1 s");
    }

    @Test
    void aCallTimeoutMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> HttpTransport.builder().callTimeout(Duration.ZERO));
    }

    @Test
    void aPostAnswered503WithoutRetryAfterIsNotSentAgain() {
        remote.enqueue(MockCkan.Scripted.status(503, "<html>Service Unavailable</html>").withContentType("text/html"));
        CkanApi api = new CkanApi(remote.url(), "secret-token", null, transport().build());

        CkanRemoteException e = assertThrows(CkanRemoteException.class,
                () -> api.post("package_create", Map.of("name", "retried")));

        assertEquals(503, e.httpStatus());
        assertEquals(1, remote.requests.size());
        assertTrue(sleeps.isEmpty());
        assertEquals(null, remote.dataset("retried"));
    }

    @Test
    void aPostAnswered503WithRetryAfterIsSentAgainAfterTheWait() throws Exception {
        remote.enqueue(MockCkan.Scripted.status(503, "busy").withHeader("Retry-After", "2"));
        CkanApi api = new CkanApi(remote.url(), "secret-token", null, transport().build());

        JsonNode created = api.post("package_create", Map.of("name", "retried"));

        assertEquals("retried", created.get("name").asText());
        assertEquals(List.of(Duration.ofSeconds(2)), sleeps);
        assertEquals(2, remote.requests.size());
    }

    @Test
    void aGetAnswered503WithoutRetryAfterIsStillRetried() throws Exception {
        remote.enqueue(MockCkan.Scripted.status(503, "busy"));

        assertEquals("dataset1", packageShow(api(transport().build())).get("name").asText());
        assertEquals(2, remote.requests.size());
    }

    @Test
    void aRefusedConnectionIsRetriedThenReportedAsARequestError() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        CkanApi api = new CkanApi("http://127.0.0.1:" + closedPort, null, null, transport().build());

        CkanRemoteException e = assertThrows(CkanRemoteException.class, () -> packageShow(api));

        assertTrue(e.getMessage().startsWith("Request error: "), e.getMessage());
        assertTrue(e.getMessage().contains("127.0.0.1:" + closedPort), e.getMessage());
        assertEquals(2, sleeps.size());
    }

    @Test
    void aReadTimeoutIsRetriedThenReportedAsARequestError() {
        for (int i = 0; i < 2; i++) {
            remote.enqueue(MockCkan.Scripted.status(200, "{}").delayed(1500));
        }
        HttpTransport slowTolerant = transport().maxAttempts(2).readTimeout(Duration.ofMillis(300)).build();

        String message = failure(api(slowTolerant)).getMessage();

        assertTrue(message.startsWith("Request error: could not connect to 127.0.0.1 (GET "), message);
        assertEquals(1, sleeps.size());
    }

    @Test
    void writesAreNotRetriedAfterAServerError() {
        remote.enqueue(MockCkan.Scripted.status(500, "{\"success\": false}"), MockCkan.Scripted.status(200, "{}"));
        CkanApi api = new CkanApi(remote.url(), "secret-token", null, transport().build());

        CkanRemoteException e = assertThrows(CkanRemoteException.class,
                () -> api.post("package_create", Map.of("name", "retried")));

        assertEquals(500, e.httpStatus());
        assertEquals(1, remote.requests.size());
    }

    @Test
    void queryValuesAreEncodedOnceAndThePathPrefixIsKept() {
        CkanApi api = new CkanApi("https://example.org/data/", null, null, transport().build());
        String fq = "metadata_modified:[2020-01-01T00:00:00Z TO *] -organization:x";

        okhttp3.HttpUrl url = api.actionUrl("package_search", List.of(Map.entry("fq", fq)));

        assertEquals("/data/api/3/action/package_search", url.encodedPath());
        assertEquals(fq, url.queryParameter("fq"));
        assertTrue(url.encodedQuery().contains("%20TO%20"), url.encodedQuery());
        assertTrue(!url.encodedQuery().contains("%25") && !url.encodedQuery().contains("+"), url.encodedQuery());
    }
}
