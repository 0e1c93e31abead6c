package dev.harvest.cli;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.Harvester;
import dev.harvest.api.queue.QueueName;
import dev.harvest.core.Harvest;
import dev.harvest.core.HarvestException;
import dev.harvest.core.JobReport;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.config.SettingDeclarations;
import dev.harvest.core.db.HarvestDatabase;
import dev.harvest.core.engine.ConsumerRunner;
import dev.harvest.core.engine.Engine;
import dev.harvest.core.progress.JobProgress;
import dev.harvest.core.progress.JobStages;
import dev.harvest.core.store.HarvestQueries.ObjectSummary;
import dev.harvest.core.store.JobStats;
import dev.harvest.core.store.JobStatus;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** The {@code harvester} subcommands. */
final class Commands {

    /**
     * Opens the engine of a long-running process (a consumer, {@code serve}) and its broker, waiting for them with
     * backoff, one log line per retry, instead of exiting: a supervised deployment survives a restart of its
     * database or broker. A SIGTERM meanwhile ends the process at once, as nothing was taken yet.
     *
     * @param open opens the engine
     * @return the open engine, or null if SIGTERM arrived just as it opened (the process is ending)
     */
    static Harvest openWaitingForServices(java.util.function.Supplier<Harvest> open) {
        Thread startingHook = new Thread(() -> Runtime.getRuntime().halt(0), "shutdown-while-starting");
        Runtime.getRuntime().addShutdownHook(startingHook);
        dev.harvest.core.engine.StartupRetry retry = dev.harvest.core.engine.StartupRetry.forConsumers();
        Harvest harvest = retry.open("the harvest database", open,
                dev.harvest.core.engine.StartupRetry.causedBy(dev.harvest.core.db.DatabaseUnavailableException.class));
        if (!harvest.queueType().equals("memory")) {
            try {
                retry.open("the " + harvest.queueType() + " queue", harvest::queue,
                        dev.harvest.core.engine.StartupRetry.causedBy(dev.harvest.api.queue.QueueException.class));
            } catch (RuntimeException e) {
                harvest.close();
                throw e;
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(startingHook);
        } catch (IllegalStateException shuttingDown) {
            return null; // the starting hook ends the process
        }
        return harvest;
    }

    private Commands() {}

    /** {@code -h}/{@code --help} on every subcommand: prints its usage and exits 0. */
    static final class HelpOption {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;
    }

    /** What every subcommand shares: opening the engine from {@code --config} and {@code --plugins}. */
    abstract static class HarvestCommand implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        HelpOption helpOption;

        /** @return the top command, whose inherited options ({@code -c}, {@code --plugins}) hold their values */
        HarvesterCommand root() {
            return (HarvesterCommand) spec.root().userObject();
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        /** The configuration file's settings, or the embedded default without one; the engine checks them. */
        static HarvestConfig config(Path file) {
            if (file == null) {
                return HarvestConfig.embedded(Path.of("harvest-data"));
            }
            if (!Files.isRegularFile(file)) {
                throw new HarvestException("Configuration file " + file + " does not exist");
            }
            return HarvestConfig.load(file);
        }

        Harvest openHarvest() {
            return openHarvest(PluginFolder.classLoader(root(), err()), siteConfig());
        }

        /** @return the configuration file's settings, with the database use of this command */
        HarvestConfig siteConfig() {
            HarvestConfig config = config(root().config);
            return config.withDatabaseUse(databaseUse(config));
        }

        /**
         * Opens the engine with the plugins of a class loader that the caller made once (a long-running process
         * opens it again while it waits for its database, and checks and loads the plugin folder only once).
         */
        Harvest openHarvest(ClassLoader plugins, HarvestConfig config) {
            // job mails go to the users of serve too (sysadmins, the source organization's admins), whichever
            // process finishes the job: run, a consumer or serve
            dev.harvest.core.auth.UserRecipients recipients = new dev.harvest.core.auth.UserRecipients();
            Harvest harvest = Harvest.builder(config).classLoader(plugins).notificationRecipients(recipients)
                    .build();
            recipients.attach(WebCommands.users(harvest));
            return harvest;
        }

        /** @return the command's name, as its database connections and progress lines show it */
        String commandName() {
            return spec.name();
        }

        /**
         * What this command does with the database, which sizes its connection pool (unless
         * {@code harvest.db.pool_size} is set): a one-shot command by default, one thread at a time.
         *
         * @param config the configuration, not yet checked
         * @return its use
         */
        HarvestConfig.DatabaseUse databaseUse(HarvestConfig config) {
            return HarvestConfig.DatabaseUse.oneShot(commandName());
        }

        /** @return {@code harvest.stall_warning_minutes}: how long without progress makes a job stalled */
        static java.time.Duration stalledAfter(Harvest harvest) {
            return java.time.Duration.ofMinutes(
                    Long.parseLong(harvest.settings().get("harvest.stall_warning_minutes", "10")));
        }

        /** @return {@code harvest.progress.interval_seconds}: the time between two plain progress lines */
        static java.time.Duration progressInterval(Harvest harvest) {
            return java.time.Duration.ofSeconds(
                    Long.parseLong(harvest.settings().get("harvest.progress.interval_seconds", "5")));
        }

        @Override
        public Integer call() throws Exception {
            try (Harvest harvest = openHarvest()) {
                return run(harvest);
            }
        }

        abstract Integer run(Harvest harvest) throws Exception;

        void printSource(Harvest harvest, HarvestSource source) {
            PrintWriter out = out();
            out.println("Source id: " + source.id());
            out.println("\tname: " + source.name());
            out.println("\turl: " + source.url());
            out.println("\ttype: " + source.type());
            out.println("\tactive: " + (source.active() ? "True" : "False"));
            out.println("\tfrequency: " + source.frequency());
            out.println("\tjobs: " + harvest.queries().jobCount(source.id()));
            out.println();
        }

        /**
         * The source block of {@link #printSource} (ckanext-harvest's lines, in its order) followed by every other
         * field: title, owner organization, the configuration with credentials masked, and the last job.
         */
        void printSourceDetails(Harvest harvest, HarvestSource source) {
            PrintWriter out = out();
            out.println("Source id: " + source.id());
            out.println("\tname: " + source.name());
            out.println("\turl: " + source.url());
            out.println("\ttype: " + source.type());
            out.println("\tactive: " + (source.active() ? "True" : "False"));
            out.println("\tfrequency: " + source.frequency());
            out.println("\tjobs: " + harvest.queries().jobCount(source.id()));
            out.println("\ttitle: " + (source.title() == null ? "" : source.title()));
            out.println("\towner_org: " + (source.ownerOrg() == null ? "" : source.ownerOrg()));
            out.println("\tconfig: " + Secrets.maskConfig(source.config()));
            out.println("\tlast_job: " + harvest.queries().latestJob(source.id())
                    .map(job -> job.status() + " (job " + job.id() + ", created " + job.created() + ")")
                    .orElse("none"));
            out.println();
        }

        /**
         * Prints jobs with ckanext-harvest's lines (id, status, source, objects, gather_errors), then their objects by
         * stage and, under a New or Running job that does not move, why. Three grouped statements for any number of
         * jobs, plus one for the unfinished ones.
         */
        void printJobs(Harvest harvest, List<HarvestJob> jobs) {
            PrintWriter out = out();
            List<String> ids = jobs.stream().map(HarvestJob::id).toList();
            Map<String, JobStages> stages = harvest.queries().jobStages(ids);
            Map<String, Long> gatherErrors = harvest.queries().gatherErrorCounts(ids);
            Map<String, List<String>> stalled = harvest.queries().stallHints(jobs, stalledAfter(harvest));
            for (HarvestJob job : jobs) {
                JobStages counts = stages.getOrDefault(job.id(), JobStages.NONE);
                out.println("\tJob id: " + job.id());
                out.println("\t\tstatus: " + job.status());
                out.println("\t\tsource: " + job.sourceId());
                out.println("\t\tobjects: " + counts.total());
                out.println("\t\tgather_errors: " + gatherErrors.getOrDefault(job.id(), 0L));
                out.println("\t\tstages: " + counts);
                stalled.getOrDefault(job.id(), List.of()).forEach(hint -> out.println("\t\tstalled: " + hint));
            }
        }

        void printReport(JobReport report) {
            printReport(report, null, List.of());
        }

        /**
         * Prints a job report; with {@code stages}, its objects by stage and why it is stalled follow the statistics
         * line ({@code report}; {@code run_test} and {@code run} print finished jobs without them).
         */
        void printReport(JobReport report, JobStages stages, List<String> stalled) {
            PrintWriter out = out();
            JobStats stats = report.stats();
            out.println("Job " + report.job().id() + " of source " + report.source().name() + ": " + report.job().status());
            out.println("\tadded: " + stats.count("added") + ", updated: " + stats.count("updated")
                    + ", not modified: " + stats.count("not modified") + ", deleted: " + stats.count("deleted")
                    + ", errored: " + stats.count("errored"));
            if (stages != null) {
                out.println("\tstages: " + stages);
                stalled.forEach(hint -> out.println("\tstalled: " + hint));
            }
            if (!report.gatherErrors().isEmpty()) {
                out.println("\tJob errors:");
                report.gatherErrors().forEach(message -> out.println("\t\t- " + message.strip().replace("\n", "\n\t\t  ")));
            }
            List<ObjectSummary> withErrors = report.objectsWithErrors();
            if (!withErrors.isEmpty()) {
                out.println("\tDocument errors: " + withErrors.size()
                        + (withErrors.size() == JobReport.OBJECT_LIMIT ? " or more" : "") + " documents with errors"
                        + (withErrors.size() > 20 ? " (the first 20 shown; harvester report --all lists every error)"
                                : ""));
                for (ObjectSummary object : withErrors.subList(0, Math.min(20, withErrors.size()))) {
                    object.errors().forEach(message -> out.println("\t\t- " + object.guid() + ": " + message));
                }
            }
        }
    }

    @Command(name = "initdb", description = "Creates or upgrades the harvest tables in the database.")
    static final class InitDb implements Callable<Integer> {
        @ParentCommand
        HarvesterCommand parent;

        @Spec
        CommandSpec spec;

        @Mixin
        HelpOption helpOption;

        @Override
        public Integer call() {
            HarvestConfig config = HarvestCommand.config(parent.config)
                    .withDatabaseUse(HarvestConfig.DatabaseUse.oneShot(spec.name()))
                    .validated(Harvest.declaredSettings(PluginFolder.classLoader(parent, spec.commandLine().getErr())));
            HarvestDatabase.initialise(config);
            spec.commandLine().getOut().println("DB tables created");
            return 0;
        }
    }

    @Command(name = "sources", description = "Lists harvest sources; 'sources all' includes inactive ones.")
    static final class Sources extends HarvestCommand {
        @Parameters(arity = "0..1", paramLabel = "all")
        String all;

        @Override
        Integer run(Harvest harvest) {
            if (all != null && !all.equals("all")) {
                throw new HarvestException("Unknown argument '" + all + "': use 'sources' or 'sources all'");
            }
            List<HarvestSource> sources = harvest.sources(all != null);
            sources.forEach(source -> printSource(harvest, source));
            out().println("There are " + sources.size() + (all != null ? "" : " active") + " harvest sources");
            return 0;
        }
    }

    @Command(name = "rmsource", aliases = {"source-remove"},
            description = "Removes (deactivates) a source, keeping its datasets, jobs and objects.")
    static final class RmSource extends HarvestCommand {
        @Parameters(paramLabel = "SOURCE", description = "source id or name")
        String source;

        @Override
        Integer run(Harvest harvest) {
            harvest.removeSource(source);
            out().println("Removed harvest source: " + source);
            return 0;
        }
    }

    @Command(name = "clearsource", aliases = {"source-clear"},
            description = "Deletes all datasets, jobs and objects of a source, keeping the source.")
    static final class ClearSource extends HarvestCommand {
        @Parameters(paramLabel = "SOURCE", description = "source id or name")
        String source;

        @Override
        Integer run(Harvest harvest) {
            int datasets = harvest.clearSource(source);
            out().println("Cleared harvest source: " + source + " (" + datasets + " datasets deleted)");
            return 0;
        }
    }

    @Command(name = "clearsource_history", aliases = {"source-clear-history"},
            description = {"Deletes the jobs and objects of one source, or of all, keeping the sources and their"
                    + " datasets.",
                "With -k, the current objects (those that made the datasets) and their jobs are kept, and so are"
                    + " running jobs. The queues are not purged: consumers drop messages of deleted jobs."})
    static final class ClearSourceHistory extends ClearSourceHistoryBase {
    }

    /** {@code clearsource_history} and {@code source clear-history}. */
    abstract static class ClearSourceHistoryBase extends HarvestCommand {
        @Parameters(arity = "0..1", paramLabel = "SOURCE", description = "source id or name; all sources if absent")
        String source;

        @Option(names = {"-k", "--keep-current"},
                description = "keep the current objects and their jobs (ckanext-harvest's -k took a value; this is"
                        + " a flag)")
        boolean keepCurrent;

        @Override
        Integer run(Harvest harvest) {
            harvest.clearHistory(source, keepCurrent);
            if (source != null) {
                out().println("Cleared job history of harvest source: " + source);
                return 0;
            }
            int sources = harvest.queries().listSources(true, Integer.MAX_VALUE).size();
            out().println("Cleared job history for all harvest sources: " + sources + " source(s)");
            return 0;
        }
    }

    @Command(name = "job", description = "Creates a job for a source and starts it (sends it to the gather queue).")
    static final class JobCommand extends HarvestCommand {
        @Parameters(paramLabel = "SOURCE", description = "source id or name")
        String source;

        @Override
        Integer run(Harvest harvest) {
            HarvestJob job = harvest.createJob(source, true);
            printJobs(harvest, List.of(job));
            long pending = harvest.queries().listJobs(null, JobStatus.RUNNING).size();
            out().println("There are " + pending + " running harvest jobs");
            return 0;
        }
    }

    @Command(name = "jobs", description = "Lists harvest jobs.")
    static final class Jobs extends HarvestCommand {
        @Override
        Integer run(Harvest harvest) {
            List<HarvestJob> jobs = harvest.jobs(null);
            printJobs(harvest, jobs);
            out().println("There are " + jobs.size() + " harvest jobs");
            return 0;
        }
    }

    @Command(name = "job_abort", aliases = {"job-abort"},
            description = "Aborts the latest job of a source, or a job by id: Aborted, and its unfinished objects ERROR.")
    static final class JobAbort extends HarvestCommand {
        @Parameters(paramLabel = "SOURCE_OR_JOB", description = "source id or name, or job id")
        String target;

        @Override
        Integer run(Harvest harvest) {
            HarvestJob job = harvest.abortJob(target);
            out().println("Job status: " + job.status());
            return 0;
        }
    }

    @Command(name = "report", description = {
        "Prints a job's statistics and errors, or exports every error as JSON or CSV.",
        "Each error has its stage, object id, guid, message and the original URL of the remote document. Text shows"
            + " the first 20 documents with errors unless --all is given; json and csv always list every error."})
    static final class Report extends HarvestCommand {
        @Parameters(paramLabel = "JOB", description = "job id, or a source id/name for its latest job")
        String target;

        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
                description = "text (default), json or csv")
        ReportExport.Format format;

        @Option(names = "--all", description = "text: list every error, not only those of the first 20 documents")
        boolean all;

        @Override
        Integer run(Harvest harvest) throws IOException {
            String jobId = harvest.queries().findSource(target)
                    .map(source -> harvest.queries().latestJob(source.id())
                            .orElseThrow(() -> new HarvestException("Source <" + target + "> has no jobs.")))
                    .map(HarvestJob::id)
                    .or(() -> harvest.queries().findJob(target).map(HarvestJob::id))
                    .orElseThrow(() -> new HarvestException("Source or job <" + target + "> not found."));
            JobReport report = harvest.report(jobId);
            if (format == ReportExport.Format.TEXT && !all) {
                printReport(report, harvest.queries().jobStages(List.of(jobId)).get(jobId),
                        harvest.queries().stallHints(List.of(report.job()), stalledAfter(harvest))
                                .getOrDefault(jobId, List.of()));
                return 0;
            }
            new ReportExport(harvest, report, out(), stalledAfter(harvest)).write(format);
            return 0;
        }
    }

