package dev.harvest.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.testing.ScriptedHarvester;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Each CLI command opens and closes an engine on the same database: the schema must not depend on the session that
 * created it (an H2 generated column did, and every later job creation failed with "The database has been closed").
 */
class ReopenedEmbeddedDatabaseTest {

    @Test
    void aSecondEngineOnTheSameH2DatabaseCreatesJobsAfterTheFirstClosed() {
        HarvestConfig config = HarvestConfig.of(Map.of("harvest.db.url", "jdbc:h2:mem:reopen-" + UUID.randomUUID(),
                "ckan.harvest.mq.type", "memory"));
        try (Harvest first = Harvest.builder(config).harvester(new ScriptedHarvester()).build()) {
            first.createSource(SourceRequest.of("src", "http://a.example.org", ScriptedHarvester.NAME));
        }
        try (Harvest second = Harvest.builder(config).harvester(new ScriptedHarvester()).build()) {
            assertEquals("New", second.createJob("src", false).status());
        }
    }
}
