package dev.harvest.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * A clock that stands still until the test moves it, so that leases, timeouts, schedules and "modified since the last
 * harvest" windows pass without sleeping.
 *
 * <p>Always UTC, as the engine is. Thread-safe: the engine reads it from its worker threads while the test advances
 * it.
 */
public final class MutableClock extends Clock {

    private volatile Instant now;

    /** A clock standing at the current time, truncated to milliseconds as a database column would keep it. */
    public MutableClock() {
        this(Instant.ofEpochMilli(System.currentTimeMillis()));
    }

    /**
     * A clock standing at a given instant.
     *
     * @param start the instant it shows until it is moved
     */
    public MutableClock(Instant start) {
        this.now = Objects.requireNonNull(start, "start");
    }

    /**
     * Moves the clock forward (or back, with a negative duration).
     *
     * @param duration how far
     */
    public synchronized void advance(Duration duration) {
        now = now.plus(duration);
    }

    /**
     * Sets the clock to an instant.
     *
     * @param instant what it shows from now on
     */
    public void set(Instant instant) {
        now = Objects.requireNonNull(instant, "instant");
    }

    /** @return UTC */
    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    /**
     * The same clock: it is UTC-only, and a copy in another zone would no longer move with the test.
     *
     * @param zone ignored
     * @return this clock
     */
    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    /** @return the instant the clock stands at */
    @Override
    public Instant instant() {
        return now;
    }
}