    @Command(name = "run", description = {
        "Starts pending jobs and scheduled sources, finishes done jobs and re-queues lost work; run it from cron.",
        "It sends New jobs to the gather queue, creates jobs for sources whose frequency is due, finishes done jobs,"
            + " applies ckan.harvest.timeout and re-queues lost work. With the in-process queue (the embedded"
            + " default) it also runs the started jobs to the end in this process."})
    static final class Run extends HarvestCommand {
        @Option(names = "--threads", defaultValue = "2", description = "fetch threads for the in-process queue")
        int threads;

        @Override
        HarvestConfig.DatabaseUse databaseUse(HarvestConfig config) {
            // with the in-process queue, this thread, one gather thread and the fetch threads
            return config.queueType().equals("memory")
                    ? new HarvestConfig.DatabaseUse(commandName(), 2 + threads, true)
                    : HarvestConfig.DatabaseUse.oneShot(commandName());
        }

        @Override
        Integer run(Harvest harvest) throws Exception {
            Engine.RunSummary summary = harvest.run();
            out().println("Scheduled " + summary.scheduled() + ", started " + summary.started() + ", finished "
                    + summary.finished() + ", timed out " + summary.timedOut() + " job(s); re-queued "
                    + summary.jobsRequeued() + " job(s) and " + summary.objectsRequeued() + " object(s)");
            if (harvest.queueType().equals("memory")) {
                drainInProcess(harvest);
            }
            return 0;
        }

