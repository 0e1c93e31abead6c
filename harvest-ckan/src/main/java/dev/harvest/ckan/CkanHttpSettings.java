package dev.harvest.ckan;

import dev.harvest.api.SettingDefinition;
import dev.harvest.api.Settings;
import dev.harvest.api.http.OutboundPolicy;
import java.time.Duration;
import java.util.List;

/** The HTTP timeouts and size cap that the CKAN harvester and the CKAN catalog read, each under its own key prefix. */
final class CkanHttpSettings {

    private CkanHttpSettings() {}

    /**
     * @param prefix e.g. {@code harvest.ckan.}
     * @param towards what the requests go to, for the descriptions
     * @return the settings under that prefix
     */
    static List<SettingDefinition> definitions(String prefix, String towards) {
        return List.of(
                SettingDefinition.of(prefix + "connect_timeout", "10", "Seconds to connect to " + towards),
                SettingDefinition.of(prefix + "read_timeout", "60",
                        "Longest silence in seconds while reading a response from " + towards),
                SettingDefinition.of(prefix + "call_timeout", "120",
                        "Deadline in seconds of one request to " + towards
                                + ": its attempts, redirects, retry waits and reading included"),
                SettingDefinition.of(prefix + "max_response_mb", "50",
                        "Largest response body in MiB accepted from " + towards));
    }

    /**
     * @param settings the site settings
     * @param prefix the key prefix of {@link #definitions}
     * @param policy the outbound policy the transport enforces
     * @return a transport with those settings
     * @throws IllegalArgumentException naming a key whose value is not a positive whole number
     */
    static HttpTransport transport(Settings settings, String prefix, OutboundPolicy policy) {
        return HttpTransport.builder()
                .policy(policy)
                .connectTimeout(Duration.ofSeconds(positive(settings, prefix + "connect_timeout", 10)))
                .readTimeout(Duration.ofSeconds(positive(settings, prefix + "read_timeout", 60)))
                .callTimeout(Duration.ofSeconds(positive(settings, prefix + "call_timeout", 120)))
                .maxResponseBytes(positive(settings, prefix + "max_response_mb", 50) * 1024 * 1024)
                .build();
    }

    private static long positive(Settings settings, String key, long defaultValue) {
        String value = settings.get(key).orElse("").trim();
        if (value.isEmpty()) {
            return defaultValue;
        }
        try {
            long parsed = Long.parseLong(value);
            if (parsed > 0) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(key + " must be a positive whole number, not '" + value + "'");
    }
}
