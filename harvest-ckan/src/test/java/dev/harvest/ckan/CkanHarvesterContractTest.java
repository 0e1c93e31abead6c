package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.Harvester;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.testkit.FixtureRequest;
import dev.harvest.testkit.FixtureResponse;
import dev.harvest.testkit.FixtureServer;
import dev.harvest.testkit.HarvestResult;
import dev.harvest.testkit.HarvesterContract;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The harvester contract for the CKAN harvester, against a small CKAN played by the test kit's {@link FixtureServer}:
 * the two real {@code package_show} answers of demo.ckan.org and ecocommons in the test resources (also in
 * /work/shared/fixtures/ckan/), served through {@code package_search} (with {@code start}, {@code rows}, {@code sort},
 * {@code fl=id} and the {@code fq} terms the harvester sends: a {@code metadata_modified} window and {@code id:"..."})
 * and {@code package_show}.
 */
class CkanHarvesterContractTest extends HarvesterContract {

    static final String PLAIN = "6633bb2c-8f85-4ac6-8c9b-c4ab740e1595";
    static final String WITH_EXTRAS = "4b946b11-b028-4467-97f4-6b86ffcd2636";

    private static final Pattern WINDOW = Pattern.compile("metadata_modified:\\[(\\S+)Z TO \\*]");
    private static final Pattern ID = Pattern.compile("id:\"([^\"]+)\"");
    private static final List<JsonNode> DATASETS = List.of(
            packageShowResult("real-package_show-ecocommons-plain.json"),
            packageShowResult("real-package_show-ecocommons-extras.json"));

    @Override
    protected Harvester harvester() {
        return new CkanHarvester(CkanHarvesterScenarioTest.fastTransport());
    }

    @Override
    protected void serveRemote(FixtureServer server) {
        server.serve("/api/3/action/package_search", CkanHarvesterContractTest::packageSearch);
        server.serve("/api/3/action/package_show", CkanHarvesterContractTest::packageShow);
    }

    @Override
    protected String sourceUrl(FixtureServer server) {
        return server.url("/");
    }

    @Override
    protected int expectedRecords() {
        return DATASETS.size();
    }

    @Test
    void realCkanDatasetsAreImportedUnderTheirRemoteIdsAndNamesWithTheirExtras() {
        serveRemote(server());
        HarvestSource source = newSource();

        HarvestResult job = testBed().harvest(source);

        job.assertFinishedWithoutErrors().assertCounts(2, 0, 0, 0, 0);
        Dataset plain = testBed().dataset(PLAIN).orElseThrow();
        assertEquals("nombres-masculinos-mas-frecuentes-en-la-provincia-de-barcelona", plain.name());
        Dataset withExtras = testBed().dataset(WITH_EXTRAS).orElseThrow();
        assertEquals(DATASETS.get(1).path("name").asText(), withExtras.name());
        assertEquals(DATASETS.get(1).path("extras").size(), withExtras.dictList("extras").size());
        assertFalse(withExtras.dictList("extras").isEmpty());
        assertTrue(plain.dictList("resources").stream().noneMatch(resource -> resource.containsKey("url_type")),
                "resources become plain links");
        assertEquals(1, server().requestCount("/api/3/action/package_search"), "two datasets fit on one page");
    }

    // -------------------------------------------------------------------------------------- the small CKAN

    private static JsonNode packageShowResult(String resource) {
        try (InputStream in = CkanHarvesterContractTest.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("No test resource " + resource);
            }
            return MockCkan.MAPPER.readTree(in).path("result");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static FixtureResponse packageSearch(FixtureRequest request) {
        List<Predicate<JsonNode>> filters = new ArrayList<>();
        String fq = request.query("fq").orElse("").trim();
        if (!fq.isEmpty()) {
            Matcher window = WINDOW.matcher(fq);
            Matcher id = ID.matcher(fq);
            if (window.matches()) {
                String since = window.group(1);
                filters.add(dataset -> dataset.path("metadata_modified").asText().compareTo(since) >= 0);
            } else if (id.matches()) {
                filters.add(dataset -> id.group(1).equals(dataset.path("id").asText()));
            } else {
                return error(400, "Search Query Error", "Unsupported fq in this fixture: " + fq);
            }
        }
        List<JsonNode> matching = DATASETS.stream()
                .filter(dataset -> filters.stream().allMatch(filter -> filter.test(dataset)))
                .sorted(Comparator.comparing(dataset -> dataset.path("id").asText()))
                .toList();
        int start = Integer.parseInt(request.query("start").orElse("0"));
        int rows = Integer.parseInt(request.query("rows").orElse("10"));
        boolean idsOnly = "id".equals(request.query("fl").orElse(null));
        ArrayNode results = JsonNodeFactory.instance.arrayNode();
        for (int i = start; i < Math.min(matching.size(), start + rows); i++) {
            JsonNode dataset = matching.get(i);
            results.add(idsOnly ? JsonNodeFactory.instance.objectNode().put("id", dataset.path("id").asText())
                    : dataset);
        }
        ObjectNode result = JsonNodeFactory.instance.objectNode();
        result.put("count", matching.size());
        result.set("results", results);
        return ok(result);
    }

    private static FixtureResponse packageShow(FixtureRequest request) {
        String id = request.query("id").orElse("");
        Optional<JsonNode> dataset = DATASETS.stream()
                .filter(candidate -> id.equals(candidate.path("id").asText())
                        || id.equals(candidate.path("name").asText()))
                .findFirst();
        return dataset.map(CkanHarvesterContractTest::ok)
                .orElseGet(() -> error(404, "Not Found Error", "Not found"));
    }

    private static FixtureResponse ok(JsonNode result) {
        ObjectNode envelope = JsonNodeFactory.instance.objectNode();
        envelope.put("help", "http://fixture/api/3/action/help_show");
        envelope.put("success", true);
        envelope.set("result", result);
        return FixtureResponse.ok("application/json", envelope.toString());
    }

    private static FixtureResponse error(int status, String type, String message) {
        return FixtureResponse.status(status, "application/json", MockCkan.json(Map.of(
                "help", "http://fixture/api/3/action/help_show", "success", false,
                "error", Map.of("__type", type, "message", message))));
    }
}
