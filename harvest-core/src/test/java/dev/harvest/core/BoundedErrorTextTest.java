package dev.harvest.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.FetchContext;
import dev.harvest.api.FetchOutcome;
import dev.harvest.api.GatherContext;
import dev.harvest.api.GatherOutcome;
import dev.harvest.api.Harvester;
import dev.harvest.api.HarvesterInfo;
import dev.harvest.api.ImportContext;
import dev.harvest.api.ImportOutcome;
import dev.harvest.api.NewHarvestObject;
import dev.harvest.api.ValidationContext;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.store.ErrorText;
import dev.harvest.core.store.HarvestQueries.ObjectSummary;
import dev.harvest.core.testing.MutableClock;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 13, failure 7: a 5 MB remote title made a 10.5 MB object error, the whole JDBC batch with its bound values,
 * and {@code report} printed all of it. Every stored message is now capped with a note of its length, and a
 * database error is described by its cause, without the values.
 */
class BoundedErrorTextTest {

    private static final int HUGE = 5 * 1024 * 1024;
    private static final String TITLE = "T".repeat(HUGE);

    private Harvest harvest;

    @AfterEach
    void close() {
        if (harvest != null) {
            harvest.close();
        }
    }

    /** A remote whose texts are 5 MB: a gather error, a fetch failure, and a title no catalog column takes. */
    static final class HugeTextHarvester implements Harvester {
        @Override
        public HarvesterInfo info() {
            return new HarvesterInfo("huge", "Huge", "5 MB texts");
        }

        @Override
        public String validateConfig(String config, ValidationContext context) {
            return config;
        }

        @Override
        public GatherOutcome gather(GatherContext context) {
            context.gatherError("Remote said: " + "G".repeat(HUGE));
            context.emit(NewHarvestObject.withContent("fails-fetch", "x"));
            context.emit(NewHarvestObject.withContent("huge-title", "x"));
            return GatherOutcome.partialListing();
        }

        @Override
        public FetchOutcome fetch(FetchContext context) {
            if (context.object().guid().equals("fails-fetch")) {
                return FetchOutcome.failed("Remote said: " + "F".repeat(HUGE));
            }
            return FetchOutcome.proceed();
        }

        @Override
        public ImportOutcome importObject(ImportContext context) throws Exception {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("id", "ds-" + context.object().guid());
            fields.put("name", "ds-" + context.object().guid());
            fields.put("title", TITLE);
            fields.put("owner_org", context.source().ownerOrg());
            return ImportOutcome.created(context.catalog().createDataset(new Dataset(fields)).id());
        }
    }

    private static void assertCapped(String message) {
        assertTrue(message.length() <= ErrorText.MAX_CHARS + 100, "a message of " + message.length() + " chars");
        assertTrue(message.contains("cut: the message had 5,242,8"), message.substring(message.length() - 80));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void hugeRemoteTextsAreStoredCappedAndADatabaseErrorWithoutItsBoundValues(Kind kind) {
        harvest = Harvest.builder(TestDatabases.config(kind, Map.of()))
                .discoverHarvesters(false)
                .harvester(new HugeTextHarvester())
                .queue(new InMemoryHarvestQueue("huge-test"))
                .clock(new MutableClock())
                .build();
        harvest.createSource(SourceRequest.of("huge", "http://remote.example.org/", "huge"));

        JobReport report = harvest.runTest("huge");

        assertEquals(1, report.gatherErrors().size());
        assertCapped(report.gatherErrors().get(0));
        ObjectSummary fetchFailed = report.objects().stream().filter(o -> o.guid().equals("fails-fetch"))
                .findFirst().orElseThrow();
        assertCapped(fetchFailed.errors().get(0));
        ObjectSummary hugeTitle = report.objects().stream().filter(o -> o.guid().equals("huge-title"))
                .findFirst().orElseThrow();
        assertEquals("ERROR", hugeTitle.state());
        String dbError = hugeTitle.errors().get(0);
        assertTrue(dbError.length() <= ErrorText.MAX_CHARS + 100, "a message of " + dbError.length() + " chars");
        assertFalse(dbError.contains("TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT"), dbError);
        assertTrue(dbError.toLowerCase(java.util.Locale.ROOT).contains("too long"), dbError);
    }
}
