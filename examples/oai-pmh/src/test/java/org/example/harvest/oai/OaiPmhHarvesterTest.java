package org.example.harvest.oai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.FetchContext;
import dev.harvest.api.FetchOutcome;
import dev.harvest.api.GatherContext;
import dev.harvest.api.GatherOutcome;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.Harvester;
import dev.harvest.api.HarvesterInfo;
import dev.harvest.api.ImportContext;
import dev.harvest.api.ImportOutcome;
import dev.harvest.api.Settings;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.testkit.FixtureRequest;
import dev.harvest.testkit.FixtureResponse;
import dev.harvest.testkit.FixtureServer;
import dev.harvest.testkit.HarvestResult;
import dev.harvest.testkit.HarvestTestBed;
import dev.harvest.testkit.HarvesterContract;
import dev.harvest.testkit.InvalidSourceException;
import dev.harvest.testkit.SourceSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The OAI-PMH harvester: the testkit's harvester contract against a two-page {@code ListRecords} listing written
 * from the OAI-PMH 2.0 specification, then what is particular to OAI-PMH.
 */
class OaiPmhHarvesterTest extends HarvesterContract {

    private static final String XML = "text/xml; charset=UTF-8";
    private static final String FIRST_TOKEN = "b2FpX2RjOjM6NQ==/page 2";
    private static final String WATER_QUALITY = "oai:repository.example.org:dataset/1001";
    private static final String WITHDRAWN = "oai:repository.example.org:dataset/1003";

    @Override
    protected Harvester harvester() {
        return new OaiPmhHarvester();
    }

    /** Pages 1 and 2 of the listing: four live records and one deleted one (1003), which was never harvested. */
    @Override
    protected void serveRemote(FixtureServer server) {
        serveListing(server, "oai/ListRecords-page1.xml");
    }

    @Override
    protected String sourceUrl(FixtureServer server) {
        return server.url("/oai");
    }

    @Override
    protected int expectedRecords() {
        return 4;
    }

    @Test
    void theResumptionTokenIsFollowedUntilItIsEmpty() {
        serveRemote(server());

        testBed().harvest(newSource()).assertFinishedWithoutErrors().assertCounts(4, 0, 0, 1, 0);

        List<FixtureRequest> requests = server().requests("/oai");
        assertEquals(2, requests.size(), () -> "requests: " + requests);
        FixtureRequest first = requests.get(0);
        assertEquals(Optional.of("ListRecords"), first.query("verb"));
        assertEquals(Optional.of("oai_dc"), first.query("metadataPrefix"));
        assertEquals(Optional.empty(), first.query("resumptionToken"));
        FixtureRequest second = requests.get(1);
        // resumptionToken is an exclusive argument: verb and the token, nothing else
        assertEquals(Map.of("verb", List.of("ListRecords"), "resumptionToken", List.of(FIRST_TOKEN)),
                second.queryParameters());
        assertTrue(second.rawQuery().orElseThrow().contains("b2FpX2RjOjM6NQ%3D%3D%2Fpage"),
                () -> "the token must be URL-encoded: " + second.rawQuery());
    }

    @Test
    void aDeletedRecordDeletesItsDatasetOnTheNextHarvest() {
        serveListing(server(), "oai/ListRecords-page1-before-deletion.xml");
        HarvestSource source = newSource();
        HarvestResult first = testBed().harvest(source).assertFinishedWithoutErrors().assertCounts(5, 0, 0, 0, 0);
        String withdrawnId = first.object(WITHDRAWN).orElseThrow().packageId();
        assertEquals("active", testBed().dataset(withdrawnId).orElseThrow().state());

        serveListing(server(), "oai/ListRecords-page1.xml"); // the repository now lists 1003 with status="deleted"
        HarvestResult second = testBed().harvest(source).assertFinishedWithoutErrors().assertCounts(0, 0, 1, 4, 0);

        assertEquals("deleted", second.object(WITHDRAWN).orElseThrow().reportStatus());
        assertEquals("deleted", testBed().dataset(withdrawnId).orElseThrow().state());
        assertEquals(4, testBed().datasets(source).size());

        // the repository keeps announcing the deletion; that deletes nothing more and is no error
        testBed().harvest(source).assertFinishedWithoutErrors().assertCounts(0, 0, 0, 5, 0);
        assertEquals("deleted", testBed().dataset(withdrawnId).orElseThrow().state());
    }

