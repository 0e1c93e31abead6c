package dev.harvest.cli;

import static dev.harvest.cli.CliRunner.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.cli.CliRunner.Result;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.core.Harvest;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.testing.ExternalServices;
import dev.harvest.core.testing.TcpProxy;
import dev.harvest.core.testing.TestDatabases;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code harvester user}, {@code token} and {@code serve} as an operator uses them: users and tokens made with the
 * command line, then a {@code serve} process on PostgreSQL that harvests a job created through the API, answers
 * the seed README's {@code curl} line and a client that makes its requests as ckanapi does, and stops on SIGTERM.
 */
class ServeCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path config;
    private Process serve;

    @AfterEach
    void stop() {
        if (serve != null && serve.isAlive()) {
            serve.destroyForcibly();
        }
    }

    private void site() throws IOException {
        String database = SiteConfig.postgres();
        config = dir.resolve("harvest.ini");
        Files.writeString(config, database + "harvest.db.pool_size = 3\nckan.harvest.mq.type = memory\n"
                + "harvest.serve.run_interval_seconds = 1\nckan.harvest.log_scope = 0\n"
                + "ckan.harvest.log_level = info\n");
    }

    private Result harvester(String... args) {
        return CliRunner.onSite(config, dir.resolve("no-plugins"), args);
    }

    private static String lastLine(String text) {
        List<String> lines = text.strip().lines().toList();
        return lines.get(lines.size() - 1);
    }

    @Test
    void usersMembershipsAndTokensAreManagedFromTheCommandLineAndATokenIsShownOnce() throws Exception {
        site();
        try (Harvest harvest = Harvest.builder(HarvestConfig.load(config)).build()) {
            harvest.catalog().createGroup(GroupKind.ORGANIZATION, new CatalogGroup(Map.of("name", "org-a")));
        }
        ok(harvester("user", "add", "alice", "--email", "alice@example.org"));
        assertTrue(ok(harvester("user", "org", "alice", "org-a", "admin")).out().contains("admin of organization org-a"));
        Result created = ok(harvester("token", "create", "alice", "--name", "laptop"));
        String token = lastLine(created.out());
        assertTrue(token.matches("hvt_[A-Za-z0-9_-]{43}"), token);

        String listed = ok(harvester("token", "list", "alice")).out();
        assertTrue(listed.contains("alice") && listed.contains("laptop"), listed);
        assertFalse(listed.contains(token.substring(4)), "a token's text is never listed");
        assertTrue(ok(harvester("user", "list")).out().contains("org-a"));

        Result bad = harvester("user", "org", "alice", "org-a", "owner");
        assertEquals(1, bad.code());
        assertEquals("Error: The capacity is admin, editor or member, not 'owner'", bad.err().strip());
        assertEquals(1, harvester("user", "add", "alice").code(), "a name is taken once");
        assertEquals(1, harvester("user", "org", "alice", "no-such-org", "editor").code());

        String tokenId = listed.lines().filter(line -> line.contains("laptop")).findFirst().orElseThrow().split("\t")[0];
        ok(harvester("token", "revoke", tokenId));
        assertFalse(ok(harvester("token", "list")).out().contains("laptop"));
        assertEquals(1, harvester("token", "revoke", tokenId).code());
    }

    @Test
    void aRunIntervalThatIsNotANumberStopsServeWithOneLineNamingTheKey() throws Exception {
        config = dir.resolve("bad-interval.ini");
        Files.writeString(config, "harvest.db.url = jdbc:h2:mem:serve-" + java.util.UUID.randomUUID()
                + "\nckan.harvest.mq.type = memory\nharvest.serve.run_interval_seconds = soon\n");

        Result result = harvester("serve", "--port", "0");

        assertEquals(1, result.code(), result.out() + result.err());
        assertEquals("Error: harvest.serve.run_interval_seconds must be a number of seconds, not 'soon'",
                result.err().strip().lines().reduce((first, second) -> second).orElse(""));
    }

    @Test
    void serveHarvestsAJobCreatedThroughTheApiAnswersCurlAndACkanClientAndStopsOnSigterm() throws Exception {
        site();
        ok(harvester("user", "add", "root", "--sysadmin", "--email", "root@example.org"));
        String token = lastLine(ok(harvester("token", "create", "root")).out());
        ok(harvester("source", "demo", "http://demo.example.org/", "scripted", "Demo", "true", "", "MANUAL",
                "{\"guids\": [\"a\", \"b\", \"c\"]}"));
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        serve = launch("serve", "--port", Integer.toString(port));
        String base = "http://127.0.0.1:" + port;
        HttpClient client = HttpClient.newHttpClient();
        awaitUp(client, base);

        JsonNode job = call(client, HttpRequest.newBuilder(URI.create(base + "/api/3/action/harvest_job_create"))
                .header("Authorization", token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"source_id\": \"demo\"}")).build());
        String jobId = job.get("result").get("id").asText();
        JsonNode shown = null;
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            shown = call(client, HttpRequest.newBuilder(URI.create(base
                    + "/api/3/action/harvest_job_show?id=" + jobId)).header("Authorization", token).GET().build());
            if (shown.get("result").get("status").asText().equals("Finished")) {
                break;
            }
            Thread.sleep(300);
        }
        assertEquals("Finished", shown.get("result").get("status").asText(), shown.toString());
        assertEquals(3, shown.get("result").get("stats").get("added").asInt());

        if (onPath("curl")) {
            // the seed README: curl {ckan_url}/api/3/action/harvest_log_list?level=info
            String body = run(List.of("curl", "-s", "-H", "Authorization: " + token,
                    base + "/api/3/action/harvest_log_list?level=info"));
            JsonNode log = JSON.readTree(body);
            assertTrue(log.get("success").asBoolean(), body);
            JsonNode sent = null;
            for (JsonNode record : log.get("result")) {
                assertEquals("INFO", record.get("level").asText());
                assertTrue(record.get("created").asText().matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(\\.\\d{6})?"));
                if (record.get("content").asText().equals("Sent job " + jobId + " to the gather queue")) {
                    sent = record;
                }
            }
            assertTrue(sent != null, "the job's 'Sent job ... to the gather queue' record is listed: " + body);
            assertEquals(3, sent.size(), "content, level, created: " + sent);
        }

        assumeTrue(onPath("python3"), "python3 is not installed: the ckanapi-like client is skipped");
        Path script = dir.resolve("ckanapi_like_client.py");
        try (InputStream in = ServeCommandTest.class.getResourceAsStream("/ckanapi_like_client.py")) {
            Files.write(script, in.readAllBytes());
        }
        JsonNode seen = JSON.readTree(lastLine(run(List.of("python3", script.toString(), base, token))));
        assertTrue(seen.get("harvesters").toString().contains("scripted"), seen.toString());
        assertEquals("From Python", seen.get("created").get("title").asText());
        assertEquals(0, seen.get("created").get("status").get("job_count").asInt());
        assertEquals("[\"name\"]", seen.get("validation_error_fields").toString());
        assertEquals("NotAuthorized", seen.get("anonymous_log_list").asText());
        assertEquals("Harvest source not found", seen.get("not_found_message").asText());
        assertTrue(seen.get("job").get("source_id").asBoolean());
        assertEquals("Running", seen.get("job").get("status").asText());
        assertEquals("From Python", seen.get("shown_title").asText());

        serve.destroy(); // SIGTERM
        assertTrue(serve.waitFor(60, TimeUnit.SECONDS), "serve stops on SIGTERM");
        assertEquals(0, serve.exitValue());
        assertTrue(Files.readString(dir.resolve("serve.log")).contains("Stopped serve"));
    }

    @Test
    void serveWaitsForADatabaseThatDropsItsConnectionsDuringStartUpInsteadOfExiting() throws Exception {
        ExternalServices.requirePostgres();
        try (TcpProxy proxy = new TcpProxy(ExternalServices.postgresHost(), ExternalServices.postgresPort())) {
            // past the login, into the schema migration: what a database restarting under serve does
            proxy.cutNext(3, 1500);
            config = dir.resolve("harvest.ini");
            Files.writeString(config, "harvest.db.url = jdbc:postgresql://127.0.0.1:" + proxy.port() + "/"
                    + ExternalServices.postgresJdbcUrl().replaceAll(".*/", "") + "?currentSchema="
                    + TestDatabases.newPostgresSchema() + "\nharvest.db.user = " + ExternalServices.postgresUser()
                    + "\nharvest.db.pool_size = 3\nckan.harvest.mq.type = memory\n");
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            serve = launch("serve", "--port", Integer.toString(port));

            awaitUp(HttpClient.newHttpClient(), "http://127.0.0.1:" + port);

            assertTrue(proxy.cut() >= 1, "connections cut: " + proxy.cut());
            assertTrue(log().contains("Cannot open the harvest database (attempt 1): "), log());
            serve.destroy(); // SIGTERM
            assertTrue(serve.waitFor(60, TimeUnit.SECONDS), "serve stops on SIGTERM");
            assertEquals(0, serve.exitValue());
        }
    }

    private static JsonNode call(HttpClient client, HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    private void awaitUp(HttpClient client, String base) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            assertTrue(serve.isAlive(), () -> "serve ended: " + log());
            try {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(base
                        + "/api/3/action/harvesters_info_show")).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("serve did not answer within 60 s: " + log());
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("serve.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    private Process launch(String... command) throws IOException {
        return HarvesterProcesses.launch(List.of("-Xmx256m"), config, dir.resolve("no-plugins"),
                dir.resolve("serve.log"), command);
    }

    private static boolean onPath(String program) {
        for (String folder : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(folder, program))) {
                return true;
            }
        }
        return false;
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), output);
        return output;
    }
}
