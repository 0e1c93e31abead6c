package dev.harvest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs the {@code harvester} command line in-process and keeps its exit code and what it printed. */
final class CliRunner {

    /** What one command line gave: its exit code, standard output and standard error. */
    record Result(int code, String out, String err) {}

    private CliRunner() {}

    /** Runs exactly {@code args}, global options included. */
    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = HarvesterCommand.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    /** Runs {@code options} (e.g. {@code --config file}) followed by {@code args}. */
    static Result run(List<String> options, String... args) {
        List<String> all = new ArrayList<>(options);
        all.addAll(List.of(args));
        return run(all.toArray(String[]::new));
    }

    /** Runs {@code -c config --plugins plugins args}: a command on a site. */
    static Result onSite(Path config, Path plugins, String... args) {
        return run(List.of("-c", config.toString(), "--plugins", plugins.toString()), args);
    }

    /** Asserts that the command exited with 0, showing both outputs if not; returns the result. */
    static Result ok(Result result) {
        assertEquals(0, result.code(), () -> "stdout: " + result.out() + "\nstderr: " + result.err());
        return result;
    }
}