        private void drainInProcess(Harvest harvest) throws InterruptedException {
            List<HarvestJob> running = harvest.queries().listJobs(null, JobStatus.RUNNING);
            if (running.isEmpty()) {
                return;
            }
            ConsumerRunner gather = harvest.engine().consumer(harvest.queue(), QueueName.GATHER, 1);
            ConsumerRunner fetch = harvest.engine().consumer(harvest.queue(), QueueName.FETCH, threads);
            gather.start();
            fetch.start();
            try {
                while (running.stream().anyMatch(job -> harvest.queries().findJob(job.id())
                        .map(j -> j.status().equals("Running")).orElse(false))) {
                    Thread.sleep(200);
                    if (gather.idlePolls() > 3 && fetch.idlePolls() > 3 * threads) {
                        harvest.run();
                    }
                }
            } finally {
                gather.stop();
                fetch.stop();
            }
            for (HarvestJob job : running) {
                printReport(harvest.report(job.id()));
            }
        }
    }

    @Command(name = "run_test", aliases = {"run-test"}, description = {
        "Runs a whole harvest of one source in this process, without queues or consumers, and prints the report.",
        "It creates a job, gathers, fetches and imports. With GUIDs, only the records with those guids get objects"
            + " and are imported (with force-import); a guid the gather does not list is an error naming it.",
        "Exits 1 if the job has gather errors or did not end Finished."})
    static final class RunTest extends HarvestCommand {
        @Parameters(index = "0", paramLabel = "SOURCE", description = "source id or name")
        String source;

