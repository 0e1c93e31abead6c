package dev.harvest.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.FetchContext;
import dev.harvest.api.FetchOutcome;
import dev.harvest.api.GatherContext;
import dev.harvest.api.GatherOutcome;
import dev.harvest.api.Harvester;
import dev.harvest.api.HarvesterInfo;
import dev.harvest.api.ImportContext;
import dev.harvest.api.ImportOutcome;
import dev.harvest.core.testing.ScriptedHarvester;
import java.util.List;
import org.junit.jupiter.api.Test;

class HarvesterRegistryTest {

    /** Another class claiming the scripted harvester's name. */
    static final class Impostor implements Harvester {
        @Override
        public HarvesterInfo info() {
            return new HarvesterInfo(ScriptedHarvester.NAME, "Impostor", "");
        }

        @Override
        public GatherOutcome gather(GatherContext context) {
            return GatherOutcome.fullListing();
        }

        @Override
        public FetchOutcome fetch(FetchContext context) {
            return FetchOutcome.proceed();
        }

        @Override
        public ImportOutcome importObject(ImportContext context) {
            return ImportOutcome.skipped("impostor");
        }
    }

    @Test
    void harvestersAreKeyedByTheirInfoName() {
        ScriptedHarvester scripted = new ScriptedHarvester();
        HarvesterRegistry registry = new HarvesterRegistry().register(scripted);
        assertSame(scripted, registry.find(ScriptedHarvester.NAME).orElseThrow());
        assertTrue(registry.find("nope").isEmpty());
        assertEquals(List.of(ScriptedHarvester.NAME), registry.names());
    }

    @Test
    void twoHarvestersWithOneNameFailLoudly() {
        HarvesterRegistry registry = new HarvesterRegistry().register(new ScriptedHarvester());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> registry.register(new Impostor()));
        assertEquals("Two harvesters are named 'scripted': " + ScriptedHarvester.class.getName() + " and "
                + Impostor.class.getName(), e.getMessage());
    }

    @Test
    void discoveringAndRegisteringTheSameHarvesterClassTwiceKeepsOne() {
        HarvesterRegistry registry = new HarvesterRegistry().register(new ScriptedHarvester())
                .register(new ScriptedHarvester());
        assertEquals(1, registry.all().size());
    }
}
