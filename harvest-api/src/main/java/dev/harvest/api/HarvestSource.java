package dev.harvest.api;

/**
 * A harvest source as a harvester sees it: a snapshot, not a live row.
 *
 * @param id the source id
 * @param name the source's unique name
 * @param title its title
 * @param url the remote catalog's URL, as entered (trimmed)
 * @param type the harvester name that serves this source
 * @param config the validated configuration, usually a JSON object; empty string when none
 * @param ownerOrg the local organization that owns harvested datasets, or {@code null}
 * @param frequency {@code MANUAL}, {@code MONTHLY}, {@code WEEKLY}, {@code BIWEEKLY}, {@code DAILY} or {@code ALWAYS}
 * @param active whether the source may get new jobs
 */
public record HarvestSource(
        String id,
        String name,
        String title,
        String url,
        String type,
        String config,
        String ownerOrg,
        String frequency,
        boolean active) {}
