package dev.harvest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.cli.ConsoleProgress.Mode;
import dev.harvest.core.progress.JobProgress;
import dev.harvest.core.progress.JobStages;
import dev.harvest.core.progress.ManualTicker;
import dev.harvest.core.progress.ProgressFormat;
import dev.harvest.core.progress.ProgressSample;
import dev.harvest.core.testing.MutableClock;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The progress of {@code run_test} and {@code import} on standard error, on a test clock and ticker: a line redrawn in
 * place on a terminal, timestamped lines elsewhere, nothing with {@code none}.
 */
class ConsoleProgressTest {

    private static final String S = ProgressFormat.SEPARATOR;

    private final MutableClock clock = new MutableClock();
    private final ManualTicker ticker = new ManualTicker(clock);
    private final StringWriter err = new StringWriter();
    private final AtomicReference<ProgressSample> now = new AtomicReference<>(sample(0, 0));

    private static ProgressSample sample(long done, long errors) {
        return new JobProgress("j", "Running", true, true, new JobStages(100 - done, 0, 0, done - errors, errors), 0)
                .sample();
    }

    private ConsoleProgress start(Mode mode) {
        ConsoleProgress progress = ConsoleProgress.start(mode, "run_test src", () -> Optional.of(now.get()),
                new PrintWriter(err, true), Duration.ofSeconds(5), clock, ticker);
        ticker.runDue(); // the baseline sample
        return progress;
    }

    @Test
    void onATerminalOneLineIsRedrawnInPlaceWithACarriageReturnAndEndedWithANewline() {
        ConsoleProgress progress = start(Mode.TTY);
        now.set(sample(10, 0));
        ticker.advance(ConsoleProgress.TERMINAL_INTERVAL);
        now.set(sample(20, 1));
        ticker.advance(ConsoleProgress.TERMINAL_INTERVAL);
        now.set(sample(100, 1));
        ticker.advance(Duration.ofMillis(200));

        progress.close();

        String first = "gathered 100" + S + "done 10/100 (10.0%)" + S + "errors 0";
        String second = "gathered 100" + S + "done 20/100 (20.0%)" + S + "20/s" + S + "ETA 4s" + S + "errors 1";
        String last = "gathered 100" + S + "done 100/100 (100.0%)" + S + "83/s" + S + "ETA 0s" + S + "errors 1";
        assertEquals("\r" + first + "\r" + second + "\r" + last + System.lineSeparator(), err.toString());
    }

    @Test
    void aShorterLineOverwritesWhatIsLeftOfTheLongerOneWithSpaces() {
        ConsoleProgress progress = start(Mode.TTY);
        now.set(new ProgressSample("a long head to start with", 1, 0, ProgressSample.Total.UNKNOWN, 0));
        ticker.advance(ConsoleProgress.TERMINAL_INTERVAL);
        now.set(new ProgressSample("short", 1, 0, ProgressSample.Total.UNKNOWN, 0));
        ticker.advance(ConsoleProgress.TERMINAL_INTERVAL);

        String[] draws = err.toString().split("\r");
        assertEquals(draws[1].length(), draws[2].length(), "the shorter line is padded: " + List.of(draws));
        assertTrue(draws[2].startsWith("short" + S + "done 1"), draws[2]);
        progress.close();
    }

    @Test
    void aCommandDoneBeforeTheFirstRedrawLeavesNothingOnTheTerminal() {
        ConsoleProgress progress = start(Mode.TTY);
        now.set(sample(100, 0));

        progress.close();

        assertEquals("", err.toString());
    }

    @Test
    void whatIsPrintedWhileTheLineIsUpClearsItAndRedrawsItAfter() {
        ConsoleProgress progress = start(Mode.TTY);
        now.set(sample(10, 0));
        ticker.advance(ConsoleProgress.TERMINAL_INTERVAL);
        String line = "gathered 100" + S + "done 10/100 (10.0%)" + S + "errors 0";

        progress.above(() -> err.write("\tObject 1 (a): title missing\n"));

        assertEquals("\r" + line + "\r" + " ".repeat(line.length()) + "\r\tObject 1 (a): title missing\n\r" + line,
                err.toString());
        progress.close();
    }

    @Test
    void withoutATerminalATimestampedLineIsWrittenEveryIntervalAndOneAtTheEnd() {
        DateTimeFormatter time = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
        ConsoleProgress progress = start(Mode.PLAIN);
        now.set(sample(10, 0));
        ticker.advance(ConsoleProgress.TERMINAL_INTERVAL);
        assertEquals("", err.toString(), "no line before the plain interval");

        ticker.advance(Duration.ofSeconds(5).minus(ConsoleProgress.TERMINAL_INTERVAL));
        String firstTime = time.format(LocalDateTime.now(clock));
        now.set(sample(60, 2));
        ticker.advance(Duration.ofSeconds(5));
        now.set(sample(100, 2));
        clock.advance(Duration.ofSeconds(1));
        progress.close();

        List<String> lines = err.toString().lines().toList();
        assertEquals(3, lines.size(), err.toString());
        assertEquals(firstTime + " run_test src: gathered 100" + S + "done 10/100 (10.0%)" + S + "2.0/s" + S
                + "ETA 45s" + S + "errors 0", lines.get(0));
        Pattern line = Pattern.compile("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d run_test src: gathered 100" + S
                + "done 60/100 \\(60\\.0%\\)" + S + "6\\.0/s" + S + "ETA 6s" + S + "errors 2");
        assertTrue(line.matcher(lines.get(1)).matches(), lines.get(1));
        assertTrue(lines.get(2).endsWith(" run_test src ended: gathered 100" + S + "done 100/100 (100.0%)" + S
                + "9.1/s" + S + "ETA 0s" + S + "errors 2"), lines.get(2));
    }

    @Test
    void aShortCommandWithoutATerminalWritesNoProgress() {
        ConsoleProgress progress = start(Mode.PLAIN);
        now.set(sample(100, 0));
        ticker.advance(Duration.ofSeconds(4));

        progress.close();

        assertEquals("", err.toString());
    }

    @Test
    void noneShowsNothingAndTakesNoSample() {
        ConsoleProgress progress = ConsoleProgress.start(Mode.NONE, "import", () -> {
            throw new AssertionError("no sample with --progress=none");
        }, new PrintWriter(err), Duration.ofSeconds(5), clock, ticker);
        ticker.advance(Duration.ofMinutes(1));
        progress.above(() -> err.write("a failure line\n"));
        progress.close();

        assertEquals("a failure line\n", err.toString());
        assertTrue(ticker.isClosed());
    }

    @Test
    void theModeComesFromTheOptionThenTheEnvironmentAndAutoAsksWhetherThisIsATerminal() {
        assertEquals(Mode.PLAIN, ConsoleProgress.Options.fromEnvironment("plain"));
        assertEquals(Mode.NONE, ConsoleProgress.Options.fromEnvironment(" NONE "));
        assertEquals(Mode.AUTO, ConsoleProgress.Options.fromEnvironment(null));
        assertEquals(Mode.AUTO, ConsoleProgress.Options.fromEnvironment("sometimes"), "a typo does not stop a harvest");
        ConsoleProgress.Options options = new ConsoleProgress.Options();
        options.mode = Mode.TTY;
        assertEquals(Mode.TTY, options.resolve());
        options.mode = Mode.AUTO;
        assertEquals(System.console() != null ? Mode.TTY : Mode.PLAIN, options.resolve(),
                "tests run without a terminal: " + System.console());
    }
}
