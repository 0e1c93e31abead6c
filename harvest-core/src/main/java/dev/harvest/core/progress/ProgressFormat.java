package dev.harvest.core.progress;

import java.nio.charset.Charset;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * How progress lines and stall hints write numbers, rates, durations and times: {@code 50,000}, {@code 24.7%},
 * {@code 412/s}, {@code 1m31s}, {@code 2025-06-01 10:05:00 UTC}.
 */
public final class ProgressFormat {

    /** Between the parts of a progress line: a middle dot, or a hyphen where the console's charset has no dot. */
    public static final String SEPARATOR = encodable('\u00b7') ? " \u00b7 " : " - ";

    /** Before the explanation of a stall hint: an em dash, or a hyphen where the console's charset has none. */
    public static final String DASH = encodable('\u2014') ? " \u2014 " : " - ";

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);

    private ProgressFormat() {}

    private static boolean encodable(char c) {
        try {
            return Charset.defaultCharset().newEncoder().canEncode(c);
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    /** @return {@code 50,000} */
    public static String count(long count) {
        return String.format(Locale.ROOT, "%,d", count);
    }

    /** @return {@code 24.7%}: one decimal, 100.0% only when everything is done */
    public static String percent(long done, long total) {
        if (total <= 0) {
            return "0.0%";
        }
        double percent = Math.min(100.0, Math.round(1000.0 * done / total) / 10.0);
        if (done < total && percent >= 100.0) {
            percent = 99.9;
        }
        return String.format(Locale.ROOT, "%.1f%%", percent);
    }

    /** @return {@code 412/s}, {@code 3.4/s}, {@code 0.25/s}, {@code 0/s} */
    public static String rate(double perSecond) {
        if (perSecond <= 0) {
            return "0/s";
        }
        if (perSecond >= 100) {
            return count(Math.round(perSecond)) + "/s";
        }
        if (perSecond >= 10) {
            return String.format(Locale.ROOT, "%.0f/s", perSecond);
        }
        if (perSecond >= 1) {
            return String.format(Locale.ROOT, "%.1f/s", perSecond);
        }
        return String.format(Locale.ROOT, "%.2f/s", perSecond);
    }

    /** @return {@code 45s}, {@code 1m31s}, {@code 2h05m}, {@code 3d04h} */
    public static String duration(Duration duration) {
        long seconds = Math.max(0, duration.toSeconds());
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        if (seconds < 86_400) {
            return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", seconds / 86_400, seconds % 86_400 / 3600);
    }

    /** @return a stored UTC time as {@code 2025-06-01 10:05:00 UTC} */
    public static String utc(LocalDateTime time) {
        return TIME.format(time) + " UTC";
    }

    /**
     * @param sample the reading
     * @param rate units done per second lately, if known
     * @param eta the time left, if known
     * @return {@code gathered 50,000 · done 12,345/50,000 (24.7%) · 412/s · ETA 1m31s · errors 3}
     */
    public static String line(ProgressSample sample, OptionalDouble rate, Optional<Duration> eta) {
        StringBuilder line = new StringBuilder(sample.head());
        line.append(SEPARATOR).append("done ").append(count(sample.done()));
        switch (sample.totalKind()) {
            case GROWING -> line.append('/').append(count(sample.total()));
            case ESTIMATED -> line.append("/~").append(count(sample.total()));
            case EXACT -> line.append('/').append(count(sample.total()));
            case UNKNOWN -> { }
        }
        if (sample.totalIsFinal()) {
            line.append(" (").append(percent(sample.done(), sample.total())).append(')');
        }
        if (rate.isPresent()) {
            line.append(SEPARATOR).append(rate(rate.getAsDouble()));
        }
        eta.ifPresent(left -> line.append(SEPARATOR).append("ETA ").append(duration(left)));
        line.append(SEPARATOR).append("errors ").append(count(sample.errors()));
        return line.toString();
    }
}
