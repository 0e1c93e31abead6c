package dev.harvest.core.migrate;

/**
 * What the migration did with one table.
 *
 * @param table the table
 * @param inCkan its rows in the CKAN database (counted in the snapshot the copy read)
 * @param copied rows copied now (with a dry run: rows that would be copied)
 * @param alreadyThere rows whose id the harvest database already held, left as they are
 * @param inHarvest the table's rows in the harvest database afterwards (with a dry run: before)
 */
public record TableCount(String table, long inCkan, long copied, long alreadyThere, long inHarvest) {

    /**
     * @param dryRun whether nothing was written
     * @return whether every CKAN row was found in (or, with a dry run, would reach) the harvest database
     */
    public boolean checked(boolean dryRun) {
        return copied + alreadyThere == inCkan && (dryRun || inHarvest >= inCkan);
    }
}
