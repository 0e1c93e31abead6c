package dev.harvest.core;

/**
 * What an operator gives to create a harvest source ({@code harvester source ...}).
 *
 * @param name unique name: 2 to 100 lowercase letters, digits, {@code -} and {@code _}
 * @param url the remote catalog's URL
 * @param type the harvester name (e.g. {@code ckan})
 * @param title a title; the name when blank
 * @param active whether jobs may be created
 * @param ownerOrg the local organization owning harvested datasets, or null
 * @param frequency MANUAL (default), MONTHLY, WEEKLY, BIWEEKLY, DAILY, ALWAYS, or a cron expression with an
 *     optional IANA time zone ({@code 0 3 * * * Europe/Paris}; see {@link dev.harvest.core.engine.Frequency})
 * @param config harvester configuration, usually JSON; may be null
 */
public record SourceRequest(
        String name, String url, String type, String title, boolean active, String ownerOrg, String frequency,
        String config) {

    /**
     * A source with the defaults: active, MANUAL, no title, owner or config.
     *
     * @param name the source name
     * @param url the remote URL
     * @param type the harvester name
     * @return the request
     */
    public static SourceRequest of(String name, String url, String type) {
        return new SourceRequest(name, url, type, null, true, null, null, null);
    }

    /**
     * @param newConfig the harvester configuration
     * @return a copy with that configuration
     */
    public SourceRequest withConfig(String newConfig) {
        return new SourceRequest(name, url, type, title, active, ownerOrg, frequency, newConfig);
    }
}
