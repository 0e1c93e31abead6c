package dev.harvest.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.web.WebTestSite.Reply;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The action API's envelopes, result shapes and parameters, through real HTTP, on H2 (and PostgreSQL, below). */
class ActionApiTest {

    private WebTestSite site;

    /** @return the database the site runs on */
    TestDatabases.Kind kind() {
        return TestDatabases.Kind.H2;
    }

    @BeforeEach
    void start() throws Exception {
        site = new WebTestSite(kind(), Map.of());
    }

    @AfterEach
    void stop() {
        site.close();
    }

    @Test
    void aSuccessfulCallAnswersCkansEnvelopeWithHelpSuccessAndResult() throws Exception {
        Reply reply = site.get("harvest_source_show", Map.of("id", "src-a"), null);

        assertEquals(200, reply.status());
        assertTrue(reply.raw().headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        assertEquals(site.base() + "/api/3/action/help_show?name=harvest_source_show", reply.body().get("help").asText());
        assertTrue(reply.body().get("success").asBoolean());
        JsonNode source = reply.result();
        assertEquals(site.sourceA.id(), source.get("id").asText());
        assertEquals("src-a", source.get("name").asText());
        assertEquals("harvest", source.get("type").asText());
        assertEquals("scripted", source.get("source_type").asText());
        assertEquals("MANUAL", source.get("frequency").asText());
        assertEquals(site.orgA, source.get("owner_org").asText());
        assertEquals("org-a", source.get("organization").get("name").asText());
        assertEquals("active", source.get("state").asText());
        assertTrue(source.get("active").asBoolean());
        assertEquals(0, source.get("status").get("job_count").asInt());
        assertTrue(source.get("status").get("last_job").isNull());
        assertEquals("x", source.get("guids").get(0).asText(), "config keys are copied to the top level");
    }

    @Test
    void theApiWithoutVersionAnswersTheSame() throws Exception {
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(site.base()
                + "/api/action/harvesters_info_show")).GET().build();
        Reply reply = site.send(request);

        assertEquals(200, reply.status());
        assertEquals("scripted", reply.result().get(0).get("name").asText());
        assertTrue(reply.result().get(0).get("show_config").asBoolean());
    }

    @Test
    void secretsInTheConfigAreMaskedForAllButSysadminsAndAdminsOfTheOrganization() throws Exception {
        for (String caller : new String[] {null, "editor-a", "editor-b"}) {
            JsonNode source = site.get("harvest_source_show", Map.of("id", "src-a"),
                    caller == null ? null : site.tokens.get(caller)).result();
            assertFalse(source.get("config").asText().contains("s3cret"), caller + " sees " + source);
            assertEquals("********", source.get("api_key").asText());
        }
        for (String caller : new String[] {"admin-a", "sysadmin"}) {
            JsonNode source = site.get("harvest_source_show", Map.of("id", "src-a"), site.tokens.get(caller)).result();
            assertEquals("s3cret", source.get("api_key").asText(), caller);
            assertTrue(source.get("config").asText().contains("s3cret"));
        }
        JsonNode listed = site.get("harvest_source_list", Map.of(), null).result();
        assertFalse(listed.toString().contains("s3cret"), listed.toString());
    }

    @Test
    void anUnknownSourceIsANotFoundErrorWith404() throws Exception {
        Reply reply = site.get("harvest_source_show", Map.of("id", "nope"), null);

        assertEquals(404, reply.status());
        assertFalse(reply.body().get("success").asBoolean());
        assertEquals("Not Found Error", reply.error().get("__type").asText());
        assertEquals("Harvest source not found", reply.error().get("message").asText());
    }

