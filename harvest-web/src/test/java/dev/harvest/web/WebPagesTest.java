package dev.harvest.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.harvest.core.SourceRequest;
import dev.harvest.core.testing.ScriptedHarvester;
import dev.harvest.core.testing.TestDatabases;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The web pages at {@code /harvest} through real HTTP, as a browser without JavaScript uses them: a session cookie,
 * forms with their CSRF field, redirects after POST.
 */
class WebPagesTest {

    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

    private WebTestSite site;
    private final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private String cookie;

    @BeforeEach
    void start() throws Exception {
        site = new WebTestSite(TestDatabases.Kind.H2, Map.of());
    }

    @AfterEach
    void stop() {
        site.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(site.base() + path)).GET();
        return send(request);
    }

    private HttpResponse<String> post(String path, Map<String, String> form) throws Exception {
        String body = form.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
        return send(HttpRequest.newBuilder(URI.create(site.base() + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        response.headers().firstValue("Set-Cookie").ifPresent(set -> cookie = set.substring(0, set.indexOf(';')));
        return response;
    }

    private String csrf() throws Exception {
        Matcher matcher = CSRF.matcher(get("/harvest/login").body());
        assertTrue(matcher.find());
        return matcher.group(1);
    }

    private void logIn(String user) throws Exception {
        HttpResponse<String> response = post("/harvest/login", Map.of("_csrf", csrf(), "token", site.tokens.get(user)));
        assertEquals(303, response.statusCode(), response.body());
    }

    private static Map<String, String> form(String... keysAndValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    @Test
    void anonymousVisitorsSeeTheSourceListWithASessionCookieThatIsHttpOnlyAndSameSiteLax() throws Exception {
        HttpResponse<String> response = get("/harvest");

        assertEquals(200, response.statusCode());
        assertTrue(response.body().contains("Source A"), response.body());
        String setCookie = response.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax"), setCookie);
        assertFalse(setCookie.contains("Secure"), "no TLS here");
        assertTrue(response.headers().firstValue("Content-Security-Policy").orElse("").contains("script-src")
                || response.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'none'"));
        assertTrue(get("/harvest?type=other").body().contains("No harvest sources found."));
        assertTrue(get("/harvest?q=a.example").body().contains("Source A"));
        String page = get("/harvest/src-a").body();
        assertTrue(page.contains("Source A"), page);
        assertFalse(page.contains("s3cret"), "secrets in the config are masked for anonymous visitors");
        logIn("admin-a");
        assertTrue(get("/harvest/src-a").body().contains("s3cret"), "an admin of the organization sees them");
    }

    @Test
    void aScriptInATitleOrInARemoteFieldRendersAsText() throws Exception {
        site.harvest.createSource(new SourceRequest("evil", "http://evil.example.org/", ScriptedHarvester.NAME,
                "<script>alert(1)</script>", true, "org-a", null,
                "{\"guids\": [\"<script>alert(2)</script>\"], \"fail_import\": \"<script>alert(2)</script>\"}"));
        String jobId = site.harvest.runTest("evil").job().id();

        String list = get("/harvest").body();
        assertTrue(list.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), list);
        assertFalse(list.contains("<script>"));
        assertFalse(get("/harvest/evil").body().contains("<script>"));

        logIn("editor-a");
        HttpResponse<String> job = get("/harvest/evil/job/" + jobId);
        assertEquals(200, job.statusCode(), job.body());
        assertTrue(job.body().contains("Invalid package with GUID &lt;script&gt;alert(2)&lt;/script&gt;"), job.body());
        assertFalse(job.body().contains("<script>"), job.body());
    }

    @Test
    void aPostWithoutTheCsrfTokenIsRefusedAndChangesNothing() throws Exception {
        logIn("editor-a");

        HttpResponse<String> refused = post("/harvest/src-a/refresh", Map.of());
        assertEquals(403, refused.statusCode());
        assertTrue(refused.body().contains("CSRF"));
        HttpResponse<String> forged = post("/harvest/src-a/refresh", Map.of("_csrf", "forged"));
        assertEquals(403, forged.statusCode());
        assertEquals(0, site.harvest.jobs("src-a").size());

        HttpResponse<String> allowed = post("/harvest/src-a/refresh", Map.of("_csrf", csrf()));
        assertEquals(303, allowed.statusCode());
        assertEquals(1, site.harvest.jobs("src-a").size());
        assertTrue(get("/harvest/src-a").body().contains("Harvest will start shortly"));
    }

    @Test
    void aLoggedInEditorCreatesASourceThroughTheFormFailingValidationOnceAndHarvestsIt() throws Exception {
        assertEquals(403, get("/harvest/new").statusCode(), "anonymous visitors cannot create sources");
        logIn("editor-a");
        String form = get("/harvest/new").body();
        assertTrue(form.contains("<form id=\"source-new\""), form);
        assertTrue(form.contains("value=\"scripted\""), "the installed harvesters are offered");

        HttpResponse<String> invalid = post("/harvest/new", form("_csrf", csrf(), "name", "web-source",
                "title", "From the web", "source_type", "scripted", "owner_org", "org-a", "frequency", "MANUAL",
                "config", "{\"guids\": [\"w1\", \"w2\"]}", "url", ""));
        assertEquals(400, invalid.statusCode());
        assertTrue(invalid.body().contains("<span class=\"field-error\">Missing value</span>"), invalid.body());
        assertTrue(invalid.body().contains("value=\"From the web\""), "what was typed is kept");

        HttpResponse<String> created = post("/harvest/new", form("_csrf", csrf(), "name", "web-source",
                "title", "From the web", "source_type", "scripted", "owner_org", "org-a", "frequency", "MANUAL",
                "config", "{\"guids\": [\"w1\", \"w2\"]}", "url", "http://web.example.org/"));
        assertEquals(303, created.statusCode(), created.body());
        assertEquals("/harvest/web-source", created.headers().firstValue("Location").orElseThrow());

        assertEquals(303, post("/harvest/web-source/refresh", Map.of("_csrf", csrf())).statusCode());
        String jobId = site.harvest.jobs("web-source").get(0).id();
        HttpResponse<String> running = get("/harvest/web-source/job/" + jobId);
        assertTrue(running.body().contains("<meta http-equiv=\"refresh\" content=\"5\">"), running.body());

        // "Harvest now" queued the job; run_test refuses a job just sent to the gather queue (a live worker may hold
        // it), so consume the in-process queue here, as serve's consumers would
        dev.harvest.core.engine.ConsumerRunner gather = site.harvest.engine().consumer(site.harvest.queue(),
                dev.harvest.api.queue.QueueName.GATHER, 1);
        dev.harvest.core.engine.ConsumerRunner fetch = site.harvest.engine().consumer(site.harvest.queue(),
                dev.harvest.api.queue.QueueName.FETCH, 1);
        gather.start();
        fetch.start();
        try {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while (!site.harvest.jobs("web-source").get(0).status().equals("Finished")
                    && System.nanoTime() < deadline) {
                Thread.sleep(50); // the consumers' threads finish the job
            }
        } finally {
            gather.stop();
            fetch.stop();
        }
        assertEquals("Finished", site.harvest.jobs("web-source").get(0).status());
        String last = get("/harvest/web-source/job/last").body();
        assertTrue(last.contains("2 added"), last);
        assertFalse(last.contains("http-equiv=\"refresh\""), "a finished job's page does not refresh");

        HttpResponse<String> edited = post("/harvest/edit/web-source", form("_csrf", csrf(), "title", "Renamed",
                "url", "http://web.example.org/", "frequency", "WEEKLY", "config", "{\"guids\": [\"w1\", \"w2\"]}",
                "notes", "", "owner_org", "org-a"));
        assertEquals(303, edited.statusCode(), edited.body());
        assertEquals("WEEKLY", site.harvest.source("web-source").frequency());
    }

    @Test
    void anEditorOfAnotherOrganizationCannotUseTheButtons() throws Exception {
        logIn("editor-b");
        assertFalse(get("/harvest/src-a").body().contains("Harvest now"));
        HttpResponse<String> refused = post("/harvest/src-a/refresh", Map.of("_csrf", csrf()));
        assertEquals(403, refused.statusCode());
        assertEquals(0, site.harvest.jobs("src-a").size());
        assertEquals(403, get("/harvest/edit/src-a").statusCode());
    }

    @Test
    void aJobsErrorsExportAsCsvAndJsonAndItsObjectsContentIsServed() throws Exception {
        site.harvest.updateSource("src-a", new dev.harvest.core.SourceUpdate(null, null,
                "{\"guids\": [\"x\", \"y\"], \"fail_import\": \"y\"}", null, null, null));
        String jobId = site.harvest.runTest("src-a").job().id();
        logIn("editor-a");

        HttpResponse<String> csv = get("/harvest/src-a/job/" + jobId + "/errors.csv");
        assertEquals(200, csv.statusCode());
        assertTrue(csv.headers().firstValue("Content-Type").orElse("").startsWith("text/csv"));
        assertTrue(csv.body().startsWith("stage,object_id,guid,package_id,line,created,message"), csv.body());
        assertTrue(csv.body().contains("Invalid package with GUID y: title missing"), csv.body());

        JsonNode json = WebTestSite.JSON.readTree(get("/harvest/src-a/job/" + jobId + "/errors.json").body());
        assertEquals(1, json.size());
        assertEquals("y", json.get(0).get("guid").asText());
        String objectId = json.get(0).get("object_id").asText();

        HttpResponse<String> content = get("/harvest/object/" + objectId);
        assertEquals(200, content.statusCode());
        assertEquals("content of y", content.body());

        cookie = null;
        assertEquals(403, get("/harvest/src-a/job/" + jobId + "/errors.csv").statusCode(),
                "anonymous visitors do not see job reports");
    }
}
