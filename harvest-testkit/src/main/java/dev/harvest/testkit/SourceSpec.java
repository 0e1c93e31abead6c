package dev.harvest.testkit;

import java.util.Objects;

/**
 * A harvest source for {@link HarvestTestBed#source(SourceSpec)}, when a test needs more than a name, a URL and a
 * configuration.
 *
 * <pre>{@code
 * HarvestSource source = testBed.source(SourceSpec.of("portal", server.url("/oai"))
 *         .withConfig("{\"set\": \"maps\"}")
 *         .withOwnerOrg("my-org")
 *         .withFrequency("DAILY"));
 * }</pre>
 *
 * @param name the source's unique name: 2 to 100 lowercase letters, digits, {@code -} and {@code _}
 * @param url the remote's URL ({@code http://} or {@code https://})
 * @param type the harvester name, or {@code null} for the test bed's first harvester
 * @param config the harvester configuration, usually JSON; {@code null} or empty for none
 * @param title the title, or {@code null} for the name
 * @param ownerOrg the local organization that owns the harvested datasets, or {@code null}
 * @param frequency {@code MANUAL} (when {@code null}), {@code MONTHLY}, {@code WEEKLY}, {@code BIWEEKLY},
 *     {@code DAILY} or {@code ALWAYS}
 */
public record SourceSpec(String name, String url, String type, String config, String title, String ownerOrg,
        String frequency) {

    /**
     * Requires the two fields without which no source can exist; the engine checks the rest when the source is
     * created.
     *
     * @param name the source's unique name
     * @param url the remote's URL
     * @param type the harvester name, or {@code null} for the test bed's first harvester
     * @param config the harvester configuration, or {@code null}
     * @param title the title, or {@code null}
     * @param ownerOrg the owner organization, or {@code null}
     * @param frequency the frequency, or {@code null} for {@code MANUAL}
     */
    public SourceSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(url, "url");
    }

    /**
     * A source of the test bed's first harvester, with no configuration, title or owner, harvested manually.
     *
     * @param name the source's unique name
     * @param url the remote's URL
     * @return the spec
     */
    public static SourceSpec of(String name, String url) {
        return new SourceSpec(name, url, null, null, null, null, null);
    }

    /**
     * @param newType the harvester name, for a test bed with several harvesters
     * @return a copy with that type
     */
    public SourceSpec withType(String newType) {
        return new SourceSpec(name, url, newType, config, title, ownerOrg, frequency);
    }

    /**
     * @param newConfig the harvester configuration
     * @return a copy with that configuration
     */
    public SourceSpec withConfig(String newConfig) {
        return new SourceSpec(name, url, type, newConfig, title, ownerOrg, frequency);
    }

    /**
     * @param newTitle the source's title
     * @return a copy with that title
     */
    public SourceSpec withTitle(String newTitle) {
        return new SourceSpec(name, url, type, config, newTitle, ownerOrg, frequency);
    }

    /**
     * @param newOwnerOrg the id or name of the local organization that owns the harvested datasets
     * @return a copy with that owner
     */
    public SourceSpec withOwnerOrg(String newOwnerOrg) {
        return new SourceSpec(name, url, type, config, title, newOwnerOrg, frequency);
    }

    /**
     * @param newFrequency {@code MANUAL}, {@code MONTHLY}, {@code WEEKLY}, {@code BIWEEKLY}, {@code DAILY} or
     *     {@code ALWAYS}
     * @return a copy with that frequency
     */
    public SourceSpec withFrequency(String newFrequency) {
        return new SourceSpec(name, url, type, config, title, ownerOrg, newFrequency);
    }
}