        @Parameters(index = "1..*", arity = "0..*", paramLabel = "GUID",
                description = "only harvest the records with these guids (force-import=GUID is accepted too)")
        List<String> guids = new ArrayList<>();

        @Option(names = "--force-import", paramLabel = "GUID",
                description = "only harvest the record with this guid (repeatable)")
        List<String> forceImport = new ArrayList<>();

        @Mixin
        ConsoleProgress.Options progress;

        @Override
        HarvestConfig.DatabaseUse databaseUse(HarvestConfig config) {
            // the harvest thread and the progress reader
            return new HarvestConfig.DatabaseUse(commandName(), 2, true);
        }

        @Override
        Integer run(Harvest harvest) {
            Set<String> wanted = new LinkedHashSet<>();
            guids.forEach(guid -> wanted.add(guid.substring(guid.lastIndexOf('=') + 1)));
            wanted.addAll(forceImport);
            wanted.removeIf(String::isBlank);
            HarvestSource harvested = harvest.source(source);
            JobReport report;
            try (ConsoleProgress shown = ConsoleProgress.start(progress.resolve(), commandName() + " "
                    + harvested.name(), jobProgress(harvest, harvested.id()), err(), progressInterval(harvest))) {
                report = harvest.runTest(source, wanted.isEmpty() ? null : wanted);
            }
            printReport(report);
            int gatherErrors = report.gatherErrors().size();
            if (gatherErrors > 0 || !report.job().status().equals(JobStatus.FINISHED.value())) {
                err().println("Error: job " + report.job().id() + " ended " + report.job().status()
                        + (gatherErrors > 0 ? " with " + gatherErrors + " gather error(s): "
                                + report.gatherErrors().get(gatherErrors - 1).lines().findFirst().orElse("")
                                + (gatherErrors > 1 ? " (and " + (gatherErrors - 1) + " more)" : "") : ""));
                return 1;
            }
            return 0;
        }
    }

