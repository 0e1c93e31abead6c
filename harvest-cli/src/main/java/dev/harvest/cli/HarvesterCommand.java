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
            Commands.SourceCommand.class,
            Commands.Sources.class,
            Commands.RmSource.class,
            Commands.ClearSource.class,
            Commands.ClearSourceHistory.class,
            Commands.JobCommand.class,
            Commands.Jobs.class,
            Commands.JobAbort.class,
            Commands.Report.class,
            Commands.Run.class,
            Commands.RunTest.class,
            Commands.GatherConsumer.class,
            Commands.FetchConsumer.class,
            Commands.PurgeQueues.class,
            Commands.CleanHarvestLog.class,
            Commands.HarvestersInfo.class,
            Commands.ConfigCommand.class,
            CommandLine.HelpCommand.class
        })
public final class HarvesterCommand implements Runnable {

    @Option(names = {"-c", "--config"}, scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "Configuration file (properties: ckan.site_id, ckan.harvest.*, harvest.db.url, ...)."
                    + " Without it: embedded H2 database in ./harvest-data and the in-process queue.")
    Path config;

    @Option(names = "--plugins", scope = ScopeType.INHERIT, paramLabel = "DIR", defaultValue = "plugins",
            description = "Folder of harvester plugin jars (default: ${DEFAULT-VALUE}).")
    Path pluginsDir;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Runs the command line and returns the exit code: 0 on success, 1 on a user error (one line on stderr), 2 on a
     * usage error.
     *
     * @param args the arguments
     * @param out standard output
     * @param err standard error
     * @return the exit code
     */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new HarvesterCommand());
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExecutionExceptionHandler((exception, cmd, parseResult) -> {
            PrintWriter errors = cmd.getErr();
            if (exception instanceof HarvestException harvest && !harvest.fieldErrors().isEmpty()) {
                // one line, e.g. "Validation error: config: Error parsing the configuration options: ..."
                errors.println(harvest.getMessage());
            } else if (exception instanceof HarvestException || exception instanceof ConfigException
                    || exception instanceof DatabaseUnavailableException) {
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

    public static void main(String[] args) {
        int code = execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        System.exit(code);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = HarvesterCommand.class.getPackage().getImplementationVersion();
            return new String[] {"harvester " + (version == null ? "development build" : version)};
        }
    }
}
