package dev.harvest.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The frequency arithmetic: ckanext-harvest's classic frequencies, and cron expressions in a time zone. */
class FrequencyTest {

    private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

    private static LocalDateTime at(String text) {
        return LocalDateTime.parse(text);
    }

    private static LocalDateTime nextRun(String frequency, String now) {
        return ((Frequency.Classic) Frequency.parse(frequency)).nextRun(at(now));
    }

    /** The first {@code count} instants of a cron expression after {@code from}, as wall-clock times in Paris. */
    private static List<String> parisRuns(String cron, String fromUtc, int count) {
        Frequency.CronSchedule schedule = (Frequency.CronSchedule) Frequency.parse(cron);
        List<String> runs = new ArrayList<>();
        Instant cursor = at(fromUtc).toInstant(ZoneOffset.UTC);
        for (int i = 0; i < count; i++) {
            cursor = schedule.nextAfter(cursor).orElseThrow();
            runs.add(cursor.atZone(PARIS).toOffsetDateTime().toString());
        }
        return runs;
    }

    @Test
    void monthlyAddsTheLengthOfTheCurrentMonthSoJanuaryThe31stIsNextDueOnMarchThe3rd() {
        assertEquals(at("2026-03-03T10:00"), nextRun("MONTHLY", "2026-01-31T10:00"));
        assertEquals(at("2028-03-02T10:00"), nextRun("MONTHLY", "2028-01-31T10:00"), "2028 is a leap year: 31 days");
        assertEquals(at("2026-04-02T10:00"), nextRun("MONTHLY", "2026-03-02T10:00"), "March has 31 days");
        assertEquals(at("2026-03-02T08:30"), nextRun("MONTHLY", "2026-02-02T08:30"), "February 2026 has 28 days");
        assertEquals(at("2028-03-02T08:30"), nextRun("MONTHLY", "2028-02-02T08:30"), "February 2028 has 29 days");
        assertEquals(at("2026-05-30T00:00"), nextRun("MONTHLY", "2026-04-30T00:00"), "April has 30 days");
    }

    @Test
    void dailyWeeklyAndBiweeklyAddOneSevenAndFourteenDaysAndAlwaysIsDueAtOnce() {
        assertEquals(at("2026-03-01T23:59"), nextRun("DAILY", "2026-02-28T23:59"));
        assertEquals(at("2026-01-07T12:00"), nextRun("WEEKLY", "2025-12-31T12:00"));
        assertEquals(at("2026-01-14T12:00"), nextRun("BIWEEKLY", "2025-12-31T12:00"));
        assertEquals(at("2026-06-01T00:00"), nextRun("ALWAYS", "2026-06-01T00:00"));
        assertEquals(at("2026-06-02T00:00"), Engine.nextRun("daily", at("2026-06-01T00:00")), "any case is accepted");
    }

    @Test
    void manualIsNeverScheduledAndClassicNamesAreStoredInCapitals() {
        Frequency manual = Frequency.parse(" manual ");
        assertFalse(manual.scheduled());
        assertEquals("MANUAL", manual.text());
        assertEquals("WEEKLY", Frequency.parse("Weekly").text());
        assertTrue(Frequency.parse("ALWAYS").scheduled());
    }

    @Test
    void aCronExpressionWithoutAZoneIsReadInUtcAndOneWithAZoneKeepsTheZonesCanonicalSpelling() {
        Frequency.CronSchedule utc = assertInstanceOf(Frequency.CronSchedule.class, Frequency.parse("0  3 * * *"));
        assertEquals("0 3 * * *", utc.text());
        assertEquals(ZoneOffset.UTC, utc.zone());
        assertEquals(at("2026-06-02T03:00").toInstant(ZoneOffset.UTC),
                utc.nextAfter(at("2026-06-01T03:00").toInstant(ZoneOffset.UTC)).orElseThrow());

        Frequency.CronSchedule paris = (Frequency.CronSchedule) Frequency.parse("0 3 * * * europe/paris");
        assertEquals("0 3 * * * Europe/Paris", paris.text());
        assertEquals(at("2026-06-02T01:00").toInstant(ZoneOffset.UTC),
                paris.nextAfter(at("2026-06-01T12:00").toInstant(ZoneOffset.UTC)).orElseThrow(),
                "03:00 in Paris in summer is 01:00 UTC");
    }

