package dev.harvest.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.core.testing.ExternalServices;
import dev.harvest.core.testing.TestDatabases;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An existing CKAN client library against the action API: the Open Knowledge Foundation's {@code ckan.js} (npm
 * {@code ckan} 0.2.3, {@code new CKAN.Client(endpoint, apiKey).action(name, data, callback)}), run by Node.js. It
 * POSTs each action as a JSON body to {@code {endpoint}/3/action/{name}} and sends its key in
 * {@code X-CKAN-API-KEY}, as CKAN 2.x's clients did; its callback gets the whole envelope, or an error naming the
 * HTTP status and the envelope.
 * {@code .ci/run} installs it under {@code .ci/ckanjs}; without Node.js or the library the test is skipped, or fails
 * under {@code HARVEST_IT_REQUIRED=true}.
 */
class CkanJsClientTest {

    /** Where .ci/run installs the library (npm install --prefix .ci/ckanjs ckan@0.2.3). */
    private static final Path LIBRARY = Path.of("..", ".ci", "ckanjs", "node_modules", "ckan");

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private WebTestSite site;

    @AfterEach
    void stop() {
        if (site != null) {
            site.close();
        }
    }

    private static void requireClient() {
        String reason = null;
        if (!Files.isDirectory(LIBRARY)) {
            reason = "ckan.js is not installed at " + LIBRARY.toAbsolutePath().normalize()
                    + ": npm install --prefix .ci/ckanjs ckan@0.2.3, as .ci/run does";
        } else if (!onPath("node")) {
            reason = "Node.js is not installed (node): the ckan.js client cannot run";
        }
        if (reason != null) {
            if (ExternalServices.required()) {
                throw new AssertionError(reason + " (HARVEST_IT_REQUIRED=true)");
            }
            Assumptions.abort(reason);
        }
    }

    private static boolean onPath(String command) {
        for (String folder : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(folder, command))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs one action through ckan.js and returns what its callback got: {@code {"err": ..., "body": ...}}, the body
     * being CKAN's envelope.
     */
    private JsonNode action(String name, Map<String, Object> data, String apiKey) throws Exception {
        Path script = dir.resolve("call.js");
        Files.writeString(script, """
                const CKAN = require(process.env.CKANJS);
                const client = new CKAN.Client(process.env.ENDPOINT, process.env.API_KEY || undefined);
                client.action(process.env.ACTION, JSON.parse(process.env.DATA), (err, result) => {
                  process.stdout.write(JSON.stringify({err: err ? String(err.message || err) : null,
                      body: result === undefined ? null : result}));
                });
                """);
        Path errors = dir.resolve("node-stderr.txt");
        ProcessBuilder node = new ProcessBuilder("node", script.toString())
                .redirectError(ProcessBuilder.Redirect.to(errors.toFile()));
        node.environment().put("CKANJS", LIBRARY.toAbsolutePath().normalize().toString());
        node.environment().put("ENDPOINT", site.base() + "/api");
        node.environment().put("ACTION", name);
        node.environment().put("DATA", JSON.writeValueAsString(data));
        if (apiKey != null) {
            node.environment().put("API_KEY", apiKey);
        }
        Process process = node.start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "node did not finish");
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), () -> out + "\n" + read(errors));
        return JSON.readTree(out);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "(" + e.getMessage() + ")";
        }
    }

    @Test
    void ckanJsCreatesShowsAndListsSourcesAndReadsTheLogWithTheSysadminsKey() throws Exception {
        requireClient();
        site = new WebTestSite(TestDatabases.Kind.H2, Map.of());
        String sysadmin = site.tokens.get("sysadmin");

        JsonNode created = action("harvest_source_create", Map.of("name", "from-ckanjs", "url",
                "http://ckanjs.example.org/", "source_type", "scripted", "title", "Made by ckan.js", "frequency",
                "WEEKLY", "owner_org", "org-a", "config", "{\"guids\": [\"a\"]}"), sysadmin);
        assertTrue(created.get("err").isNull(), created.toString());
        assertEquals("from-ckanjs", created.get("body").get("result").get("name").asText());

        JsonNode shown = action("harvest_source_show", Map.of("id", "from-ckanjs"), null);
        assertTrue(shown.get("err").isNull(), shown.toString());
        assertEquals("Made by ckan.js", shown.get("body").get("result").get("title").asText());
        assertEquals("WEEKLY", shown.get("body").get("result").get("frequency").asText());
        assertEquals("scripted", shown.get("body").get("result").get("source_type").asText());

        JsonNode listed = action("harvest_source_list", Map.of(), null);
        List<String> names = listed.get("body").get("result").findValuesAsText("name");
        assertTrue(names.contains("from-ckanjs") && names.contains("src-a"), listed.toString());

        JsonNode job = action("harvest_job_create", Map.of("source_id", "from-ckanjs"), site.tokens.get("editor-a"));
        assertTrue(job.get("err").isNull(), job.toString());
        assertEquals("Running", job.get("body").get("result").get("status").asText(), "run defaults to true");

        JsonNode log = action("harvest_log_list", Map.of("level", "info", "limit", 5), sysadmin);
        assertTrue(log.get("err").isNull(), log.toString());
        assertTrue(log.get("body").get("success").asBoolean(), log.toString());
        assertTrue(log.get("body").get("result").isArray(), log.toString());
    }

    @Test
    void ckanJsGetsTheErrorOfAnActionItsKeyMayNotCall() throws Exception {
        requireClient();
        site = new WebTestSite(TestDatabases.Kind.H2, Map.of());

        JsonNode refused = action("harvest_log_list", Map.of("level", "info"), site.tokens.get("editor-a"));

        assertTrue(refused.get("err").asText().startsWith("CKANJS API Error. HTTP code 403."), refused.toString());
        assertEquals("Authorization Error", refused.get("body").get("error").get("__type").asText(),
                refused.toString());
        assertTrue(!refused.get("body").get("success").asBoolean());
    }
}
