package dev.harvest.core.migrate;

import java.util.List;

/**
 * The outcome of a migration: per table, in copy order, what the CKAN database held and what was copied.
 *
 * @param tables one count per table
 * @param dryRun whether this was a dry run (nothing written)
 */
public record MigrationReport(List<TableCount> tables, boolean dryRun) {

    public MigrationReport {
        tables = List.copyOf(tables);
    }

    /** @return the rows copied (or, with a dry run, that would be) over all tables */
    public long copied() {
        return tables.stream().mapToLong(TableCount::copied).sum();
    }

    /** @return the tables whose counts do not add up (see {@link TableCount#checked}) */
    public List<TableCount> mismatches() {
        return tables.stream().filter(count -> !count.checked(dryRun)).toList();
    }
}
