package dev.harvest.cli;

import dev.harvest.core.HarvestException;
import dev.harvest.core.config.ConfigException;
import dev.harvest.core.db.DatabaseUnavailableException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code harvester}: ckanext-harvest's command line. Commands keep the original names ({@code run_test},
 * {@code job_abort}, ...) and accept the newer hyphenated ones ({@code run-test}, {@code job-abort}) as aliases.
 */
@Command(
        name = "harvester",
        mixinStandardHelpOptions = true,
        versionProvider = HarvesterCommand.Version.class,
        description = "Harvests remotely mastered metadata.",
        subcommands = {
            Commands.InitDb.class,
            SourceCommands.SourceCommand.class,
            Commands.Sources.class,
            Commands.RmSource.class,
            Commands.ClearSource.class,
            Commands.ClearSourceHistory.class,
            Commands.JobCommand.class,
            OperatorCommands.JobAll.class,
            Commands.Jobs.class,
            Commands.JobAbort.class,
            OperatorCommands.AbortFailedJobs.class,
            Commands.Report.class,
            Commands.Run.class,
            Commands.RunTest.class,
            Commands.GatherConsumer.class,
            Commands.FetchConsumer.class,
            Commands.PurgeQueues.class,
            Commands.CleanHarvestLog.class,
            OperatorCommands.Import.class,
            OperatorCommands.Reindex.class,
            Commands.HarvestersInfo.class,
            Commands.ConfigCommand.class,
            MigrateCommand.class,
            WebCommands.Serve.class,
            WebCommands.UserCommand.class,
            WebCommands.TokenCommand.class,
            CommandLine.HelpCommand.class
        })
public final class HarvesterCommand implements Runnable {

    @Option(names = {"-c", "--config"}, scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "Configuration file (properties: ckan.site_id, ckan.harvest.*, harvest.db.url, ...)."
                    + " Without it: embedded H2 database in ./harvest-data and the in-process queue.")
    Path config;

    /** The plugins folder; without it, harvest.plugins.dir, else plugins/ beside the jar (see {@link PluginFolder}). */
    @Option(names = "--plugins", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "Folder of plugin jars (default: harvest.plugins.dir from the configuration file, else"
                    + " plugins/ beside harvester.jar; never the working directory). The folder and its jars must be"
                    + " writable by their owner only.")
    Path pluginsDir;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Runs the command line and returns the exit code: 0 on success, 1 on a user error (one line on stderr) or a
     * harvest that ended badly ({@code run_test} with gather errors or not Finished, {@code import} with failed
     * objects), 2 on a usage error. Log warnings of a one-shot command are held back until it ends and dropped after
     * a user error (see {@link CommandLogAppender}).
     *
     * @param args the arguments
     * @param out standard output
     * @param err standard error
     * @return the exit code
     */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        routeJavaUtilLogging();
        CommandLine commandLine = new CommandLine(new HarvesterCommand());
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        // "source create ..." runs the verb; after the first positional argument, every argument is the legacy
        // "source NAME URL TYPE [TITLE] ..." form's, even one spelled like a verb
        CommandLine source = commandLine.getSubcommands().get("source");
        source.setStopAtPositional(true);
        // setStopAtPositional reaches the verbs too; they take options after their arguments
        source.getSubcommands().values().forEach(verb -> verb.setStopAtPositional(false));
        SourceCommands.Update.configureOptions(
                commandLine.getSubcommands().get("source").getSubcommands().get("update").getCommandSpec());
        commandLine.setExecutionStrategy(parseResult -> {
            Object command = parseResult.asCommandLineList().get(parseResult.asCommandLineList().size() - 1)
                    .getCommand();
            CommandLogAppender.begin(command instanceof Commands.ConsumerCommand, err);
            int code = new CommandLine.RunLast().execute(parseResult);
            CommandLogAppender.end(false);
            return code;
        });
        commandLine.setExecutionExceptionHandler((exception, cmd, parseResult) -> {
            PrintWriter errors = cmd.getErr();
            boolean userError = exception instanceof HarvestException || exception instanceof ConfigException
                    || exception instanceof DatabaseUnavailableException;
            CommandLogAppender.end(userError);
            if (exception instanceof HarvestException harvest && !harvest.fieldErrors().isEmpty()) {
                // one line, e.g. "Validation error: config: Error parsing the configuration options: ..."
                errors.println(harvest.getMessage());
            } else if (userError) {
                errors.println("Error: " + exception.getMessage());
            } else {
                // still one line; the stack trace goes to the log at debug level (HARVEST_LOG_LEVEL=DEBUG)
                String message = exception.getMessage();
                errors.println("Error: " + (message == null || message.isBlank()
                        ? exception.getClass().getSimpleName() : message.lines().findFirst().orElse(message)));
                org.slf4j.LoggerFactory.getLogger(HarvesterCommand.class).debug("harvester failed", exception);
            }
            errors.flush();
            return 1;
        });
        int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** Liquibase logs through java.util.logging: route it into SLF4J, where the console decides what to show. */
    private static void routeJavaUtilLogging() {
        if (!org.slf4j.bridge.SLF4JBridgeHandler.isInstalled()) {
            org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
            org.slf4j.bridge.SLF4JBridgeHandler.install();
        }
    }

    public static void main(String[] args) {
        int code = execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        System.exit(code);
    }

    /** {@code -V}: the version and the git commit it was built from, both embedded at build time. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            java.util.Properties properties = new java.util.Properties();
            try (java.io.InputStream in = HarvesterCommand.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            } catch (java.io.IOException e) {
                // shown as unknown below
            }
            String version = known(properties.getProperty("version"));
            if (version == null) {
                version = known(HarvesterCommand.class.getPackage().getImplementationVersion());
            }
            String commit = known(properties.getProperty("commit"));
            return new String[] {"harvester " + (version == null ? "development build" : version),
                "commit " + (commit == null ? "unknown" : commit),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"};
        }

        /** @return the value, or null if the build did not fill it in */
        private static String known(String value) {
            return value == null || value.isBlank() || value.contains("${") || value.equals("unknown") ? null
                    : value.strip();
        }
    }
}
