package dev.harvest.core.progress;

import dev.harvest.core.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A {@link ProgressMonitor.Ticker} that a test drives: tasks run when the test moves the clock past them. */
public final class ManualTicker implements ProgressMonitor.Ticker {

    private record Task(Instant due, Runnable task, Duration delay) {}

    private final MutableClock clock;
    private final List<Task> pending = new ArrayList<>();
    private final List<Duration> delays = new ArrayList<>();
    private boolean closed;

    public ManualTicker(MutableClock clock) {
        this.clock = clock;
    }

    @Override
    public synchronized Runnable schedule(Runnable task, Duration delay) {
        Task scheduled = new Task(clock.instant().plus(delay), task, delay);
        pending.add(scheduled);
        delays.add(delay);
        return () -> {
            synchronized (this) {
                pending.remove(scheduled);
            }
        };
    }

    /** Moves the clock forward by {@code step} and runs every task then due, in order. */
    public void advance(Duration step) {
        clock.advance(step);
        runDue();
    }

    /** Runs the tasks due now (a task scheduled with no delay, for one). */
    public void runDue() {
        while (true) {
            Task next;
            synchronized (this) {
                next = pending.stream().filter(task -> !task.due().isAfter(clock.instant()))
                        .min(java.util.Comparator.comparing(Task::due)).orElse(null);
                if (next == null || closed) {
                    return;
                }
                pending.remove(next);
            }
            next.task().run();
        }
    }

    /** @return the delays asked for, in order */
    public synchronized List<Duration> delays() {
        return List.copyOf(delays);
    }

    /** @return whether a task is waiting */
    public synchronized boolean hasPending() {
        return !pending.isEmpty();
    }

    /** @return whether the monitor closed it */
    public synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized void close() {
        closed = true;
        pending.clear();
    }
}