    @Test
    void aDublinCoreRecordBecomesACkanDatasetFieldByField() {
        serveRemote(server());
        testBed().organization("freshwater-institute");
        HarvestSource source = testBed().source(SourceSpec.of("repository", sourceUrl(server()))
                .withOwnerOrg("freshwater-institute"));

        HarvestResult result = testBed().harvest(source).assertFinishedWithoutErrors();

        String id = result.object(WATER_QUALITY).orElseThrow().packageId();
        Dataset dataset = testBed().dataset(id).orElseThrow();
        assertEquals(id, dataset.id());
        assertEquals("river-water-quality-measurements-upper-danube-basin-2015-2023", dataset.name());
        assertEquals("River Water Quality Measurements, Upper Danube Basin 2015-2023", dataset.title());
        assertEquals("Monthly measurements of temperature, pH, dissolved oxygen, nitrate and phosphate at 42 gauging"
                + " stations on the Danube and its tributaries upstream of Passau.\n\n"
                + "Collected under the Water Framework Directive monitoring programme.", dataset.string("notes"));
        assertEquals("Hofer, Anna; Institute for Freshwater Research", dataset.string("author"));
        assertEquals("https://repository.example.org/dataset/1001", dataset.string("url"));
        assertEquals("freshwater-institute", dataset.ownerOrg());
        // munged as CKAN's munge_tag does, "Rivers" and "rivers" once
        assertEquals(List.of("water-quality", "rivers", "nitrate--phosphate"),
                dataset.dictList("tags").stream().map(tag -> tag.get("name")).toList());
        assertEquals(List.of(
                        Map.of("key", "dc_identifier",
                                "value", "https://repository.example.org/dataset/1001; doi:10.5555/ifr.1001"),
                        Map.of("key", "dc_contributor", "value", "Bauer, Lukas"),
                        Map.of("key", "dc_date", "value", "2024-04-18"),
                        Map.of("key", "dc_publisher", "value", "Institute for Freshwater Research"),
                        Map.of("key", "dc_rights",
                                "value", "Creative Commons Attribution 4.0 International (CC BY 4.0)"),
                        Map.of("key", "dc_type", "value", "Dataset"),
                        Map.of("key", "dc_format", "value", "text/csv"),
                        Map.of("key", "dc_language", "value", "en"),
                        Map.of("key", "dc_relation", "value", "https://repository.example.org/dataset/0987"),
                        Map.of("key", "dc_coverage", "value", "Upper Danube basin, Germany and Austria")),
                dataset.dictList("extras"));

        // a second title (another language) is not the title; a record without an http identifier has no url
        Dataset glacier = testBed().dataset(result.object("oai:repository.example.org:dataset/1005").orElseThrow()
                .packageId()).orElseThrow();
        assertEquals("", glacier.string("url"));
        assertEquals("Alpine Snow Depth Observations", testBed().dataset(result.object(
                "oai:repository.example.org:dataset/1004").orElseThrow().packageId()).orElseThrow().title());
    }

    @Test
    void theOriginalUrlOfARecordIsItsGetRecordRequest() {
        serveRemote(server());
        RecordingHarvester recording = new RecordingHarvester();
        try (HarvestTestBed recordingTestBed = HarvestTestBed.of(recording)) {
            HarvestSource source = recordingTestBed.source("repository", sourceUrl(server()), "");
            recordingTestBed.harvest(source).assertFinishedWithoutErrors();
            HarvestObject waterQuality = recording.imported.stream()
                    .filter(object -> object.guid().equals(WATER_QUALITY)).findFirst().orElseThrow();

            assertEquals(Optional.of(server().url("/oai") + "?verb=GetRecord&metadataPrefix=oai_dc"
                            + "&identifier=oai%3Arepository.example.org%3Adataset%2F1001"),
                    harvester().originalUrl(source, waterQuality));
        }
    }

    @Test
    void setAndFromAreSentAndAnIncrementalListingDeletesNothing() {
        serveRemote(server());
        HarvestSource source = testBed().source("incremental", sourceUrl(server()),
                "{\"set\": \"environment:water\", \"from\": \"2024-04-01\", \"metadataPrefix\": \"oai_dc\"}");
        testBed().harvest(source).assertFinishedWithoutErrors().assertCounts(4, 0, 0, 1, 0);
        FixtureRequest first = server().requests("/oai").get(0);
        assertEquals(Optional.of("environment:water"), first.query("set"));
        assertEquals(Optional.of("2024-04-01"), first.query("from"));

        // nothing changed since "from": a partial listing, so the four datasets it did not list stay
        server().serveResource("/oai", XML, "oai/error-noRecordsMatch.xml");
        testBed().harvest(source).assertFinishedWithoutErrors().assertCounts(0, 0, 0, 0, 0);
        assertEquals(4, testBed().datasets(source).size());
    }

    @Test
    void anOaiPmhErrorFailsTheGatherWithItsCodeAndMessage() {
        server().serveResource("/oai", XML, "oai/error-cannotDisseminateFormat.xml");

        HarvestResult result = testBed().harvest(newSource());

        assertEquals(0, result.added());
        assertEquals(1, result.gatherErrors().size(), result::describe);
        String error = result.gatherErrors().get(0);
        assertTrue(error.startsWith("OAI-PMH error cannotDisseminateFormat: The metadata format identified by the"
                + " value given for the metadataPrefix argument is not supported by this repository from "
                + server().url("/oai?verb=ListRecords")), error);
    }

