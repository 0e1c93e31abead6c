package dev.harvest.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.core.auth.SecretMasking;

/**
 * Masks credentials in a source's configuration before a command shows it, with the engine's rule
 * ({@link SecretMasking}).
 */
final class Secrets {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Secrets() {}

    /**
     * @param config a source configuration, usually a JSON object
     * @return the same configuration with the value of every credential key replaced by
     *     {@value SecretMasking#MASK}, at any depth; a configuration that is not JSON is shown as it is (the operator
     *     may read it whole)
     */
    static String maskConfig(String config) {
        if (config == null || config.isBlank()) {
            return "";
        }
        try {
            return JSON.writeValueAsString(SecretMasking.mask(JSON.readTree(config)));
        } catch (Exception e) {
            return config;
        }
    }
}
