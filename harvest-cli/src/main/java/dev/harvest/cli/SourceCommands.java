package dev.harvest.cli;

import dev.harvest.api.HarvestSource;
import dev.harvest.cli.Commands.HarvestCommand;
import dev.harvest.core.Harvest;
import dev.harvest.core.HarvestException;
import dev.harvest.core.SourceForm;
import dev.harvest.core.SourceUpdate;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code harvester source}: ckanext-harvest's old positional form ({@code source NAME URL TYPE ...} creates,
 * {@code source NAME} shows) and CKAN 2.9's verbs ({@code source create|show|update|remove|clear|clear-history}).
 * A verb wins when it is the first argument.
 */
final class SourceCommands {

    private SourceCommands() {}

    @Command(name = "source",
            description = {
                "Creates or shows a harvest source; with a verb, creates, shows, updates, removes or clears one.",
                "Old form: source {name} {url} {type} [{title}] [{active}] [{owner_org}] [{frequency}] [{config}]"
                    + " creates a source; source {source-id/name} shows one. A verb as the first argument wins."},
            subcommands = {Create.class, Show.class, Update.class, Remove.class, Clear.class, ClearHistory.class})
    static final class SourceCommand extends HarvestCommand {
        @Parameters(arity = "0..8", paramLabel = "ARG",
                description = "name url type [title] [active] [owner_org] [frequency] [config], or a source id/name")
        List<String> args = new ArrayList<>();

