package dev.harvest.core.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.store.Entities;
import dev.harvest.core.testing.CkanSiteDatabase;
import dev.harvest.core.testing.ExternalServices;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.sql.Connection;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A CKAN site's database given as the harvest database gets one line naming the migration, before Liquibase runs. */
class CkanDatabaseRecognitionTest {

    static HarvestConfig pointingAt(CkanSiteDatabase site) {
        return HarvestConfig.of(Map.of("ckan.harvest.mq.type", "memory", "harvest.db.url", site.jdbcUrl(),
                "harvest.db.user", ExternalServices.postgresUser(), "harvest.db.password",
                ExternalServices.postgresPassword(), "harvest.db.pool_size", "2"));
    }

    @Test
    void openingACkanSiteDatabaseFailsWithOneLineNamingTheMigrateCommandAndLeavesItUntouched() throws Exception {
        CkanSiteDatabase site = CkanSiteDatabase.create();

        CkanDatabaseException refused = assertThrows(CkanDatabaseException.class,
                () -> HarvestDatabase.open(pointingAt(site), Entities.ALL));

        String message = refused.getMessage();
        assertEquals(1, message.lines().count(), message);
        assertTrue(message.contains("a CKAN site's database with ckanext-harvest's tables"), message);
        assertTrue(message.contains("'harvester migrate-from-ckan --from " + site.jdbcUrl() + "'"), message);
        try (Connection connection = site.connect()) {
            assertFalse(CkanTables.tableNames(connection).contains("databasechangelog"),
                    "Liquibase never ran on the site's database");
        }
    }

    @Test
    void initdbOnACkanSiteDatabaseIsRefusedTheSameWay() {
        CkanSiteDatabase site = CkanSiteDatabase.create();

        assertThrows(CkanDatabaseException.class, () -> HarvestDatabase.initialise(pointingAt(site)));
    }

    @Test
    void aHarvestDatabaseThatLiquibaseCreatedOpensAgain() {
        HarvestConfig config = TestDatabases.config(Kind.POSTGRESQL, Map.of("harvest.db.pool_size", "2"));
        HarvestDatabase.initialise(config);

        try (HarvestDatabase database = HarvestDatabase.open(config, Entities.ALL)) {
            assertTrue(database.isPostgres());
        }
    }
}
