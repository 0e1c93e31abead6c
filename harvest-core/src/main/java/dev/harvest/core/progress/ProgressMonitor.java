package dev.harvest.core.progress;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a long command's progress on a background thread, one sample per tick, and hands a progress line to a
 * {@link Sink}: {@code gathered 50,000 · done 12,345/50,000 (24.7%) · 412/s · ETA 1m31s · errors 3}.
 *
 * <p>A sample is meant to be one cheap statement ({@link dev.harvest.core.store.HarvestQueries#jobProgress}); the
 * monitor never samples more often than its interval, and backs off to twenty times a sample's duration when sampling
 * turns slow, so it takes at most a twentieth of one connection's time whatever the database's load. The rate is
 * the count done over the last {@value #RATE_WINDOW_SECONDS} seconds; the ETA is what is left at that rate. A sample
 * that fails is skipped: progress never fails the command it watches. {@link #close()} stops the ticks, waits for one
 * in flight, takes a last sample and {@linkplain Sink#finish finishes} the sink.
 *
 * <p>Time comes from a {@link Clock} and ticks from a {@link Ticker}, so tests drive both.
 */
public final class ProgressMonitor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProgressMonitor.class);

    /** Seconds of samples the rate is measured over. */
    static final int RATE_WINDOW_SECONDS = 30;

    /** A tick waits at least this many times the previous sample's duration. */
    static final int BACKOFF_FACTOR = 20;

    /** Where progress lines go: a redrawn terminal line, or log lines. */
    public interface Sink {
        /**
         * Shows the progress now. Called on the monitor's thread, one call at a time.
         *
         * @param line the progress line
         */
        void show(String line);

        /**
         * The command ended: show the last state, or nothing.
         *
         * @param line the last progress line, or null if there was never a sample
         */
        void finish(String line);
    }

    /** Runs the monitor's ticks: a daemon thread, or a test's hand. */
    public interface Ticker extends AutoCloseable {
        /**
         * @param task what to run
         * @param delay after how long
         * @return cancels the task if it has not started
         */
        Runnable schedule(Runnable task, Duration delay);

        /** Stops running tasks. */
        @Override
        void close();

        /**
         * @param name the thread's name
         * @return a ticker on one daemon thread of its own
         */
        static Ticker daemon(String name) {
            ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, name);
                thread.setDaemon(true);
                return thread;
            });
            return new Ticker() {
                @Override
                public Runnable schedule(Runnable task, Duration delay) {
                    ScheduledFuture<?> future = executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
                    return () -> future.cancel(false);
                }

                @Override
                public void close() {
                    executor.shutdownNow();
                }
            };
        }
    }

    private record Point(Instant time, long done) {}

    private final Supplier<Optional<ProgressSample>> sampler;
    private final Sink sink;
    private final Duration interval;
    private final Clock clock;
    private final Ticker ticker;
    private final Object lock = new Object();
    private final Deque<Point> points = new ArrayDeque<>();
    private boolean closed;
    private Runnable cancelNext = () -> {};
    private String lastLine;

    private ProgressMonitor(Supplier<Optional<ProgressSample>> sampler, Sink sink, Duration interval, Clock clock,
            Ticker ticker) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("a progress interval must be positive, not " + interval);
        }
        this.sampler = sampler;
        this.sink = sink;
        this.interval = interval;
        this.clock = clock;
        this.ticker = ticker;
    }

    /**
     * Starts watching: a first sample at once (the baseline of the rate; nothing shown), then one per
     * {@code interval}, each shown.
     *
     * @param sampler reads the progress; empty while there is nothing to show yet
     * @param sink where the lines go
     * @param interval the time between two lines
     * @param clock the clock of rates and ETAs
     * @param ticker runs the ticks; closed by {@link #close()}
     * @return the running monitor
     */
    public static ProgressMonitor start(Supplier<Optional<ProgressSample>> sampler, Sink sink, Duration interval,
            Clock clock, Ticker ticker) {
        ProgressMonitor monitor = new ProgressMonitor(sampler, sink, interval, clock, ticker);
        synchronized (monitor.lock) {
            monitor.cancelNext = ticker.schedule(() -> monitor.tick(false), Duration.ZERO);
        }
        return monitor;
    }

    private void tick(boolean show) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            Instant before = clock.instant();
            Optional<ProgressSample> sample = sample();
            Duration took = Duration.between(before, clock.instant());
            if (sample.isPresent()) {
                String line = record(before, sample.get());
                if (show) {
                    try {
                        sink.show(line);
                    } catch (RuntimeException e) {
                        LOG.debug("Could not show the progress", e);
                    }
                }
            } else if (points.isEmpty()) {
                points.add(new Point(before, 0)); // nothing done yet: the baseline of the rate
            }
            Duration next = interval;
            Duration backoff = took.multipliedBy(BACKOFF_FACTOR);
            if (backoff.compareTo(next) > 0) {
                next = backoff;
            }
            cancelNext = ticker.schedule(() -> tick(true), next);
        }
    }

    private Optional<ProgressSample> sample() {
        try {
            return sampler.get();
        } catch (RuntimeException e) {
            LOG.debug("Could not read the progress", e);
            return Optional.empty();
        }
    }

    /** Adds a sample to the rate's window and renders its line. */
    private String record(Instant now, ProgressSample sample) {
        points.addLast(new Point(now, sample.done()));
        Instant horizon = now.minusSeconds(RATE_WINDOW_SECONDS);
        // keep the latest point at or before the horizon as the first: the rate spans the whole window when it can
        while (points.size() > 2) {
            java.util.Iterator<Point> oldest = points.iterator();
            oldest.next();
            if (oldest.next().time().isAfter(horizon)) {
                break;
            }
            points.removeFirst();
        }
        OptionalDouble rate = OptionalDouble.empty();
        Point first = points.peekFirst();
        Duration span = Duration.between(first.time(), now);
        if (span.toMillis() >= 1000 && sample.done() >= first.done()) {
            rate = OptionalDouble.of((sample.done() - first.done()) * 1000.0 / span.toMillis());
        }
        Optional<Duration> eta = Optional.empty();
        if (sample.totalIsFinal() && rate.isPresent() && rate.getAsDouble() > 0) {
            long left = Math.max(0, sample.total() - sample.done());
            eta = Optional.of(Duration.ofMillis(Math.round(left * 1000 / rate.getAsDouble())));
        }
        lastLine = ProgressFormat.line(sample, rate, eta);
        return lastLine;
    }

    /**
     * Stops the ticks (waiting for one in flight), takes a last sample and finishes the sink with it. Idempotent.
     */
    @Override
    public void close() {
        String last;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            cancelNext.run();
            last = sample().map(sample -> record(clock.instant(), sample)).orElse(lastLine);
        }
        try {
            sink.finish(last);
        } catch (RuntimeException e) {
            LOG.debug("Could not finish the progress", e);
        } finally {
            ticker.close();
        }
    }
}
