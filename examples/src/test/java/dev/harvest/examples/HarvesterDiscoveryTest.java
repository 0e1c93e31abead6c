package dev.harvest.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.harvest.api.Harvester;
import dev.harvest.examples.datajson.DataJsonHarvester;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class HarvesterDiscoveryTest {

    @Test
    void theServiceLoaderFindsExactlyTheDatajsonHarvesterInThisPlugin() {
        // Other modules on the test classpath may register harvesters of their own; only this plugin's count.
        List<Harvester> harvesters = ServiceLoader.load(Harvester.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(harvester -> harvester.getClass().getPackageName().startsWith("dev.harvest.examples"))
                .toList();

        assertEquals(1, harvesters.size(), () -> "found " + harvesters);
        Harvester harvester = harvesters.get(0);
        assertInstanceOf(DataJsonHarvester.class, harvester);
        assertEquals("datajson", harvester.info().name());
        assertEquals("DCAT-US data.json", harvester.info().title());
    }
}
