package dev.harvest.cli;

import static dev.harvest.cli.CliRunner.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.harvest.cli.CliRunner.Result;
import dev.harvest.core.progress.ProgressFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run_test} and {@code import} with their progress on standard error: in plain mode (what a log file gets), on
 * a forced terminal, and under a real pseudo-terminal ({@code script}); the report on standard output stays what it
 * was.
 */
class ProgressCommandsTest {

    private static final String S = ProgressFormat.SEPARATOR;
    /** A harvest of 400 objects that takes a few seconds: long enough for a progress line a second. */
    private static final String SLOW = "{\"count\": 400, \"import_delay_ms\": 6}";

    @TempDir
    Path dir;

    private Path config;

    private void site(String database) throws IOException {
        config = SiteConfig.write(dir, "ini", "harvest.db.url = " + database + "\nckan.harvest.mq.type = memory\n"
                + "harvest.progress.interval_seconds = 1\n");
    }

    private Result harvester(String... args) {
        return CliRunner.onSite(config, dir.resolve("no-plugins"), args);
    }

    private void slowSource(String name) {
        ok(harvester("source", "create", name, "http://" + name + ".example.org", "scripted", name, "true", "",
                "MANUAL", SLOW));
    }

    /** The report with its ids and the source's name made neutral, to compare two of them. */
    private static String neutral(String report, String source) {
        return report.replaceAll("Job [0-9a-f-]{36} of source " + source, "Job <id> of source <src>");
    }