    @Test
    void anInvalidSourceIsAValidationErrorNamingEachFieldAsCkanDoes() throws Exception {
        Reply reply = site.post("harvest_source_create", Map.of("owner_org", "org-a"), site.tokens.get("editor-a"));

        assertEquals(409, reply.status());
        JsonNode error = reply.error();
        assertEquals("Validation Error", error.get("__type").asText());
        for (String field : List.of("name", "url", "source_type")) {
            assertEquals("Missing value", error.get(field).get(0).asText(), error.toString());
        }

        Reply frequency = site.post("harvest_source_create", Map.of("name", "s2", "url", "http://s2.example.org",
                "source_type", "scripted", "frequency", "ANNUALLY", "owner_org", "org-a"), site.tokens.get("editor-a"));
        assertTrue(frequency.error().get("frequency").get(0).asText().contains("ANNUALLY"), frequency.body().toString());

        Reply config = site.post("harvest_source_create", Map.of("name", "s3", "url", "http://s3.example.org",
                "source_type", "scripted", "config", "not_json", "owner_org", "org-a"), site.tokens.get("editor-a"));
        assertTrue(config.error().get("config").get(0).asText()
                .startsWith("Error parsing the configuration options"), config.body().toString());

        Reply duplicate = site.post("harvest_source_create", Map.of("name", "s4", "url", "http://a.example.org",
                "source_type", "scripted", "config", "{\"guids\": [\"x\", \"y\"], \"api_key\": \"s3cret\"}",
                "owner_org", "org-a"), site.tokens.get("editor-a"));
        assertTrue(duplicate.error().get("url").get(0).asText()
                .contains("There already is a Harvest Source for this URL"), duplicate.body().toString());
    }

    @Test
    void aCreatedSourceEchoesItsFieldsAndAnUpdateAndAPatchChangeThem() throws Exception {
        String editor = site.tokens.get("editor-a");
        JsonNode created = site.post("harvest_source_create", Map.of("name", "test-source-action",
                "url", "http://test.action.com", "title", "Test source action", "notes", "Test source action desc",
                "source_type", "scripted", "frequency", "MANUAL", "config", "{\"guids\": [\"a\", \"b\"]}",
                "owner_org", "org-a"), editor).result();
        assertEquals("test-source-action", created.get("name").asText());
        assertEquals("http://test.action.com", created.get("url").asText());
        assertEquals("Test source action", created.get("title").asText());
        assertEquals("Test source action desc", created.get("notes").asText());
        assertEquals("{\"guids\": [\"a\", \"b\"]}", created.get("config").asText());

        JsonNode updated = site.post("harvest_source_update", Map.of("id", created.get("id").asText(),
                "name", "test-source-action", "url", "http://test.action.com/v2", "source_type", "scripted",
                "frequency", "monthly"), editor).result();
        assertEquals("http://test.action.com/v2", updated.get("url").asText());
        assertEquals("MONTHLY", updated.get("frequency").asText());
        assertEquals("", updated.get("config").asText(), "an update replaces the whole source");
        assertEquals("", updated.get("notes").asText());

        JsonNode patched = site.post("harvest_source_patch", Map.of("id", "test-source-action",
                "title", "Patched"), editor).result();
        assertEquals("Patched", patched.get("title").asText());
        assertEquals("MONTHLY", patched.get("frequency").asText(), "a patch keeps what it is not given");

        Reply rename = site.post("harvest_source_patch", Map.of("id", "test-source-action", "name", "other"), editor);
        assertEquals(409, rename.status());
        assertTrue(rename.error().has("name"));
    }

    @Test
    void aJobCreatedThroughTheApiHasCkansJobDictAndASecondIsAConflict() throws Exception {
        String editor = site.tokens.get("editor-a");
        JsonNode job = site.post("harvest_job_create", Map.of("source_id", site.sourceA.id()), editor).result();

        assertEquals(site.sourceA.id(), job.get("source_id").asText());
        assertEquals("Running", job.get("status").asText());
        assertTrue(job.get("gather_started").isNull());
        for (String key : List.of("added", "updated", "not modified", "errored", "deleted")) {
            assertEquals(0, job.get("stats").get(key).asInt(), key);
        }
        assertTrue(job.get("created").asText().matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(\\.\\d{6})?"),
                job.get("created").asText());

        Reply again = site.post("harvest_job_create", Map.of("source_id", site.sourceA.id()), editor);
        assertEquals(409, again.status());
        assertEquals("There already is an unrun job for this source", again.error().get("message").asText());

        Reply missing = site.post("harvest_job_create", Map.of("source_id", "nope"), editor);
        assertEquals(404, missing.status());
        assertEquals("Harvest source nope does not exist", missing.error().get("message").asText());
    }

