package dev.harvest.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.harvest.core.testing.TestDatabases;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code /metrics} in Prometheus format and {@code /health}, through real HTTP. */
class MetricsAndHealthTest {

    private WebTestSite site;
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        site = new WebTestSite(TestDatabases.Kind.H2, Map.of());
    }

    @AfterEach
    void stop() {
        site.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(site.base() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void assertMetric(String body, String regex) {
        assertTrue(Pattern.compile("(?m)^" + regex + "$").matcher(body).find(), regex + " in\n" + body);
    }

    @Test
    void metricsCountTheRequestsTheCkanTransportSentToRemoteSitesByStatus() throws Exception {
        com.sun.net.httpserver.HttpServer remote = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        remote.createContext("/", exchange -> {
            int status = exchange.getRequestURI().getPath().equals("/ok") ? 200 : 404;
            byte[] body = "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        remote.start();
        try {
            dev.harvest.ckan.HttpTransport transport = dev.harvest.ckan.HttpTransport.builder().maxAttempts(1)
                    .policy(dev.harvest.api.http.OutboundPolicy.builder().allowPrivateAddresses(true).build())
                    .build();
            String base = "http://127.0.0.1:" + remote.getAddress().getPort();
            for (String path : new String[] {"/ok", "/ok", "/ok", "/missing"}) {
                transport.send(new okhttp3.Request.Builder().url(base + path).build(), true);
            }
        } finally {
            remote.stop(0);
        }

        String body = get("/metrics").body();
        assertMetric(body, "harvest_remote_requests_total\\{status=\"200\"\\} [3-9]\\.0");
        assertMetric(body, "harvest_remote_requests_total\\{status=\"404\"\\} [1-9]\\.0");
    }

    @Test
    void metricsCountJobsByStatusObjectsByOutcomeQueuesPoolAndThisServersRequests() throws Exception {
        site.harvest.runTest("src-a");
        site.harvest.createJob("src-a", false);
        assertEquals(200, site.get("harvest_source_show", Map.of("id", "src-a"), null).status());

        HttpResponse<String> response = get("/metrics");
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        String body = response.body();
        assertMetric(body, "harvest_jobs\\{status=\"Finished\"\\} 1\\.0");
        assertMetric(body, "harvest_jobs\\{status=\"New\"\\} 1\\.0");
        assertMetric(body, "harvest_jobs\\{status=\"Aborted\"\\} 0\\.0");
        assertMetric(body, "harvest_objects_recent\\{outcome=\"added\"\\} 2\\.0");
        assertMetric(body, "harvest_objects_recent_state\\{state=\"COMPLETE\"\\} 2\\.0");
        assertMetric(body, "harvest_queue_waiting\\{queue=\"fetch\"\\} 0\\.0");
        assertMetric(body, "harvest_stage_duration_mean_seconds\\{stage=\"import\"\\} [0-9.E-]+");
        assertMetric(body, "harvest_db_pool_max 3\\.0");
        assertMetric(body, "harvest_db_pool_connections\\{kind=\"total\"\\} [1-3]\\.0");
        assertMetric(body, "harvest_http_server_requests_seconds_count\\{method=\"GET\",route=\"/api/3/action/\\{name\\}\","
                + "status=\"200\"\\} 1");
    }

    @Test
    void healthIsOkWhileTheDatabaseAndTheQueueAnswerAnd503WhenTheDatabaseIsGone() throws Exception {
        HttpResponse<String> ok = get("/health");
        assertEquals(200, ok.statusCode(), ok.body());
        JsonNode body = WebTestSite.JSON.readTree(ok.body());
        assertEquals("ok", body.get("status").asText());
        assertEquals("ok", body.get("database").asText());
        assertEquals("ok", body.get("queue").asText());

        site.harvest.stores().database().close();
        HttpResponse<String> down = get("/health");
        assertEquals(503, down.statusCode(), down.body());
        JsonNode failed = WebTestSite.JSON.readTree(down.body());
        assertEquals("unavailable", failed.get("status").asText());
        assertTrue(failed.get("database").asText().startsWith("failed"), down.body());
        assertEquals("ok", failed.get("queue").asText());
    }
}
