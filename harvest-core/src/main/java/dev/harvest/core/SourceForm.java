package dev.harvest.core;

/**
 * A harvest source as an operator types it ({@code harvester source create ...}): every field is text, and the
 * engine checks them all at once ({@link Harvest#createSource(SourceForm)}), reporting every bad field in one
 * {@link HarvestException}.
 *
 * @param name unique name: 2 to 100 lowercase letters, digits, {@code -} and {@code _}
 * @param url the remote catalog's URL
 * @param type the harvester name (e.g. {@code ckan})
 * @param title a title; the name when blank
 * @param active {@code true}/{@code false} as CKAN's {@code asbool} reads them ({@code yes}/{@code no},
 *     {@code on}/{@code off}, {@code 1}/{@code 0}, ...); null or blank for active
 * @param ownerOrg the id or name of an organization of the catalog, or null/blank for none
 * @param frequency MANUAL (default), MONTHLY, WEEKLY, BIWEEKLY, DAILY, ALWAYS, or a cron expression with an
 *     optional IANA time zone ({@code 0 3 * * * Europe/Paris}; see {@link dev.harvest.core.engine.Frequency})
 * @param config harvester configuration, usually JSON; may be null
 */
public record SourceForm(
        String name, String url, String type, String title, String active, String ownerOrg, String frequency,
        String config) {

    /**
     * @param request a typed request
     * @return the same source as text
     */
    public static SourceForm of(SourceRequest request) {
        return new SourceForm(request.name(), request.url(), request.type(), request.title(),
                Boolean.toString(request.active()), request.ownerOrg(), request.frequency(), request.config());
    }
}
