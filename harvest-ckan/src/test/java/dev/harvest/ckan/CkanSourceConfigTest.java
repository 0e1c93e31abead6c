package dev.harvest.ckan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.ConfigValidationException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.testkit.HarvestTestBed;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Source configuration checks: ckanext-harvest's messages, and the options it left unchecked. The harvester validates
 * with what the engine hands it (the test bed's {@link HarvestTestBed#validationContext()}: its embedded catalog and
 * settings); one test bed serves the whole class, since validation only reads the catalog.
 */
class CkanSourceConfigTest {

    static HarvestTestBed testBed;
    final CkanHarvester harvester = new CkanHarvester(CkanHarvesterScenarioTest.fastTransport());

    @BeforeAll
    static void openTheTestBed() {
        testBed = HarvestTestBed.of(new CkanHarvester(CkanHarvesterScenarioTest.fastTransport()));
    }

    @AfterAll
    static void closeTheTestBed() {
        testBed.close();
    }

    String validate(String config) throws ConfigValidationException {
        return harvester.validateConfig(config, testBed.validationContext());
    }

    String rejection(String config) {
        return assertThrows(ConfigValidationException.class, () -> validate(config)).getMessage();
    }

    @ParameterizedTest(name = "{0} is refused with \"{1}\"")
    @CsvSource(delimiter = '|', value = {
        "{\"api_version\": \"two\"}|api_version must be an integer",
        "{\"default_tags\": \"geo\"}|default_tags must be a list",
        "{\"default_tags\": [\"geo\"]}|default_tags must be a list of dictionaries",
        "{\"default_tags\": [{\"name\": \"geo\"}, \"x\"]}|default_tags must be a list of dictionaries",
        "{\"default_groups\": \"group2\"}|default_groups must be a *list* of group names/ids",
        "{\"default_groups\": [{\"name\": \"group2\"}]}|default_groups must be a list of group names/ids (i.e. strings)",
        "{\"default_groups\": [\"nowhere\"]}|Default group not found: 'nowhere'",
        "{\"default_extras\": \"utf8\"}|default_extras must be a dictionary",
        "{\"organizations_filter_include\": [\"a\"], \"organizations_filter_exclude\": [\"b\"]}|Harvest configuration cannot contain both organizations_filter_include and organizations_filter_exclude",
        "{\"groups_filter_include\": [\"a\"], \"groups_filter_exclude\": [\"b\"]}|Harvest configuration cannot contain both groups_filter_include and groups_filter_exclude",
        "{\"organizations_filter_exclude\": \"org1\"}|organizations_filter_exclude must be a list of names",
        "{\"user\": \"\"}|user must be a non-blank user name",
        "{\"user\": 42}|user must be a non-blank user name",
        "{\"read_only\": \"true\"}|read_only must be boolean",
        "{\"force_all\": 1}|force_all must be boolean",
        "{\"override_extras\": \"yes\"}|override_extras must be boolean",
        "{\"clean_tags\": \"True\"}|clean_tags must be boolean",
        "{\"force_deletions\": \"no\"}|force_deletions must be boolean",
        "{\"allow_takeover\": \"yes\"}|allow_takeover must be boolean",
        "{\"remote_groups\": \"all\"}|remote_groups must be \"only_local\" or \"create\"",
        "{\"remote_orgs\": true}|remote_orgs must be \"only_local\" or \"create\"",
        "{\"api_key\": 42}|api_key must be a string",
        "{\"user_agent\": [\"x\"]}|user_agent must be a string",
        "{\"deletion_guard_max_share\": 1.5}|deletion_guard_max_share must be a number between 0 and 1",
        "{\"deletion_guard_max_share\": \"half\"}|deletion_guard_max_share must be a number between 0 and 1",
    })
    void badValuesAreRefusedWithAMessageNamingTheKey(String config, String message) {
        assertEquals(message, rejection(config));
    }

    @Test
    void includePrivateNeedsAnApiKey() {
        assertTrue(rejection("{\"include_private\": true}").startsWith("include_private needs api_key"));
    }

    @Test
    void anUnknownPlaceholderInDefaultExtrasIsRefused() {
        String message = rejection("{\"default_extras\": {\"url\": \"{harvest_source_url}/{dataset_name}\"}}");

        assertTrue(message.startsWith("default_extras value of 'url' uses the unknown placeholder {dataset_name}"),
                message);
    }

    @Test
    void textThatIsNotJsonGetsAParseMessageWithTheLocation() {
        String message = rejection("{\"force_all\": tru");

        assertTrue(message.startsWith("The configuration is not valid JSON: "), message);
        assertTrue(message.contains("line 1"), message);
    }

    @Test
    void aJsonListIsNotAConfiguration() {
        assertEquals("The configuration must be a JSON object ({...}), not a list", rejection("[1, 2]"));
    }

    @Test
    void anEmptyConfigurationIsAcceptedAsIs() throws Exception {
        assertEquals("", validate(""));
        assertEquals("  ", validate("  "));
    }

    @Test
    void theReadmeExampleIsAcceptedAndKeptWhenItNamesNoGroups() throws Exception {
        String config = "{\"api_version\": 1, \"default_tags\": [{\"name\": \"geo\"}, {\"name\": \"namibia\"}], "
                + "\"default_extras\": {\"encoding\": \"utf8\", \"harvest_url\": "
                + "\"{harvest_source_url}/dataset/{dataset_id}\"}, \"override_extras\": true, "
                + "\"organizations_filter_include\": [], \"user\": \"harverster-user\", \"api_key\": \"KEY\", "
                + "\"read_only\": true, \"remote_groups\": \"only_local\", \"remote_orgs\": \"create\", "
                + "\"include_private\": true, \"force_deletions\": false, \"deletion_guard_max_share\": 0.25, \"allow_takeover\": true, "
                + "\"some_future_key\": {\"kept\": true}}";

        assertEquals(config, validate(config));
    }

    @Test
    void defaultGroupsAreResolvedAndStoredAsDefaultGroupDicts() throws Exception {
        testBed.catalog().createGroup(GroupKind.GROUP, new CatalogGroup(Map.of("id", "id-2", "name", "science")));
        testBed.catalog().createGroup(GroupKind.GROUP, new CatalogGroup(Map.of("id", "id-3", "name", "spend-data")));

        String stored = validate("{\"default_groups\": [\"science\", \"id-3\"], \"x\": 1}");

        CkanSourceConfig config = CkanSourceConfig.parse(stored);
        assertEquals(List.of("id-2", "id-3"), config.defaultGroupDicts().stream().map(g -> g.get("id")).toList());
        assertEquals(List.of("science", "spend-data"),
                config.defaultGroupDicts().stream().map(g -> g.get("name")).toList());
        assertEquals(1, config.raw().get("x"));
    }

    @Test
    void placeholdersAreFilledAndDoubledBracesAreLiteral() {
        assertEquals("http://x/dataset/7 {dataset_id} {unknown}", CkanSourceConfig.fill(
                "{harvest_source_url}/dataset/{dataset_id} {{dataset_id}} {unknown}",
                Map.of("harvest_source_url", "http://x", "dataset_id", "7")));
    }

    @Test
    void theConfigurationDigestChangesWithTheConfiguration() throws Exception {
        assertEquals(CkanSourceConfig.parse("{\"a\": 1}").digest(), CkanSourceConfig.parse("{\"a\": 1}").digest());
        assertTrue(!CkanSourceConfig.parse("{\"a\": 1}").digest()
                .equals(CkanSourceConfig.parse("{\"a\": 2}").digest()));
    }
}
