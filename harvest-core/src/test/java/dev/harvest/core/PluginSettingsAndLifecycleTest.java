package dev.harvest.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvesterInfo;
import dev.harvest.api.SettingDefinition;
import dev.harvest.api.Settings;
import dev.harvest.core.catalog.EmbeddedCatalog;
import dev.harvest.core.config.ConfigException;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.testing.ScriptedHarvester;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings that plugins declare, the harvester life cycle, and the choice of catalog through its provider. */
class PluginSettingsAndLifecycleTest {

    @TempDir
    Path dir;

    /** A harvester that declares one setting and records its life cycle. */
    static class ConfigurableHarvester extends ScriptedHarvester {
        final List<String> calls = new ArrayList<>();
        String pageSize;

        @Override
        public HarvesterInfo info() {
            return new HarvesterInfo("configurable", "Configurable", "declares myplugin.page_size");
        }

        @Override
        public List<SettingDefinition> settings() {
            return List.of(SettingDefinition.of("myplugin.page_size", "100", "Rows per page"));
        }

        @Override
        public void start(Settings settings) {
            calls.add("start");
            pageSize = settings.get("myplugin.page_size").orElseThrow();
        }

        @Override
        public void close() {
            calls.add("close");
        }
    }

    private HarvestConfig config(Map<String, String> extra) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("harvest.db.url", "jdbc:h2:file:" + dir.resolve("harvest"));
        values.put("ckan.harvest.mq.type", "memory");
        values.putAll(extra);
        return HarvestConfig.of(values);
    }

    @Test
    void aSettingThatAHarvesterDeclaresIsAcceptedAndReachesItsStart() {
        ConfigurableHarvester harvester = new ConfigurableHarvester();
        try (Harvest harvest = Harvest.builder(config(Map.of("myplugin.page_size", "25")))
                .discoverHarvesters(false).harvester(harvester).build()) {
            assertEquals("25", harvest.settings().get("myplugin.page_size").orElseThrow());
            assertEquals("25", harvester.pageSize);
        }
    }

    @Test
    void aDeclaredSettingThatTheFileLeavesOutReadsAsItsDefault() {
        ConfigurableHarvester harvester = new ConfigurableHarvester();
        try (Harvest harvest = Harvest.builder(config(Map.of())).discoverHarvesters(false).harvester(harvester)
                .build()) {
            assertEquals("100", harvester.pageSize);
        }
    }

    @Test
    void anUndeclaredSettingIsRejectedNamingTheKeyAndThePluginsLoaded() {
        ConfigException e = assertThrows(ConfigException.class, () -> Harvest.builder(
                config(Map.of("myplugin.page_sise", "25"))).discoverHarvesters(false)
                .harvester(new ConfigurableHarvester()).build());
        assertTrue(e.getMessage().contains("unknown configuration key myplugin.page_sise"), e.getMessage());
        assertTrue(e.getMessage().contains("harvester configurable"), e.getMessage());
        assertTrue(e.getMessage().contains("queue memory"), e.getMessage());
        assertTrue(e.getMessage().contains("catalog embedded"), e.getMessage());
    }

    @Test
    void startAndCloseAreCalledOnceEachPerEngine() {
        ConfigurableHarvester harvester = new ConfigurableHarvester();
        Harvest harvest = Harvest.builder(config(Map.of())).discoverHarvesters(false).harvester(harvester).build();
        assertEquals(List.of("start"), harvester.calls);
        harvest.close();
        assertEquals(List.of("start", "close"), harvester.calls);
    }

    @Test
    void aHarvesterWhoseStartFailsStopsTheEngineWithItsNameAndIsClosed() {
        ConfigurableHarvester failing = new ConfigurableHarvester() {
            @Override
            public void start(Settings settings) {
                calls.add("start");
                throw new IllegalArgumentException("myplugin.page_size must be at most 1000");
            }
        };
        HarvestException e = assertThrows(HarvestException.class, () -> Harvest.builder(config(Map.of()))
                .discoverHarvesters(false).harvester(failing).build());
        assertEquals("Harvester configurable cannot start: myplugin.page_size must be at most 1000", e.getMessage());
        assertEquals(List.of("start", "close"), failing.calls);
    }

    @Test
    void theEmbeddedCatalogIsOpenedThroughItsProviderByDefault() {
        try (Harvest harvest = Harvest.builder(config(Map.of())).discoverHarvesters(false).build()) {
            assertInstanceOf(EmbeddedCatalog.class, harvest.catalog());
        }
    }

    @Test
    void anUnknownCatalogTypeIsRejectedNamingTheTypesAvailable() {
        ConfigException e = assertThrows(ConfigException.class, () -> Harvest.builder(
                config(Map.of("harvest.catalog.type", "solr"))).discoverHarvesters(false).build());
        assertEquals("harvest.catalog.type: no catalog of type 'solr' on the class path (available: embedded)",
                e.getMessage());
    }

    @Test
    void anUnknownQueueTypeIsRejectedNamingTheTypesAvailable() {
        ConfigException e = assertThrows(ConfigException.class, () -> Harvest.builder(
                config(Map.of("ckan.harvest.mq.type", "kafka"))).discoverHarvesters(false).build());
        assertEquals("ckan.harvest.mq.type: no queue backend of type 'kafka' on the class path (available: memory)",
                e.getMessage());
    }

    @Test
    void aCatalogHandedToTheBuilderIsUsedAndNotClosedByTheEngine() {
        try (Harvest first = Harvest.builder(config(Map.of())).discoverHarvesters(false).build()) {
            var given = first.catalog();
            try (Harvest second = Harvest.builder(HarvestConfig.embedded(dir.resolve("other")))
                    .discoverHarvesters(false).catalog(given).build()) {
                assertSame(given, second.catalog());
            }
        }
    }
}
