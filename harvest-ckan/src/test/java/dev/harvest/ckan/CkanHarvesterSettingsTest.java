package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.SettingDefinition;
import dev.harvest.core.Harvest;
import dev.harvest.core.JobReport;
import dev.harvest.core.SourceRequest;
import dev.harvest.core.testing.TestDatabases;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The CKAN harvester declares its site settings and applies them when the engine starts it. */
class CkanHarvesterSettingsTest {

    MockCkan remote;

    @BeforeEach
    void start() throws Exception {
        remote = MockCkan.withMockDatasets();
        remote.dataset(CkanHarvesterScenarioTest.CABINET).put("notes", "x".repeat(2 * 1024 * 1024));
    }

    @AfterEach
    void stop() {
        remote.close();
    }

    private JobReport harvestWith(Map<String, String> settings) {
        try (Harvest harvest = Harvest.builder(TestDatabases.config(TestDatabases.Kind.H2, settings))
                .discoverHarvesters(false).harvester(new CkanHarvester()).build()) {
            harvest.createSource(SourceRequest.of("remote-ckan", remote.url() + "/", "ckan"));
            return harvest.runTest("remote-ckan");
        }
    }

    @Test
    void itDeclaresItsHttpSettingsAndItsCkanKeys() {
        var keys = new CkanHarvester().settings().stream().map(SettingDefinition::key).toList();
        assertEquals(java.util.List.of("ckanext.harvest.user_name", "ckan.harvest.not_overwrite_fields",
                "harvest.ckan.connect_timeout", "harvest.ckan.read_timeout", "harvest.ckan.call_timeout",
                "harvest.ckan.max_response_mb"), keys);
    }

    @Test
    void theSiteResponseCapReachesTheHarvesterThroughStart() {
        JobReport capped = harvestWith(Map.of("harvest.ckan.max_response_mb", "1", "harvest.http.allow_private_addresses", "true"));
        assertTrue(String.join("\n", capped.gatherErrors()).contains("larger than the limit of 1048576 bytes"),
                capped.gatherErrors()::toString);

        JobReport uncapped = harvestWith(Map.of("harvest.http.allow_private_addresses", "true"));
        assertTrue(uncapped.gatherErrors().isEmpty(), uncapped.gatherErrors()::toString);
        assertEquals(2, uncapped.stats().count("added"), uncapped.toString());
    }
}
