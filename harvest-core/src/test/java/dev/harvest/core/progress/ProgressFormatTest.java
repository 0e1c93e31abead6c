package dev.harvest.core.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Optional;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class ProgressFormatTest {

    private static final String S = ProgressFormat.SEPARATOR;

    @Test
    void countsHaveThousandsSeparatorsAndPercentagesOneDecimalAndAHundredOnlyWhenDone() {
        assertEquals("50,000", ProgressFormat.count(50_000));
        assertEquals("7", ProgressFormat.count(7));
        assertEquals("24.7%", ProgressFormat.percent(12_345, 50_000));
        assertEquals("99.9%", ProgressFormat.percent(49_999, 50_000), "100% only when everything is done");
        assertEquals("100.0%", ProgressFormat.percent(50_000, 50_000));
    }

    @Test
    void ratesAndDurationsAreShortAndReadable() {
        assertEquals("412/s", ProgressFormat.rate(412.4));
        assertEquals("1,250/s", ProgressFormat.rate(1250));
        assertEquals("42/s", ProgressFormat.rate(41.7));
        assertEquals("3.4/s", ProgressFormat.rate(3.44));
        assertEquals("0.25/s", ProgressFormat.rate(0.25));
        assertEquals("0/s", ProgressFormat.rate(0), "a stalled command");
        assertEquals("45s", ProgressFormat.duration(Duration.ofSeconds(45)));
        assertEquals("1m31s", ProgressFormat.duration(Duration.ofSeconds(91)));
        assertEquals("2h05m", ProgressFormat.duration(Duration.ofMinutes(125)));
        assertEquals("3d04h", ProgressFormat.duration(Duration.ofHours(76)));
        assertEquals("2025-06-01 10:05:00 UTC", ProgressFormat.utc(LocalDateTime.of(2025, 6, 1, 10, 5, 0, 123_000)));
    }

    @Test
    void aLineHasTheHeadDoneOutOfTotalRateEtaAndErrors() {
        ProgressSample sample = new ProgressSample("gathered 50,000", 12_345, 50_000, ProgressSample.Total.EXACT, 3);
        assertEquals("gathered 50,000" + S + "done 12,345/50,000 (24.7%)" + S + "412/s" + S + "ETA 1m31s" + S
                + "errors 3", ProgressFormat.line(sample, OptionalDouble.of(412), Optional.of(Duration.ofSeconds(91))));
        ProgressSample estimated = new ProgressSample("segments 4/16", 100, 400, ProgressSample.Total.ESTIMATED, 0);
        assertEquals("segments 4/16" + S + "done 100/~400 (25.0%)" + S + "errors 0",
                ProgressFormat.line(estimated, OptionalDouble.empty(), Optional.empty()));
        ProgressSample unknown = new ProgressSample("pass 0/1", 0, 0, ProgressSample.Total.UNKNOWN, 0);
        assertEquals("pass 0/1" + S + "done 0" + S + "errors 0",
                ProgressFormat.line(unknown, OptionalDouble.empty(), Optional.empty()));
        ProgressSample notGathered = new JobProgress("j", "Running", false, false, JobStages.NONE, 0).sample();
        assertEquals("waiting for the gather" + S + "done 0" + S + "0/s" + S + "errors 0",
                ProgressFormat.line(notGathered, OptionalDouble.of(0), Optional.empty()));
    }
}
