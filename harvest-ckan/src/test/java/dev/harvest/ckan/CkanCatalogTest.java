package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestSource;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.testkit.HarvestResult;
import dev.harvest.testkit.HarvestTestBed;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Harvesting one CKAN into another through {@link CkanCatalog}, with the real engine ({@link HarvestTestBed}), and the
 * catalog's error handling. {@link CkanCatalogContractTest} checks the catalog against the contract every catalog
 * passes.
 */
class CkanCatalogTest {

    MockCkan remote;
    MockCkan target;
    CkanCatalog catalog;
    HarvestTestBed testBed;

    @BeforeEach
    void start() throws Exception {
        remote = MockCkan.withMockDatasets();
        target = MockCkan.empty();
        catalog = new CkanCatalog(target.url() + "/", "secret-token", CkanHarvesterScenarioTest.fastTransport());
    }

    @AfterEach
    void stop() {
        try {
            if (testBed != null) {
                testBed.close();
            }
        } finally {
            remote.close();
            target.close();
        }
    }

    /** A source on a test bed whose catalog is the target CKAN. */
    HarvestSource source(String config) {
        testBed = HarvestTestBed.builder().harvester(new CkanHarvester(CkanHarvesterScenarioTest.fastTransport()))
                .catalog(catalog).build();
        return testBed.source("remote-ckan", remote.url(), config);
    }

    @Test
    void aHarvestCreatesTheRemoteDatasetsInTheTargetCkanWithTheirIds() throws Exception {
        HarvestSource source = source("{\"remote_groups\": \"create\"}");

        testBed.harvest(source).assertFinishedWithoutErrors().assertCounts(2, 0, 0, 0, 0);

        assertEquals("dataset1", target.dataset(CkanHarvesterScenarioTest.DATASET1).get("name"));
        assertEquals("cabinet-office-energy-use", target.dataset(CkanHarvesterScenarioTest.CABINET).get("name"));
        assertEquals("group1", target.groups.get(0).get("name"));
        assertTrue(target.requestsTo("package_create").stream()
                .allMatch(r -> "secret-token".equals(r.headers().get("authorization"))));
    }

    @Test
    void remoteChangesAndDeletionsAreSyncedToTheTarget() throws Exception {
        for (int i = 0; i < 3; i++) {
            remote.addDataset("extra-" + i, "extra-" + i, "org", "2014-01-01T00:00:00");
        }
        HarvestSource source = source("");
        testBed.harvest(source).assertFinishedWithoutErrors();
        remote.dataset("extra-1").put("title", "Retitled");
        remote.dataset("extra-1").put("metadata_modified", "2050-01-01T00:00:00");
        remote.datasets.remove(remote.dataset("extra-2"));

        HarvestResult second = testBed.harvest(source);

        second.assertFinishedWithoutErrors();
        assertEquals(Map.of("extra-1", "updated", "extra-2", "deleted"),
                CkanHarvesterScenarioTest.statusByGuid(second));
        assertEquals("Retitled", target.dataset("extra-1").get("title"));
        assertEquals("deleted", target.dataset("extra-2").get("state"));
        assertEquals(1, target.requestsTo("package_update").size());
    }

    @Test
    void aValidationErrorOfTheTargetIsRenderedReadably() {
        target.addDataset("taken-id", "taken", "org", "2020-01-01T00:00:00");

        CatalogException e = assertThrows(CatalogException.class,
                () -> catalog.createDataset(new Dataset(Map.of("name", "taken", "tags", List.of(Map.of("name",
                        "bad%tag"))))));

        assertTrue(e.getMessage().startsWith("package_create of dataset taken failed: HTTP error: 409 "
                + target.url() + "/api/3/action/package_create: Validation Error: "), e.getMessage());
        assertTrue(e.getMessage().contains("name: That URL is already in use."), e.getMessage());
        assertTrue(e.getMessage().contains("tags: Tag \"bad%tag\" must be alphanumeric"), e.getMessage());
    }

