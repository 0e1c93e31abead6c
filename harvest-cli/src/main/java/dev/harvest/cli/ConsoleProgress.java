package dev.harvest.cli;

import dev.harvest.core.progress.ProgressMonitor;
import dev.harvest.core.progress.ProgressSample;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/**
 * The progress line of a long command ({@code run_test}, {@code import}) on standard error, which leaves standard
 * output (the report) as it was:
 *
 * <ul>
 *   <li>on a terminal, one line redrawn in place with a carriage return, twice a second, ended with a newline when
 *       the command ends (nothing at all for a command done within half a second);</li>
 *   <li>elsewhere (a log file, a pipe, cron), a timestamped line every {@code harvest.progress.interval_seconds}
 *       (5 s), and one more at the end if any was written;</li>
 *   <li>{@code --progress=none} (or {@code HARVEST_PROGRESS=none}): nothing.</li>
 * </ul>
 *
 * <p>The numbers come from a {@link ProgressMonitor} on a daemon thread; whatever else the command prints while the
 * terminal line is up goes through {@link #above(Runnable)}, which clears the line first and redraws it after.
 */
final class ConsoleProgress implements AutoCloseable {

    /** How progress is shown. */
    enum Mode {
        /** A terminal line if standard input and output are a terminal, else plain lines. */
        AUTO,
        /** A terminal line redrawn in place. */
        TTY,
        /** A timestamped line every few seconds. */
        PLAIN,
        /** No progress. */
        NONE
    }

    /** The environment variable that sets the mode when no {@code --progress} is given. */
    static final String ENVIRONMENT = "HARVEST_PROGRESS";

    /** Time between two redraws of the terminal line. */
    static final Duration TERMINAL_INTERVAL = Duration.ofMillis(500);

    /** {@code --progress=auto|tty|plain|none}, shared by the long commands. */
    static final class Options {
        @Option(names = "--progress", paramLabel = "MODE",
                description = "auto (default: a line redrawn in place on a terminal, else a line every"
                        + " harvest.progress.interval_seconds), tty, plain or none; also HARVEST_PROGRESS")
        Mode mode;

        /**
         * @return the mode asked for by option, else by {@value ConsoleProgress#ENVIRONMENT}, resolved: AUTO
         *     becomes TTY when {@link System#console()} says this is an interactive terminal, else PLAIN
         */
        Mode resolve() {
            Mode asked = mode != null ? mode : fromEnvironment(System.getenv(ENVIRONMENT));
            if (asked == Mode.AUTO) {
                return System.console() != null ? Mode.TTY : Mode.PLAIN;
            }
            return asked;
        }

        static Mode fromEnvironment(String value) {
            if (value == null || value.isBlank()) {
                return Mode.AUTO;
            }
            try {
                return Mode.valueOf(value.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                return Mode.AUTO; // a typo in an environment variable must not stop a harvest
            }
        }
    }

    private final ProgressMonitor monitor;
    private final TerminalLine terminal;

    private ConsoleProgress(ProgressMonitor monitor, TerminalLine terminal) {
        this.monitor = monitor;
        this.terminal = terminal;
    }

    /**
     * Starts showing progress.
     *
     * @param mode a resolved mode (not AUTO)
     * @param label what the plain lines name, e.g. {@code run_test my-source}
     * @param sampler reads the progress: one cheap statement
     * @param err standard error
     * @param plainInterval the time between two plain lines
     * @return the running progress; closing it ends the line
     */
    static ConsoleProgress start(Mode mode, String label, Supplier<Optional<ProgressSample>> sampler,
            PrintWriter err, Duration plainInterval) {
        if (mode == Mode.NONE) {
            return new ConsoleProgress(null, null);
        }
        return start(mode, label, sampler, err, plainInterval, Clock.systemDefaultZone(),
                ProgressMonitor.Ticker.daemon("harvest-progress"));
    }

