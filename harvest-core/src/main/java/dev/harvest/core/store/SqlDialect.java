package dev.harvest.core.store;

/**
 * The few statements that differ between PostgreSQL and H2. Everything else the stores run is portable SQL.
 */
public final class SqlDialect {

    private final boolean postgres;

    public SqlDialect(boolean postgres) {
        this.postgres = postgres;
    }

    /** @return whether this is PostgreSQL (else H2) */
    public boolean isPostgres() {
        return postgres;
    }

    /** @return an expression that yields a fresh 36-character UUID per row */
    String uuid() {
        return postgres ? "cast(gen_random_uuid() as varchar)" : "cast(random_uuid() as varchar)";
    }

    /** @return an insert of (job, guid) into {@code harvest_gather_seen} that ignores rows already there */
    String insertGatherSeen() {
        return postgres
                ? "insert into harvest_gather_seen (harvest_job_id, guid) values (?, ?) on conflict do nothing"
                : "merge into harvest_gather_seen key (harvest_job_id, guid) values (?, ?)";
    }

    /**
     * The {@code WHERE} of a claim of the rows of {@code harvest_object o} that match {@code condition}. On
     * PostgreSQL, rows another transaction holds are skipped instead of waited for ({@code FOR UPDATE SKIP LOCKED});
     * a row committed meanwhile is checked again on its new version. H2 re-checks the condition of a plain guarded
     * update on rows changed concurrently (it would not inside a sub-select), so it takes the condition directly.
     *
     * @param condition a condition on the alias {@code o}
     * @return the condition to put after the update's {@code WHERE}
     */
    String claimable(String condition) {
        // = any(array(...)): the locked selection runs first and the update finds its rows by primary key, whatever
        // the planner's statistics say (an IN (subquery) may become a join that scans the table)
        return postgres
                ? "o.id = any(array(select o.id from harvest_object o where " + condition + " for update skip locked))"
                : condition;
    }

    /**
     * Holds the jobs of a batch for the batch's import transaction, so that stopping one of them (abort, timeout)
     * waits until the batch committed instead of deadlocking with it over object rows. On PostgreSQL a
     * {@code FOR KEY SHARE} lock: batches do not block each other, nor the job's ordinary updates, only
     * {@link #lockJobToStop()}. H2 has no shared row lock; there the statement is empty.
     *
     * @param jobCount the number of job ids bound
     * @return the statement, or null where none is needed
     */
    String lockJobsOfBatch(int jobCount) {
        return postgres ? "select id from harvest_job where id in (" + String.join(", ",
                java.util.Collections.nCopies(jobCount, "?")) + ") for key share" : null;
    }

    /**
     * The first hex digit of the MD5 of a text column, lowercase: ckanext-harvest's import segments
     * ({@code md5(id)[0]}).
     *
     * @param column the column
     * @return the expression
     */
    String md5FirstHexDigit(String column) {
        return postgres ? "substr(md5(" + column + "), 1, 1)"
                : "substring(lower(rawtohex(hash('MD5', stringtoutf8(" + column + ")))), 1, 1)";
    }

    /** @return a statement that locks one job (bound by id) before it is stopped */
    String lockJobToStop() {
        return "select id from harvest_job where id = ? for update";
    }
}
