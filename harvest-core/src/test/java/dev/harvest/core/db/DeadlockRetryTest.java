package dev.harvest.core.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.store.Entities;
import dev.harvest.core.testing.ExternalServices;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A transaction that PostgreSQL picks to break a real deadlock (SQL state 40P01) runs again under
 * {@link HarvestDatabase#inTransactionRetryingDeadlocks}: how an abort survives a worker claiming the job's objects
 * in another order at the same moment.
 */
class DeadlockRetryTest {

    @Test
    void workChosenToBreakADeadlockRunsAgainAndSucceeds() throws Exception {
        HarvestConfig config = TestDatabases.config(Kind.POSTGRESQL, Map.of("harvest.db.pool_size", "2"));
        HarvestDatabase.initialise(config);
        String url = config.jdbcUrl();
        try (HarvestDatabase database = HarvestDatabase.open(config, Entities.ALL);
                Connection other = DriverManager.getConnection(url, ExternalServices.postgresUser(),
                        ExternalServices.postgresPassword())) {
            try (Statement setup = other.createStatement()) {
                setup.execute("create table lock_pair (id int primary key, value int)");
                setup.execute("insert into lock_pair values (1, 0), (2, 0)");
            }
            other.setAutoCommit(false);
            CountDownLatch workHoldsRowTwo = new CountDownLatch(1);
            AtomicInteger attempts = new AtomicInteger();
            ExecutorService thread = Executors.newSingleThreadExecutor();
            Future<Integer> work = thread.submit(() -> database.inTransactionRetryingDeadlocks(session -> {
                int attempt = attempts.incrementAndGet();
                session.createNativeMutationQuery("update lock_pair set value = value + 1 where id = 2")
                        .executeUpdate();
                workHoldsRowTwo.countDown();
                // waits for row 1, which the other transaction holds; PostgreSQL finds the cycle once the other
                // transaction asks for row 2, and fails this one, which has waited longest
                session.createNativeMutationQuery("update lock_pair set value = value + 1 where id = 1")
                        .executeUpdate();
                return attempt;
            }));
            try (Statement statement = other.createStatement()) {
                statement.executeUpdate("update lock_pair set value = value + 10 where id = 1");
                assertTrue(workHoldsRowTwo.await(10, TimeUnit.SECONDS));
                Thread.sleep(300); // the work is now waiting for row 1
                statement.executeUpdate("update lock_pair set value = value + 10 where id = 2");
                other.commit();
            }

            assertEquals(2, work.get(30, TimeUnit.SECONDS), "the second attempt succeeds");
            thread.shutdown();
            try (Statement check = other.createStatement();
                    var rows = check.executeQuery("select sum(value) from lock_pair")) {
                rows.next();
                assertEquals(22, rows.getInt(1), "both transactions applied exactly once");
            }
            other.commit();
        }
    }

    @Test
    void aFailureThatIsNotADeadlockIsNotRetried() {
        HarvestConfig config = TestDatabases.config(Kind.H2, Map.of());
        HarvestDatabase.initialise(config);
        AtomicInteger attempts = new AtomicInteger();
        try (HarvestDatabase database = HarvestDatabase.open(config, Entities.ALL)) {
            assertThrows(RuntimeException.class, () -> database.inTransactionRetryingDeadlocks(session -> {
                attempts.incrementAndGet();
                return session.createNativeMutationQuery("update no_such_table set x = 1").executeUpdate();
            }));
        }
        assertEquals(1, attempts.get());
    }
}
