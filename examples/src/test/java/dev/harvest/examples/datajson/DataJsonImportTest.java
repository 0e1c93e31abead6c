package dev.harvest.examples.datajson;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.ImportOutcome;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.examples.testing.InMemoryCatalog;
import dev.harvest.examples.testing.TestImportContext;
import dev.harvest.examples.testing.TestSources;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class DataJsonImportTest {

    private static final String STREAMFLOW = """
            {
              "identifier": "https://water.example.org/id/streamflow-daily",
              "title": "Daily Streamflow",
              "description": "Daily mean discharge at gauging stations.",
              "keyword": ["streamflow", "Surface Water", "streamflow", "  "],
              "modified": "2026-05-30T06:00:00Z",
              "publisher": {"@type": "org:Organization", "name": "Bureau of Water Resources"},
              "contactPoint": {"fn": "Water Data Team", "hasEmail": "mailto:waterdata@example.org"},
              "accessLevel": "public",
              "bureauCode": ["010:12"],
              "programCode": ["010:001", "010:002"],
              "spatial": "-124.4,32.5,-114.1,42.0",
              "temporal": "1990-01-01/2026-05-29",
              "license": "https://creativecommons.org/publicdomain/zero/1.0/",
              "landingPage": "https://water.example.org/data/streamflow",
              "distribution": [
                {"title": "Daily streamflow (CSV)", "downloadURL": "https://water.example.org/streamflow.csv",
                 "accessURL": "https://water.example.org/ignored", "mediaType": "text/csv", "format": "CSV"},
                {"title": "Streamflow API", "accessURL": "https://water.example.org/api", "description": "Query it."}
              ]
            }""";

    private final DataJsonHarvester harvester = new DataJsonHarvester();
    private final InMemoryCatalog catalog = new InMemoryCatalog();
    private final HarvestSource source = TestSources.dataJsonSource("https://water.example.org/data.json", "");

    private static HarvestObject object(String guid, String content, String packageId) {
        return HarvestObject.builder()
                .id("obj-" + guid + "-" + (packageId == null ? "new" : "again"))
                .guid(guid)
                .jobId("job-1")
                .sourceId(TestSources.SOURCE_ID)
                .content(content)
                .packageId(packageId)
                .extras(Map.of())
                .build();
    }

    private ImportOutcome importObject(HarvestObject object, HarvestObject previous, boolean force) throws Exception {
        return harvester.importObject(
                new TestImportContext(source, object, Optional.ofNullable(previous), force, catalog));
    }

    private ImportOutcome importNew(String guid, String content) throws Exception {
        return importObject(object(guid, content, null), null, false);
    }

    private Dataset stored(String id) throws Exception {
        return catalog.findDataset(id).orElseThrow();
    }

    private static Map<String, Object> extras(Dataset dataset) {
        return dataset.dictList("extras").stream()
                .collect(Collectors.toMap(extra -> (String) extra.get("key"), extra -> extra.get("value")));
    }

    private static String titled(String identifier, String title) {
        return "{\"identifier\": \"" + identifier + "\", \"title\": \"" + title + "\"}";
    }

    @Test
    void aNewDatasetIsCreatedWithAStableIdAndANameFromItsTitle() throws Exception {
        String guid = "https://water.example.org/id/streamflow-daily";
        ImportOutcome outcome = importNew(guid, STREAMFLOW);

        String expectedId = DataJsonHarvester.stableDatasetId(TestSources.SOURCE_ID, guid);
        assertEquals(ImportOutcome.created(expectedId), outcome);
        Dataset dataset = stored(expectedId);
        assertEquals("daily-streamflow", dataset.name());
        assertEquals("Daily Streamflow", dataset.title());
        assertEquals("Daily mean discharge at gauging stations.", dataset.string("notes"));
        assertEquals("https://water.example.org/data/streamflow", dataset.string("url"));
        assertEquals("org-water", dataset.ownerOrg());
    }

    @Test
    void theStableIdDependsOnSourceAndIdentifier() {
        assertEquals(DataJsonHarvester.stableDatasetId("s1", "a"), DataJsonHarvester.stableDatasetId("s1", "a"));
        assertNotEquals(DataJsonHarvester.stableDatasetId("s1", "a"), DataJsonHarvester.stableDatasetId("s2", "a"));
        assertNotEquals(DataJsonHarvester.stableDatasetId("s1", "a"), DataJsonHarvester.stableDatasetId("s1", "b"));
    }

    @Test
    void keywordsBecomeMungedTagsOnceEach() throws Exception {
        importNew("https://water.example.org/id/streamflow-daily", STREAMFLOW);
        Dataset dataset = catalog.datasets().iterator().next();

        assertEquals(List.of(Map.of("name", "streamflow"), Map.of("name", "surface-water")), dataset.dictList("tags"));
    }

    @Test
    void distributionsBecomeResourcesPreferringTheDownloadUrl() throws Exception {
        importNew("https://water.example.org/id/streamflow-daily", STREAMFLOW);
        List<Map<String, Object>> resources = catalog.datasets().iterator().next().dictList("resources");

        assertEquals(2, resources.size());
        assertEquals(Map.of("url", "https://water.example.org/streamflow.csv", "name", "Daily streamflow (CSV)",
                "format", "CSV", "mimetype", "text/csv"), resources.get(0));
        assertEquals(Map.of("url", "https://water.example.org/api", "name", "Streamflow API",
                "description", "Query it."), resources.get(1));
    }

    @Test
    void dcatUsFieldsBecomeExtrasWithListsJsonEncoded() throws Exception {
        importNew("https://water.example.org/id/streamflow-daily", STREAMFLOW);
        Dataset dataset = catalog.datasets().iterator().next();

        assertEquals(Map.of(
                "identifier", "https://water.example.org/id/streamflow-daily",
                "modified", "2026-05-30T06:00:00Z",
                "publisher", "Bureau of Water Resources",
                "contact_name", "Water Data Team",
                "contact_email", "waterdata@example.org",
                "accessLevel", "public",
                "spatial", "-124.4,32.5,-114.1,42.0",
                "temporal", "1990-01-01/2026-05-29",
                "bureauCode", "[\"010:12\"]",
                "programCode", "[\"010:001\",\"010:002\"]"), extras(dataset));
    }

    @Test
    void aWellKnownLicenseUrlGetsItsCkanIdAndKeepsTheUrl() throws Exception {
        importNew("https://water.example.org/id/streamflow-daily", STREAMFLOW);
        Dataset dataset = catalog.datasets().iterator().next();

        assertEquals("cc-zero", dataset.string("license_id"));
        assertEquals("https://creativecommons.org/publicdomain/zero/1.0/", dataset.string("license_url"));
    }

    @Test
    void aLicenseThatIsNotAUrlIsTheLicenseId() throws Exception {
        importNew("x", "{\"identifier\": \"x\", \"title\": \"X\", \"license\": \"odc-by\"}");
        Dataset dataset = catalog.datasets().iterator().next();

        assertEquals("odc-by", dataset.string("license_id"));
        assertFalse(dataset.has("license_url"));
    }

    @Test
    void aSourceWithoutOrganizationCreatesDatasetsWithoutOwner() throws Exception {
        HarvestSource orphanSource = TestSources.dataJsonSource("https://example.org/data.json", "", null);
        harvester.importObject(new TestImportContext(orphanSource, object("x", titled("x", "X"), null),
                Optional.empty(), false, catalog));

        assertNull(catalog.datasets().iterator().next().ownerOrg());
    }

    @Test
    void datasetsWithTheSameTitleGetUniqueNames() throws Exception {
        importNew("a", titled("a", "Trees"));
        importNew("b", titled("b", "Trees"));
        importNew("c", titled("c", "Trees"));

        assertEquals(List.of("trees", "trees1", "trees2"),
                catalog.datasets().stream().map(Dataset::name).sorted().toList());
    }

    @Test
    void aDatasetWithoutTitleFailsNamingItsIdentifier() throws Exception {
        assertEquals(ImportOutcome.failed("Dataset no-title has no title"),
                importNew("no-title", "{\"identifier\": \"no-title\", \"title\": \" \"}"));
        assertTrue(catalog.datasets().isEmpty());
    }

    @Test
    void contentThatIsNotADatasetObjectFails() throws Exception {
        assertEquals(ImportOutcome.failed("The content of harvest object x is not a DCAT-US dataset object"),
                importNew("x", "[1]"));
    }

    @Test
    void theSameContentAsThePreviousImportIsUnchanged() throws Exception {
        ImportOutcome.Created created = (ImportOutcome.Created) importNew("a", titled("a", "Trees"));
        HarvestObject previous = object("a", titled("a", "Trees"), created.datasetId());
        // Same JSON, other formatting and member order.
        HarvestObject again = object("a", "{\"title\":\"Trees\",\n \"identifier\":\"a\"}", created.datasetId());

        assertEquals(ImportOutcome.unchanged(created.datasetId()), importObject(again, previous, false));
    }

    @Test
    void aForcedImportUpdatesEvenWhenNothingChanged() throws Exception {
        ImportOutcome.Created created = (ImportOutcome.Created) importNew("a", titled("a", "Trees"));
        HarvestObject previous = object("a", titled("a", "Trees"), created.datasetId());

        assertEquals(ImportOutcome.updated(created.datasetId()),
                importObject(object("a", titled("a", "Trees"), created.datasetId()), previous, true));
    }

    @Test
    void changedContentUpdatesTheDatasetAndKeepsItsName() throws Exception {
        ImportOutcome.Created created = (ImportOutcome.Created) importNew("a", titled("a", "Trees"));
        HarvestObject previous = object("a", titled("a", "Trees"), created.datasetId());

        ImportOutcome outcome = importObject(
                object("a", titled("a", "Trees and shrubs"), created.datasetId()), previous, false);

        assertEquals(ImportOutcome.updated(created.datasetId()), outcome);
        Dataset dataset = stored(created.datasetId());
        assertEquals("Trees and shrubs", dataset.title());
        assertEquals("trees", dataset.name());
        assertEquals(1, catalog.datasets().size());
    }

    @Test
    void aDeletedDatasetThatReappearsIsRevivedUnderItsOldName() throws Exception {
        ImportOutcome.Created created = (ImportOutcome.Created) importNew("a", titled("a", "Trees"));
        catalog.deleteDataset(created.datasetId());

        // After a deletion no object is current, so the engine gives no previous object and no package id.
        assertEquals(ImportOutcome.updated(created.datasetId()), importNew("a", titled("a", "Trees")));
        Dataset dataset = stored(created.datasetId());
        assertEquals("active", dataset.state());
        assertEquals("trees", dataset.name());
    }

    @Test
    void theDatasetOfAnEarlierHarvestIsUpdatedEvenUnderAnotherId() throws Exception {
        Dataset legacy = catalog.createDataset(new Dataset(Map.of("id", "legacy-id", "name", "old-trees",
                "title", "Trees")));
        HarvestObject previous = object("a", titled("a", "Trees"), legacy.id());

        ImportOutcome outcome = importObject(object("a", titled("a", "Trees 2"), legacy.id()), previous, false);

        assertEquals(ImportOutcome.updated("legacy-id"), outcome);
        assertEquals("old-trees", stored("legacy-id").name());
    }
}
