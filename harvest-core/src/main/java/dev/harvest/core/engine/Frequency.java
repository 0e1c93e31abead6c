package dev.harvest.core.engine;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A source's frequency: one of ckanext-harvest's {@code UPDATE_FREQUENCIES}, or a cron expression.
 *
 * <p><b>Classic frequencies</b> keep ckanext-harvest's arithmetic ({@code next_run_from_now}, spec §3.8):
 * {@code ALWAYS} is due at every run, {@code DAILY} one day after the run that scheduled it, {@code WEEKLY} seven,
 * {@code BIWEEKLY} fourteen, and {@code MONTHLY} the number of days of the month the run happens in (so a run on
 * 31 January is next due on 3 March, or 2 March in a leap year). {@code MANUAL} is never due.
 *
 * <p><b>Cron expressions</b> have the five fields of Unix cron (minute, hour, day of month, month, day of week,
 * parsed by cron-utils), then optionally an IANA time zone: {@code 0 3 * * * Europe/Paris}. Without a zone the
 * expression is read in UTC. The fields are matched against the wall clock of the zone; where daylight saving time
 * changes the clock, a time that does not exist that day (02:30 when clocks go from 02:00 to 03:00) runs as much
 * later as the clocks jumped (03:30, the same instant), and a time that happens twice (02:30 when clocks go back
 * from 03:00 to 02:00) runs once, the first time. A cron source is due when one of its instants has passed since its
 * last job was created (since the source was created, when it has no job).
 */
public abstract sealed class Frequency {

    /** ckanext-harvest's {@code UPDATE_FREQUENCIES}, in order. */
    public static final List<String> CLASSIC = List.of("MANUAL", "MONTHLY", "WEEKLY", "BIWEEKLY", "DAILY", "ALWAYS");

    private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    /** Zone ids by lower-case spelling, so that {@code europe/paris} is stored as {@code Europe/Paris}. */
    private static final Map<String, String> ZONES = new TreeMap<>();

    static {
        for (String zone : ZoneId.getAvailableZoneIds()) {
            ZONES.put(zone.toLowerCase(Locale.ROOT), zone);
        }
    }

    /** DST shifts are at most this long (real ones are one hour or less), which bounds the search below. */
    private static final long MAX_SHIFT_HOURS = 3;

    private Frequency() {}

    /**
     * Reads a frequency as an operator typed it.
     *
     * @param text a classic frequency (any case) or a cron expression with an optional zone
     * @return the frequency
     * @throws IllegalArgumentException with a one-line message naming the problem
     */
    public static Frequency parse(String text) {
        String trimmed = text == null ? "" : text.strip();
        String[] parts = trimmed.isEmpty() ? new String[0] : trimmed.split("\\s+");
        if (parts.length <= 1) {
            String upper = trimmed.toUpperCase(Locale.ROOT);
            if (CLASSIC.contains(upper)) {
                return new Classic(upper);
            }
            throw new IllegalArgumentException("Frequency " + trimmed + " not recognised (one of "
                    + String.join(", ", CLASSIC) + ", or a cron expression such as '0 3 * * * Europe/Paris')");
        }
        if (parts.length != 5 && parts.length != 6) {
            throw new IllegalArgumentException("Invalid cron expression '" + trimmed + "': it has " + parts.length
                    + " fields; expected 5 (minute hour day-of-month month day-of-week) and an optional time zone");
        }
        String fields = String.join(" ", List.of(parts).subList(0, 5));
        ZoneId zone = ZoneOffset.UTC;
        String zoneText = null;
        if (parts.length == 6) {
            String canonical = ZONES.get(parts[5].toLowerCase(Locale.ROOT));
            if (canonical == null) {
                throw new IllegalArgumentException("Invalid cron expression '" + trimmed + "': unknown time zone '"
                        + parts[5] + "' (an IANA zone such as Europe/Paris or UTC)");
            }
            zone = ZoneId.of(canonical);
            zoneText = canonical;
        }
        Cron cron;
        try {
            cron = UNIX.parse(fields).validate();
        } catch (IllegalArgumentException e) {
            String reason = String.valueOf(e.getMessage()).replaceFirst("^Failed to parse cron expression\\. ", "")
                    .replaceAll("\\s+", " ").strip();
            throw new IllegalArgumentException("Invalid cron expression '" + trimmed + "': " + reason);
        }
        CronSchedule schedule = new CronSchedule(zoneText == null ? fields : fields + " " + zoneText, cron, zone);
        if (schedule.nextLocalMatch(LocalDateTime.of(2000, 1, 1, 0, 0)).isEmpty()) {
            throw new IllegalArgumentException("Invalid cron expression '" + trimmed + "': it never matches a date");
        }
        return schedule;
    }

