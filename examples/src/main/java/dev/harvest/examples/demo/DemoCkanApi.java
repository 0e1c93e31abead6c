package dev.harvest.examples.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo catalog's datasets as CKAN package dicts behind a minimal {@code package_search}: paging with
 * {@code rows}/{@code start} in a stable {@code id} order, {@code fl=id}, and the {@code metadata_modified} range
 * that incremental harvests send. Enough for the {@code ckan} harvester to harvest it offline; not a CKAN.
 */
final class DemoCkanApi {

    static final String PACKAGE_SEARCH_PATH = "/api/3/action/package_search";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern MODIFIED_SINCE = Pattern.compile("metadata_modified:\\[(\\S+?)Z? TO \\*]");
    private static final int MAX_ROWS = 1000;

    private final List<ObjectNode> packages;

    DemoCkanApi(byte[] dataJson) {
        this.packages = toPackages(dataJson);
    }

    byte[] packageSearch(String rawQuery) {
        Map<String, String> params = parse(rawQuery);
        int rows = Math.min(intParam(params, "rows", 10), MAX_ROWS);
        int start = intParam(params, "start", 0);
        List<ObjectNode> matching = new ArrayList<>();
        Matcher since = MODIFIED_SINCE.matcher(params.getOrDefault("fq", ""));
        String modifiedSince = since.find() ? since.group(1) : null;
        for (ObjectNode pkg : packages) {
            if (modifiedSince == null || pkg.path("metadata_modified").asText().compareTo(modifiedSince) >= 0) {
                matching.add(pkg);
            }
        }
        ArrayNode results = JSON.createArrayNode();
        boolean idsOnly = "id".equals(params.get("fl"));
        for (ObjectNode pkg : matching.subList(Math.min(start, matching.size()), Math.min(start + rows, matching.size()))) {
            results.add(idsOnly ? JSON.createObjectNode().put("id", pkg.get("id").asText()) : pkg);
        }
        ObjectNode envelope = JSON.createObjectNode();
        envelope.put("help", "demo package_search");
        envelope.put("success", true);
        ObjectNode result = envelope.putObject("result");
        result.put("count", matching.size());
        result.set("results", results);
        try {
            return JSON.writeValueAsBytes(envelope);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<ObjectNode> toPackages(byte[] dataJson) {
        try {
            JsonNode catalog = JSON.readTree(dataJson);
            List<ObjectNode> packages = new ArrayList<>();
            for (JsonNode dataset : catalog.path("dataset")) {
                packages.add(toPackage(dataset));
            }
            packages.sort(Comparator.comparing(pkg -> pkg.get("id").asText()));
            return packages;
        } catch (IOException e) {
            throw new UncheckedIOException("The demo catalog is not JSON", e);
        }
    }

    private static ObjectNode toPackage(JsonNode dataset) {
        String identifier = dataset.path("identifier").asText();
        String title = dataset.path("title").asText();
        String publisher = dataset.path("publisher").path("name").asText();
        ObjectNode pkg = JSON.createObjectNode();
        pkg.put("id", UUID.nameUUIDFromBytes(identifier.getBytes(StandardCharsets.UTF_8)).toString());
        pkg.put("name", slug(title));
        pkg.put("title", title);
        pkg.put("notes", dataset.path("description").asText());
        pkg.put("type", "dataset");
        pkg.put("state", "active");
        pkg.put("private", false);
        pkg.put("url", dataset.path("landingPage").asText(""));
        pkg.put("license_id", dataset.path("license").asText(""));
        // DCAT-US allows a repeating interval ("R/P1M") as modified; CKAN's metadata_modified is always a timestamp
        String modified = dataset.path("modified").asText("");
        modified = modified.matches("\\d{4}-\\d{2}-\\d{2}.*") ? modified.replace("Z", "") : "2026-01-01T00:00:00";
        pkg.put("metadata_modified", modified.length() == 10 ? modified + "T00:00:00" : modified);
        pkg.put("metadata_created", pkg.get("metadata_modified").asText());
        ObjectNode organization = pkg.putObject("organization");
        organization.put("name", slug(publisher));
        organization.put("title", publisher);
        pkg.putNull("owner_org");
        ArrayNode tags = pkg.putArray("tags");
        dataset.path("keyword").forEach(keyword -> tags.addObject().put("name", keyword.asText()));
        ArrayNode resources = pkg.putArray("resources");
        for (JsonNode distribution : dataset.path("distribution")) {
            ObjectNode resource = resources.addObject();
            resource.put("url", distribution.path("downloadURL").asText(distribution.path("accessURL").asText("")));
            resource.put("name", distribution.path("title").asText(""));
            resource.put("format", distribution.path("format").asText(""));
            resource.put("mimetype", distribution.path("mediaType").asText(""));
        }
        ArrayNode extras = pkg.putArray("extras");
        extras.addObject().put("key", "identifier").put("value", identifier);
        return pkg;
    }

    private static String slug(String text) {
        String slug = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
        return slug.length() > 100 ? slug.substring(0, 100) : slug;
    }

    private static Map<String, String> parse(String rawQuery) {
        Map<String, String> params = new HashMap<>();
        if (rawQuery == null) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.put(key, value);
        }
        return params;
    }

    private static int intParam(Map<String, String> params, String name, int defaultValue) {
        try {
            return params.containsKey(name) ? Integer.parseInt(params.get(name)) : defaultValue;
        } catch (NumberFormatException e) {
            return defaultValue;
        }
    }
}
