package dev.harvest.core.engine;

import dev.harvest.core.config.ConfigException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up of a long-running process (a consumer) against a database or a broker that may not be up yet, or that
 * drops its connection while the schema is being migrated: each attempt that fails for a transient reason is logged
 * in one line and tried again after a backoff that doubles up to a cap, for as long as it takes. A supervised
 * deployment thus survives a database or broker restart without intervention.
 *
 * <p>Not retried, because waiting cannot fix them: an invalid configuration, and a database that refuses the
 * credentials or does not exist (SQL states {@code 28...} and {@code 3D000}).
 */
public final class StartupRetry {

    private static final Logger LOG = LoggerFactory.getLogger(StartupRetry.class);

    /** Sleeps between attempts; replaceable in tests. */
    @FunctionalInterface
    public interface Sleeper {
        /** @param delay how long to wait @throws InterruptedException if interrupted */
        void sleep(Duration delay) throws InterruptedException;
    }

    private final Duration firstBackoff;
    private final Duration maxBackoff;
    private final Sleeper sleeper;
    private final Consumer<String> report;

    /**
     * @param firstBackoff the wait after the first failure
     * @param maxBackoff the longest wait
     * @param sleeper how to wait
     * @param report receives the one line of each retry (besides the log)
     */
    public StartupRetry(Duration firstBackoff, Duration maxBackoff, Sleeper sleeper, Consumer<String> report) {
        this.firstBackoff = firstBackoff;
        this.maxBackoff = maxBackoff;
        this.sleeper = sleeper;
        this.report = report;
    }

    /** @return the consumers' start-up retry: 1 s, doubling up to 30 s, forever */
    public static StartupRetry forConsumers() {
        return new StartupRetry(Duration.ofSeconds(1), Duration.ofSeconds(30),
                delay -> Thread.sleep(delay.toMillis()), line -> { });
    }

    /**
     * Runs {@code attempt} until it succeeds or fails for a reason that waiting cannot fix.
     *
     * @param what what is being opened, for the log line ("the harvest database")
     * @param attempt one attempt
     * @param retried which failures are worth another attempt (besides {@link #isTransient}, which must hold too)
     * @param <T> what it opens
     * @return what the first successful attempt returned
     * @throws RuntimeException the failure of an attempt that is not retried
     * @throws IllegalStateException if interrupted while waiting
     */
    public <T> T open(String what, Supplier<T> attempt, Predicate<Throwable> retried) {
        Duration backoff = firstBackoff;
        for (int attempts = 1; ; attempts++) {
            try {
                return attempt.get();
            } catch (RuntimeException e) {
                if (!retried.test(e) || !isTransient(e)) {
                    throw e;
                }
                String line = "Cannot open " + what + " (attempt " + attempts + "): " + reason(e) + "; retrying in "
                        + backoff.toMillis() / 1000.0 + " s";
                LOG.warn(line);
                report.accept(line);
                try {
                    sleeper.sleep(backoff);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while waiting for " + what, e);
                }
                backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
            }
        }
    }

    /**
     * @param e a start-up failure
     * @return whether trying again later may succeed: anything but a configuration error, or a database that
     *     refused the login or does not exist
     */
    public static boolean isTransient(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof ConfigException) {
                return false;
            }
            if (cause instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("28") || sql.getSQLState().equals("3D000"))) {
                return false;
            }
        }
        return true;
    }

    /**
     * @param type a class of exception
     * @return a predicate true for a failure with such an exception in its cause chain
     */
    public static Predicate<Throwable> causedBy(Class<? extends Throwable> type) {
        return e -> {
            for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
                if (type.isInstance(cause)) {
                    return true;
                }
            }
            return false;
        };
    }

    private static String reason(Throwable e) {
        String message = e.getMessage();
        String line = message == null ? e.getClass().getSimpleName() : message.lines().findFirst().orElse("");
        return dev.harvest.core.store.ErrorText.cap(line);
    }
}