    /**
     * The progress of a source's running job, one statement a sample: the source's newest Running job until it ends,
     * then (for the last line) the job last seen.
     */
    static java.util.function.Supplier<java.util.Optional<dev.harvest.core.progress.ProgressSample>> jobProgress(
            Harvest harvest, String sourceId) {
        java.util.concurrent.atomic.AtomicReference<String> seen = new java.util.concurrent.atomic.AtomicReference<>();
        return () -> {
            java.util.Optional<JobProgress> running = harvest.queries().runningJobProgress(sourceId);
            if (running.isPresent()) {
                seen.set(running.get().jobId());
                return running.map(JobProgress::sample);
            }
            String last = seen.get();
            return last == null ? java.util.Optional.empty()
                    : harvest.queries().jobProgress(last).map(JobProgress::sample);
        };
    }

    /** A long-running consumer that exits 0 on SIGTERM after handing back or finishing its messages. */
    abstract static class ConsumerCommand extends HarvestCommand {
        @Option(names = "--threads", paramLabel = "N", description = "worker threads (default: harvest.consumer.threads)")
        Integer threads;

        abstract QueueName queueName();

        @Override
        HarvestConfig.DatabaseUse databaseUse(HarvestConfig config) {
            int workers = threads != null ? threads : 4;
            if (threads == null) {
                try {
                    workers = Integer.parseInt(config.get("harvest.consumer.threads", "4"));
                } catch (NumberFormatException e) {
                    // the configuration check names the bad value
                }
            }
            return new HarvestConfig.DatabaseUse(commandName(), Math.max(1, workers), queueName() == QueueName.FETCH);
        }

