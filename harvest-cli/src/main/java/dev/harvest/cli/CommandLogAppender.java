package dev.harvest.cli;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The console of the {@code harvester} command line (see {@code logback.xml}). Long-running consumers log live, with
 * stack traces, as production log files need. A one-shot command ({@code source}, {@code report}, {@code run_test},
 * ...) keeps its warnings and errors back until it ends: if it ends with a user error, they are dropped, so that the
 * operator sees one line saying what is wrong instead of retry noise (a Redis reconnect, a Liquibase stack trace)
 * that the message already sums up; otherwise they are printed at the end, one line each, an exception as its class
 * and message. Setting {@code HARVEST_LOG_LEVEL} makes every command log live, with stack traces.
 */
public final class CommandLogAppender extends AppenderBase<ILoggingEvent> {

    /** How the console treats log events. */
    enum Mode {
        /** Printed as they happen, with stack traces (consumers; or HARVEST_LOG_LEVEL set). */
        LIVE,
        /** Warnings and errors kept until the command ends; information dropped. */
        DEFERRED
    }

    private static final int MAX_DEFERRED = 1000;
    private static final Object LOCK = new Object();
    private static Mode mode = Mode.LIVE;
    private static PrintWriter sink;
    private static final Deque<String> deferred = new ArrayDeque<>();
    private static int dropped;

    private PatternLayout full;
    private PatternLayout brief;

    @Override
    public void start() {
        full = layout("%d{yyyy-MM-dd HH:mm:ss} %-5level [%thread] %logger{20} - %msg%n");
        brief = layout("%d{yyyy-MM-dd HH:mm:ss} %-5level %logger{20} - %msg%nopex");
        super.start();
    }

    private PatternLayout layout(String pattern) {
        PatternLayout layout = new PatternLayout();
        layout.setContext(getContext());
        layout.setPattern(pattern);
        layout.start();
        return layout;
    }

    @Override
    protected void append(ILoggingEvent event) {
        synchronized (LOCK) {
            if (mode == Mode.LIVE) {
                print(full.doLayout(event));
                return;
            }
            if (!event.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)) {
                return;
            }
            if (deferred.size() >= MAX_DEFERRED) {
                dropped++;
                return;
            }
            // rendered now: the event's arguments may change, and this appender may be stopped by the end
            deferred.add(brief.doLayout(event) + exceptionSummary(event) + System.lineSeparator());
        }
    }

    private static String exceptionSummary(ILoggingEvent event) {
        if (event.getThrowableProxy() == null) {
            return "";
        }
        String message = event.getThrowableProxy().getMessage();
        String simple = event.getThrowableProxy().getClassName();
        simple = simple.substring(simple.lastIndexOf('.') + 1);
        return " (" + simple + (message == null ? "" : ": " + message.lines().findFirst().orElse(message)) + ")";
    }

    private static void print(String text) {
        java.util.function.Consumer<Runnable> guard = consoleGuard;
        if (guard != null) {
            guard.accept(() -> write(text));
        } else {
            write(text);
        }
    }

    private static void write(String text) {
        if (sink != null) {
            sink.print(text);
            sink.flush();
        } else {
            System.err.print(text);
            System.err.flush();
        }
    }

    /** Clears a progress line on the terminal around a log line, while one is up; see {@link ConsoleProgress}. */
    private static volatile java.util.function.Consumer<Runnable> consoleGuard;

    /**
     * @param guard runs a print with the terminal's progress line out of the way, or null when no line is up
     */
    static void setConsoleGuard(java.util.function.Consumer<Runnable> guard) {
        consoleGuard = guard;
    }

    /**
     * Starts a command.
     *
     * @param longRunning whether the command runs until stopped (a consumer), which logs live
     * @param err where the console writes (the command's standard error)
     */
    static void begin(boolean longRunning, PrintWriter err) {
        synchronized (LOCK) {
            mode = longRunning || System.getenv("HARVEST_LOG_LEVEL") != null ? Mode.LIVE : Mode.DEFERRED;
            sink = err;
            deferred.clear();
            dropped = 0;
        }
    }

    /**
     * Ends a command: prints what was kept back, or drops it after a user error (whose one line says it all).
     *
     * @param userError whether the command ended with a user error
     */
    static void end(boolean userError) {
        synchronized (LOCK) {
            if (!userError) {
                deferred.forEach(CommandLogAppender::print);
                if (dropped > 0) {
                    print("(" + dropped + " more warnings not shown; HARVEST_LOG_LEVEL=WARN shows them all)"
                            + System.lineSeparator());
                }
            }
            deferred.clear();
            dropped = 0;
            mode = Mode.LIVE;
        }
    }
}
