package dev.harvest.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.core.Harvest;
import dev.harvest.core.SourceRequest;
import dev.harvest.core.auth.Capacity;
import dev.harvest.core.auth.UserStore;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.testing.ScriptedHarvester;
import dev.harvest.core.testing.TestDatabases;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A served site for tests: an engine on a fresh database with the scripted harvester, organizations {@code org-a}
 * and {@code org-b} in the embedded catalog, users with tokens ({@code sysadmin}; {@code admin-a}, {@code editor-a}
 * of org-a; {@code editor-b} of org-b), a source {@code src-a} of org-a, and the HTTP server on a free port.
 */
final class WebTestSite implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    /** The callers of the authorization matrix. */
    enum Caller {
        ANONYMOUS,
        OTHER_ORG_EDITOR,
        ORG_EDITOR,
        SYSADMIN
    }

    final Harvest harvest;
    final UserStore users;
    final HarvestWebServer server;
    final Map<String, String> tokens = new LinkedHashMap<>();
    final String orgA;
    final HarvestSource sourceA;
    private final HttpClient client = HttpClient.newHttpClient();

    WebTestSite(TestDatabases.Kind kind, Map<String, String> settings) throws Exception {
        this(kind, settings, false);
    }

    /**
     * @param discover whether to load the harvesters on the class path too (the CKAN harvester), besides the
     *     scripted one
     */
    WebTestSite(TestDatabases.Kind kind, Map<String, String> settings, boolean discover) throws Exception {
        // the browser test harvests a CKAN served on loopback, which the outbound HTTP policy refuses by default
        Map<String, String> values = new LinkedHashMap<>(Map.of("harvest.db.pool_size", "3",
                "harvest.http.allow_private_addresses", "true"));
        values.putAll(settings);
        harvest = Harvest.builder(TestDatabases.config(kind, values))
                .discoverHarvesters(discover)
                .harvester(new ScriptedHarvester())
                .queue(new InMemoryHarvestQueue("web-test"))
                .build();
        try {
            orgA = harvest.catalog().createGroup(GroupKind.ORGANIZATION,
                    new CatalogGroup(Map.of("name", "org-a", "title", "Organization A"))).id();
            String orgB = harvest.catalog().createGroup(GroupKind.ORGANIZATION,
                    new CatalogGroup(Map.of("name", "org-b", "title", "Organization B"))).id();
            users = new UserStore(harvest.stores().database(), Clock.systemUTC());
            users.addUser("sysadmin", "root@example.org", true);
            users.addUser("admin-a", "admin-a@example.org", false);
            users.addUser("editor-a", null, false);
            users.addUser("editor-b", null, false);
            users.setMembership("admin-a", orgA, Capacity.ADMIN);
            users.setMembership("editor-a", orgA, Capacity.EDITOR);
            users.setMembership("editor-b", orgB, Capacity.EDITOR);
            for (String user : new String[] {"sysadmin", "admin-a", "editor-a", "editor-b"}) {
                tokens.put(user, users.createToken(user, "test").secret());
            }
            sourceA = harvest.createSource(new SourceRequest("src-a", "http://a.example.org/", ScriptedHarvester.NAME,
                    "Source A", true, "org-a", null, "{\"guids\": [\"x\", \"y\"], \"api_key\": \"s3cret\"}"));
            server = HarvestWebServer.start(harvest, users, "127.0.0.1", 0);
        } catch (Exception | Error e) {
            harvest.close();
            throw e;
        }
    }

    String token(Caller caller) {
        return switch (caller) {
            case ANONYMOUS -> null;
            case OTHER_ORG_EDITOR -> tokens.get("editor-b");
            case ORG_EDITOR -> tokens.get("editor-a");
            case SYSADMIN -> tokens.get("sysadmin");
        };
    }

    String base() {
        return "http://127.0.0.1:" + server.port();
    }

    /** A response: its status and its JSON body. */
    record Reply(int status, JsonNode body, HttpResponse<String> raw) {
        JsonNode result() {
            return body.get("result");
        }

        JsonNode error() {
            return body.get("error");
        }
    }

    Reply get(String action, Map<String, String> query, String token) throws IOException, InterruptedException {
        String q = query.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base() + "/api/3/action/" + action
                + (q.isEmpty() ? "" : "?" + q))).GET();
        if (token != null) {
            request.header("Authorization", token);
        }
        return send(request.build());
    }

    Reply post(String action, Map<String, ?> body, String token) throws IOException, InterruptedException {
        return postRaw(action, JSON.writeValueAsString(body), "application/json", token);
    }

    Reply postRaw(String action, String body, String contentType, String token)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base() + "/api/3/action/" + action))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", token);
        }
        return send(request.build());
    }

    Reply send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        JsonNode body = response.body().isBlank() ? JSON.nullNode() : JSON.readTree(response.body());
        return new Reply(response.statusCode(), body, response);
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            harvest.close();
        }
    }
}
