package dev.harvest.core.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.core.testing.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The progress monitor on a test's clock and ticker: what it shows, when, and how it ends. */
class ProgressMonitorTest {

    private static final String S = ProgressFormat.SEPARATOR;

    private final MutableClock clock = new MutableClock();
    private final ManualTicker ticker = new ManualTicker(clock);
    private final List<String> shown = new ArrayList<>();
    private final List<String> finished = new ArrayList<>();
    private final ProgressMonitor.Sink sink = new ProgressMonitor.Sink() {
        @Override
        public void show(String line) {
            shown.add(line);
        }

        @Override
        public void finish(String line) {
            finished.add(String.valueOf(line));
        }
    };

    private static ProgressSample job(long gathered, long done, long errors, boolean gatherFinished) {
        return new JobProgress("j", "Running", true, gatherFinished,
                new JobStages(gathered - done, 0, 0, done - errors, errors), 0).sample();
    }

    @Test
    void eachTickShowsDoneOutOfTotalWithTheRateTheEtaAndTheErrorsSoFar() {
        AtomicReference<ProgressSample> now = new AtomicReference<>(job(50_000, 0, 0, true));
        ProgressMonitor monitor = ProgressMonitor.start(() -> Optional.of(now.get()), sink, Duration.ofSeconds(5),
                clock, ticker);
        ticker.runDue();
        assertEquals(List.of(), shown, "the first sample is the rate's baseline and shows nothing");

        now.set(job(50_000, 2_060, 3, true));
        ticker.advance(Duration.ofSeconds(5));

        assertEquals(List.of("gathered 50,000" + S + "done 2,060/50,000 (4.1%)" + S + "412/s" + S + "ETA 1m56s" + S
                + "errors 3"), shown);
        monitor.close();
    }

    @Test
    void whileTheGatherRunsTheTotalIsShownAsItGrowsWithoutAPercentageOrEta() {
        AtomicReference<ProgressSample> now = new AtomicReference<>(job(500, 0, 0, false));
        ProgressMonitor monitor = ProgressMonitor.start(() -> Optional.of(now.get()), sink, Duration.ofSeconds(1),
                clock, ticker);
        ticker.runDue();
        now.set(job(1_500, 10, 0, false));
        ticker.advance(Duration.ofSeconds(1));

        assertEquals(List.of("gathering 1,500" + S + "done 10/1,500" + S + "10/s" + S + "errors 0"), shown);
        monitor.close();
    }

    @Test
    void theRateIsMeasuredOverTheLastThirtySecondsNotSinceTheStart() {
        AtomicReference<ProgressSample> now = new AtomicReference<>(job(100_000, 0, 0, true));
        ProgressMonitor monitor = ProgressMonitor.start(() -> Optional.of(now.get()), sink, Duration.ofSeconds(10),
                clock, ticker);
        ticker.runDue();
        // a fast first minute (100/s), then a slow one (10/s): the rate shown is the recent one
        for (int i = 1; i <= 6; i++) {
            now.set(job(100_000, 1_000L * i, 0, true));
            ticker.advance(Duration.ofSeconds(10));
        }
        for (int i = 1; i <= 6; i++) {
            now.set(job(100_000, 6_000 + 100L * i, 0, true));
            ticker.advance(Duration.ofSeconds(10));
        }

        assertTrue(shown.get(shown.size() - 1).contains(S + "10/s" + S + "ETA 2h35m" + S), shown.get(shown.size() - 1));
        monitor.close();
    }

    @Test
    void aSlowSampleStretchesTheNextTickToTwentyTimesItsDuration() {
        ProgressMonitor monitor = ProgressMonitor.start(() -> {
            clock.advance(Duration.ofMillis(300)); // the statement took 300 ms
            return Optional.of(job(10, 1, 0, true));
        }, sink, Duration.ofSeconds(1), clock, ticker);
        ticker.runDue();

        assertEquals(List.of(Duration.ZERO, Duration.ofSeconds(6)), ticker.delays());
        monitor.close();
    }

    @Test
    void aSampleThatFailsIsSkippedAndTheMonitorCarriesOn() {
        AtomicInteger calls = new AtomicInteger();
        ProgressMonitor monitor = ProgressMonitor.start(() -> {
            if (calls.incrementAndGet() == 2) {
                throw new IllegalStateException("the database went away");
            }
            return Optional.of(job(10, calls.get(), 0, true));
        }, sink, Duration.ofSeconds(1), clock, ticker);
        ticker.runDue();
        ticker.advance(Duration.ofSeconds(1));
        ticker.advance(Duration.ofSeconds(1));

        assertEquals(1, shown.size(), "the failed sample showed nothing, the next one did: " + shown);
        assertTrue(shown.get(0).contains("done 3/10"), shown.get(0));
        monitor.close();
    }

    @Test
    void closingStopsTheTicksTakesALastSampleAndFinishesTheSinkOnce() {
        AtomicReference<ProgressSample> now = new AtomicReference<>(job(10, 0, 0, true));
        ProgressMonitor monitor = ProgressMonitor.start(() -> Optional.of(now.get()), sink, Duration.ofSeconds(1),
                clock, ticker);
        ticker.runDue();
        now.set(job(10, 10, 1, true));
        clock.advance(Duration.ofMillis(2500));

        monitor.close();
        monitor.close();

        assertEquals(List.of(), shown);
        assertEquals(List.of("gathered 10" + S + "done 10/10 (100.0%)" + S + "4.0/s" + S + "ETA 0s" + S + "errors 1"),
                finished);
        assertTrue(ticker.isClosed(), "the ticker is closed with the monitor");
        assertFalse(ticker.hasPending(), "no tick is left");
    }

    @Test
    void aMonitorThatNeverHadASampleFinishesWithNothing() {
        ProgressMonitor monitor = ProgressMonitor.start(Optional::empty, sink, Duration.ofSeconds(1), clock, ticker);
        ticker.runDue();
        ticker.advance(Duration.ofSeconds(3));
        monitor.close();

        assertEquals(List.of(), shown);
        assertEquals(List.of("null"), finished, "the sink hears that there was nothing to show");
    }
}
