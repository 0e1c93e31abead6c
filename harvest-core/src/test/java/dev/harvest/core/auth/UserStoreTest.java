package dev.harvest.core.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.core.Harvest;
import dev.harvest.core.HarvestException;
import dev.harvest.core.SourceRequest;
import dev.harvest.core.action.ActionException;
import dev.harvest.core.action.HarvestActions;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.testing.MutableClock;
import dev.harvest.core.testing.ScriptedHarvester;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Users, memberships and hashed API tokens on H2 and PostgreSQL, and the actions called without HTTP. */
class UserStoreTest {

    private final MutableClock clock = new MutableClock();
    private Harvest harvest;

    @AfterEach
    void close() {
        if (harvest != null) {
            harvest.close();
        }
    }

    private UserStore open(Kind kind) {
        clock.set(java.time.Instant.parse("2026-01-01T10:00:00Z")); // whole seconds: what a timestamp column keeps
        harvest = Harvest.builder(TestDatabases.config(kind, Map.of("harvest.db.pool_size", "2")))
                .discoverHarvesters(false).harvester(new ScriptedHarvester())
                .queue(new InMemoryHarvestQueue("users-test")).clock(clock).build();
        return new UserStore(harvest.stores().database(), clock);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aTokenIsStoredAsItsSha256AuthenticatesItsUserWithMembershipsAndStopsOnceRevoked(Kind kind) throws Exception {
        UserStore users = open(kind);
        User alice = users.addUser("alice", "alice@example.org", false);
        users.setMembership("alice", "org-1", Capacity.EDITOR);
        users.setMembership("alice", "org-1", Capacity.ADMIN);
        NewToken token = users.createToken("alice", "laptop");

        try (Connection connection = harvest.stores().database().dataSource().getConnection();
                ResultSet rows = connection.createStatement().executeQuery("select token_hash from harvest_api_token")) {
            assertTrue(rows.next());
            assertNotEquals(token.secret(), rows.getString(1));
            assertEquals(UserStore.hash(token.secret()), rows.getString(1));
            assertEquals(64, rows.getString(1).length());
        }
        Actor actor = users.authenticate(token.secret()).orElseThrow();
        assertEquals(alice.id(), actor.user().orElseThrow().id());
        assertEquals(Map.of("org-1", Capacity.ADMIN), actor.memberships(), "a later capacity replaces the earlier");
        assertTrue(actor.canEdit("org-1") && actor.canSeeSecrets("org-1"));
        assertFalse(actor.canEdit("org-2") || actor.canEdit(null));
        assertTrue(users.authenticate(token.secret() + "x").isEmpty());

        assertEquals(clock.instant().atZone(java.time.ZoneOffset.UTC).toLocalDateTime(),
                users.tokens("alice").get(0).lastUsed());
        clock.advance(Duration.ofSeconds(30));
        users.authenticate(token.secret());
        assertEquals(clock.instant().minusSeconds(30).atZone(java.time.ZoneOffset.UTC).toLocalDateTime(),
                users.tokens("alice").get(0).lastUsed(), "last use is written at most once a minute");

        assertTrue(users.revokeToken(token.token().id()));
        assertTrue(users.authenticate(token.secret()).isEmpty());
        assertFalse(users.revokeToken(token.token().id()));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aBadOrTakenNameIsRefusedAndRecipientsAreSysadminsThenTheOrganizationsAdminsWithAnEmail(Kind kind) {
        UserStore users = open(kind);
        users.addUser("root", "root@example.org", true);
        users.addUser("nomail", null, true);
        users.addUser("boss", "boss@example.org", false);
        users.addUser("helper", "helper@example.org", false);
        users.setMembership("boss", "org-1", Capacity.ADMIN);
        users.setMembership("helper", "org-1", Capacity.EDITOR);

        assertThrows(HarvestException.class, () -> users.addUser("root", null, false));
        assertThrows(HarvestException.class, () -> users.addUser("Not A Name", null, false));
        assertEquals(List.of("root@example.org", "boss@example.org"), UserRecipients.of(users, "org-1").stream()
                .map(dev.harvest.core.notify.Recipient::email).toList());
        assertEquals(List.of("root@example.org"), UserRecipients.of(users, null).stream()
                .map(dev.harvest.core.notify.Recipient::email).toList());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void anEmbeddingApplicationCallsTheActionsWithoutHttp(Kind kind) throws Exception {
        UserStore users = open(kind);
        String org = harvest.catalog().createGroup(GroupKind.ORGANIZATION,
                new CatalogGroup(Map.of("name", "org-1"))).id();
        harvest.createSource(new SourceRequest("src", "http://src.example.org/", ScriptedHarvester.NAME, "Src", true,
                "org-1", null, "{\"password\": \"p\"}"));
        User editor = users.addUser("editor", null, false);
        users.setMembership("editor", org, Capacity.EDITOR);
        HarvestActions actions = new HarvestActions(harvest, users);

        @SuppressWarnings("unchecked")
        Map<String, Object> shown = (Map<String, Object>) actions.call("harvest_source_show", Map.of("id", "src"),
                Actor.anonymous());
        assertEquals("Src", shown.get("title"));
        assertEquals("********", shown.get("password"));
        assertThrows(ActionException.NotAuthorized.class,
                () -> actions.call("harvest_job_create", Map.of("source_id", "src"), Actor.anonymous()));
        actions.call("harvest_job_create", Map.of("source_id", "src", "run", false), users.actor(editor));
        ActionException.Conflict again = assertThrows(ActionException.Conflict.class,
                () -> actions.call("harvest_job_create", Map.of("source_id", "src"), users.actor(editor)));
        assertEquals(409, again.status());
        assertThrows(ActionException.NotFound.class, () -> actions.call("no_such_action", Map.of(), Actor.anonymous()));
        assertTrue(actions.names().contains("harvest_log_list"));
        assertEquals(27, actions.names().size(), actions.names().toString());
    }
}
