package dev.harvest.examples.datajson;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.harvest.api.ConfigValidationException;
import dev.harvest.api.Settings;
import dev.harvest.api.ValidationContext;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.examples.testing.InMemoryCatalog;
import dev.harvest.examples.testing.MapSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DataJsonConfigTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final DataJsonHarvester harvester = new DataJsonHarvester();
    private final ValidationContext validation = new ValidationContext() {
        private final Catalog catalog = new InMemoryCatalog();

        @Override
        public Catalog catalog() {
            return catalog;
        }

        @Override
        public Settings settings() {
            return MapSettings.empty();
        }
    };

    private String rejectionOf(String config) {
        return assertThrows(ConfigValidationException.class, () -> harvester.validateConfig(config, validation))
                .getMessage();
    }

    @Test
    void anEmptyConfigurationIsAcceptedWithDefaults() throws Exception {
        assertEquals("", harvester.validateConfig("", validation));
        assertEquals(Duration.ofSeconds(DataJsonConfig.DEFAULT_TIMEOUT_SECONDS), DataJsonConfig.parse("  ").timeout());
        assertEquals(Duration.ofSeconds(DataJsonConfig.DEFAULT_TIMEOUT_SECONDS), DataJsonConfig.parse(null).timeout());
    }

    @Test
    void aFullConfigurationIsAcceptedUnchanged() throws Exception {
        String config = "{\"filters\": {\"accessLevel\": \"public\"}, \"defaults\": {\"license\": \"cc-zero\"},"
                + " \"timeout_seconds\": 5}";
        assertEquals(config, harvester.validateConfig(config, validation));
        DataJsonConfig parsed = DataJsonConfig.parse(config);
        assertEquals(Duration.ofSeconds(5), parsed.timeout());
        assertEquals("public", parsed.filters().get("accessLevel").textValue());
        assertEquals("cc-zero", parsed.defaults().get("license").textValue());
    }

    @Test
    void invalidJsonIsRejectedAsNotJson() {
        assertTrue(rejectionOf("{filters: 1").startsWith("The configuration is not valid JSON"));
    }

    @Test
    void aConfigurationThatIsNotAnObjectIsRejectedNamingWhatItIs() {
        assertEquals("The configuration must be a JSON object, not an array", rejectionOf("[1, 2]"));
    }

    @Test
    void unknownKeysAreRejectedByName() {
        String message = rejectionOf("{\"filter\": {}, \"timeout\": 3, \"timeout_seconds\": 3}");
        assertEquals("Unknown configuration options filter, timeout; the datajson harvester knows defaults, filters,"
                + " timeout_seconds and the engine's force_deletions, deletion_guard_max_share, allow_takeover,"
                + " gather_max_objects, gather_max_seconds and gather_count_margin", message);
    }

    @Test
    void theEnginesDeletionKeysAreAcceptedAndTypeChecked() throws Exception {
        String config = "{\"force_deletions\": true, \"deletion_guard_max_share\": 0.9}";
        assertEquals(config, harvester.validateConfig(config, validation));
        assertEquals("force_deletions must be true or false, not the string \"yes\"",
                rejectionOf("{\"force_deletions\": \"yes\"}"));
        assertEquals("deletion_guard_max_share must be a number from 0 to 1, not the number 50",
                rejectionOf("{\"deletion_guard_max_share\": 50}"));
    }

    @Test
    void filtersThatAreNotAnObjectAreRejected() {
        assertTrue(rejectionOf("{\"filters\": [\"accessLevel\"]}").startsWith("filters must be a JSON object"));
    }

    @Test
    void aFilterValueThatIsNotAScalarIsRejectedNamingTheField() {
        assertEquals("filters.publisher must be a string, number or boolean, not an object",
                rejectionOf("{\"filters\": {\"publisher\": {\"name\": \"x\"}}}"));
    }

    @Test
    void defaultsThatAreNotAnObjectAreRejected() {
        assertEquals("defaults must be a JSON object of dataset fields, not the string \"public\"",
                rejectionOf("{\"defaults\": \"public\"}"));
    }

    @Test
    void aTimeoutThatIsNotAPositiveIntegerIsRejectedShowingTheValue() {
        assertEquals("timeout_seconds must be a positive integer, not the number 0",
                rejectionOf("{\"timeout_seconds\": 0}"));
        assertEquals("timeout_seconds must be a positive integer, not the string \"10\"",
                rejectionOf("{\"timeout_seconds\": \"10\"}"));
        assertEquals("timeout_seconds must be a positive integer, not the number 1.5",
                rejectionOf("{\"timeout_seconds\": 1.5}"));
    }

    @Test
    void filtersMatchNestedFieldsAndArrayMembers() throws Exception {
        DataJsonConfig config = DataJsonConfig.parse(
                "{\"filters\": {\"publisher.name\": \"Bureau of Water Resources\", \"bureauCode\": \"010:12\"}}");
        ObjectNode matching = (ObjectNode) JSON.readTree("{\"publisher\": {\"name\": \"Bureau of Water Resources\"},"
                + " \"bureauCode\": [\"010:11\", \"010:12\"]}");
        ObjectNode otherBureau = (ObjectNode) JSON.readTree("{\"publisher\": {\"name\": \"Bureau of Water Resources\"},"
                + " \"bureauCode\": [\"010:11\"]}");
        ObjectNode noPublisher = (ObjectNode) JSON.readTree("{\"bureauCode\": [\"010:12\"]}");
        assertTrue(config.matches(matching));
        assertFalse(config.matches(otherBureau));
        assertFalse(config.matches(noPublisher));
    }

    @Test
    void defaultsFillOnlyMissingFields() throws Exception {
        DataJsonConfig config = DataJsonConfig.parse("{\"defaults\": {\"accessLevel\": \"public\", \"license\": \"x\"}}");
        ObjectNode dataset = (ObjectNode) JSON.readTree("{\"license\": \"mine\"}");
        config.applyDefaults(dataset);
        assertEquals("public", dataset.get("accessLevel").textValue());
        assertEquals("mine", dataset.get("license").textValue());
    }
}