    @Test
    void anHttpErrorOrADoctypeFailsTheGatherNamingTheUrl() {
        AtomicReference<FixtureResponse> response = new AtomicReference<>(
                FixtureResponse.status(503, "text/plain", "Service Unavailable"));
        server().serve("/oai", request -> response.get());
        HarvestSource source = newSource();

        List<String> unavailable = testBed().harvest(source).gatherErrors();
        assertEquals(1, unavailable.size());
        assertTrue(unavailable.get(0).startsWith("Could not read the OAI-PMH response " + server().url("/oai")),
                unavailable::toString);
        assertTrue(unavailable.get(0).endsWith(": HTTP 503"), unavailable::toString);

        // an external entity (XXE) is never resolved: a DOCTYPE is refused before anything is read
        response.set(FixtureResponse.ok(XML, "<?xml version=\"1.0\"?><!DOCTYPE OAI-PMH [<!ENTITY secret SYSTEM"
                + " \"file:///etc/passwd\">]><OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\"><ListRecords>"
                + "<record><header><identifier>&secret;</identifier></header></record></ListRecords></OAI-PMH>"));
        HarvestResult withDoctype = testBed().harvest(source);
        assertEquals(0, withDoctype.added());
        assertTrue(withDoctype.gatherErrors().get(0).contains("DOCTYPE is disallowed"), withDoctype::describe);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"set\": \"maps\", \"until\": \"2024-01-01\"} | Unknown configuration option until; the oai_pmh harvester"
                + " knows allow_takeover, deletion_guard_max_share, force_deletions, from, gather_count_margin, gather_max_objects, gather_max_seconds, metadataPrefix, set",
        "{\"set\": \"maps\" | Malformed JSON: {\"set\": \"maps\"",
        "[\"set\"] | Malformed JSON: [\"set\"]",
        "{\"from\": \"last week\"} | from must be a UTC datestamp string, not \"last week\"",
        "{\"metadataPrefix\": \"marc21\"} | metadataPrefix must be \"oai_dc\", the only format this harvester maps,"
                + " not \"marc21\"",
        "{\"force_deletions\": \"yes\"} | force_deletions must be true or false, not \"yes\"",
        "{\"deletion_guard_max_share\": 2} | deletion_guard_max_share must be a number from 0 to 1, not 2",
    })
    void aBadConfigurationIsRefusedWithOneClearMessage(String config, String message) {
        InvalidSourceException refused = assertThrows(InvalidSourceException.class,
                () -> testBed().source("repository", sourceUrl(server()), config));

        assertEquals(Map.of("config", List.of("Error parsing the configuration options: " + message)),
                refused.fieldErrors());
    }

    @Test
    void theEngineKeysAndAnEmptyObjectAreAccepted() {
        String config = "{\"force_deletions\": true, \"deletion_guard_max_share\": 0.5, \"set\": \"a:b\"}";
        assertEquals(config, testBed().source("engine-keys", sourceUrl(server()), config).config());
        assertEquals("{}", testBed().source("empty-object", sourceUrl(server()), "{}").config());
        assertFalse(server().requestCount("/oai") > 0, "validating a configuration asks the remote nothing");
    }

    /** The OAI-PMH harvester, keeping the objects the engine hands to its import. */
    private static final class RecordingHarvester implements Harvester {
        private final Harvester oai = new OaiPmhHarvester();
        private final List<HarvestObject> imported = new CopyOnWriteArrayList<>();

        @Override
        public HarvesterInfo info() {
            return oai.info();
        }

        @Override
        public void start(Settings settings) throws Exception {
            oai.start(settings);
        }

        @Override
        public GatherOutcome gather(GatherContext context) throws Exception {
            return oai.gather(context);
        }

        @Override
        public FetchOutcome fetch(FetchContext context) throws Exception {
            return oai.fetch(context);
        }

        @Override
        public ImportOutcome importObject(ImportContext context) throws Exception {
            imported.add(context.object());
            return oai.importObject(context);
        }
    }

    /** Serves a two-page listing: {@code page1}, then page 2 for the token that page 1 ends with. */
    private static void serveListing(FixtureServer server, String page1) {
        String first = resource(page1);
        String second = resource("oai/ListRecords-page2.xml");
        server.serve("/oai", request -> request.query("resumptionToken").map(token -> token.equals(FIRST_TOKEN)
                        ? FixtureResponse.ok(XML, second)
                        : FixtureResponse.ok(XML, resource("oai/error-badResumptionToken.xml")))
                .orElse(FixtureResponse.ok(XML, first)));
    }

    private static String resource(String name) {
        try (InputStream in = OaiPmhHarvesterTest.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalArgumentException("No test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
