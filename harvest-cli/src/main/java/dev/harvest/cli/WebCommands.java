package dev.harvest.cli;

import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.api.queue.QueueName;
import dev.harvest.core.Harvest;
import dev.harvest.core.HarvestException;
import dev.harvest.core.auth.ApiToken;
import dev.harvest.core.auth.Capacity;
import dev.harvest.core.auth.NewToken;
import dev.harvest.core.auth.User;
import dev.harvest.core.auth.UserStore;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.engine.ConsumerRunner;
import dev.harvest.web.HarvestWebServer;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code harvester serve}, {@code harvester user ...} and {@code harvester token ...}. */
final class WebCommands {

    private WebCommands() {}

    static UserStore users(Harvest harvest) {
        return new UserStore(harvest.stores().database(), Clock.systemUTC());
    }

    @Command(name = "serve", description = {
        "Serves the CKAN-compatible harvest action API (/api/3/action/{name}) and does the work of 'run' every"
            + " harvest.serve.run_interval_seconds; with the in-process queue it also gathers and fetches, so that"
            + " serve alone is a complete harvesting server.",
        "Stops gracefully on SIGTERM: the HTTP server, then the scheduler, then the consumers (which hand back or"
            + " finish their messages)."})
    static final class Serve extends Commands.HarvestCommand {
        @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE})")
        String host;

        @Option(names = "--port", defaultValue = "5000", description = "port to listen on (default: ${DEFAULT-VALUE})")
        int port;

        @Option(names = "--consumers", negatable = true, description = "run gather and fetch consumers in this process"
                + " (default: on with the in-process queue, off with redis or amqp, whose consumers are separate processes)")
        Boolean consumers;

        @Option(names = "--threads", paramLabel = "N", description = "fetch threads of the in-process consumers"
                + " (default: harvest.consumer.threads)")
        Integer threads;

        private boolean runsConsumers(HarvestConfig config) {
            return consumers != null ? consumers : config.queueType().equals("memory");
        }

        private int fetchThreads(HarvestConfig config) {
            if (threads != null) {
                return Math.max(1, threads);
            }
            try {
                return Math.max(1, Integer.parseInt(config.get("harvest.consumer.threads", "4")));
            } catch (NumberFormatException e) {
                return 4; // the configuration check names the bad value
            }
        }

        @Override
        HarvestConfig.DatabaseUse databaseUse(HarvestConfig config) {
            // HTTP requests (a few at a time), the scheduler, and the consumers' gather and fetch threads
            return new HarvestConfig.DatabaseUse(commandName(), 4 + (runsConsumers(config) ? 1 + fetchThreads(config) : 0),
                    runsConsumers(config));
        }

        @Override
        public Integer call() throws Exception {
            CommandLogAppender.begin(true, err()); // a server logs as it goes, like the consumers
            HarvestConfig config = siteConfig();
            ClassLoader plugins = PluginFolder.classLoader(root(), err());
            // not try-with-resources: on SIGTERM the shutdown hook closes the engine once everything has stopped
            Harvest harvest = Commands.openWaitingForServices(() -> openHarvest(plugins, config));
            if (harvest == null) {
                return 0; // SIGTERM arrived while starting
            }
            try {
                return serve(harvest, users(harvest), config);
            } catch (Exception | Error e) {
                harvest.close();
                throw e;
            }
        }

        @Override
        Integer run(Harvest harvest) {
            throw new UnsupportedOperationException("serve opens its engine itself");
        }

        private Integer serve(Harvest harvest, UserStore users, HarvestConfig config) throws InterruptedException {
            String intervalText = harvest.settings().get("harvest.serve.run_interval_seconds", "60").strip();
            long interval;
            try {
                interval = Long.parseLong(intervalText);
            } catch (NumberFormatException e) {
                throw new HarvestException("harvest.serve.run_interval_seconds must be a number of seconds, not '"
                        + intervalText + "'");
            }
            if (interval < 1) {
                throw new HarvestException("harvest.serve.run_interval_seconds must be 1 or more, not " + interval);
            }
            ConsumerRunner gather = null;
            ConsumerRunner fetch = null;
            if (runsConsumers(config)) {
                gather = harvest.engine().consumer(harvest.queue(), QueueName.GATHER, 1);
                fetch = harvest.engine().consumer(harvest.queue(), QueueName.FETCH,
                        fetchThreads(config));
                gather.start();
                fetch.start();
            }
            ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "serve-run");
                thread.setDaemon(true);
                return thread;
            });
            scheduler.scheduleWithFixedDelay(() -> {
                try {
                    harvest.run();
                } catch (RuntimeException e) {
                    // one failed run (e.g. the database away for a moment) must not end the schedule
                    org.slf4j.LoggerFactory.getLogger(Serve.class).warn("run failed: {}", e.getMessage());
                }
            }, 0, interval, TimeUnit.SECONDS);
            HarvestWebServer server = HarvestWebServer.start(harvest, users, host, port);
            String base = "http://" + host + ":" + server.port();
            out().println("Serving the harvest action API on " + base + "/api/3/action/ and the web pages on " + base
                    + "/harvest (run every " + interval + " s" + (gather != null ? ", gather and fetch in this"
                    + " process" : "") + ")");
            out().flush();
            CountDownLatch stopped = new CountDownLatch(1);
            ConsumerRunner gatherRunner = gather;
            ConsumerRunner fetchRunner = fetch;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                scheduler.shutdown();
                try {
                    scheduler.awaitTermination(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (gatherRunner != null) {
                    gatherRunner.stop();
                    fetchRunner.stop();
                }
                harvest.close();
                out().println("Stopped serve");
                out().flush();
                stopped.countDown();
                // a JVM ending on SIGTERM exits 143; a server that stopped cleanly reports success
                Runtime.getRuntime().halt(0);
            }, "shutdown"));
            stopped.await();
            return 0;
        }
    }

    /** {@code harvester user}: the users of {@code serve}. */
    @Command(name = "user", description = "Adds users of serve and sets their organization memberships.",
            subcommands = {UserAdd.class, UserOrg.class, UserList.class})
    static final class UserCommand implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        Commands.HelpOption help;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Missing a verb: user add NAME [--email E] [--sysadmin], user org NAME ORG admin|editor|member,"
                            + " user list");
        }
    }

    @Command(name = "add", description = "Adds a user (a sysadmin with --sysadmin).")
    static final class UserAdd extends Commands.HarvestCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "2 to 100 lowercase letters, digits, - and _")
        String name;

        @Option(names = "--email", paramLabel = "ADDRESS", description = "where notification mails go")
        String email;

        @Option(names = "--sysadmin", description = "allow every action")
        boolean sysadmin;

        @Override
        Integer run(Harvest harvest) {
            User user = users(harvest).addUser(name, email, sysadmin);
            out().println("Added user " + user.name() + (user.sysadmin() ? " (sysadmin)" : "") + " with id "
                    + user.id());
            return 0;
        }
    }

    @Command(name = "org", description = "Sets a user's capacity in an organization of the catalog.")
    static final class UserOrg extends Commands.HarvestCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "the user")
        String name;

        @Parameters(index = "1", paramLabel = "ORG", description = "the organization's id or name in the catalog")
        String organization;

        @Parameters(index = "2", paramLabel = "CAPACITY", description = "admin, editor or member")
        String capacity;

        @Override
        Integer run(Harvest harvest) {
            Capacity parsed = Capacity.parse(capacity).orElseThrow(() -> new HarvestException(
                    "The capacity is admin, editor or member, not '" + capacity + "'"));
            UserStore users = users(harvest);
            User user = users.user(name);
            Optional<CatalogGroup> found;
            try {
                found = harvest.catalog().findGroup(GroupKind.ORGANIZATION, organization);
            } catch (Exception e) {
                throw new HarvestException("Could not look up organization " + organization + " in the catalog: "
                        + e.getMessage());
            }
            CatalogGroup org = found.orElseThrow(() -> new HarvestException("Organization " + organization
                    + " does not exist in the catalog"));
            users.setMembership(user.id(), org.id(), parsed);
            out().println("User " + user.name() + " is " + parsed.value() + " of organization " + org.name());
            return 0;
        }
    }

    @Command(name = "list", description = "Lists the users with their organization memberships.")
    static final class UserList extends Commands.HarvestCommand {
        @Override
        Integer run(Harvest harvest) {
            UserStore users = users(harvest);
            for (User user : users.listUsers()) {
                out().println(user.name() + "\t" + (user.email() == null ? "" : user.email()) + "\t"
                        + (user.sysadmin() ? "sysadmin" : "") + "\t" + users.memberships(user.id()).entrySet().stream()
                                .map(m -> organizationName(harvest, m.getKey()) + ":" + m.getValue().value())
                                .reduce((a, b) -> a + "," + b).orElse(""));
            }
            return 0;
        }
    }

    /** @return the organization's name in the catalog, or its id when the catalog no longer has it */
    static String organizationName(Harvest harvest, String organizationId) {
        try {
            return harvest.catalog().findGroup(GroupKind.ORGANIZATION, organizationId).map(CatalogGroup::name)
                    .orElse(organizationId);
        } catch (Exception e) {
            return organizationId;
        }
    }

    /** {@code harvester token}: API tokens of users. */
    @Command(name = "token", description = "Creates, lists and revokes API tokens.",
            subcommands = {TokenCreate.class, TokenList.class, TokenRevoke.class})
    static final class TokenCommand implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        Commands.HelpOption help;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Missing a verb: token create USER [--name LABEL], token list [USER], token revoke TOKEN_ID");
        }
    }

    @Command(name = "create", description = {"Creates an API token for a user and prints it alone on the last line.",
        "The token is shown this once: only its SHA-256 is stored."})
    static final class TokenCreate extends Commands.HarvestCommand {
        @Parameters(index = "0", paramLabel = "USER", description = "the user's name or id")
        String user;

        @Option(names = "--name", paramLabel = "LABEL", description = "what the token is for")
        String label;

        @Override
        Integer run(Harvest harvest) {
            NewToken token = users(harvest).createToken(user, label);
            out().println("Created token " + token.token().id() + " for user " + token.token().userName()
                    + "; it is shown once, send it in the Authorization header:");
            out().println(token.secret());
            return 0;
        }
    }

    @Command(name = "list", description = "Lists API tokens (never their text), of one user or all.")
    static final class TokenList extends Commands.HarvestCommand {
        @Parameters(index = "0", arity = "0..1", paramLabel = "USER", description = "the user's name or id")
        String user;

        @Override
        Integer run(Harvest harvest) {
            for (ApiToken token : users(harvest).tokens(user)) {
                out().println(token.id() + "\t" + token.userName() + "\t" + (token.name() == null ? "" : token.name())
                        + "\tcreated " + token.created() + "\tlast used "
                        + (token.lastUsed() == null ? "never" : token.lastUsed()));
            }
            return 0;
        }
    }

    @Command(name = "revoke", description = "Revokes an API token by its id (see token list).")
    static final class TokenRevoke extends Commands.HarvestCommand {
        @Parameters(index = "0", paramLabel = "TOKEN_ID", description = "the token's id")
        String id;

        @Override
        Integer run(Harvest harvest) {
            if (!users(harvest).revokeToken(id)) {
                throw new HarvestException("Token <" + id + "> not found.");
            }
            out().println("Revoked token " + id);
            return 0;
        }
    }
}
