package dev.harvest.ckan;

import static dev.harvest.ckan.GeneratedInputs.anyChar;
import static dev.harvest.ckan.GeneratedInputs.frequency;
import static dev.harvest.ckan.GeneratedInputs.of;
import static dev.harvest.ckan.GeneratedInputs.oneOf;
import static dev.harvest.ckan.GeneratedInputs.strings;
import static dev.harvest.ckan.GeneratedInputs.weight;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.harvest.api.ConfigValidationException;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.ckan.GeneratedInputs.Gen;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property tests of source configuration validation: any text, any JSON and any value under any known key ends in
 * a configuration that the harvester can then use without an error, or in one {@link ConfigValidationException} line
 * that names the offending field. Each case is one seed ({@link GeneratedInputs}); the tries are recorded in
 * docs/reliability.md.
 */
@ExtendWith(GeneratedInputs.SeedInFailures.class)
class CkanSourceConfigFuzzTest {

    static final List<String> CONFIG_KEYS = List.of("api_version", "default_tags", "default_groups", "default_extras",
            "override_extras", "clean_tags", "user", "api_key", "user_agent", "read_only", "force_all",
            "include_private", "remote_groups", "remote_orgs", "organizations_filter_include",
            "organizations_filter_exclude", "groups_filter_include", "groups_filter_exclude", "force_deletions",
            "allow_takeover", "deletion_guard_max_share");

    /** What a refusal may start with: a field name, or one of the messages about the whole configuration. */
    static final List<String> FIELD_PREFIXES = List.of("The configuration", "Harvest configuration cannot contain both",
            "Default group", "include_private needs api_key", "default_extras value of");

    /** A catalog where the groups named g-... exist, and nothing else: all that validation consults. */
    static final Catalog GROUPS = new Catalog() {
        @Override
        public Optional<Dataset> findDataset(String idOrName) {
            return Optional.empty();
        }

        @Override
        public Dataset createDataset(Dataset dataset) {
            throw new UnsupportedOperationException("validation must not write");
        }

        @Override
        public Dataset updateDataset(Dataset dataset) {
            throw new UnsupportedOperationException("validation must not write");
        }

        @Override
        public void deleteDataset(String id) {
            throw new UnsupportedOperationException("validation must not write");
        }

        @Override
        public boolean isDatasetNameTaken(String name) {
            return false;
        }

        @Override
        public Optional<CatalogGroup> findGroup(GroupKind kind, String idOrName) {
            return idOrName.startsWith("g-")
                    ? Optional.of(new CatalogGroup(Map.of("id", idOrName + "-id", "name", idOrName)))
                    : Optional.empty();
        }

        @Override
        public CatalogGroup createGroup(GroupKind kind, CatalogGroup group) {
            throw new UnsupportedOperationException("validation must not write");
        }
    };

    /** Values that the known keys expect, or nearly: the likely shapes, and anything. */
    static Gen<String> fieldValues() {
        return oneOf(
                of("true", "false", "null", "1", "0.5", "2", "-1", "\"create\"", "\"only_local\"",
                        "\"\"", "\" \"", "[]", "{}", "[\"g-one\"]", "[\"missing\"]", "[\"g-a\", \"g-b\"]", "[1]",
                        "[{\"name\": \"tag\"}]", "[{\"name\": \"\"}]", "[{}]", "{\"k\": \"{dataset_id}\"}",
                        "{\"k\": \"{unknown}\"}", "{\"k\": \"{\"}", "{\"k\": 3}", "\"key\"", "[\"org\", \"\"]",
                        "1e999999", "NaN"),
                FuzzJson.value(2));
    }

    static final Gen<String> CONFIGS = configs();

    static Gen<String> configs() {
        Gen<String> key = frequency(weight(4, of(CONFIG_KEYS)), weight(1, FuzzJson.text()));
        Gen<String> values = fieldValues();
        Gen<String> field = random -> TextNode.valueOf(key.next(random)).toString() + ": " + values.next(random);
        Gen<String> objects = field.list(0, 6).map(fields -> "{" + String.join(", ", fields) + "}");
        return oneOf(objects, objects.flatMap(FuzzJson::mutationsOf), FuzzJson.value(3), strings(anyChar(), 80));
    }

    static LongStream configSeeds() {
        return GeneratedInputs.seeds("configs", 3000);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("configSeeds")
    void anyConfigIsUsableOrRefusedWithOneLineNamingTheField(long seed) {
        String config = CONFIGS.next(new SplittableRandom(seed));
        String stored;
        try {
            stored = CkanSourceConfig.validate(config, GROUPS);
        } catch (ConfigValidationException refused) {
            String message = refused.getMessage();
            assertNotNull(message);
            assertFalse(message.contains("\n") || message.contains("\r"), "one line: " + message);
            assertTrue(CONFIG_KEYS.stream().anyMatch(message::startsWith)
                    || FIELD_PREFIXES.stream().anyMatch(message::startsWith), "names the field: " + message + " (config " + config + ")");
            return;
        }
        // what was accepted is stored, read back and used by every stage without an error
        CkanSourceConfig parsed;
        try {
            parsed = CkanSourceConfig.parse(stored);
        } catch (ConfigValidationException e) {
            throw new AssertionError("an accepted config cannot be read back: " + stored, e);
        }
        parsed.filterTerms();
        parsed.defaultTags();
        parsed.defaultGroups();
        parsed.defaultGroupDicts();
        parsed.defaultExtras();
        parsed.remoteGroups();
        parsed.remoteOrgs();
        parsed.forceAll();
        parsed.readOnly();
        parsed.overrideExtras();
        parsed.cleanTags();
        parsed.includePrivate();
        parsed.apiKey();
        parsed.userAgent();
        parsed.user();
        assertNotNull(parsed.digest());
    }
}