    /**
     * @param text a frequency as typed
     * @return the problem with it, one line, or empty if it is valid
     */
    public static Optional<String> problem(String text) {
        try {
            parse(text);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** @return the frequency as it is stored: a classic name in capitals, or the cron fields and zone, one space apart */
    public abstract String text();

    /** @return whether {@code run} ever schedules it ({@code MANUAL} is never scheduled) */
    public abstract boolean scheduled();

    @Override
    public String toString() {
        return text();
    }

    /** One of ckanext-harvest's frequencies, scheduled through {@code harvest_source.next_run}. */
    public static final class Classic extends Frequency {
        private final String name;

        Classic(String name) {
            this.name = name;
        }

        @Override
        public String text() {
            return name;
        }

        @Override
        public boolean scheduled() {
            return !"MANUAL".equals(name);
        }

        /**
         * ckanext-harvest's {@code next_run_from_now}.
         *
         * @param now the time of the run that schedules the source (UTC)
         * @return when the source is next due (UTC)
         * @throws IllegalArgumentException for {@code MANUAL}, which is never scheduled
         */
        public LocalDateTime nextRun(LocalDateTime now) {
            return switch (name) {
                case "ALWAYS" -> now;
                case "DAILY" -> now.plusDays(1);
                case "WEEKLY" -> now.plusDays(7);
                case "BIWEEKLY" -> now.plusDays(14);
                case "MONTHLY" -> now.plusDays(YearMonth.from(now).lengthOfMonth());
                default -> throw new IllegalArgumentException("Frequency " + name + " not recognised");
            };
        }
    }

    /** A cron expression in a time zone, scheduled from the source's last job. */
    public static final class CronSchedule extends Frequency {
        private final String text;
        private final ExecutionTime execution;
        private final ZoneId zone;

        CronSchedule(String text, Cron cron, ZoneId zone) {
            this.text = text;
            this.execution = ExecutionTime.forCron(cron);
            this.zone = zone;
        }

        @Override
        public String text() {
            return text;
        }

        @Override
        public boolean scheduled() {
            return true;
        }

        /** @return the zone whose wall clock the fields are matched against */
        public ZoneId zone() {
            return zone;
        }

        /**
         * The first scheduled instant strictly after {@code after}.
         *
         * @param after an instant
         * @return the next instant the source is due, or empty if the expression matches no later date
         */
        public Optional<Instant> nextAfter(Instant after) {
            LocalDateTime wallClock = LocalDateTime.ofInstant(after, zone);
            if (zone.getRules().isFixedOffset()) {
                return nextLocalMatch(wallClock).map(local -> ZonedDateTime.of(local, zone).toInstant());
            }
            // local matches are in wall-clock order, their instants nearly so: a match in a DST gap moves later by
            // the gap. Start a little before, and stop once no later match can map to an earlier instant.
            LocalDateTime cursor = wallClock.minusHours(MAX_SHIFT_HOURS);
            Instant best = null;
            for (int guard = 0; guard < 100_000; guard++) {
                Optional<LocalDateTime> match = nextLocalMatch(cursor);
                if (match.isEmpty()) {
                    break;
                }
                LocalDateTime local = match.get();
                if (best != null && local.isAfter(LocalDateTime.ofInstant(best, zone).plusHours(MAX_SHIFT_HOURS))) {
                    break;
                }
                // ZonedDateTime.of: the earlier offset in an overlap (run once), shifted forward in a gap
                Instant instant = ZonedDateTime.of(local, zone).toInstant();
                if (instant.isAfter(after) && (best == null || instant.isBefore(best))) {
                    best = instant;
                }
                cursor = local;
            }
            return Optional.ofNullable(best);
        }

        /**
         * @param lastJobCreated when the source's last job was created, or (without jobs) the source (UTC)
         * @param now now (UTC)
         * @return whether a scheduled instant has passed since {@code lastJobCreated}
         */
        public boolean isDue(LocalDateTime lastJobCreated, LocalDateTime now) {
            Optional<Instant> next = nextAfter(lastJobCreated.toInstant(ZoneOffset.UTC));
            return next.isPresent() && !next.get().isAfter(now.toInstant(ZoneOffset.UTC));
        }

        /** The next wall-clock time after {@code after} whose fields match, DST ignored (evaluated as UTC). */
        Optional<LocalDateTime> nextLocalMatch(LocalDateTime after) {
            return execution.nextExecution(after.atZone(ZoneOffset.UTC)).map(ZonedDateTime::toLocalDateTime);
        }
    }
}