    @Test
    void aDatasetIdTakenOnTheTargetIsRefusedAndTheDatasetLeftAlone() {
        target.addDataset("taken-id", "taken", "org", "2020-01-01T00:00:00");

        CatalogException e = assertThrows(CatalogException.class,
                () -> catalog.createDataset(new Dataset(Map.of("id", "taken-id", "name", "another-name"))));

        assertTrue(e.getMessage().contains("Validation Error: id: Dataset id already exists"), e.getMessage());
        assertEquals("taken", target.dataset("taken-id").get("name"));
    }

    @Test
    void aTokenWithoutRightsIsAnAuthorizationError() {
        CkanCatalog wrongToken = new CkanCatalog(target.url(), "wrong", CkanHarvesterScenarioTest.fastTransport());

        CatalogException e = assertThrows(CatalogException.class,
                () -> wrongToken.createDataset(new Dataset(Map.of("name", "x1"))));

        assertTrue(e.getMessage().contains("HTTP error: 403"), e.getMessage());
        assertTrue(e.getMessage().contains("Authorization Error: Access denied"), e.getMessage());
    }

    @Test
    void aNameIsTakenWhenPackageShowFindsItAndFreeOn404() throws Exception {
        target.addDataset("some-id", "some-name", "org", "2020-01-01T00:00:00");

        assertTrue(catalog.isDatasetNameTaken("some-name"));
        assertFalse(catalog.isDatasetNameTaken("free-name"));
        assertEquals(Optional.empty(), catalog.findDataset("free-name"));
        assertEquals("some-name", catalog.findDataset("some-id").orElseThrow().name());
    }

    @Test
    void deletingAMissingDatasetIsNotAnError() throws Exception {
        catalog.deleteDataset("never-existed");

        assertEquals(1, target.requestsTo("package_delete").size());
    }

    @Test
    void organizationsAreFoundAndCreatedWithOrganizationActions() throws Exception {
        CatalogGroup created = catalog.createGroup(GroupKind.ORGANIZATION,
                new CatalogGroup(Map.of("id", "org-id", "name", "my-org")));

        assertEquals("org-id", created.id());
        assertEquals("my-org", catalog.findGroup(GroupKind.ORGANIZATION, "org-id").orElseThrow().name());
        assertTrue(catalog.findGroup(GroupKind.GROUP, "org-id").isEmpty());
        assertEquals(1, target.requestsTo("organization_create").size());
    }

    @Test
    void aServerErrorWhileReadingIsACatalogExceptionNotAMissingDataset() {
        target.enqueue(MockCkan.Scripted.status(500, "x"), MockCkan.Scripted.status(500, "x"));

        CatalogException e = assertThrows(CatalogException.class, () -> catalog.findDataset("some-id"));

        assertTrue(e.getMessage().startsWith("package_show of 'some-id' failed: HTTP error: 500"), e.getMessage());
    }

    @Test
    void theCatalogIsBuiltFromSiteSettings() {
        Map<String, String> settings = Map.of(CkanCatalog.URL_KEY, target.url() + "/data",
                CkanCatalog.API_KEY_KEY, "secret-token", CkanCatalog.READ_TIMEOUT_KEY, "5");

        CkanCatalog fromSettings = CkanCatalog.fromSettings(key -> Optional.ofNullable(settings.get(key)));

        assertEquals(target.url() + "/data", fromSettings.baseUrl());
    }

    @Test
    void missingOrMalformedSiteSettingsAreNamed() {
        IllegalArgumentException noUrl = assertThrows(IllegalArgumentException.class,
                () -> CkanCatalog.fromSettings(key -> Optional.empty()));
        assertTrue(noUrl.getMessage().startsWith(CkanCatalog.URL_KEY + " must be set"), noUrl.getMessage());

        Map<String, String> settings = Map.of(CkanCatalog.URL_KEY, "http://x", CkanCatalog.API_KEY_KEY, "t",
                CkanCatalog.CONNECT_TIMEOUT_KEY, "soon");
        IllegalArgumentException badTimeout = assertThrows(IllegalArgumentException.class,
                () -> CkanCatalog.fromSettings(key -> Optional.ofNullable(settings.get(key))));
        assertEquals(CkanCatalog.CONNECT_TIMEOUT_KEY + " must be a positive whole number, not 'soon'",
                badTimeout.getMessage());
    }
}
