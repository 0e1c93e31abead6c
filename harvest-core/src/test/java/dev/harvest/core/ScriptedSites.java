package dev.harvest.core;

import dev.harvest.api.HarvestSource;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.store.HarvestQueries.ObjectSummary;
import dev.harvest.core.testing.ScriptedHarvester;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.time.Clock;
import java.util.Map;
import java.util.stream.Collectors;

/** A harvest site with only the scripted harvester, and the few things engine tests do to it. */
final class ScriptedSites {

    private ScriptedSites() {}

    static Harvest open(Kind kind, Map<String, String> settings, InMemoryHarvestQueue queue, Clock clock) {
        return Harvest.builder(TestDatabases.config(kind, settings))
                .discoverHarvesters(false)
                .harvester(new ScriptedHarvester())
                .queue(queue)
                .clock(clock)
                .build();
    }

    /** Creates the source {@code src} of the scripted harvester with this config. */
    static HarvestSource source(Harvest harvest, String config) {
        return harvest.createSource(SourceRequest.of("src", "http://remote.example.org/", ScriptedHarvester.NAME)
                .withConfig(config));
    }

    /** Changes a source's config behind the engine's back, as a remote that changed would. */
    static void setConfig(Harvest harvest, HarvestSource source, String config) {
        harvest.stores().database().inTransaction(session -> session.createNativeMutationQuery(
                        "update harvest_source set config = :c where id = :id")
                .setParameter("c", config)
                .setParameter("id", source.id())
                .executeUpdate());
    }

    /** @return {@code guid -> "STATE/report status"} of a job's objects */
    static Map<String, String> statusByGuid(JobReport report) {
        return report.objects().stream()
                .collect(Collectors.toMap(ObjectSummary::guid, o -> o.state() + "/" + o.reportStatus()));
    }
}