        @Override
        public Integer call() throws Exception {
            ClassLoader plugins = PluginFolder.classLoader(root(), err());
            HarvestConfig config = siteConfig();
            Harvest harvest = openWaitingForServices(() -> openHarvest(plugins, config));
            if (harvest == null) {
                return 0; // SIGTERM arrived while starting
            }
            // not try-with-resources: on SIGTERM the shutdown hook closes the engine once the workers have stopped
            return run(harvest);
        }

        @Override
        Integer run(Harvest harvest) throws Exception {
            if (harvest.queueType().equals("memory")) {
                throw new HarvestException(queueName().name().toLowerCase()
                        + "_consumer needs a queue shared between processes: set ckan.harvest.mq.type to redis or amqp"
                        + " in the configuration file (the in-process queue only serves run and run_test)");
            }
            int workers = threads != null ? threads
                    : Integer.parseInt(harvest.settings().get("harvest.consumer.threads", "4"));
            ConsumerRunner runner = harvest.engine().consumer(harvest.queue(), queueName(), workers);
            Thread hook = new Thread(() -> {
                runner.stop();
                harvest.close();
                out().println("Stopped " + queueName().name().toLowerCase() + "_consumer after "
                        + runner.handledCount() + " message(s)");
                out().flush();
                // a JVM ending on SIGTERM exits 143; a consumer that stopped cleanly reports success
                Runtime.getRuntime().halt(0);
            }, "shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            runner.start();
            runner.awaitTermination();
            return 0;
        }
    }

