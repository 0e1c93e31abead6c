package dev.harvest.core;

/**
 * The fields of a source to change ({@code harvester source update NAME --url ... --active false}); a null field
 * stays as it is. {@link Harvest#updateSource(String, SourceUpdate)} checks them as a creation would, all at once.
 *
 * @param url a new remote URL
 * @param title a new title; blank for the name
 * @param config a new harvester configuration, checked by the harvester's {@code validateConfig}
 * @param frequency a new frequency
 * @param active {@code true}/{@code false} as CKAN's {@code asbool} reads them; {@code true} reactivates a removed
 *     source, {@code false} removes (deactivates) it
 * @param ownerOrg the id or name of an organization of the catalog; blank for none
 */
public record SourceUpdate(String url, String title, String config, String frequency, String active,
        String ownerOrg) {

    /** @return whether no field is to change */
    public boolean isEmpty() {
        return url == null && title == null && config == null && frequency == null && active == null
                && ownerOrg == null;
    }
}
