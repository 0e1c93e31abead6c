package dev.harvest.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.harvest.core.testing.TestDatabases;
import dev.harvest.web.WebTestSite.Caller;
import dev.harvest.web.WebTestSite.Reply;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every action of spec §5 through real HTTP, called in turn by an anonymous caller, an editor of another
 * organization, an editor of the source's organization and a sysadmin, each on a fresh site: the status each gets
 * is spec §5.1's rule (a denied caller changes nothing, so the later callers meet the same state; a later 409 is the
 * state an earlier allowed call left).
 */
class ActionAuthorizationTest {

    /**
     * @param action the action
     * @param post whether it is called with POST (GET otherwise)
     * @param params its parameters, after any setup on the site
     * @param expected the statuses of anonymous, other organization's editor, organization editor, sysadmin
     */
    record Case(String action, boolean post, Function<WebTestSite, Map<String, Object>> params, List<Integer> expected) {
        @Override
        public String toString() {
            return action + " " + expected;
        }
    }

    private static Case get(String action, Function<WebTestSite, Map<String, Object>> params, Integer... expected) {
        return new Case(action, false, params, List.of(expected));
    }

    private static Case post(String action, Function<WebTestSite, Map<String, Object>> params, Integer... expected) {
        return new Case(action, true, params, List.of(expected));
    }

    private static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    private static String finishedJob(WebTestSite site) {
        return site.harvest.runTest("src-a").job().id();
    }

    private static String newJob(WebTestSite site) {
        return site.harvest.createJob("src-a", false).id();
    }

    static Stream<Case> cases() {
        Function<WebTestSite, Map<String, Object>> source = site -> map("id", site.sourceA.id());
        Function<WebTestSite, Map<String, Object>> none = site -> map();
        return Stream.of(
                get("harvest_source_show", source, 200, 200, 200, 200),
                get("harvest_source_show_status", source, 200, 200, 200, 200),
                get("harvest_source_list", none, 200, 200, 200, 200),
                // the sysadmin's try reuses the name the editor just took
                post("harvest_source_create", site -> map("name", "new-source", "url", "http://new.example.org/",
                        "source_type", "scripted", "owner_org", "org-a"), 403, 403, 200, 409),
                post("harvest_source_update", site -> map("id", site.sourceA.id(), "name", "src-a",
                        "url", "http://a.example.org/changed", "source_type", "scripted", "config", "{}"),
                        403, 403, 200, 200),
                post("harvest_source_patch", site -> map("id", "src-a", "title", "Patched"), 403, 403, 200, 200),
                post("harvest_source_delete", source, 403, 403, 200, 200),
                post("harvest_source_clear", source, 403, 403, 200, 200),
                post("harvest_source_job_history_clear", source, 403, 403, 200, 200),
                post("harvest_sources_job_history_clear", none, 403, 403, 403, 200),
                get("harvest_source_reindex", source, 403, 403, 200, 200),
                get("harvest_sources_reindex", none, 403, 403, 403, 200),
                // the sysadmin meets the job the editor created: "There already is an unrun job for this source"
                post("harvest_job_create", site -> map("source_id", site.sourceA.id()), 403, 403, 200, 409),
                post("harvest_job_create_all", none, 403, 403, 403, 200),
                get("harvest_job_show", site -> map("id", finishedJob(site)), 403, 403, 200, 200),
                get("harvest_job_report", site -> map("id", finishedJob(site)), 403, 403, 200, 200),
                get("harvest_job_list", site -> map("source_id", site.sourceA.id()), 403, 403, 200, 200),
                post("harvest_job_abort", site -> map("id", newJob(site)), 403, 403, 403, 200),
                post("harvest_jobs_run", none, 403, 403, 403, 200),
                // the job is Running once the editor sent it
                post("harvest_send_job_to_gather_queue", site -> map("id", newJob(site)), 403, 403, 200, 409),
                post("harvest_abort_failed_jobs", site -> map("life_span", 3), 403, 403, 403, 200),
                get("harvest_object_show", site -> {
                    finishedJob(site);
                    return map("id", "x", "attr", "guid");
                }, 200, 200, 200, 200),
                get("harvest_object_list", site -> map("source_id", site.sourceA.id()), 403, 200, 200, 200),
                post("harvest_objects_import", source.andThen(m -> map("source_id", m.get("id"))),
                        403, 403, 403, 200),
                get("harvesters_info_show", none, 200, 200, 200, 200),
                post("harvest_get_notifications_recipients", site -> map("source_id", site.sourceA.id()),
                        403, 403, 403, 200),
                get("harvest_log_list", none, 403, 403, 403, 200));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachCallerGetsTheStatusOfSpec51sRule(Case testCase) throws Exception {
        try (WebTestSite site = new WebTestSite(TestDatabases.Kind.H2, Map.of())) {
            Map<String, Object> params = testCase.params().apply(site);
            List<Integer> statuses = new ArrayList<>();
            List<String> errors = new ArrayList<>();
            for (Caller caller : Caller.values()) {
                Reply reply;
                if (testCase.post()) {
                    reply = site.post(testCase.action(), params, site.token(caller));
                } else {
                    Map<String, String> query = new LinkedHashMap<>();
                    params.forEach((key, value) -> query.put(key, String.valueOf(value)));
                    reply = site.get(testCase.action(), query, site.token(caller));
                }
                statuses.add(reply.status());
                errors.add(caller + ": " + reply.body());
                assertEquals(reply.status() == 200, reply.body().get("success").asBoolean(), reply.body().toString());
                if (reply.status() == 403) {
                    assertEquals("Authorization Error", reply.error().get("__type").asText());
                }
            }
            assertEquals(testCase.expected(), statuses, String.join("\n", errors));
        }
    }
}
