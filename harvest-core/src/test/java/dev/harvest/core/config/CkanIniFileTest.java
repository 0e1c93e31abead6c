package dev.harvest.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A CKAN site's production.ini given with -c: harvest reads its [app:main] keys as CKAN would. */
class CkanIniFileTest {

    @TempDir
    Path dir;

    Path productionIni() throws IOException {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("ckan-ini/production.ini")) {
            Path file = dir.resolve("production.ini");
            Files.write(file, in.readAllBytes());
            return file;
        }
    }

    @Test
    void aCkanProductionIniGivesTheHarvestKeysWithHereInterpolatedAndLeavesCkansOwnOut() throws IOException {
        Path file = productionIni();

        HarvestConfig config = HarvestConfig.load(file).validated(SettingDeclarations.engine());

        assertEquals("example-portal", config.siteId());
        assertEquals("https://data.example.org", config.get("ckan.site_url").orElseThrow());
        assertEquals("Example Data Portal", config.get("ckan.site_title").orElseThrow());
        assertEquals("jdbc:postgresql://db.example.org:5433/ckan_default?sslmode=disable", config.jdbcUrl());
        assertEquals("ckan_default", config.dbUser());
        assertEquals("s3cr%et", config.dbPassword(), "%% is a literal percent sign, and the URL decodes %25");
        assertEquals("1440", config.get("ckan.harvest.timeout").orElseThrow());
        assertEquals("random-hex", config.get("ckanext.harvest.default_dataset_name_append").orElseThrow());
        assertEquals("smtp.example.org:587", config.get("smtp.server").orElseThrow());
        assertEquals("redis", config.queueType());
        assertFalse(config.isSet("beaker.session.secret"));
        assertFalse(config.isSet("use"));
        assertFalse(config.isSet("debug"), "[DEFAULT]'s keys are CKAN's too");
    }

    @Test
    void ckanHarvestKeysThatNobodyDeclaresAreDroppedAndListedInsteadOfRefused() throws IOException {
        Path file = productionIni();

        HarvestConfig config = HarvestConfig.load(file).validated(SettingDeclarations.engine());

        // the queue's keys are the redis backend's, not loaded here; stale_check and storage_path nobody reads
        assertEquals(Set.of("ckan.harvest.mq.stale_check", "ckan.harvest.storage_path", "ckan.redis.url"),
                config.ignoredKeys());
        assertFalse(config.isSet("ckan.harvest.storage_path"));
    }

    @Test
    void aKeyOfThePluginsIsKeptWhenThePluginDeclaresIt() throws IOException {
        Path file = productionIni();
        SettingDeclarations declared = SettingDeclarations.engine().add("harvest-queue-redis",
                java.util.List.of(dev.harvest.api.SettingDefinition.of("ckan.redis.url", null, "Redis URL"),
                        dev.harvest.api.SettingDefinition.of("ckan.harvest.mq.type", null, "queue")));

        HarvestConfig config = HarvestConfig.load(file).validated(declared);

        assertEquals("redis://redis.example.org:6379/1", config.get("ckan.redis.url").orElseThrow());
        assertFalse(config.ignoredKeys().contains("ckan.redis.url"));
    }

    @Test
    void hereIsTheFilesFolderAndDefaultValuesReachTheAppSection() {
        Path file = dir.resolve("site.ini");
        String ini = "[DEFAULT]\nstore = %(here)s/data\n\n[app:main]\nharvest.data_dir = %(store)s/harvest\n"
                + "ckan.harvest.log_timeframe =\n    10\n";

        HarvestConfig config = HarvestConfig.fromCkanIni(file, ini).validated(SettingDeclarations.engine());

        assertEquals(dir.toAbsolutePath() + "/data/harvest", config.get("harvest.data_dir").orElseThrow());
        assertEquals("10", config.get("ckan.harvest.log_timeframe").orElseThrow(), "a continuation line");
    }

    @Test
    void harvestsOwnKeysInAnIniStayStrict() {
        Path file = dir.resolve("site.ini");

        ConfigException refused = assertThrows(ConfigException.class, () -> HarvestConfig.fromCkanIni(file,
                "[app:main]\nharvest.db.urll = jdbc:h2:mem:x\n").validated(SettingDeclarations.engine()));

        assertTrue(refused.getMessage().contains("unknown configuration key harvest.db.urll"), refused.getMessage());
    }

    @Test
    void aMissingAppSectionOrInterpolationIsNamedInOneLine() {
        Path file = dir.resolve("site.ini");

        ConfigException noApp = assertThrows(ConfigException.class,
                () -> HarvestConfig.fromCkanIni(file, "[server:main]\nport = 5000\n"));
        ConfigException missing = assertThrows(ConfigException.class,
                () -> HarvestConfig.fromCkanIni(file, "[app:main]\nckan.site_id = %(nowhere)s\n"));

        assertEquals("The CKAN configuration file " + file + " has no [app:main] section (sections: server:main)",
                noApp.getMessage());
        assertEquals("The CKAN configuration file " + file + ": [app:main] ckan.site_id refers to %(nowhere)s,"
                + " which is neither in that section nor in [DEFAULT]", missing.getMessage());
    }

    @Test
    void aPropertiesFileIsStillReadAsPropertiesAndStaysStrict() throws IOException {
        Path file = dir.resolve("harvest.ini");
        Files.writeString(file, "# a properties file, whatever its name\nckan.site_id = p1\nckan.harvest.storage = x\n",
                StandardCharsets.UTF_8);

        HarvestConfig config = HarvestConfig.load(file);

        assertEquals("p1", config.siteId());
        ConfigException refused = assertThrows(ConfigException.class,
                () -> config.validated(SettingDeclarations.engine()));
        assertTrue(refused.getMessage().contains("unknown configuration key ckan.harvest.storage"),
                refused.getMessage());
    }
}
