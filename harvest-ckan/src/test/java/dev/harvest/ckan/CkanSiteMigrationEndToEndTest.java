package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.harvest.core.Harvest;
import dev.harvest.core.JobReport;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.db.HarvestDatabase;
import dev.harvest.core.migrate.CkanMigration;
import dev.harvest.core.migrate.CkanSite;
import dev.harvest.core.migrate.MigrationReport;
import dev.harvest.core.migrate.TableCount;
import dev.harvest.core.store.HarvestQueries.ObjectSummary;
import dev.harvest.core.testing.CkanSiteDatabase;
import dev.harvest.core.testing.CkanSiteHistory;
import dev.harvest.core.testing.ExternalServices;
import dev.harvest.core.testing.TestDatabases;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole migration of a CKAN site (issue 11): a CKAN database with ckanext-harvest's tables and a realistic
 * history is copied into a harvest database on PostgreSQL, a second copy finds nothing new, and the next harvest of
 * a migrated source, through the CKAN target catalog pointed at the site's own CKAN, updates the datasets the Python
 * harvests made instead of duplicating them.
 */
class CkanSiteMigrationEndToEndTest {

    /**
     * Remote datasets the CKAN site had harvested, by guid, with the id of the local dataset each became. The CKAN
     * harvester keeps the remote id; two local ids differ, as other harvesters' do, so that only the copied
     * {@code package_id} links them to their objects.
     */
    static final Map<String, String> HARVESTED = Map.of(CkanHarvesterScenarioTest.DATASET1,
            CkanHarvesterScenarioTest.DATASET1, CkanHarvesterScenarioTest.CABINET, CkanHarvesterScenarioTest.CABINET,
            "extra-0", "extra-0", "extra-1", "local-extra-1", "extra-2", "local-extra-2");
    static final String LOCAL_ORG = "local-org";

    MockCkan remote;
    MockCkan site;
    CkanSiteDatabase ckanDatabase;
    Harvest harvest;

    @BeforeEach
    void aCkanSiteThatHarvestedTheRemote() throws Exception {
        remote = MockCkan.withMockDatasets();
        for (int i = 0; i < 4; i++) {
            remote.addDataset("extra-" + i, "extra-" + i, CkanHarvesterScenarioTest.ORG1, "2014-01-01T00:00:00");
        }
        // the site's own CKAN, holding what its Python harvests created: one local dataset per harvested remote one
        site = MockCkan.empty();
        site.orgs.add(new LinkedHashMap<>(Map.of("id", LOCAL_ORG, "name", LOCAL_ORG)));
        for (Map.Entry<String, String> harvested : HARVESTED.entrySet()) {
            Map<String, Object> local = site.addDataset(harvested.getValue(),
                    (String) remote.dataset(harvested.getKey()).get("name"), LOCAL_ORG, "2024-03-01T08:00:00");
            local.put("title", "As the Python harvest left it");
        }
        // since the Python harvest, the remote changed the datasets it had harvested (the next harvest is
        // incremental, as ckanext-harvest's: it gathers what changed since the last error-free job, and new ones)
        for (String id : HARVESTED.keySet()) {
            remote.dataset(id).put("metadata_modified", "2025-01-01T00:00:00.000000");
            remote.dataset(id).put("title", "Changed upstream: " + id);
        }
        ckanDatabase = CkanSiteDatabase.create();
        try (CkanSiteHistory history = new CkanSiteHistory(ckanDatabase)) {
            history.realistic(remote.url() + "/", LOCAL_ORG, HARVESTED);
        }
    }

    @AfterEach
    void stop() {
        if (harvest != null) {
            harvest.close();
        }
        remote.close();
        site.close();
    }

    static MigrationReport migrate(CkanSiteDatabase from, HarvestConfig into) {
        try (CkanSite ckan = CkanSite.connect(from.jdbcUrl(), ExternalServices.postgresUser(),
                        ExternalServices.postgresPassword());
                HikariDataSource target = HarvestDatabase.connectWithoutMigrating(into)) {
            return new CkanMigration(ckan, target, 3).run(false, count -> { });
        }
    }

    @Test
    void aMigratedSiteIsCopiedOnceAndItsNextHarvestUpdatesTheSitesDatasetsInsteadOfDuplicatingThem()
            throws Exception {
        HarvestConfig config = TestDatabases.config(TestDatabases.Kind.POSTGRESQL, Map.of("harvest.db.pool_size", "3"));
        HarvestDatabase.initialise(config);

        MigrationReport first = migrate(ckanDatabase, config);
        MigrationReport second = migrate(ckanDatabase, config);

        assertTrue(first.mismatches().isEmpty(), first::toString);
        assertEquals(Map.of("harvest_source", 3L, "harvest_job", 8L, "harvest_object", 5L + 2 + 5 + 4 + 3,
                        "harvest_object_extra", 5L + 2, "harvest_gather_error", 2L, "harvest_object_error", 2L,
                        "harvest_log", 5L),
                first.tables().stream().collect(Collectors.toMap(TableCount::table, TableCount::copied)));
        assertEquals(0, second.copied(), second::toString);
        assertTrue(second.mismatches().isEmpty(), second::toString);

        harvest = Harvest.builder(config)
                .discoverHarvesters(false)
                .harvester(new CkanHarvester(CkanHarvesterScenarioTest.fastTransport()))
                .catalog(new CkanCatalog(site.url(), site.writeToken, CkanHarvesterScenarioTest.fastTransport()))
                .build();
        assertEquals(5, harvest.queries().currentDatasetCount("src-a"), "the Python harvest's current objects");
        site.requests.clear();

        JobReport report = harvest.runTest("portal-a");

        assertEquals("job-a3", report.job().id(), "the New job the site had queued is the one that runs");
        assertEquals("Finished", report.job().status());
        assertTrue(report.gatherErrors().isEmpty(), report.gatherErrors()::toString);
        Map<String, String> outcomes = new TreeMap<>();
        report.objects().forEach(o -> outcomes.put(o.guid(), o.reportStatus() + " " + o.packageId()));
        Map<String, String> expected = new TreeMap<>();
        HARVESTED.forEach((guid, local) -> expected.put(guid, "updated " + local));
        expected.put("extra-3", "added extra-3");
        assertEquals(expected, outcomes, "each dataset stays linked to its object; only the new remote one is added");

        assertEquals(6, site.datasets.size(), "no dataset duplicated: " + site.datasets.stream()
                .map(d -> d.get("id") + "/" + d.get("name")).toList());
        assertEquals(1, site.requestsTo("package_create").size(), "only extra-3 is created");
        HARVESTED.forEach((guid, local) -> assertEquals("Changed upstream: " + guid, site.dataset(local).get("title"),
                local + " is updated"));
        assertEquals(6, harvest.queries().currentDatasetCount("src-a"));
        assertEquals(List.of(), report.objects().stream().filter(o -> !"COMPLETE".equals(o.state()))
                .map(ObjectSummary::guid).toList());
    }
}
