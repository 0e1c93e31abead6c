package dev.harvest.cli;

import static dev.harvest.cli.CliRunner.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.cli.CliRunner.Result;
import dev.harvest.core.testing.CkanSiteDatabase;
import dev.harvest.core.testing.CkanSiteHistory;
import dev.harvest.core.testing.ExternalServices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code harvester migrate-from-ckan} against a CKAN site's database on PostgreSQL. */
class MigrateCommandTest {

    @TempDir
    Path dir;

    CkanSiteDatabase ckan;
    Path config;

    @BeforeEach
    void aCkanSiteWithHistory() throws Exception {
        ckan = CkanSiteDatabase.create();
        try (CkanSiteHistory history = new CkanSiteHistory(ckan)) {
            history.realistic("http://remote.example.org/", "org-a", java.util.Map.of("ds-1", "ds-1", "ds-2", "ds-2"));
        }
        config = writeConfig("harvest.db.url = jdbc:h2:mem:migrate-" + UUID.randomUUID()
                + "\nckan.harvest.mq.type = memory\n");
    }

    Path writeConfig(String content) throws IOException {
        return SiteConfig.write(dir, "properties", content);
    }

    Result harvester(Path configFile, String... args) {
        return CliRunner.run(List.of("--config", configFile.toString(), "--plugins",
                dir.resolve("no-plugins").toString()), args);
    }

    Result migrate(String... options) {
        List<String> args = new ArrayList<>(List.of("migrate-from-ckan", "--from", ckan.jdbcUrl(), "--user",
                ExternalServices.postgresUser()));
        args.addAll(List.of(options));
        return harvester(config, args.toArray(String[]::new));
    }

    @Test
    void theMigrationPrintsItsCountsPerTableAndASecondRunSaysItCopiedNothing() {
        Result first = migrate();

        ok(first);
        assertTrue(first.out().contains("harvest_source:       3 in CKAN, 3 copied, 0 already in harvest;"
                + " harvest now holds 3"), first.out());
        assertTrue(first.out().contains("harvest_log:          5 in CKAN, 5 copied, 0 already in harvest;"
                + " harvest now holds 5"), first.out());
        assertTrue(first.out().contains("Check: every table's rows in the CKAN database are in the harvest database"),
                first.out());

        Result second = migrate();

        ok(second);
        assertTrue(second.out().contains("harvest_job:          8 in CKAN, 0 copied, 8 already in harvest;"
                + " harvest now holds 8"), second.out());
        assertTrue(second.out().contains("Nothing new to copy: the harvest database already holds every row of the"
                + " CKAN site"), second.out());

        Result sources = harvester(config, "sources", "all");
        ok(sources);
        assertTrue(sources.out().contains("name: portal-a") && sources.out().contains("name: old-portal"),
                sources.out());
    }

    @Test
    void aDryRunPrintsWhatItWouldCopyAndTheHarvestDatabaseStaysEmpty() {
        Result dry = migrate("--dry-run");

        ok(dry);
        assertTrue(dry.out().contains("harvest_object:       "), dry.out());
        assertTrue(dry.out().contains("to copy"), dry.out());
        assertTrue(dry.out().lines().anyMatch(line -> line.matches("Dry run: \\d+ rows would be copied; nothing was"
                + " written")), dry.out());

        Result sources = harvester(config, "sources", "all");
        ok(sources);
        assertTrue(!sources.out().contains("portal-a"), sources.out());
    }

    @Test
    void everyCommandOnTheCkanDatabaseItselfGetsOneLineNamingTheMigration() throws IOException {
        Path onCkan = writeConfig("harvest.db.url = " + ckan.jdbcUrl() + "\nharvest.db.user = "
                + ExternalServices.postgresUser() + "\n");

        Result sources = harvester(onCkan, "sources");

        assertEquals(1, sources.code());
        assertEquals(1, sources.err().lines().count(), sources.err());
        assertTrue(sources.err().startsWith("Error: The harvest database at " + ckan.jdbcUrl()
                + " is a CKAN site's database with ckanext-harvest's tables"), sources.err());
        assertTrue(sources.err().contains("'harvester migrate-from-ckan --from " + ckan.jdbcUrl() + "'"),
                sources.err());
    }

    @Test
    void aPasswordVariableThatIsNotSetIsNamed() {
        Result result = migrate("--password-env", "HARVEST_TEST_UNSET_" + UUID.randomUUID().toString()
                .replace("-", "_"));

        assertEquals(1, result.code());
        assertTrue(result.err().startsWith("Error: --password-env: the environment variable HARVEST_TEST_UNSET_"),
                result.err());
    }

    @Test
    void withACkanIniTheCkanDatabaseDefaultsToItsSqlalchemyUrl() throws IOException {
        Path ini = dir.resolve("production.ini");
        Files.writeString(ini, "[app:main]\nuse = egg:ckan\nsqlalchemy.url = postgresql://"
                + ExternalServices.postgresUser() + "@" + ExternalServices.postgresHost() + ":"
                + ExternalServices.postgresPort() + "/" + ckan.jdbcUrl().replaceFirst("^.*/", "")
                + "\nharvest.db.url = jdbc:h2:mem:ini-" + UUID.randomUUID() + "\nckan.harvest.mq.type = memory\n");

        Result result = harvester(ini, "migrate-from-ckan");

        ok(result);
        assertTrue(result.out().startsWith("Copying from the CKAN database " + ckan.jdbcUrl() + " into"), result.out());
        assertTrue(result.out().contains("harvest_source:       3 in CKAN, 3 copied"), result.out());
    }

    @Test
    void withoutFromOrACkanDatabaseInTheConfigurationTheCommandSaysWhatIsMissing() {
        Result result = harvester(config, "migrate-from-ckan");

        assertEquals(1, result.code());
        assertTrue(result.err().startsWith("Error: --from is missing: give the CKAN database's JDBC URL"),
                result.err());
    }
}