    @Test
    void aFinishedJobsShowReportListAndStatusCarryItsStatistics() throws Exception {
        String jobId = site.harvest.runTest("src-a").job().id();
        String editor = site.tokens.get("editor-a");

        JsonNode job = site.get("harvest_job_show", Map.of("id", jobId), editor).result();
        assertEquals("Finished", job.get("status").asText());
        assertEquals(2, job.get("stats").get("added").asInt());
        assertTrue(job.has("object_error_summary"));

        JsonNode list = site.get("harvest_job_list", Map.of("source_id", "src-a"), editor).result();
        assertEquals(1, list.size());
        assertEquals(2, list.get(0).get("stats").get("added").asInt());
        assertFalse(list.get(0).has("object_error_summary"), "job_list leaves the error summaries out");

        JsonNode report = site.get("harvest_job_report", Map.of("id", jobId), editor).result();
        assertEquals(0, report.get("gather_errors").size());
        assertEquals(0, report.get("object_errors").size());

        JsonNode status = site.get("harvest_source_show_status", Map.of("id", site.sourceA.id()), null).result();
        assertEquals(1, status.get("job_count").asInt());
        assertEquals(2, status.get("total_datasets").asInt());
        assertEquals(jobId, status.get("last_job").get("id").asText());

        JsonNode object = site.get("harvest_object_show", Map.of("id", "y", "attr", "guid"), null).result();
        assertEquals("y", object.get("guid").asText());
        assertEquals(jobId, object.get("job").asText());
        assertEquals(site.sourceA.id(), object.get("source").asText());
        assertTrue(object.get("current").asBoolean());
        assertNotNull(object.get("package").asText());
        assertTrue(object.get("errors").isArray());
        assertTrue(object.get("extras").isObject());

        JsonNode byDataset = site.get("harvest_object_show", Map.of("dataset_id", object.get("package").asText()),
                null).result();
        assertEquals(object.get("id"), byDataset.get("id"));

        JsonNode ids = site.get("harvest_object_list", Map.of("source_id", "src-a"), editor).result();
        assertEquals(2, ids.size());
        assertTrue(ids.toString().contains(object.get("id").asText()));

        Reply neither = site.get("harvest_object_show", Map.of(), null);
        assertEquals(409, neither.status());
        assertEquals("Please provide either an \"id\" or a \"dataset_id\" parameter",
                neither.error().get("id").get(0).asText());
    }

    @Test
    void harvestLogListFiltersByLevelInAnyCaseAndPagesWithLimitPerPageAndOffsetNewestFirst() throws Exception {
        LocalDateTime start = LocalDateTime.of(2016, 6, 3, 10, 59, 40, 951_548_000);
        List<String[]> rows = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            rows.add(new String[] {"Sent job " + i + " to the gather queue", i == 2 ? "DEBUG" : "INFO"});
        }
        try (Connection connection = site.harvest.stores().database().dataSource().getConnection();
                PreparedStatement insert = connection.prepareStatement(
                        "insert into harvest_log (id, content, level, created) values (?, ?, ?, ?)")) {
            for (int i = 0; i < rows.size(); i++) {
                insert.setString(1, UUID.randomUUID().toString());
                insert.setString(2, rows.get(i)[0]);
                insert.setString(3, rows.get(i)[1]);
                insert.setTimestamp(4, Timestamp.valueOf(start.plusSeconds(i)));
                insert.executeUpdate();
            }
            if (!connection.getAutoCommit()) {
                connection.commit();
            }
        }
        String sysadmin = site.tokens.get("sysadmin");

        JsonNode info = site.get("harvest_log_list", Map.of("level", "info"), sysadmin).result();
        assertEquals(4, info.size());
        assertEquals("Sent job 4 to the gather queue", info.get(0).get("content").asText());
        assertEquals("INFO", info.get(0).get("level").asText());
        assertEquals("2016-06-03 10:59:44.951548", info.get(0).get("created").asText());
        assertEquals(List.of("content", "level", "created"), fieldNames(info.get(0)), "the id is left out");

