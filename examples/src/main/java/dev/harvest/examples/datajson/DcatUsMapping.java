package dev.harvest.examples.datajson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.harvest.api.catalog.DatasetNames;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Maps a DCAT-US dataset to the fields of a CKAN package dict, in the spirit of ckanext-datajson.
 *
 * <table>
 *   <caption>DCAT-US field to CKAN field</caption>
 *   <tr><th>DCAT-US</th><th>CKAN</th></tr>
 *   <tr><td>{@code title}</td><td>{@code title}</td></tr>
 *   <tr><td>{@code description}</td><td>{@code notes}</td></tr>
 *   <tr><td>{@code landingPage}</td><td>{@code url}</td></tr>
 *   <tr><td>{@code keyword[]}</td><td>{@code tags[].name}, munged with CKAN's {@code munge_tag}</td></tr>
 *   <tr><td>{@code distribution[]}</td><td>{@code resources[]}: {@code downloadURL} or else {@code accessURL} to
 *       {@code url}, {@code title} to {@code name}, {@code format}, {@code mediaType} to {@code mimetype},
 *       {@code description}</td></tr>
 *   <tr><td>{@code license}</td><td>{@code license_url} when it is a URL, and {@code license_id}: the CKAN id of
 *       a well-known licence URL, else the value itself</td></tr>
 *   <tr><td>{@code identifier}, {@code modified}, {@code publisher.name}, {@code contactPoint.fn},
 *       {@code contactPoint.hasEmail}, {@code accessLevel}, {@code spatial}, {@code temporal},
 *       {@code bureauCode}, {@code programCode}</td><td>{@code extras} with keys {@code identifier},
 *       {@code modified}, {@code publisher}, {@code contact_name}, {@code contact_email} (without
 *       {@code mailto:}), {@code accessLevel}, {@code spatial}, {@code temporal}, {@code bureauCode},
 *       {@code programCode}; arrays and objects JSON-encoded</td></tr>
 * </table>
 */
final class DcatUsMapping {

    /** Licence URLs common in data.json catalogs, and their CKAN licence ids. */
    private static final Map<String, String> KNOWN_LICENSES = Map.of(
            "creativecommons.org/publicdomain/zero/1.0", "cc-zero",
            "creativecommons.org/licenses/by/4.0", "cc-by",
            "creativecommons.org/licenses/by-sa/4.0", "cc-by-sa",
            "creativecommons.org/licenses/by-nc/4.0", "cc-nc",
            "opendatacommons.org/licenses/odbl/1.0", "odc-odbl",
            "opendatacommons.org/licenses/pddl/1.0", "odc-pddl",
            "opendatacommons.org/licenses/by/1.0", "odc-by",
            "www.usa.gov/publicdomain/label/1.0", "other-pd",
            "www.usa.gov/government-works", "other-pd");

    private DcatUsMapping() {}

    /**
     * The CKAN fields of a DCAT-US dataset. The caller adds {@code id}, {@code name} and {@code owner_org}.
     *
     * @param dataset the DCAT-US dataset
     * @return the package dict fields, in CKAN's usual order
     */
    static Map<String, Object> toPackageFields(ObjectNode dataset) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("title", text(dataset, "title"));
        putIfPresent(fields, "notes", text(dataset, "description"));
        putIfPresent(fields, "url", text(dataset, "landingPage"));
        mapLicense(text(dataset, "license"), fields);
        fields.put("tags", tags(dataset.get("keyword")));
        fields.put("resources", resources(dataset.get("distribution")));
        fields.put("extras", extras(dataset));
        return fields;
    }

    private static List<Map<String, Object>> tags(JsonNode keywords) {
        Set<String> names = new LinkedHashSet<>();
        if (keywords != null && keywords.isArray()) {
            for (JsonNode keyword : keywords) {
                addTag(names, keyword.asText(""));
            }
        } else if (keywords != null && keywords.isTextual()) {
            // DCAT-US 1.0 catalogs sometimes give the keywords as one comma-separated string.
            for (String keyword : keywords.textValue().split(",")) {
                addTag(names, keyword);
            }
        }
        List<Map<String, Object>> tags = new ArrayList<>();
        for (String name : names) {
            tags.add(new LinkedHashMap<>(Map.of("name", name)));
        }
        return tags;
    }

    private static void addTag(Set<String> names, String keyword) {
        if (!keyword.isBlank()) {
            names.add(DatasetNames.mungeTag(keyword));
        }
    }

    private static List<Map<String, Object>> resources(JsonNode distributions) {
        List<Map<String, Object>> resources = new ArrayList<>();
        if (distributions == null || !distributions.isArray()) {
            return resources;
        }
        for (JsonNode distribution : distributions) {
            if (!distribution.isObject()) {
                continue;
            }
            Map<String, Object> resource = new LinkedHashMap<>();
            String url = text(distribution, "downloadURL");
            resource.put("url", url != null ? url : nullToEmpty(text(distribution, "accessURL")));
            putIfPresent(resource, "name", text(distribution, "title"));
            putIfPresent(resource, "description", text(distribution, "description"));
            putIfPresent(resource, "format", text(distribution, "format"));
            putIfPresent(resource, "mimetype", text(distribution, "mediaType"));
            resources.add(resource);
        }
        return resources;
    }

    private static void mapLicense(String license, Map<String, Object> fields) {
        if (license == null) {
            return;
        }
        if (!license.startsWith("http://") && !license.startsWith("https://")) {
            fields.put("license_id", license);
            return;
        }
        String withoutScheme = license.replaceFirst("^https?://", "").replaceAll("/+$", "");
        fields.put("license_id", KNOWN_LICENSES.getOrDefault(withoutScheme.toLowerCase(Locale.ROOT), license));
        fields.put("license_url", license);
    }

    private static List<Map<String, Object>> extras(ObjectNode dataset) {
        Map<String, String> extras = new LinkedHashMap<>();
        putIfPresent(extras, "identifier", encoded(dataset.get("identifier")));
        putIfPresent(extras, "modified", encoded(dataset.get("modified")));
        JsonNode publisher = dataset.get("publisher");
        putIfPresent(extras, "publisher", publisher != null && publisher.isObject()
                ? text(publisher, "name") : encoded(publisher));
        JsonNode contact = dataset.get("contactPoint");
        if (contact != null && contact.isObject()) {
            putIfPresent(extras, "contact_name", text(contact, "fn"));
            String email = text(contact, "hasEmail");
            putIfPresent(extras, "contact_email", email == null ? null : email.replaceFirst("^mailto:", ""));
        }
        for (String key : List.of("accessLevel", "spatial", "temporal", "bureauCode", "programCode")) {
            putIfPresent(extras, key, encoded(dataset.get(key)));
        }
        List<Map<String, Object>> list = new ArrayList<>();
        extras.forEach((key, value) -> {
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("key", key);
            extra.put("value", value);
            list.add(extra);
        });
        return list;
    }

    /** A scalar as its text; an array or object as its JSON. */
    private static String encoded(JsonNode value) {
        if (value == null || value.isNull()) {
            return null;
        }
        return value.isContainerNode() ? value.toString() : value.asText();
    }

    /** A member's text, or {@code null} when it is absent, null, blank or not a scalar. */
    static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isValueNode() || value.isNull()) {
            return null;
        }
        String text = value.asText().strip();
        return text.isEmpty() ? null : text;
    }

    private static String nullToEmpty(String value) {
        return value == null ? "" : value;
    }

    private static <V> void putIfPresent(Map<String, V> map, String key, V value) {
        if (value != null) {
            map.put(key, value);
        }
    }
}
