package dev.harvest.core.store;

import dev.harvest.core.db.HarvestDatabase;
import java.time.Clock;

/**
 * The stores of one harvest database, each owning one responsibility.
 *
 * @param database the database
 * @param sources sources
 * @param jobs jobs and their transitions
 * @param gather what gathers write
 * @param objects object claims and outcomes, a batch at a time
 * @param queries the read side for front ends
 */
public record Stores(HarvestDatabase database, SourceStore sources, JobStore jobs, GatherWriter gather,
        ObjectBatchStore objects, HarvestQueries queries) {

    /**
     * @param database the database
     * @param clock the clock of timestamps and leases
     * @return the stores
     */
    public static Stores of(HarvestDatabase database, Clock clock) {
        SqlDialect dialect = new SqlDialect(database.isPostgres());
        SourceStore sources = new SourceStore(database, clock);
        JobStore jobs = new JobStore(database, dialect, clock);
        GatherWriter gather = new GatherWriter(database, dialect, clock);
        return new Stores(database, sources, jobs, gather, new ObjectBatchStore(database, dialect, clock),
                new HarvestQueries(database, sources, jobs, gather));
    }
}