        assertEquals(5, site.get("harvest_log_list", Map.of(), sysadmin).result().size());
        JsonNode page = site.get("harvest_log_list", Map.of("limit", "2", "offset", "1"), sysadmin).result();
        assertEquals(List.of("Sent job 3 to the gather queue", "Sent job 2 to the gather queue"),
                List.of(page.get(0).get("content").asText(), page.get(1).get("content").asText()));
        assertEquals(1, site.get("harvest_log_list", Map.of("limit", "2", "per_page", "1"), sysadmin).result().size(),
                "per_page overrides limit");
        assertEquals(5, site.get("harvest_log_list", Map.of("limit", "many"), sysadmin).result().size(),
                "a limit that is not a number reads as 100");
        assertEquals(1, site.get("harvest_log_list", Map.of("level", "Debug"), sysadmin).result().size());
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void requestsThatAreNoActionCallAreBadRequestsWith400() throws Exception {
        Reply unknown = site.get("package_show", Map.of(), null);
        assertEquals(400, unknown.status());
        assertEquals("Bad request - Action name not known: package_show", unknown.error().get("message").asText());

        Reply getOnWrite = site.get("harvest_job_create", Map.of("source_id", "src-a"), site.tokens.get("sysadmin"));
        assertEquals(400, getOnWrite.status());
        assertTrue(getOnWrite.error().get("message").asText().contains("Please use POST"));
        assertEquals(0, site.harvest.jobs("src-a").size(), "a GET changes nothing");

        Reply badJson = site.postRaw("harvest_job_create", "{not json", "application/json", null);
        assertEquals(400, badJson.status());
        assertTrue(badJson.error().get("message").asText().startsWith("Bad request - JSON Error"));

        Reply notAnObject = site.postRaw("harvest_job_create", "[1, 2]", "application/json", null);
        assertEquals(400, notAnObject.status());
    }

    @Test
    void aFormPostIsReadAsCkanReadsForm() throws Exception {
        Reply reply = site.postRaw("harvest_job_create", "source_id=" + site.sourceA.id() + "&run=false",
                "application/x-www-form-urlencoded", site.tokens.get("editor-a"));

        assertEquals(200, reply.status(), reply.body().toString());
        assertEquals("New", reply.result().get("status").asText());
    }

    @Test
    void aJsonBodySentAsAFormAsCurlDashDDoesIsReadAsJson() throws Exception {
        Reply reply = site.postRaw("harvest_job_create", "{\"source_id\": \"src-a\", \"run\": false}",
                "application/x-www-form-urlencoded", site.tokens.get("editor-a"));

        assertEquals(200, reply.status(), reply.body().toString());
        assertEquals("New", reply.result().get("status").asText());
    }

    @Test
    void aTokenThatMatchesNoUserIsRefusedAndARevokedOneStopsWorking() throws Exception {
        Reply wrong = site.get("harvest_log_list", Map.of(), "hvt_not-a-token");
        assertEquals(403, wrong.status());

        var created = site.users.createToken("sysadmin", "to revoke");
        assertEquals(200, site.get("harvest_log_list", Map.of(), "Bearer " + created.secret()).status());
        assertTrue(site.users.revokeToken(created.token().id()));
        assertEquals(403, site.get("harvest_log_list", Map.of(), created.secret()).status());
    }

    @Test
    void everyResponseCarriesTheSecurityHeaders() throws Exception {
        Reply reply = site.get("harvest_source_show", Map.of("id", "nope"), null);

        var headers = reply.raw().headers();
        assertTrue(headers.firstValue("Content-Security-Policy").orElse("").contains("default-src 'none'"));
        assertEquals("nosniff", headers.firstValue("X-Content-Type-Options").orElse(""));
        assertEquals("DENY", headers.firstValue("X-Frame-Options").orElse(""));
    }

    @Test
    void notificationRecipientsAreTheSysadminsThenTheOrganizationsAdminsWithAnEmail() throws Exception {
        JsonNode recipients = site.post("harvest_get_notifications_recipients",
                Map.of("source_id", site.sourceA.id()), site.tokens.get("sysadmin")).result();

        assertEquals(2, recipients.size(), recipients.toString());
        assertEquals("sysadmin", recipients.get(0).get("name").asText());
        assertEquals("root@example.org", recipients.get(0).get("email").asText());
        assertEquals("admin-a@example.org", recipients.get(1).get("email").asText());
    }

    @Test
    void abortFailedJobsAnswersTheOriginalsMessages() throws Exception {
        String sysadmin = site.tokens.get("sysadmin");
        assertEquals("There is no jobs to abort",
                site.post("harvest_abort_failed_jobs", Map.of("life_span", 3), sysadmin).result().asText());
        Reply missing = site.post("harvest_abort_failed_jobs", Map.of(), sysadmin);
        assertEquals(409, missing.status());
        assertEquals("Missing value", missing.error().get("life_span").get(0).asText());
    }
}
