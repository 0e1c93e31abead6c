package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.GatherContext;
import dev.harvest.api.GatherOutcome;
import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.NewHarvestObject;
import dev.harvest.api.Settings;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the CKAN harvester answers that the engine does not show, checked on the harvester itself with small
 * hand-written sources and contexts. Everything a harvest does is checked through the real engine in
 * {@link CkanHarvesterScenarioTest}; these are the exceptions:
 *
 * <ul>
 * <li>{@code skipsUnchangedRecords} for a configuration that is not JSON: the engine refuses such a source, so it
 *     never asks;
 * <li>{@code originalUrl}: the engine never calls it (its job report has no original URL);
 * <li>whether the gather emits an id once when two pages overlap: the engine keeps one object per guid and job
 *     whatever the harvester emits, so a duplicate is invisible in a job.
 * </ul>
 */
class CkanHarvesterUnitTest {

    final CkanHarvester harvester = new CkanHarvester(CkanHarvesterScenarioTest.fastTransport());
    MockCkan remote;

    @BeforeEach
    void startTheRemoteCkan() throws Exception {
        remote = MockCkan.withMockDatasets();
    }

    @AfterEach
    void stopTheRemoteCkan() {
        remote.close();
    }

    static HarvestSource source(String url, String config) {
        return HarvestSource.builder()
                .id("source-id")
                .name("remote-ckan")
                .title("Remote CKAN")
                .url(url)
                .type(CkanHarvester.NAME)
                .config(config)
                .frequency("MANUAL")
                .build();
    }

    @Test
    void theEngineMaySkipUnchangedRecordsUnlessTheSourceSetsForceAll() {
        String url = remote.url() + "/";

        assertTrue(harvester.skipsUnchangedRecords(source(url, "")));
        assertTrue(harvester.skipsUnchangedRecords(source(url, "{\"force_all\": false}")));
        assertFalse(harvester.skipsUnchangedRecords(source(url, "{\"force_all\": true}")));
        assertFalse(harvester.skipsUnchangedRecords(
                source(url, "{\"default_tags\": [{\"name\": \"geo\"}], \"force_all\": true}")));
        assertTrue(harvester.skipsUnchangedRecords(source(url, "not json")), "the gather fails on it anyway");
    }

    @Test
    void theOriginalUrlOfARecordIsThePackageShowOfItsGuid() {
        HarvestObject object = HarvestObject.builder().id("o").guid("a b/c").jobId("j").sourceId("s").build();

        assertEquals(remote.url() + "/api/3/action/package_show?id=a%20b%2Fc",
                harvester.originalUrl(source(remote.url() + "/", ""), object).orElseThrow());
    }

    @Test
    void theGatherEmitsEachRemoteIdOnceWhenTheSecondPageRepeatsARowOfTheFirst() throws Exception {
        RecordingGatherContext context = new RecordingGatherContext(source(remote.url() + "/datasets_added", ""));

        GatherOutcome outcome = harvester.gather(context);

        assertEquals(GatherOutcome.fullListing(), outcome);
        assertEquals(List.of(), context.gatherErrors);
        assertEquals(List.of(CkanHarvesterScenarioTest.DATASET1, CkanHarvesterScenarioTest.CABINET),
                context.emitted.stream().map(NewHarvestObject::guid).toList(), "emitted once each, in page order");
    }

    /** A first job's gather context that records what the harvester hands to the engine. */
    static final class RecordingGatherContext implements GatherContext {
        final HarvestSource source;
        final HarvestJob job = HarvestJob.builder()
                .id("job-id")
                .sourceId("source-id")
                .status("Running")
                .created(Instant.parse("2024-03-01T12:00:00Z"))
                .gatherStarted(Instant.parse("2024-03-01T12:00:00Z"))
                .build();
        final List<NewHarvestObject> emitted = new ArrayList<>();
        final List<String> gatherErrors = new ArrayList<>();

        RecordingGatherContext(HarvestSource source) {
            this.source = source;
        }

        @Override
        public HarvestSource source() {
            return source;
        }

        @Override
        public HarvestJob job() {
            return job;
        }

        @Override
        public Settings settings() {
            return key -> Optional.empty();
        }

        @Override
        public Optional<HarvestJob> lastErrorFreeJob() {
            return Optional.empty();
        }

        @Override
        public void emit(NewHarvestObject object) {
            emitted.add(object);
        }

        @Override
        public void markPresent(String guid) {
            throw new AssertionError("a first, full gather marks nothing present: " + guid);
        }

        @Override
        public void gatherError(String message) {
            gatherErrors.add(message);
        }

        @Override
        public long emittedCount() {
            return emitted.size();
        }
    }
}
