package dev.harvest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import dev.harvest.cli.CliRunner.Result;
import dev.harvest.core.testing.ExternalServices;
import dev.harvest.core.testing.TestDatabases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * What the command line shows around the commands: usage help of every subcommand, the version, and errors that are
 * one line on stderr, with the console appender of the production logging configuration attached.
 */
class CommandLineHelpAndErrorsTest {

    @TempDir
    Path dir;

    private CommandLogAppender console;

    private static Result harvester(String... args) {
        return CliRunner.run(args);
    }

    /** The production console (logback.xml's), on the root logger, as in the shipped jar. */
    @BeforeEach
    void attachTheConsole() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        console = new CommandLogAppender();
        console.setContext(context);
        console.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(console);
    }

    @AfterEach
    void detachTheConsole() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(console);
        console.stop();
    }

    /** @return every command and subcommand by the path that names it, aliases included, e.g. {@code [source, update]} */
    private static Map<List<String>, CommandLine> allCommands(boolean withAliases) {
        Map<List<String>, CommandLine> all = new LinkedHashMap<>();
        collect(new CommandLine(new HarvesterCommand()), List.of(), all, withAliases);
        return all;
    }

    private static void collect(CommandLine parent, List<String> path, Map<List<String>, CommandLine> all,
            boolean withAliases) {
        for (Map.Entry<String, CommandLine> sub : parent.getSubcommands().entrySet()) {
            if (!withAliases && !sub.getKey().equals(sub.getValue().getCommandName())) {
                continue;
            }
            List<String> subPath = new ArrayList<>(path);
            subPath.add(sub.getKey());
            all.put(subPath, sub.getValue());
            collect(sub.getValue(), subPath, all, withAliases);
        }
    }

    @Test
    void everySubcommandPrintsItsUsageWithDashHAndWithDashDashHelp() {
        Map<List<String>, CommandLine> commands = allCommands(true);
        assertTrue(commands.keySet().containsAll(List.of(List.of("source", "update"), List.of("run-test"),
                List.of("import"), List.of("job_all"), List.of("abort_failed_jobs"), List.of("report"))),
                commands.keySet().toString());
        for (Map.Entry<List<String>, CommandLine> command : commands.entrySet()) {
            String usage = "Usage: " + command.getValue().getCommandSpec().qualifiedName(" ");
            for (String flag : List.of("-h", "--help")) {
                List<String> args = new ArrayList<>(command.getKey());
                args.add(flag);
                Result result = harvester(args.toArray(String[]::new));
                assertEquals(0, result.code(), args + ": " + result.err());
                assertTrue(result.out().startsWith(usage) || result.out().contains("\n" + usage), args + ": "
                        + result.out());
                assertEquals("", result.err(), args.toString());
            }
        }
    }

    @Test
    void theTopLevelHelpSumsEachCommandUpInACompleteSentence() {
        Result help = harvester("--help");
        assertEquals(0, help.code());
        for (Map.Entry<List<String>, CommandLine> command : allCommands(false).entrySet()) {
            String[] description = command.getValue().getCommandSpec().usageMessage().description();
            assertTrue(description.length > 0, command.getKey() + " has a description");
            assertTrue(description[0].endsWith("."), command.getKey() + ": the summary the command list shows ends"
                    + " its sentence: " + description[0]);
        }
        for (String name : List.of("import", "job-all", "reindex", "abort-failed-jobs", "source", "report")) {
            assertTrue(help.out().contains("\n  " + name), name + " is listed: " + help.out());
        }
    }

    @Test
    void dashCapitalVPrintsTheVersionAndTheGitCommitItWasBuiltFrom() {
        Result version = harvester("-V");
        assertEquals(0, version.code());
        List<String> lines = version.out().lines().toList();
        assertTrue(lines.get(0).matches("harvester \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), lines.get(0));
        assertTrue(lines.get(1).matches("commit ([0-9a-f]{7,40}|unknown)"), lines.get(1));
    }

    @Test
    void anUnreachableRedisIsOneLineWithoutTheRetryWarnings() throws IOException {
        Path config = dir.resolve("redis-down.ini");
        Files.writeString(config, "harvest.db.url = jdbc:h2:mem:redis-down-" + UUID.randomUUID()
                + "\nckan.harvest.mq.type = redis\nckan.harvest.mq.hostname = 127.0.0.1\nckan.harvest.mq.port = 1\n");

        Result result = harvester("-c", config.toString(), "purge_queues");

        assertEquals(1, result.code());
        assertEquals(1, result.err().lines().count(), "one line, no retry noise: " + result.err());
        assertTrue(result.err().startsWith("Error: Cannot connect to the redis queue: "), result.err());
    }

    @Test
    void aDatabaseThatLiquibaseCannotUpgradeIsOneLineWithoutItsStackTrace() throws Exception {
        ExternalServices.requirePostgres();
        String schema = TestDatabases.newPostgresSchema();
        try (Connection connection = DriverManager.getConnection(ExternalServices.postgresJdbcUrl(),
                        ExternalServices.postgresUser(), ExternalServices.postgresPassword());
                Statement statement = connection.createStatement()) {
            // a table of the same name but another shape: the first changeset fails (not harvest_source, whose
            // presence without harvest's changelog is recognised as ckanext-harvest's before Liquibase runs)
            statement.execute("create table " + schema + ".harvest_job (id integer)");
        }
        Path config = dir.resolve("broken.ini");
        Files.writeString(config, "harvest.db.url = " + ExternalServices.postgresJdbcUrl() + "?currentSchema=" + schema
                + "\nharvest.db.user = " + ExternalServices.postgresUser() + "\nharvest.db.pool_size = 2\n"
                + "ckan.harvest.mq.type = memory\n");

        Result result = harvester("-c", config.toString(), "sources");

        assertEquals(1, result.code());
        assertEquals("Error: Cannot create or upgrade the harvest tables: ERROR: relation \"harvest_job\" already"
                + " exists\n", result.err());
    }

    @Test
    void theWarningsOfACommandThatSucceededArePrintedAtTheEndOneLineEach() throws IOException {
        Path config = dir.resolve("site.ini");
        Files.writeString(config, "harvest.db.url = jdbc:h2:mem:warn-" + UUID.randomUUID()
                + "\nckan.harvest.mq.type = memory\n");
        String[] site = {"-c", config.toString(), "--plugins", dir.resolve("none").toString()};
        assertEquals(0, harvester(concat(site, "source", "src", "http://a.example.org", "scripted", "t", "true", "",
                "MANUAL", "{\"guids\": [\"a\", \"b\"], \"throw_in_fetch\": \"a\"}")).code());

        Result result = harvester(concat(site, "run_test", "src"));

        assertEquals(0, result.code(), result.err());
        assertTrue(result.out().contains("errored: 1"), result.out());
        List<String> warnings = result.err().lines().toList();
        assertTrue(warnings.stream().anyMatch(line -> line.contains("WARN")
                && line.contains("Fetch of object")
                && line.endsWith("failed: IOException: connection reset while fetching a")),
                result.err());
        assertFalse(result.err().contains("\tat "), "no stack trace: " + result.err());
        assertFalse(result.err().contains("INFO"), "information is not shown for a one-shot command");
    }

    private static String[] concat(String[] first, String... rest) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(rest));
        return all.toArray(String[]::new);
    }
}
