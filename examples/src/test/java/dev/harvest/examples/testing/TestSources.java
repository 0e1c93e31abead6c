package dev.harvest.examples.testing;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import java.time.Instant;

/** Sources and jobs for tests that call a harvester without the engine. */
public final class TestSources {

    public static final String SOURCE_ID = "5b0d4a4e-9a43-4c40-9d7b-3f1c4b0c2f11";

    private TestSources() {}

    public static HarvestSource dataJsonSource(String url, String config) {
        return dataJsonSource(url, config, "org-water");
    }

    public static HarvestSource dataJsonSource(String url, String config, String ownerOrg) {
        return new HarvestSource(SOURCE_ID, "demo-catalog", "Demo catalog", url, "datajson", config, ownerOrg,
                "MANUAL", true);
    }

    public static HarvestJob runningJob() {
        return new HarvestJob("job-1", SOURCE_ID, "Running", Instant.now(), Instant.now(), null, null);
    }
}