    @Command(name = "gather_consumer", aliases = {"gather-consumer"}, description = "Consumes the gather queue.")
    static final class GatherConsumer extends ConsumerCommand {
        @Override
        QueueName queueName() {
            return QueueName.GATHER;
        }
    }

    @Command(name = "fetch_consumer", aliases = {"fetch-consumer"}, description = "Consumes the fetch queue.")
    static final class FetchConsumer extends ConsumerCommand {
        @Override
        QueueName queueName() {
            return QueueName.FETCH;
        }
    }

    @Command(name = "purge_queues", aliases = {"purge-queues"},
            description = "Removes the waiting messages of this site's gather and fetch queues.")
    static final class PurgeQueues extends HarvestCommand {
        @Override
        Integer run(Harvest harvest) {
            Map<QueueName, Long> removed = harvest.purgeQueues();
            out().println("Purged " + removed.get(QueueName.GATHER) + " message(s) from the gather queue and "
                    + removed.get(QueueName.FETCH) + " from the fetch queue");
            return 0;
        }
    }

    @Command(name = "clean_harvest_log", aliases = {"clean-harvest-log"},
            description = "Deletes harvest_log records older than ckan.harvest.log_timeframe days (default 30).")
    static final class CleanHarvestLog extends HarvestCommand {
        @Override
        Integer run(Harvest harvest) {
            out().println("Deleted " + harvest.cleanHarvestLog() + " harvest_log record(s)");
            return 0;
        }
    }

    @Command(name = "harvesters_info", aliases = {"harvesters-info"}, description = "Lists the installed harvesters.")
    static final class HarvestersInfo extends HarvestCommand {
        @Override
        Integer run(Harvest harvest) {
            for (Harvester harvester : harvest.harvesters().all()) {
                out().println(harvester.info().name() + "\t" + harvester.info().title() + "\t"
                        + harvester.info().description());
            }
            return 0;
        }
    }

    @Command(name = "config", description = {
        "Prints every setting the engine and the installed plugins read, with its default and owner (--list).",
        "Opens no database and no queue."})
    static final class ConfigCommand implements Callable<Integer> {
        @ParentCommand
        HarvesterCommand parent;

        @Spec
        CommandSpec spec;

        @Mixin
        HelpOption helpOption;

        @Option(names = "--list", required = true, description = "List every setting.")
        boolean list;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            SettingDeclarations declared =
                    Harvest.declaredSettings(PluginFolder.classLoader(parent, spec.commandLine().getErr()));
            for (SettingDeclarations.Declared setting : declared.all()) {
                String defaultValue = setting.defaultValue() == null ? "(none)"
                        : setting.defaultValue().isEmpty() ? "(empty)" : setting.defaultValue();
                out.println(setting.definition().key() + " = " + defaultValue);
                out.println("\t" + String.join(", ", setting.owners()) + ": " + setting.definition().description());
            }
            return 0;
        }
    }
}
