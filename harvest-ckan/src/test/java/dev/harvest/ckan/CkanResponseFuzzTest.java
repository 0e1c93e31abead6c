package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Property tests of how CKAN responses are read (issue 13's fuzz suite): whatever a remote sends, reading it ends,
 * quickly, in a result or in one {@link CkanRemoteException} whose message is one bounded line that never quotes the
 * body (only a CKAN error envelope's own {@code error} is shown); and one bad value errors one record, not its page.
 * The numbers of tries are recorded in docs/reliability.md.
 */
class CkanResponseFuzzTest {

    private static final String URL = "http://remote.example/api/3/action/package_search?rows=1000&start=0";
    private static final String SECRET = "SECRET-MARKER-7f3a";
    private static final ObjectMapper LENIENT = new ObjectMapper().enable(
            com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS.mappedFeature());

    /** A valid package_search page with the marker in a title, the start of every mutation. */
    static final String VALID_PAGE = "{\"help\": \"x\", \"success\": true, \"result\": {\"count\": 3, \"results\": ["
            + "{\"id\": \"a\", \"name\": \"a\", \"title\": \"" + SECRET + "\", \"extras\": [{\"key\": \"k\", \"value\": 1}]},"
            + "{\"id\": \"b\", \"name\": \"b\", \"resources\": [{\"url\": \"http://x\"}], \"tags\": [{\"name\": \"t\"}]},"
            + "{\"id\": \"c\", \"name\": \"c\", \"metadata_modified\": \"2024-01-01T00:00:00\"}]}}";

    @Provide
    Arbitrary<String> mutatedPages() {
        return FuzzJson.mutationsOf(VALID_PAGE);
    }

    @Provide
    Arbitrary<String> randomBodies() {
        return Arbitraries.oneOf(
                Arbitraries.strings().all().ofMaxLength(200),
                FuzzJson.value(4),
                FuzzJson.value(3).map(v -> "{\"success\": true, \"result\": " + v + "}"),
                FuzzJson.value(3).map(v -> "{\"success\": false, \"error\": " + v + "}"),
                FuzzJson.value(2).map(v -> "{\"success\": " + v + ", \"result\": {\"results\": [" + v + "]}}"),
                Arbitraries.integers().between(1, 3000).map(depth -> "{\"success\": true, \"result\": "
                        + FuzzJson.nested(depth) + "}"),
                Arbitraries.integers().between(0, VALID_PAGE.length()).map(cut -> VALID_PAGE.substring(0, cut)));
    }

    @Provide
    Arbitrary<String> contentTypes() {
        return Arbitraries.of("application/json", "application/json; charset=utf-8", "text/html", "text/plain",
                "application/xml", "", "text/html; charset=iso-8859-1", "application/json; charset=utf-16");
    }

    @Property(tries = 2000)
    void aMutatedPageIsReadOrRefusedWithOneBoundedLine(@ForAll("mutatedPages") String body,
            @ForAll("contentTypes") String contentType) {
        readEitherWay(body, contentType, 200);
    }

    @Property(tries = 1500)
    void anyBodyWithAnyStatusIsReadOrRefusedWithOneBoundedLine(@ForAll("randomBodies") String body,
            @ForAll("contentTypes") String contentType, @ForAll @IntRange(min = 100, max = 599) int status) {
        readEitherWay(body, contentType, status);
    }

    /**
     * Found by the properties: Jackson's BigDecimal throws NumberFormatException for an exponent past int range, which
     * escaped the reader, and then failed a whole page for one record's number.
     */
    @Example
    void aNumberBeyondTheRangeOfBigDecimalIsRefusedAsBadJsonOrFailsOnlyItsRecord() throws Exception {
        String body = "{\"success\": true, \"result\": {\"count\": 2, \"results\": [{\"id\": \"a\", \"size\":"
                + " 0.1e9999990000}, {\"id\": \"b\", \"size\": 1.25}]}}";
        HttpTransport.HttpResponse response = new HttpTransport.HttpResponse(URL, 200, "application/json", body,
                body.length());

        CkanRemoteException refused = org.junit.jupiter.api.Assertions.assertThrows(CkanRemoteException.class,
                () -> CkanApi.envelope(response, Json.MAPPER));
        assertEquals("Response from " + URL + " is not valid JSON (HTTP 200, Content-Type application/json, "
                + body.length() + " bytes; a number is out of range)", refused.getMessage());

        JsonNode results = CkanApi.result(CkanApi.envelope(response, Json.TOLERANT_MAPPER)).get("results");
        assertEquals(Optional.of("a number that is not finite or out of range (Infinity) at size"),
                Json.recordProblem(results.get(0)));
        assertEquals(Optional.empty(), Json.recordProblem(results.get(1)));
    }

    /** Reads the body as a page and as a single record would be, strict and tolerant, checking every outcome. */
    private static void readEitherWay(String body, String contentType, int status) {
        HttpTransport.HttpResponse response = new HttpTransport.HttpResponse(URL, status,
                contentType.isEmpty() ? null : contentType, body, body.getBytes(StandardCharsets.UTF_8).length);
        for (ObjectMapper mapper : List.of(Json.MAPPER, Json.TOLERANT_MAPPER)) {
            long started = System.nanoTime();
            try {
                JsonNode result = CkanApi.result(CkanApi.envelope(response, mapper));
                assertTrue(status >= 200 && status < 300, "only a 2xx response has a result");
                for (JsonNode record : result.path("results")) {
                    Optional<String> problem = Json.recordProblem(record);
                    if (problem.isEmpty()) {
                        // what is stored is valid JSON that the import reads back
                        Json.parseObject(Json.write(record.isObject() ? record : Json.MAPPER.createObjectNode()));
                    } else {
                        assertFalse(problem.get().contains("\n"), problem.get());
                    }
                }
            } catch (CkanRemoteException refused) {
                String message = refused.getMessage();
                assertFalse(message.contains("\n") || message.contains("\r"), "one line: " + message);
                assertTrue(message.length() <= URL.length() + 1400, "bounded: " + message.length());
                assertTrue(message.contains(URL), "names the URL: " + message);
                if (message.contains(SECRET)) {
                    assertTrue(errorMemberHolds(body, SECRET), "quotes the body: " + message);
                }
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new AssertionError("a record that passed its check was written as invalid JSON", e);
            }
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertTrue(millis < 2000, "took " + millis + " ms");
        }
    }

    /** Whether a body is a JSON object whose {@code error} member holds the text: CKAN's error, which is shown. */
    private static boolean errorMemberHolds(String body, String text) {
        try {
            JsonNode node = LENIENT.readTree(body);
            return node != null && node.has("error") && node.get("error").toString().contains(text);
        } catch (Exception notJson) {
            return false;
        }
    }

    @Provide
    Arbitrary<List<String>> pagesWithPoisonedRecords() {
        Arbitrary<String> poison = Arbitraries.oneOf(
                Arbitraries.of("NaN", "Infinity", "-Infinity"),
                Arbitraries.integers().between(Json.MAX_RECORD_DEPTH, 900).map(FuzzJson::nested));
        Arbitrary<String> record = Combinators.combine(FuzzJson.value(2, false), Arbitraries.integers().between(0, 2))
                .as((value, where) -> switch (where) {
                    case 0 -> "{\"title\": " + value + ", \"extras\": [{\"value\": %s}]}";
                    case 1 -> "{\"resources\": [{\"size\": %s, \"x\": " + value + "}]}";
                    default -> "{\"deep\": {\"er\": [%s]}, \"notes\": " + value + "}";
                });
        return Combinators.combine(record.list().ofMinSize(1).ofMaxSize(15), poison.list().ofMinSize(1).ofMaxSize(15),
                Arbitraries.integers().between(0, 1 << 15)).as((templates, poisons, mask) -> {
                    List<String> records = new ArrayList<>();
                    for (int i = 0; i < templates.size(); i++) {
                        boolean poisoned = (mask >> i & 1) == 1;
                        String filler = poisoned ? poisons.get(i % poisons.size()) : "1";
                        records.add((poisoned ? "P" : "G") + templates.get(i).replace("%s", filler));
                    }
                    return records;
                });
    }

    @Property(tries = 500)
    void oneBadValueErrorsItsRecordAndNoOther(@ForAll("pagesWithPoisonedRecords") List<String> records)
            throws Exception {
        StringBuilder page = new StringBuilder("{\"success\": true, \"result\": {\"count\": " + records.size()
                + ", \"results\": [");
        for (int i = 0; i < records.size(); i++) {
            page.append(i == 0 ? "" : ",").append(records.get(i).substring(1));
        }
        page.append("]}}");
        String body = page.toString();
        HttpTransport.HttpResponse response = new HttpTransport.HttpResponse(URL, 200, "application/json", body,
                body.length());

        JsonNode results = CkanApi.result(CkanApi.envelope(response, Json.TOLERANT_MAPPER)).get("results");

        assertEquals(records.size(), results.size());
        for (int i = 0; i < records.size(); i++) {
            boolean poisoned = records.get(i).startsWith("P");
            Optional<String> problem = Json.recordProblem(results.get(i));
            assertEquals(poisoned, problem.isPresent(), "record " + i + ": " + records.get(i) + " -> " + problem);
        }
    }
}