    /** {@link #start(Mode, String, Supplier, PrintWriter, Duration)} with a given clock and ticker, for tests. */
    static ConsoleProgress start(Mode mode, String label, Supplier<Optional<ProgressSample>> sampler,
            PrintWriter err, Duration plainInterval, Clock clock, ProgressMonitor.Ticker ticker) {
        switch (mode) {
            case NONE -> {
                ticker.close();
                return new ConsoleProgress(null, null);
            }
            case TTY -> {
                TerminalLine line = new TerminalLine(err, terminalWidth());
                CommandLogAppender.setConsoleGuard(line::above);
                return new ConsoleProgress(ProgressMonitor.start(sampler, line, TERMINAL_INTERVAL, clock, ticker),
                        line);
            }
            case PLAIN -> {
                return new ConsoleProgress(ProgressMonitor.start(sampler, new PlainLines(err, label, clock),
                        plainInterval, clock, ticker), null);
            }
            default -> throw new IllegalArgumentException("resolve the mode first: " + mode);
        }
    }

    /**
     * Prints something else while the progress may be on the screen: the terminal line is cleared first and redrawn
     * after.
     *
     * @param print what to print (and flush)
     */
    void above(Runnable print) {
        if (terminal != null) {
            terminal.above(print);
        } else {
            print.run();
        }
    }

    /** Ends the progress: a last line (a newline after the terminal line), then nothing more. */
    @Override
    public void close() {
        if (monitor != null) {
            monitor.close();
        }
        if (terminal != null) {
            CommandLogAppender.setConsoleGuard(null);
        }
    }

    /** @return the terminal's width from {@code COLUMNS}, or 80 */
    private static int terminalWidth() {
        try {
            String columns = System.getenv("COLUMNS");
            return columns == null ? 80 : Math.max(20, Integer.parseInt(columns.strip()));
        } catch (NumberFormatException e) {
            return 80;
        }
    }

    /**
     * One line redrawn in place: a carriage return, the line, spaces over what is left of the previous one. Shorter
     * than the terminal, so it never wraps (a wrapped line cannot be redrawn with a carriage return).
     */
    static final class TerminalLine implements ProgressMonitor.Sink {
        private final PrintWriter err;
        private final int width;
        private String shown;

        TerminalLine(PrintWriter err, int width) {
            this.err = err;
            this.width = width;
        }

        @Override
        public synchronized void show(String line) {
            draw(line);
        }

        private void draw(String line) {
            String fitted = line.length() < width ? line : line.substring(0, width - 1);
            int previous = shown == null ? 0 : shown.length();
            err.print("\r" + fitted + " ".repeat(Math.max(0, previous - fitted.length())));
            err.flush();
            shown = fitted;
        }

        @Override
        public synchronized void finish(String line) {
            if (shown == null) {
                return; // never drawn: a command that ended within the first interval leaves no line
            }
            if (line != null) {
                draw(line);
            }
            err.print(System.lineSeparator());
            err.flush();
            shown = null;
        }

        synchronized void above(Runnable print) {
            String line = shown;
            if (line != null) {
                err.print("\r" + " ".repeat(line.length()) + "\r");
                err.flush();
                shown = null;
            }
            try {
                print.run();
            } finally {
                if (line != null) {
                    draw(line);
                }
            }
        }
    }

    /** Timestamped lines, as a log file wants them: {@code 2025-06-01 10:00:05 run_test my-source: gathered ...}. */
    static final class PlainLines implements ProgressMonitor.Sink {
        private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);

        private final PrintWriter err;
        private final String label;
        private final Clock clock;
        private int written;

        PlainLines(PrintWriter err, String label, Clock clock) {
            this.err = err;
            this.label = label;
            this.clock = clock;
        }

        @Override
        public synchronized void show(String line) {
            err.println(TIME.format(LocalDateTime.now(clock)) + " " + label + ": " + line);
            err.flush();
            written++;
        }

        @Override
        public synchronized void finish(String line) {
            if (written > 0 && line != null) {
                err.println(TIME.format(LocalDateTime.now(clock)) + " " + label + " ended: " + line);
                err.flush();
            }
        }
    }
}
