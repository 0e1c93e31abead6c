package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.harvest.api.Harvester;
import dev.harvest.api.HarvesterInfo;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The plugin jar registers the harvester under ckanext-harvest's name. */
class CkanHarvesterRegistrationTest {

    @Test
    void serviceLoaderFindsTheCkanHarvesterWithTheOriginalDescriptors() {
        HarvesterInfo info = ServiceLoader.load(Harvester.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(CkanHarvester.class::isInstance)
                .findFirst().orElseThrow().info();

        assertEquals(new HarvesterInfo("ckan", "CKAN", "Harvests remote CKAN instances"), info);
    }
}
