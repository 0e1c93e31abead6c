package dev.harvest.core.engine;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Extends a worker's lease while a plugin stage runs, so that a slow but live worker keeps its object or gather
 * and only a dead one (no more heartbeats) loses it.
 */
final class LeaseKeeper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "harvest-lease-keeper");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * Calls {@code extend} every third of {@code lease} until the returned handle is closed or {@code extend}
     * reports that the lease is gone.
     *
     * @param lease the lease duration
     * @param extend extends the lease; false when it was lost (another worker took over, the job was aborted)
     * @return closes the heartbeat
     */
    AutoCloseable keep(Duration lease, BooleanSupplier extend) {
        long period = Math.max(1, lease.toMillis() / 3);
        ScheduledFuture<?>[] future = new ScheduledFuture<?>[1];
        future[0] = timer.scheduleAtFixedRate(() -> {
            try {
                if (!extend.getAsBoolean()) {
                    future[0].cancel(false);
                }
            } catch (RuntimeException e) {
                LOG.warn("Could not extend a lease: {}", e.getMessage());
            }
        }, period, period, TimeUnit.MILLISECONDS);
        return () -> future[0].cancel(false);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