    @Test
    void a0230ParisCronRunsOnceOnTheSpringForwardDayAnHourLaterWhenTheClockSkipsIt() {
        // 29 March 2026: clocks go from 02:00 (CET) to 03:00 (CEST); 02:30 does not exist that day
        assertEquals(List.of("2026-03-28T02:30+01:00", "2026-03-29T03:30+02:00", "2026-03-30T02:30+02:00"),
                parisRuns("30 2 * * * Europe/Paris", "2026-03-27T12:00", 3));
    }

    @Test
    void a0230ParisCronRunsOnceOnTheFallBackDayAtTheFirstOfTheTwo0230s() {
        // 25 October 2026: clocks go back from 03:00 (CEST) to 02:00 (CET); 02:30 happens twice
        assertEquals(List.of("2026-10-24T02:30+02:00", "2026-10-25T02:30+02:00", "2026-10-26T02:30+01:00"),
                parisRuns("30 2 * * * Europe/Paris", "2026-10-23T12:00", 3));
        // a job created during the second 02:30 does not make the source due again that night
        Frequency.CronSchedule cron = (Frequency.CronSchedule) Frequency.parse("30 2 * * * Europe/Paris");
        assertFalse(cron.isDue(at("2026-10-25T00:30"), at("2026-10-25T01:45")),
                "created at the first 02:30 (00:30 UTC), not due at the second (01:30 UTC)");
        assertTrue(cron.isDue(at("2026-10-25T00:30"), at("2026-10-26T01:30")));
    }

    @Test
    void everyTwentyMinutesInTheRepeatedHourRunsThreeTimesNotSixAndInTheSkippedHourThreeTimesAfterIt() {
        assertEquals(List.of("2026-10-25T02:00+02:00", "2026-10-25T02:20+02:00", "2026-10-25T02:40+02:00",
                        "2026-10-26T02:00+01:00"),
                parisRuns("*/20 2 * * * Europe/Paris", "2026-10-24T23:00", 4));
        assertEquals(List.of("2026-03-29T03:00+02:00", "2026-03-29T03:20+02:00", "2026-03-29T03:40+02:00",
                        "2026-03-30T02:00+02:00"),
                parisRuns("*/20 2 * * * Europe/Paris", "2026-03-28T23:00", 4));
    }

    @Test
    void aCronSourceIsDueOnceAScheduledInstantHasPassedSinceItsLastJob() {
        Frequency.CronSchedule cron = (Frequency.CronSchedule) Frequency.parse("0 3 * * 1-5");
        // Friday 2026-06-05 03:00 UTC is the last weekday run before Monday 2026-06-08 03:00
        assertFalse(cron.isDue(at("2026-06-05T03:00"), at("2026-06-08T02:59:59")));
        assertTrue(cron.isDue(at("2026-06-05T03:00"), at("2026-06-08T03:00")));
        assertTrue(cron.isDue(at("2026-06-05T03:00"), at("2026-06-10T00:00")), "a missed run is caught up once");
    }

    @Test
    void invalidFrequenciesAreRefusedWithOneLineNamingTheProblem() {
        assertEquals("Frequency HOURLY not recognised (one of MANUAL, MONTHLY, WEEKLY, BIWEEKLY, DAILY, ALWAYS,"
                + " or a cron expression such as '0 3 * * * Europe/Paris')", Frequency.problem("HOURLY").orElseThrow());
        assertEquals("Invalid cron expression '61 3 * * *': Value 61 not in range [0, 59]",
                Frequency.problem("61 3 * * *").orElseThrow());
        assertEquals("Invalid cron expression '0 3 * * * Europe/Pariss': unknown time zone 'Europe/Pariss' (an IANA"
                + " zone such as Europe/Paris or UTC)", Frequency.problem("0 3 * * * Europe/Pariss").orElseThrow());
        assertEquals("Invalid cron expression '0 3 * *': it has 4 fields; expected 5 (minute hour day-of-month month"
                + " day-of-week) and an optional time zone", Frequency.problem("0 3 * *").orElseThrow());
        assertEquals("Invalid cron expression '0 0 30 2 *': it never matches a date",
                Frequency.problem("0 0 30 2 *").orElseThrow());
        for (String bad : List.of("0 3 * * * +02:00", "0 3 * * * * UTC", "x 3 * * *", "0 25 * * *")) {
            String problem = Frequency.problem(bad).orElseThrow();
            assertFalse(problem.contains("\n"), problem);
            assertTrue(problem.contains(bad), problem);
        }
        assertThrows(IllegalArgumentException.class, () -> Frequency.parse(""));
        assertTrue(Frequency.problem("0 3 * * * UTC").isEmpty());
    }
}
