package dev.harvest.core.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.core.config.ConfigException;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.config.HarvestConfig.DatabaseUse;
import dev.harvest.core.config.SettingDeclarations;
import dev.harvest.core.store.Entities;
import dev.harvest.core.testing.ExternalServices;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The connection pool is sized from what the process does, keeps few connections while idle, and names itself. */
class DatabasePoolSizingTest {

    private static HarvestConfig config(Map<String, String> values) {
        Map<String, String> all = new LinkedHashMap<>(values);
        all.putIfAbsent("harvest.db.url", "jdbc:h2:mem:pool-" + java.util.UUID.randomUUID());
        return HarvestConfig.of(all).validated(SettingDeclarations.engine());
    }

    @Test
    void thePoolHoldsAConnectionPerWorkerTheExtraFetchLanesAndTwoForHousekeeping() {
        HarvestConfig defaults = config(Map.of());

        assertEquals(3, defaults.withDatabaseUse(DatabaseUse.oneShot("jobs")).poolSize(), "1 + 0 + 2");
        assertEquals(6, defaults.withDatabaseUse(new DatabaseUse("fetch_consumer", 1, true)).poolSize(),
                "1 worker + (4 - 1) fetch lanes + 2");
        assertEquals(9, defaults.withDatabaseUse(new DatabaseUse("fetch_consumer", 4, true)).poolSize(),
                "4 + 3 + 2");
        assertEquals(3, defaults.withDatabaseUse(new DatabaseUse("gather_consumer", 1, false)).poolSize(),
                "a gather has no fetch lanes");
        assertEquals(7, defaults.withDatabaseUse(new DatabaseUse("run_test", 2, true)).poolSize(),
                "the harvest and its progress reader, 3 fetch lanes, 2");
        assertEquals(9, defaults.poolSize(), "a process that says nothing: harvest.consumer.threads workers, fetching");
        assertEquals(2 + 1 + 2, config(Map.of("harvest.fetch_parallelism", "2"))
                .withDatabaseUse(new DatabaseUse("fetch_consumer", 2, true)).poolSize());
        assertEquals(HarvestConfig.poolSizeFor(8, true, 4), 8 + 3 + 2);
    }

    @Test
    void harvestDbPoolSizeStillOverridesTheSizing() {
        HarvestConfig config = config(Map.of("harvest.db.pool_size", "25"))
                .withDatabaseUse(new DatabaseUse("fetch_consumer", 1, true));
        assertEquals(25, config.poolSize());
    }

    @Test
    void anIdleProcessKeepsOneConnectionUnlessMinIdleSaysOtherwiseAndNeverMoreThanItsPool() {
        assertEquals(1, config(Map.of()).minIdle());
        assertEquals(0, config(Map.of("harvest.db.min_idle", "0")).minIdle());
        assertEquals(3, config(Map.of("harvest.db.min_idle", "5")).withDatabaseUse(DatabaseUse.oneShot("jobs"))
                .minIdle(), "capped at the pool size");
        ConfigException bad = assertThrows(ConfigException.class, () -> config(Map.of("harvest.db.min_idle", "-1")));
        assertTrue(bad.getMessage().contains("harvest.db.min_idle: must be at least 0, not -1"), bad.getMessage());
    }

    @Test
    void theDatabaseUseSurvivesTheConfigurationCheckAndNamesTheConnections() {
        HarvestConfig config = HarvestConfig.of(Map.of("harvest.db.url", "jdbc:h2:mem:x"))
                .withDatabaseUse(new DatabaseUse("fetch_consumer", 2, true))
                .validated(SettingDeclarations.engine());
        assertEquals(7, config.poolSize());
        assertEquals("harvest fetch_consumer " + ProcessHandle.current().pid(), config.applicationName());
        assertEquals("harvest " + ProcessHandle.current().pid(), config(Map.of()).applicationName());
    }

    @Test
    void theHikariPoolGetsTheComputedSizeAndMinimumIdle() {
        HarvestConfig config = config(Map.of()).withDatabaseUse(new DatabaseUse("fetch_consumer", 1, true));
        try (HarvestDatabase database = HarvestDatabase.open(config, Entities.ALL)) {
            assertEquals(6, database.maximumPoolSize());
            assertEquals(1, database.minimumIdle());
        }
    }

    @Test
    void onPostgresqlTheConnectionsCarryTheCommandAndProcessIdAsApplicationName() throws Exception {
        ExternalServices.requirePostgres();
        HarvestConfig config = HarvestConfig.of(Map.of("harvest.db.url",
                        TestDatabases.config(Kind.POSTGRESQL, Map.of()).jdbcUrl(),
                        "harvest.db.user", ExternalServices.postgresUser()))
                .withDatabaseUse(DatabaseUse.oneShot("pool_test"))
                .validated(SettingDeclarations.engine());
        try (HarvestDatabase database = HarvestDatabase.open(config, Entities.ALL);
                Connection connection = database.dataSource().getConnection();
                PreparedStatement select = connection.prepareStatement(
                        "select application_name from pg_stat_activity where pid = pg_backend_pid()");
                ResultSet row = select.executeQuery()) {
            row.next();
            assertEquals("harvest pool_test " + ProcessHandle.current().pid(), row.getString(1));
        }
    }
}
