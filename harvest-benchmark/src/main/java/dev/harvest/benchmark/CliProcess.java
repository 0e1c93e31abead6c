package dev.harvest.benchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A {@code harvester} command run as its own JVM from the shaded jar, as an operator runs it:
 * {@code java -Xmx.. -jar harvester.jar --config FILE --plugins DIR <command> ...}, its stdout and stderr in a log
 * file. Every process started is remembered, so that the benchmark never leaves one running.
 */
final class CliProcess {

    /** Every process started and not yet seen to end. */
    private static final List<CliProcess> STARTED = new CopyOnWriteArrayList<>();

    private final String name;
    private final Process process;
    private final Path log;
    private final long startedNanos = System.nanoTime();

    private CliProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * @param name a name for the log file
     * @param jar the harvester jar
     * @param workDir the working directory (and where the log goes, under {@code logs/})
     * @param jvmOptions JVM options, e.g. {@code -Xmx256m}
     * @param config the properties file
     * @param command the command and its arguments
     * @return the started process
     */
    static CliProcess start(String name, Path jar, Path workDir, List<String> jvmOptions, Path config,
            List<String> command) throws IOException {
        Path logs = Files.createDirectories(workDir.resolve("logs"));
        Path log = logs.resolve(name + ".log");
        List<String> args = new ArrayList<>();
        args.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        args.addAll(jvmOptions);
        args.add("-jar");
        args.add(jar.toAbsolutePath().toString());
        args.add("--config");
        args.add(config.toAbsolutePath().toString());
        args.add("--plugins");
        args.add(workDir.resolve("no-plugins").toAbsolutePath().toString());
        args.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(args)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        // INFO: the consumers' "Consuming the ... queue" line tells when they are ready
        env.put("HARVEST_LOG_LEVEL", "INFO");
        CliProcess started = new CliProcess(name, builder.start(), log);
        STARTED.add(started);
        return started;
    }

    String name() {
        return name;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    /** @return the whole log (stdout and stderr) */
    String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** @return the last lines of the log */
    String tail(int lines) {
        List<String> all = output().lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /**
     * Waits until the log contains a text (a consumer's {@code Consuming the fetch queue}), the process ends, or the
     * timeout passes.
     *
     * @return whether the text appeared
     */
    boolean awaitLog(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (output().contains(text)) {
                return true;
            }
            if (!process.isAlive()) {
                return output().contains(text);
            }
            Thread.sleep(100);
        }
        return false;
    }

    /**
     * Waits for the process to end by itself.
     *
     * @return its exit code
     * @throws IllegalStateException if it does not end in time (it is then killed)
     */
    int await(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            kill();
            throw new IllegalStateException(name + " did not end within " + timeout + "; log " + log);
        }
        STARTED.remove(this);
        return process.exitValue();
    }

    /** @return seconds since the start */
    double secondsSinceStart() {
        return (System.nanoTime() - startedNanos) / 1e9;
    }

    /** Stops a consumer as supervisor does (SIGTERM), killing it if it has not ended within a minute. */
    void stop() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        STARTED.remove(this);
    }

    /** Kills the process at once. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        STARTED.remove(this);
    }

    /** Stops every process this benchmark started that is still running (on exit, on failure, on Ctrl-C). */
    static void stopAll() {
        for (CliProcess started : List.copyOf(STARTED)) {
            try {
                started.stop();
            } catch (InterruptedException e) {
                started.process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops several processes at once: SIGTERM to all, then waits for each. */
    static void stopAll(List<CliProcess> processes) throws InterruptedException {
        for (CliProcess process : processes) {
            if (process.process.isAlive()) {
                process.process.destroy();
            }
        }
        for (CliProcess process : processes) {
            process.stop();
        }
    }
}
