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
        return HarvestSource.builder()
                .id(SOURCE_ID)
                .name("demo-catalog")
                .title("Demo catalog")
                .url(url)
                .type("datajson")
                .config(config)
                .ownerOrg(ownerOrg)
                .frequency("MANUAL")
                .build();
    }

    public static HarvestJob runningJob() {
        return HarvestJob.builder()
                .id("job-1")
                .sourceId(SOURCE_ID)
                .status("Running")
                .created(Instant.now())
                .gatherStarted(Instant.now())
                .build();
    }
}
