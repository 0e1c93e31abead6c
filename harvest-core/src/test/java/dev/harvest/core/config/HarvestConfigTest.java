package dev.harvest.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.SettingDefinition;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HarvestConfigTest {

    private static HarvestConfig checked(Map<String, String> values) {
        return HarvestConfig.of(values).validated(SettingDeclarations.engine());
    }

    @Test
    void withoutAFileTheEmbeddedDefaultUsesH2InTheDataFolderAndTheInProcessQueue() {
        HarvestConfig config = HarvestConfig.embedded(Path.of("some-data"));
        assertTrue(config.jdbcUrl().startsWith("jdbc:h2:file:" + Path.of("some-data").toAbsolutePath()), config.jdbcUrl());
        assertTrue(config.jdbcUrl().contains("NON_KEYWORDS=KEY,VALUE"));
        assertEquals("memory", config.queueType());
        assertEquals("default", config.siteId());
    }

    @Test
    void aCkanSqlalchemyUrlBecomesAJdbcUrlWithItsCredentials() {
        HarvestConfig config = checked(
                Map.of("sqlalchemy.url", "postgresql://ckan_default:s%40cret@db.example.org:5433/ckan_harvest"));
        assertEquals("jdbc:postgresql://db.example.org:5433/ckan_harvest", config.jdbcUrl());
        assertEquals("ckan_default", config.dbUser());
        assertEquals("s@cret", config.dbPassword());
        assertEquals("redis", config.queueType(), "a production config defaults to redis, as ckanext-harvest");
    }

    @Test
    void unknownKeysAreRejectedByNameWithTheOwnersThatWereAsked() {
        SettingDeclarations declared = SettingDeclarations.engine().add("queue redis", List.of());
        ConfigException e = assertThrows(ConfigException.class, () -> HarvestConfig.of(
                Map.of("ckan.harvest.mq.hostnme", "x", "ckan.site_id", "a")).validated(declared));
        assertEquals("Invalid configuration: unknown configuration key ckan.harvest.mq.hostnme"
                + " (declared by none of harvest-core, queue redis)", e.getMessage());
    }

    @Test
    void keysDeclaredByPluginsAreAcceptedAndTheirDefaultsApply() {
        SettingDeclarations declared = SettingDeclarations.engine().add("harvester myplugin", List.of(
                SettingDefinition.of("myplugin.page_size", "100", "Rows per page"),
                SettingDefinition.of("myplugin.token", null, "API token")));
        HarvestConfig config = HarvestConfig.of(Map.of("myplugin.token", "t0k")).validated(declared);
        assertEquals("t0k", config.get("myplugin.token").orElseThrow());
        assertEquals("100", config.get("myplugin.page_size").orElseThrow());
    }

    @Test
    void aKeySharedByTwoPluginsWithDifferentDefaultsHasNoDefault() {
        SettingDeclarations declared = SettingDeclarations.engine()
                .add("queue a", List.of(SettingDefinition.of("shared.port", "1", "port")))
                .add("queue b", List.of(SettingDefinition.of("shared.port", "2", "port")));
        HarvestConfig config = HarvestConfig.of(Map.of()).validated(declared);
        assertFalse(config.get("shared.port").isPresent());
        assertEquals(List.of("queue a", "queue b"), declared.all().stream()
                .filter(d -> d.definition().key().equals("shared.port")).findFirst().orElseThrow().owners());
    }

    @Test
    void aMalformedSqlalchemyUrlIsQuotedWithoutItsUserInfoWhateverThePasswordHolds() {
        ConfigException e = assertThrows(ConfigException.class, () -> checked(Map.of(
                "sqlalchemy.url", "mysql://ckan:s3cr/et:x@db.example.org/ckan")));
        assertTrue(e.getMessage().contains("not 'mysql://***@db.example.org/ckan'"), e.getMessage());
        assertTrue(!e.getMessage().contains("s3cr") && !e.getMessage().contains("et:x"), e.getMessage());
    }

    @Test
    void badValuesAreRejectedNamingKeyAndValue() {
        ConfigException e = assertThrows(ConfigException.class, () -> checked(Map.of(
                "ckan.harvest.timeout", "soon",
                "ckan.harvest.log_scope", "9",
                "sqlalchemy.url", "mysql://x@y/z")));
        assertTrue(e.getMessage().contains("ckan.harvest.timeout: must be an integer, not 'soon'"), e.getMessage());
        assertTrue(e.getMessage().contains("ckan.harvest.log_scope: must be -1 (off) or 0 to 7, not '9'"), e.getMessage());
        assertTrue(e.getMessage().contains("sqlalchemy.url: expected postgresql://"), e.getMessage());
    }

    @Test
    void theLegacyAmpqSpellingSelectsAmqp() {
        assertEquals("amqp", checked(Map.of("ckan.harvest.mq.type", "ampq")).queueType());
    }
}