    @Test
    void runTestInPlainModeWritesTimestampedProgressLinesToStandardErrorAndTheSameReport() throws IOException {
        site("jdbc:h2:mem:progress-" + UUID.randomUUID());
        slowSource("watched");
        Result watched = ok(harvester("run_test", "watched", "--progress=plain"));
        site("jdbc:h2:mem:progress-" + UUID.randomUUID()); // the same datasets again, in a database of their own
        slowSource("quiet");
        Result quiet = ok(harvester("run_test", "quiet", "--progress", "none"));

        assertEquals(neutral(quiet.out(), "quiet"), neutral(watched.out(), "watched"), "the report is unchanged");
        assertTrue(watched.out().contains(": Finished\n\tadded: 400, updated: 0,"), watched.out());
        assertEquals("", quiet.err(), "no progress with --progress=none");
        Pattern tick = Pattern.compile("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d run_test watched: "
                + "(gathering|gathered) [\\d,]+" + S + "done [\\d,]+(/[\\d,]+)?( \\(\\d+\\.\\d%\\))?"
                + "(" + S + "[\\d.,]+/s)?(" + S + "ETA \\w+)?" + S + "errors 0");
        List<String> lines = List.of(watched.err().split("\n"));
        assertTrue(lines.size() >= 2, "a line a second, and one at the end: " + watched.err());
        assertTrue(lines.subList(0, lines.size() - 1).stream().allMatch(line -> tick.matcher(line).matches()),
                watched.err());
        assertTrue(Pattern.matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d run_test watched ended: gathered 400"
                + S + "done 400/400 \\(100\\.0%\\)" + S + "[\\d.,]+/s" + S + "ETA 0s" + S + "errors 0",
                lines.get(lines.size() - 1)), watched.err());
    }

    @Test
    void runTestOnAForcedTerminalRedrawsOneLineInPlaceAndEndsItBeforeTheReport() throws IOException {
        site("jdbc:h2:mem:progress-" + UUID.randomUUID());
        slowSource("src");

        Result result = ok(harvester("run_test", "src", "--progress=tty"));

        String err = result.err();
        assertTrue(err.startsWith("\r"), "drawn with a carriage return: " + err);
        assertTrue(err.endsWith(System.lineSeparator()), "ended with a newline: " + err);
        assertEquals(1, err.split("\n").length, "one line, redrawn: " + err);
        String[] draws = err.strip().split("\r");
        assertTrue(draws.length >= 3, "redrawn twice a second: " + err);
        assertTrue(draws[draws.length - 1].startsWith("gathered 400" + S + "done 400/400 (100.0%)"), err);
        assertTrue(result.out().startsWith("Job "), "the report follows on standard output: " + result.out());
    }

    @Test
    void importWithProgressGoesSegmentBySegmentAndReportsAsOneImport() throws IOException {
        site("jdbc:h2:mem:progress-" + UUID.randomUUID());
        ok(harvester("source", "create", "src", "http://src.example.org", "scripted", "src", "true", "", "MANUAL",
                "{\"count\": 120, \"import_delay_ms\": 15}"));
        ok(harvester("run_test", "src", "--progress=none"));
        // the harvester's import now fails for two of the harvested records
        ok(harvester("source", "update", "src", "--config",
                "{\"count\": 120, \"import_delay_ms\": 15, \"fail_import\": [\"obj-00007\", \"obj-00100\"]}"));

        Result quiet = harvester("import", "src", "--progress=none");
        Result watched = harvester("import", "src", "--progress=plain");

        assertEquals(1, watched.code(), "two objects fail, as without progress");
        assertEquals(quiet.out().lines().sorted().toList(), watched.out().lines().sorted().toList(),
                "the same failures and the same count: " + watched.out());
        assertTrue(watched.out().endsWith("118 objects reimported\n"), watched.out());
        List<String> progress = watched.err().lines()
                .filter(line -> line.contains(" import: ") || line.contains(" import ended: ")).toList();
        assertTrue(progress.size() >= 2, watched.err());
        assertTrue(progress.get(0).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d import: segments \\d+/16" + S
                + "done .*errors \\d+"), progress.get(0));
        assertTrue(progress.get(progress.size() - 1).contains(" import ended: segments 16/16" + S
                + "done 120/120 (100.0%)"), watched.err());
        assertTrue(progress.get(progress.size() - 1).endsWith(S + "errors 2"), watched.err());
        assertTrue(watched.err().endsWith("Error: 2 object(s) could not be imported\n"), watched.err());
    }

    @Test
    void runTestUnderARealPseudoTerminalRedrawsItsLineInPlace() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "util-linux script gives a pseudo-terminal");
        site("jdbc:h2:file:" + dir.resolve("db").resolve("harvest"));
        slowSource("src");

        // the command line's own logging configuration, not the tests' (which logs everything to standard output)
        String logback = Path.of(HarvesterCommand.class.getResource("/logback.xml").toURI()).toString();
        String java = String.join(" ", List.of(HarvesterProcesses.java(), "-Xmx256m",
                "-Dlogback.configurationFile=" + logback,
                "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
                "-cp", "'" + HarvesterProcesses.classPath() + "'", HarvesterCommand.class.getName(),
                "-c", config.toString(), "--plugins", dir.resolve("no-plugins").toString(), "run_test", "src"));
        ProcessBuilder builder = new ProcessBuilder("/usr/bin/script", "-q", "-e", "-c", java, "/dev/null")
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        builder.environment().put("LANG", "C.UTF-8");
        builder.environment().put("COLUMNS", "200");
        builder.environment().remove("HARVEST_PROGRESS");
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(2, TimeUnit.MINUTES));
        String screen = new String(output, StandardCharsets.UTF_8);

        assertEquals(0, process.exitValue(), screen);
        // the terminal turns each newline into \r\n; a redraw is a carriage return within one line
        List<String> redrawn = List.of(screen.split("\n")).stream().filter(line -> line.split("\r").length >= 3
                && line.contains("done ")).toList();
        assertEquals(1, redrawn.size(), "one progress line, redrawn in place: " + screen.replace("\r", "<CR>"));
        assertTrue(redrawn.get(0).strip().endsWith(S + "errors 0"), redrawn.get(0).replace("\r", "<CR>"));
        assertTrue(screen.contains(": Finished"), "then the report: " + screen);
        assertTrue(screen.indexOf("done 400/400") < screen.indexOf(": Finished"), "the line ends before the report");
    }
}