        @Override
        Integer run(Harvest harvest) {
            if (args.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "Missing a source: source {source-id/name}, source {name} {url} {type} ..., or a verb"
                                + " (create, show, update, remove, clear, clear-history)");
            }
            for (String arg : args) {
                if (arg.equals("-c") || arg.equals("--config") || arg.equals("--plugins")
                        || arg.startsWith("--config=") || arg.startsWith("--plugins=") || arg.startsWith("-c=")) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "Options go before the source's arguments: harvester -c FILE source ...");
                }
            }
            if (args.size() == 1) {
                printSourceDetails(harvest, harvest.source(args.get(0)));
                return 0;
            }
            if (args.size() == 2) {
                throw new HarvestException("source needs a name, a url and a type (or one source id/name to show it)");
            }
            return Create.create(this, harvest, args);
        }
    }

    @Command(name = "create", description = {
        "Creates a harvest source; every bad field is reported at once.",
        "ACTIVE reads true/false (also yes/no, on/off, 1/0); OWNER_ORG must be an organization of the catalog;"
            + " FREQUENCY is MANUAL (default), MONTHLY, WEEKLY, BIWEEKLY, DAILY or ALWAYS; an empty FREQUENCY"
            + " (\"\") also creates and starts a job; CONFIG is checked by the harvester."})
    static final class Create extends HarvestCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "unique name: lowercase letters, digits, - and _")
        String name;

        @Parameters(index = "1", paramLabel = "URL", description = "the remote catalog's URL")
        String url;

        @Parameters(index = "2", paramLabel = "TYPE", description = "the harvester (see harvesters_info)")
        String type;

        @Parameters(index = "3..7", arity = "0..5", paramLabel = "ARG",
                description = "[TITLE] [ACTIVE] [OWNER_ORG] [FREQUENCY] [CONFIG]")
        List<String> rest = new ArrayList<>();

        @Override
        Integer run(Harvest harvest) {
            List<String> all = new ArrayList<>(List.of(name, url, type));
            all.addAll(rest);
            return create(this, harvest, all);
        }

        static Integer create(HarvestCommand command, Harvest harvest, List<String> args) {
            String frequency = arg(args, 6);
            SourceForm form = new SourceForm(args.get(0), args.get(1), args.get(2), arg(args, 3), arg(args, 4),
                    arg(args, 5), frequency, arg(args, 7));
            HarvestSource source = harvest.createSource(form);
            command.out().println("Created new harvest source:");
            command.printSourceDetails(harvest, source);
            int count = harvest.sources(true).size();
            command.out().println(count == 1 ? "There is 1 harvest source" : "There are " + count + " harvest sources");
            if (frequency != null && frequency.isEmpty()) {
                harvest.createJob(source.id(), true);
                command.out().println("A new Harvest Job for this source has also been created");
            }
            return 0;
        }

        private static String arg(List<String> args, int index) {
            return args.size() > index ? args.get(index) : null;
        }
    }

    @Command(name = "show", description = {
        "Shows every field of a harvest source, its configuration with credentials masked, and its last job."})
    static final class Show extends HarvestCommand {
        @Parameters(paramLabel = "SOURCE", description = "source id or name")
        String source;

        @Override
        Integer run(Harvest harvest) {
            printSourceDetails(harvest, harvest.source(source));
            return 0;
        }
    }

    @Command(name = "update", description = {
        "Changes fields of a harvest source, checked as a creation checks them; every bad field is reported at once.",
        "--active true reactivates a removed source; --active false removes it. A new --config goes through the"
            + " harvester's validation. An empty --owner-org removes the organization."})
    static final class Update extends HarvestCommand {
        @Parameters(paramLabel = "SOURCE", description = "source id or name")
        String source;

        @Option(names = "--url", paramLabel = "URL", description = "the remote catalog's URL")
        String url;

        @Option(names = "--title", paramLabel = "TITLE", description = "the title (empty: the name)")
        String title;

        // "--config JSON" is added by configureOptions: the inherited "-c/--config FILE" claims the name otherwise

        @Option(names = "--frequency", paramLabel = "FREQUENCY",
                description = "MANUAL, MONTHLY, WEEKLY, BIWEEKLY, DAILY, ALWAYS, or a cron expression with an"
                        + " optional IANA zone, quoted: \"0 3 * * * Europe/Paris\"")
        String frequency;

        @Option(names = "--active", paramLabel = "BOOLEAN",
                description = "true/false (also yes/no, on/off, 1/0)")
        String active;

        @Option(names = "--owner-org", paramLabel = "ORG", description = "an organization of the catalog, by id or name")
        String ownerOrg;

        /**
         * Gives {@code source update} its {@code --config JSON} option (the source's harvester configuration) in
         * place of the inherited {@code -c/--config FILE}; the configuration file is then given as {@code -c FILE}
         * here, or before the command ({@code harvester -c FILE source update ...}).
         *
         * @param update this command's spec
         */
        static void configureOptions(CommandSpec update) {
            CommandLine.Model.OptionSpec inherited = update.findOption("--config");
            if (inherited != null) {
                update.remove(inherited);
            }
            HarvesterCommand root = (HarvesterCommand) update.root().userObject();
            update.addOption(CommandLine.Model.OptionSpec.builder("--config").paramLabel("JSON").type(String.class)
                    .description("the harvester configuration (checked by the harvester)").build());
            update.addOption(CommandLine.Model.OptionSpec.builder("-c").paramLabel("FILE")
                    .type(java.nio.file.Path.class)
                    .description("Configuration file (as harvester -c FILE; here --config is the source's)")
                    .setter(new CommandLine.Model.ISetter() {
                        @Override
                        @SuppressWarnings("unchecked")
                        public <T> T set(T value) {
                            java.nio.file.Path old = root.config;
                            if (value != null) { // picocli sets the (null) default when -c is not given here
                                root.config = (java.nio.file.Path) value;
                            }
                            return (T) old;
                        }
                    }).build());
        }

        @Override
        Integer run(Harvest harvest) {
            String config = spec.findOption("--config").getValue();
            HarvestSource updated = harvest.updateSource(source,
                    new SourceUpdate(url, title, config, frequency, active, ownerOrg));
            out().println("Updated harvest source:");
            printSourceDetails(harvest, updated);
            return 0;
        }
    }

    @Command(name = "remove",
            description = "Removes (deactivates) a source, keeping its datasets, jobs and objects; as rmsource.")
    static final class Remove extends HarvestCommand {
        @Parameters(paramLabel = "SOURCE", description = "source id or name")
        String source;

        @Override
        Integer run(Harvest harvest) {
            harvest.removeSource(source);
            out().println("Removed harvest source: " + source);
            return 0;
        }
    }

    @Command(name = "clear",
            description = "Deletes all datasets, jobs and objects of a source, keeping the source; as clearsource.")
    static final class Clear extends HarvestCommand {
        @Parameters(paramLabel = "SOURCE", description = "source id or name")
        String source;

        @Override
        Integer run(Harvest harvest) {
            int datasets = harvest.clearSource(source);
            out().println("Cleared harvest source: " + source + " (" + datasets + " datasets deleted)");
            return 0;
        }
    }

    @Command(name = "clear-history", description = {
        "Deletes the jobs and objects of one source, or of all, keeping sources and datasets; as clearsource_history.",
        "With -k, the current objects and their jobs are kept, and so are running jobs."})
    static final class ClearHistory extends Commands.ClearSourceHistoryBase {
    }
}
