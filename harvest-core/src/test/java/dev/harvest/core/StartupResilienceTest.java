package dev.harvest.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.db.DatabaseUnavailableException;
import dev.harvest.core.engine.StartupRetry;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.testing.ExternalServices;
import dev.harvest.core.testing.TcpProxy;
import dev.harvest.core.testing.TestDatabases;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 13, failure 6: a consumer exited when PostgreSQL dropped its connection during start-up (Liquibase has no
 * retry). The start-up now retries with backoff, one line per retry, through a proxy that cuts the first
 * connections in the middle of the schema migration.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StartupResilienceTest {

    private final List<String> retries = new CopyOnWriteArrayList<>();
    private final List<Duration> waits = new CopyOnWriteArrayList<>();
    private final StartupRetry retry = new StartupRetry(Duration.ofMillis(100), Duration.ofMillis(400),
            delay -> {
                waits.add(delay);
                Thread.sleep(delay.toMillis());
            }, retries::add);

    private static HarvestConfig throughProxy(TcpProxy proxy, String schema) {
        return HarvestConfig.of(Map.of(
                "ckan.harvest.mq.type", "memory",
                "harvest.db.url", "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/"
                        + ExternalServices.postgresJdbcUrl().replaceAll(".*/", "") + "?currentSchema=" + schema,
                "harvest.db.user", ExternalServices.postgresUser(),
                "harvest.db.password", ExternalServices.postgresPassword(),
                "harvest.db.pool_size", "2"));
    }

    private static Harvest open(HarvestConfig config) {
        return Harvest.builder(config).discoverHarvesters(false).queue(new InMemoryHarvestQueue("startup-test"))
                .build();
    }

    @Test
    void aConsumerStartsWhenTheDatabaseDropsItsConnectionsDuringTheSchemaMigration() throws Exception {
        ExternalServices.requirePostgres();
        String schema = TestDatabases.newPostgresSchema();
        try (TcpProxy proxy = new TcpProxy(ExternalServices.postgresHost(), ExternalServices.postgresPort())) {
            // past the login, into the migration's queries
            proxy.cutNext(3, 1500);
            HarvestConfig config = throughProxy(proxy, schema);
            assertThrows(DatabaseUnavailableException.class, () -> open(config),
                    "without a retry the start-up fails, as the consumer did");

            proxy.cutNext(3, 1500);
            try (Harvest harvest = retry.open("the harvest database", () -> open(config),
                    StartupRetry.causedBy(DatabaseUnavailableException.class))) {
                assertEquals(List.of(), harvest.sources(true), "the database is open and migrated");
            }
            assertTrue(proxy.cut() >= 2, "connections cut: " + proxy.cut());
            assertFalse(retries.isEmpty());
            assertTrue(retries.get(0).startsWith("Cannot open the harvest database (attempt 1): "), retries.get(0));
            assertTrue(retries.stream().allMatch(line -> line.lines().count() == 1), "one line per retry");
            assertEquals(Duration.ofMillis(100), waits.get(0), "backoff starts short and doubles");
        }
    }

    @Test
    void aDatabaseThatRefusesTheLoginIsNotRetried() throws Exception {
        ExternalServices.requirePostgres();
        String schema = TestDatabases.newPostgresSchema();
        try (TcpProxy proxy = new TcpProxy(ExternalServices.postgresHost(), ExternalServices.postgresPort())) {
            HarvestConfig config = HarvestConfig.of(Map.of(
                    "ckan.harvest.mq.type", "memory",
                    "harvest.db.url", "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/no_such_database_here"
                            + "?currentSchema=" + schema,
                    "harvest.db.user", ExternalServices.postgresUser(),
                    "harvest.db.password", ExternalServices.postgresPassword(),
                    "harvest.db.pool_size", "1"));

            assertThrows(DatabaseUnavailableException.class, () -> retry.open("the harvest database",
                    () -> open(config), StartupRetry.causedBy(DatabaseUnavailableException.class)));
            assertEquals(List.of(), retries, "an unknown database cannot appear by waiting");
        }
    }
}
