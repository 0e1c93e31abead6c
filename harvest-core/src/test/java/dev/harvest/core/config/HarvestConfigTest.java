package dev.harvest.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HarvestConfigTest {

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
        HarvestConfig config = HarvestConfig.of(
                Map.of("sqlalchemy.url", "postgresql://ckan_default:s%40cret@db.example.org:5433/ckan_harvest"), List.of());
        assertEquals("jdbc:postgresql://db.example.org:5433/ckan_harvest", config.jdbcUrl());
        assertEquals("ckan_default", config.dbUser());
        assertEquals("s@cret", config.dbPassword());
        assertEquals("redis", config.queueType(), "a production config defaults to redis, as ckanext-harvest");
    }

    @Test
    void unknownKeysAreRejectedByName() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> HarvestConfig.of(Map.of("ckan.harvest.mq.hostnme", "x", "ckan.site_id", "a"), List.of()));
        assertEquals("Invalid configuration: unknown configuration key ckan.harvest.mq.hostnme", e.getMessage());
    }

    @Test
    void keysDeclaredByPluginsAreAccepted() {
        HarvestConfig config = HarvestConfig.of(Map.of("ckan.harvest.mq.hostname", "redis.local"),
                List.of("ckan.harvest.mq.hostname"));
        assertEquals("redis.local", config.get("ckan.harvest.mq.hostname").orElseThrow());
    }

    @Test
    void badValuesAreRejectedNamingKeyAndValue() {
        ConfigException e = assertThrows(ConfigException.class, () -> HarvestConfig.of(Map.of(
                "ckan.harvest.timeout", "soon",
                "ckan.harvest.mq.type", "kafka",
                "ckan.harvest.log_scope", "9",
                "sqlalchemy.url", "mysql://x@y/z"), List.of()));
        assertTrue(e.getMessage().contains("ckan.harvest.timeout: must be an integer, not 'soon'"), e.getMessage());
        assertTrue(e.getMessage().contains("ckan.harvest.mq.type: not a valid queue type kafka"), e.getMessage());
        assertTrue(e.getMessage().contains("ckan.harvest.log_scope: must be -1 (off) or 0 to 7, not '9'"), e.getMessage());
        assertTrue(e.getMessage().contains("sqlalchemy.url: expected postgresql://"), e.getMessage());
    }

    @Test
    void theLegacyAmpqSpellingSelectsAmqp() {
        assertEquals("amqp", HarvestConfig.of(Map.of("ckan.harvest.mq.type", "ampq"), List.of()).queueType());
    }
}
