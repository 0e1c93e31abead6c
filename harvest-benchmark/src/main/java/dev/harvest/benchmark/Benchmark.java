package dev.harvest.benchmark;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.harvest.api.HarvestJob;
import dev.harvest.ckan.CkanCatalog;
import dev.harvest.core.Harvest;
import dev.harvest.core.SourceRequest;
import dev.harvest.core.config.HarvestConfig;
import java.io.IOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import redis.clients.jedis.Jedis;

/**
 * The project's performance benchmark (see {@code docs/performance.md}; run it with {@code bin/harvest-benchmark}).
 * It serves synthetic CKAN portals from this JVM, harvests them with the real CKAN harvester through the
 * {@code harvester} command line (consumers and {@code run_test} as separate processes of the shaded jar) and the
 * engine API ({@code Harvest}: sources, jobs, reports), reads timings from the ckanext-harvest tables, and prints a
 * table of figures beside their targets. It measures: a missed target is reported, never an error. It fails (exit
 * code 1) only when the work was not done: a job that does not finish, wrong counts, catalog writes where there must
 * be none.
 */
public final class Benchmark {

    private static final Pattern REPORT_LINE = Pattern.compile(
            "added: (\\d+), updated: (\\d+), not modified: (\\d+), deleted: (\\d+), errored: (\\d+)");
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss'Z'").withZone(ZoneOffset.UTC);
    private static final List<String> STATUSES = List.of("added", "updated", "not modified", "deleted", "errored");

    private final Options options;
    private final Services services;
    private final Report report = new Report();
    private final Instant started = Instant.now();
    private final Path workDir;
    private final Duration jobTimeout;
    private SyntheticCkan ckan;
    private volatile boolean finished;

    /** Figures later scenarios need. */
    private double fullHarvestSeconds = Double.NaN;

    private Benchmark(Options options, Services services) {
        this.options = options;
        this.services = services;
        this.workDir = options.outDir.resolve(STAMP.format(started));
        this.jobTimeout = Duration.ofMinutes(options.jobTimeoutMinutes);
    }

    /**
     * @param args see {@link Options#usage()}
     */
    public static void main(String[] args) {
        // the harvester jar's logback.xml reads this: the engine in this JVM only creates sources and jobs
        System.setProperty("HARVEST_LOG_LEVEL", "WARN");
        for (String arg : args) {
            if (arg.equals("--help") || arg.equals("-h")) {
                System.out.print(Options.usage());
                return;
            }
        }
        Options options;
        try {
            options = Options.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("Error: " + e.getMessage());
            System.err.print(Options.usage());
            System.exit(2);
            return;
        }
        int code;
        try {
            code = new Benchmark(options, Services.fromEnvironment(System.getenv())).run();
        } catch (Exception e) {
            System.err.println("Error: " + e);
            e.printStackTrace();
            code = 1;
        } finally {
            CliProcess.stopAll();
        }
        System.exit(code);
    }

    private int run() throws Exception {
        if (!Files.isRegularFile(options.jar)) {
            throw new IllegalStateException("No harvester jar at " + options.jar.toAbsolutePath() + ": build it with"
                    + " mvn -B -ntp -q package -DskipTests -pl harvest-benchmark -am");
        }
        Files.createDirectories(workDir.resolve("no-plugins"));
        Thread hook = new Thread(() -> {
            if (!finished) {
                System.err.println("Interrupted: stopping the processes this benchmark started, dropping its schemas");
                CliProcess.stopAll();
                PgSite.closeAll();
            }
        }, "benchmark-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        describeMachine();
        printHeader();
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        int cores = Runtime.getRuntime().availableProcessors();
        if (load > cores / 2.0) {
            report.note(String.format(Locale.ROOT, "the load average was %.1f on %d cores when the benchmark started:"
                    + " other work shared the machine, so the figures are lower than on an idle one", load, cores));
        }
        try (SyntheticCkan server = new SyntheticCkan(options.serverThreads,
                Math.max(0, options.pageCacheMegabytes) * (1L << 20))) {
            ckan = server;
            SyntheticPortal main = new SyntheticPortal("main", 1, options.datasets);
            String mainUrl = ckan.add(main);
            servingRate(mainUrl);
            if (Stream.of("full", "floor", "unchanged", "incremental", "runtest", "forceall").anyMatch(options::runs)) {
                mainSite(main, mainUrl);
            }
            ckan.remove("main");
            if (options.runs("memory")) {
                memory();
            }
            if (options.runs("scaleout")) {
                scaleOut();
            }
            if (options.runs("h2")) {
                h2();
            }
        } finally {
            CliProcess.stopAll();
        }

        report.json.put("finished", Instant.now().toString());
        report.json.put("wall_seconds", Duration.between(started, Instant.now()).toMillis() / 1000.0);
        report.json.withObject("machine").put("load_average_at_end",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        Path results = options.outDir.resolve(STAMP.format(started) + ".json");
        report.write(results);

        System.out.println();
        System.out.print(report.table());
        System.out.println();
        for (String note : report.notes()) {
            System.out.println("Note: " + note);
        }
        for (String failure : report.failures()) {
            System.out.println("FAILED " + failure);
        }
        System.out.println("Results: " + results + (options.keep || report.failed()
                ? "; configurations and logs: " + workDir : ""));
        System.out.printf(Locale.ROOT, "Benchmark run took %.0f s%n",
                Duration.between(started, Instant.now()).toMillis() / 1000.0);
        if (!options.keep && !report.failed()) {
            deleteTree(workDir);
        }
        finished = true;
        return report.failed() ? 1 : 0;
    }

    // ------------------------------------------------------------------------------------------------ the machine

    private void describeMachine() throws Exception {
        ObjectNode machine = report.json.putObject("machine");
        report.json.put("started", started.toString());
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("cpu", cpuModel());
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            machine.put("memory_bytes", os.getTotalMemorySize());
        }
        machine.put("load_average_at_start", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        machine.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ", "
                + System.getProperty("java.vendor") + ")");
        machine.put("postgresql", services.postgresVersion());
        try (Jedis jedis = new Jedis(services.redisHost(), services.redisPort())) {
            String info = jedis.info("server");
            Matcher version = Pattern.compile("redis_version:(\\S+)").matcher(info);
            machine.put("redis", version.find() ? version.group(1) : "unknown");
        }
        ObjectNode git = report.json.putObject("git");
        git.put("commit", command("git", "rev-parse", "HEAD"));
        git.put("branch", command("git", "rev-parse", "--abbrev-ref", "HEAD"));
        git.put("uncommitted_changes", !command("git", "status", "--porcelain", "--untracked-files=no").isEmpty());
        ObjectNode settings = report.json.putObject("settings");
        settings.setAll((ObjectNode) Report.MAPPER.valueToTree(options.asMap()));
        settings.put("postgresql", services.jdbcUrl() + " (user " + services.pgUser() + ")");
        settings.put("redis", services.redisHost() + ":" + services.redisPort());
        settings.put("remote_mutation", "1% modified, 0.5% added, 0.5% deleted");
    }

    private void printHeader() {
        ObjectNode machine = (ObjectNode) report.json.get("machine");
        ObjectNode git = (ObjectNode) report.json.get("git");
        System.out.printf(Locale.ROOT, "harvest benchmark%s, %s%n", options.quick ? " (quick)" : "",
                started.toString().substring(0, 19).replace('T', ' ') + " UTC");
        System.out.printf(Locale.ROOT, "commit %s on %s%s%n", abbreviate(git.path("commit").asText(), 12),
                git.path("branch").asText(), git.path("uncommitted_changes").asBoolean() ? " (with uncommitted changes)"
                        : "");
        System.out.printf(Locale.ROOT, "machine: %d cores (%s), %.1f GiB, load average %.1f at start; Java %s; %s;"
                        + " Redis %s%n",
                machine.path("cores").asInt(), machine.path("cpu").asText(),
                machine.path("memory_bytes").asLong() / (double) (1L << 30),
                machine.path("load_average_at_start").asDouble(), System.getProperty("java.version"),
                machine.path("postgresql").asText().replaceAll(" on .*", ""), machine.path("redis").asText());
        System.out.printf(Locale.ROOT, "settings: %,d datasets; memory gather %,d in -Xmx%s; scale-out %,d datasets"
                        + " with %s workers, target writes %d ms; fetch_consumer --threads %d; consumers -Xmx%s;"
                        + " engine batch settings %s%n",
                options.datasets, options.gatherDatasets, options.gatherHeap, options.scaleDatasets,
                options.scaleWorkers, options.writeDelayMillis, options.fetchThreads, options.consumerHeap,
                options.engineSettings().isEmpty() ? "not set (engine defaults)" : options.engineSettings());
        System.out.println("scenarios: " + String.join(", ", options.scenarios));
        System.out.flush();
    }

    // ------------------------------------------------------------------------------------------- serving rate

    private void servingRate(String mainUrl) {
        try {
            long measured = Math.max(options.datasets, 20_000);
            progress("measuring the synthetic CKAN's own serving rate (" + measured + " datasets after a warm-up,"
                    + " generated and then from its page cache)");
            ckan.cachePages(false);
            ServingRate.Result warmUp = ServingRate.measure(mainUrl, SyntheticCkan.MAX_ROWS, 20_000);
            ServingRate.Result generated = ServingRate.measure(mainUrl, SyntheticCkan.MAX_ROWS, measured);
            ckan.cachePages(true);
            ServingRate.measure(mainUrl, SyntheticCkan.MAX_ROWS, options.datasets); // fills the cache
            ServingRate.Result cached = ServingRate.measure(mainUrl, SyntheticCkan.MAX_ROWS, measured);
            ObjectNode json = report.scenario("serving_rate");
            json.put("datasets", generated.datasets());
            json.put("warm_up_datasets_per_second", warmUp.datasetsPerSecond());
            json.put("datasets_per_second", generated.datasetsPerSecond());
            json.put("megabytes_per_second", generated.megabytesPerSecond());
            json.put("bytes_per_dataset", generated.bytesPerDataset());
            json.put("seconds", generated.seconds());
            json.put("cached_datasets_per_second", cached.datasetsPerSecond());
            json.put("cached_megabytes_per_second", cached.megabytesPerSecond());
            json.put("page_cache_bytes", ckan.cachedBytes());
            String line = String.format(Locale.ROOT, "%s datasets/s generated (%s MB/s), %s datasets/s from its page"
                            + " cache; %s bytes per dataset", Report.number(generated.datasetsPerSecond()),
                    Report.number(generated.megabytesPerSecond()), Report.number(cached.datasetsPerSecond()),
                    Report.number(generated.bytesPerDataset()));
            System.out.println("synthetic CKAN serving rate (plain client, 1,000 rows per page): " + line);
            report.row("0 synthetic CKAN serving rate (plain client paging it)", line, null, null);
        } catch (Exception e) {
            fail("0 serving rate", e);
        }
    }

    // ------------------------------------------------------------------------- scenarios 1-4 on one PG site

    private void mainSite(SyntheticPortal main, String mainUrl) {
        PgSite site;
        try {
            site = PgSite.create(services, workDir, "main", options.engineSettings(), options.keep);
        } catch (Exception e) {
            fail("1-4 PostgreSQL site", e);
            return;
        }
        try (site) {
            report.json.withObject("sites").set("main", Report.MAPPER.valueToTree(site.settings()));
            boolean queued = Stream.of("full", "unchanged", "incremental", "forceall").anyMatch(options::runs);
            List<CliProcess> consumers = queued ? startQueuedConsumers(site, "main", options.fetchThreads)
                    : List.of();
            boolean fullDone = false;
            if (Stream.of("full", "unchanged", "incremental").anyMatch(options::runs)) {
                try {
                    site.createSource("main", mainUrl, "{}");
                    full(site, consumers, main.size());
                    fullDone = true;
                } catch (Exception e) {
                    fail("1 full harvest", e);
                }
            }
            if (options.runs("floor")) {
                try {
                    floor(site, mainUrl, main.size());
                } catch (Exception e) {
                    fail("2 floor", e);
                }
            }
            if (options.runs("unchanged")) {
                if (fullDone) {
                    try {
                        unchanged(site, consumers, "main", main.size(), false);
                    } catch (Exception e) {
                        fail("3 unchanged re-harvest, force_all false", e);
                    }
                } else {
                    skipped("3 unchanged re-harvest, force_all false", "the full harvest did not finish");
                }
            }
            if (options.runs("incremental")) {
                if (fullDone) {
                    try {
                        incremental(site, consumers, main);
                    } catch (Exception e) {
                        fail("4 incremental harvest", e);
                    }
                } else {
                    skipped("4 incremental harvest", "the full harvest did not finish");
                }
            }
            if (options.runs("runtest") || options.runs("forceall")) {
                SyntheticPortal force = new SyntheticPortal("force", 2, options.datasets);
                String forceUrl = ckan.add(force);
                boolean runTestDone = false;
                try {
                    site.createSource("force", forceUrl, "{\"force_all\": true}");
                    runTest(site, force.size());
                    runTestDone = true;
                } catch (Exception e) {
                    fail("1b full harvest via run_test", e);
                }
                if (options.runs("forceall")) {
                    if (runTestDone) {
                        try {
                            unchanged(site, consumers, "force", force.size(), true);
                        } catch (Exception e) {
                            fail("3b unchanged re-harvest, force_all true", e);
                        }
                    } else {
                        skipped("3b unchanged re-harvest, force_all true", "the run_test harvest did not finish");
                    }
                }
                ckan.remove("force");
            }
            CliProcess.stopAll(consumers);
        } catch (Exception e) {
            fail("1-4 PostgreSQL site", e);
        }
    }

    /** One gather_consumer (1 thread) and one fetch_consumer (N threads), ready to take messages. */
    private List<CliProcess> startQueuedConsumers(PgSite site, String label, int fetchThreads) throws Exception {
        CliProcess gather = CliProcess.start(label + "-gather-consumer", options.jar, site.dir(), consumerJvm(),
                site.config("gather-consumer", 3), List.of("gather_consumer", "--threads", "1"));
        CliProcess fetch = CliProcess.start(label + "-fetch-consumer", options.jar, site.dir(), consumerJvm(),
                site.config("fetch-consumer-" + fetchThreads, fetchThreads + 2),
                List.of("fetch_consumer", "--threads", Integer.toString(fetchThreads)));
        awaitReady(gather, "gather");
        awaitReady(fetch, "fetch");
        return List.of(gather, fetch);
    }

    private void full(PgSite site, List<CliProcess> consumers, int datasets) throws Exception {
        progress("1 full harvest of " + datasets + " datasets: gather_consumer + fetch_consumer --threads "
                + options.fetchThreads + ", PostgreSQL + Redis");
        Run run = harvest(site, "main", consumers);
        expect(run, Map.of("added", (long) datasets), "the full harvest");
        PgSite.CatalogSnapshot catalog = site.catalog();
        if (catalog.active() != datasets) {
            throw new IllegalStateException("The catalog has " + catalog.active() + " active datasets after the full"
                    + " harvest of " + datasets);
        }
        fullHarvestSeconds = run.job.total();
        double rate = datasets / run.job.total();
        double fetchImport = site.fetchImportSpan(run.jobId);
        ObjectNode json = run.json(report.scenario("1_full_harvest"), datasets);
        json.put("processes", "1 gather_consumer --threads 1, 1 fetch_consumer --threads " + options.fetchThreads);
        json.put("fetch_import_seconds", fetchImport);
        report.row(String.format(Locale.ROOT, "1 full harvest, %,d new datasets, queued (gather_consumer + "
                        + "fetch_consumer --threads %d), PostgreSQL + Redis", datasets, options.fetchThreads),
                String.format(Locale.ROOT, "%s datasets/s (%s; gather %s, fetch+import %s)", Report.number(rate),
                        Report.seconds(run.job.total()), Report.seconds(run.job.gather()),
                        Report.seconds(fetchImport)),
                "≥ 3,000 datasets/s", rate >= 3000);
    }

    private void floor(PgSite site, String mainUrl, int datasets) throws Exception {
        progress("2 the floor: package_search pages + Jackson + COPY into PostgreSQL");
        Floor.Result floor;
        try (Connection connection = services.connect(site.schema)) {
            floor = Floor.run(mainUrl, connection);
        }
        if (floor.datasets() != datasets) {
            throw new IllegalStateException("The floor copied " + floor.datasets() + " datasets, not " + datasets);
        }
        ObjectNode json = report.scenario("2_floor");
        json.put("datasets", floor.datasets());
        json.put("pages", floor.pages());
        json.put("seconds", floor.seconds());
        json.put("datasets_per_second", floor.datasetsPerSecond());
        report.row(String.format(Locale.ROOT, "2 floor: %,d datasets, package_search at 1,000 rows + Jackson + COPY",
                        datasets),
                String.format(Locale.ROOT, "%s (%s datasets/s)", Report.seconds(floor.seconds()),
                        Report.number(floor.datasetsPerSecond())), null, null);
        if (!Double.isNaN(fullHarvestSeconds)) {
            double ratio = fullHarvestSeconds / floor.seconds();
            json.put("harvest_over_floor", ratio);
            report.json.put("headline_harvest_over_floor", ratio);
            report.row("1÷2 harvest time / floor time (the headline)", Report.number(ratio) + "×", "≤ 3",
                    ratio <= 3);
        }
    }

    private void unchanged(PgSite site, List<CliProcess> consumers, String source, int datasets, boolean forceAll)
            throws Exception {
        String label = forceAll ? "3b" : "3";
        progress(label + " re-harvest of " + datasets + " unchanged datasets, force_all " + forceAll);
        PgSite.CatalogSnapshot before = site.catalog();
        Run run = harvest(site, source, consumers);
        Map<String, Long> expected = new LinkedHashMap<>();
        expected.put("added", 0L);
        expected.put("updated", 0L);
        expected.put("deleted", 0L);
        if (forceAll) {
            expected.put("not modified", (long) datasets);
        }
        expect(run, expected, "a re-harvest with no remote change");
        long written = site.catalogRowsWrittenSince(before);
        PgSite.CatalogSnapshot after = site.catalog();
        boolean untouched = written == 0 && after.rows() == before.rows() && after.contentHash() == before.contentHash();
        if (!untouched) {
            throw new IllegalStateException("A re-harvest with no remote change wrote to the catalog: " + written
                    + " rows with a newer metadata_modified, rows " + before.rows() + " -> " + after.rows()
                    + ", content hash " + (after.contentHash() == before.contentHash() ? "same" : "changed"));
        }
        long objects = site.objectCount(run.jobId);
        double rate = datasets / run.job.total();
        ObjectNode json = run.json(report.scenario(forceAll ? "3b_unchanged_force_all_true"
                : "3_unchanged_force_all_false"), datasets);
        json.put("force_all", forceAll);
        json.put("objects_created", objects);
        json.put("catalog_rows_written", written);
        report.row(String.format(Locale.ROOT, "%s re-harvest, no remote change, force_all %s, queued", label,
                        forceAll),
                String.format(Locale.ROOT, "%s datasets/s (%s; %,d objects, %,d not modified; catalog writes: 0)",
                        Report.number(rate), Report.seconds(run.job.total()), objects,
                        run.counts.get("not modified")),
                forceAll ? null : "≥ 15,000 datasets/s", forceAll ? null : rate >= 15_000);
    }

    private void incremental(PgSite site, List<CliProcess> consumers, SyntheticPortal main) throws Exception {
        SyntheticPortal.Mutation mutation = main.mutate(0.01, 0.005, 0.005, Instant.now());
        progress(String.format(Locale.ROOT, "4 incremental harvest after the mutation: %d modified, %d added,"
                + " %d deleted", mutation.modified().size(), mutation.added().size(), mutation.deleted().size()));
        Run run = harvest(site, "main", consumers);
        Map<String, Long> expected = new LinkedHashMap<>();
        expected.put("added", (long) mutation.added().size());
        expected.put("updated", (long) mutation.modified().size());
        expected.put("deleted", (long) mutation.deleted().size());
        expect(run, expected, "the incremental harvest");
        long notModified = run.counts.get("not modified");
        if (notModified != 0) {
            report.note("4 incremental harvest: " + notModified + " objects reported 'not modified' (the mutation left"
                    + " them unchanged, so an incremental gather need not have gathered them)");
        }
        PgSite.CatalogSnapshot catalog = site.catalog();
        if (catalog.active() != main.size()) {
            throw new IllegalStateException("The catalog has " + catalog.active() + " active datasets after the"
                    + " incremental harvest; the remote has " + main.size());
        }
        ObjectNode json = run.json(report.scenario("4_incremental"), main.size());
        json.put("mutation_modified", mutation.modified().size());
        json.put("mutation_added", mutation.added().size());
        json.put("mutation_deleted", mutation.deleted().size());
        json.put("objects_created", site.objectCount(run.jobId));
        report.row(String.format(Locale.ROOT, "4 incremental harvest after 1%% modified, 0.5%% added, 0.5%% deleted"
                        + " (%,d remote datasets)", main.size()),
                String.format(Locale.ROOT, "%s (gather %s); added %d, updated %d, deleted %d, not modified %d,"
                                + " errored 0", Report.seconds(run.job.total()), Report.seconds(run.job.gather()),
                        run.counts.get("added"), run.counts.get("updated"), run.counts.get("deleted"), notModified),
                String.format(Locale.ROOT, "= mutation: %d / %d / %d", mutation.added().size(),
                        mutation.modified().size(), mutation.deleted().size()), true);
    }

    private void runTest(PgSite site, int datasets) throws Exception {
        progress("1b full harvest of " + datasets + " datasets via harvester run_test (one process, no queue)");
        CliProcess process = CliProcess.start("main-run-test", options.jar, site.dir(), consumerJvm(),
                site.config("run-test", 3), List.of("run_test", "force"));
        int exit = process.await(jobTimeout);
        if (exit != 0) {
            throw new IllegalStateException("harvester run_test exited " + exit + ":\n" + process.tail(15));
        }
        Map<String, Long> printed = parseReport(process.output());
        String jobId = site.latestJob("force");
        PgSite.JobRow job = site.job(jobId);
        Run run = new Run(jobId, job, site.reportCounts(jobId), Double.NaN);
        if (!printed.equals(run.counts)) {
            throw new IllegalStateException("run_test printed " + printed + " but the job report says " + run.counts);
        }
        expect(run, Map.of("added", (long) datasets), "the run_test harvest");
        double rate = datasets / job.total();
        ObjectNode json = run.json(report.scenario("1b_full_harvest_run_test"), datasets);
        json.put("process_seconds_with_jvm_start", process.secondsSinceStart());
        report.row(String.format(Locale.ROOT, "1b full harvest, %,d new datasets, run_test (one process, no queue),"
                        + " PostgreSQL", datasets),
                String.format(Locale.ROOT, "%s datasets/s (%s; gather %s)", Report.number(rate),
                        Report.seconds(job.total()), Report.seconds(job.gather())), null, null);
    }

    // ------------------------------------------------------------------------------------------- 5 memory

    private void memory() {
        int datasets = options.gatherDatasets;
        String scenario = String.format(Locale.ROOT, "5 gather only, %,d datasets, gather_consumer -Xmx%s",
                datasets, options.gatherHeap);
        try {
            progress("5 memory: building a remote of " + datasets + " datasets");
            SyntheticPortal big = new SyntheticPortal("big", 5, datasets);
            String url = ckan.add(big);
            try (PgSite site = PgSite.create(services, workDir, "memory", options.engineSettings(), options.keep)) {
                report.json.withObject("sites").set("memory", Report.MAPPER.valueToTree(site.settings()));
                site.createSource("big", url, "{}");
                Path gcLog = site.dir().resolve("gather-gc.log").toAbsolutePath();
                List<String> jvm = List.of("-Xmx" + options.gatherHeap, "-XX:+ExitOnOutOfMemoryError",
                        "-Xlog:gc:file=" + gcLog + ":uptime");
                CliProcess gather = CliProcess.start("memory-gather-consumer", options.jar, site.dir(), jvm,
                        site.config("gather-consumer", 3), List.of("gather_consumer", "--threads", "1"));
                awaitReady(gather, "gather");
                progress("5 memory: gathering " + datasets + " datasets, no fetch consumer");
                long start = System.nanoTime();
                String jobId = site.startJob("big");
                PgSite.JobRow job = null;
                boolean outOfMemory = false;
                try {
                    job = site.awaitJob(jobId, j -> j.gatherFinished() != null || j.done(), List.of(gather),
                            options.pollMillis, jobTimeout);
                } catch (IllegalStateException died) {
                    if (!gather.output().contains("OutOfMemoryError")) {
                        throw died;
                    }
                    outOfMemory = true;
                }
                double wall = (System.nanoTime() - start) / 1e9;
                gather.stop();
                long objects = site.objectCount(jobId);
                GcLog gc = GcLog.parse(gcLog);
                ObjectNode json = report.scenario("5_memory_gather");
                json.put("datasets", datasets);
                json.put("heap_limit", options.gatherHeap);
                json.put("out_of_memory", outOfMemory);
                json.put("objects_stored", objects);
                json.put("gc_collections", gc.collections());
                json.put("peak_heap_used_bytes", gc.peakUsedBytes());
                json.put("peak_heap_after_gc_bytes", gc.peakLiveBytes());
                json.put("peak_heap_committed_bytes", gc.peakCommittedBytes());
                json.put("wall_seconds_from_job_creation", wall);
                if (outOfMemory) {
                    report.row(scenario, String.format(Locale.ROOT, "OutOfMemoryError after %,d objects stored",
                            objects), "within 256 MB heap", false);
                    return;
                }
                if (objects != datasets) {
                    throw new IllegalStateException("The gather stored " + objects + " objects of " + datasets
                            + "; job " + job.status() + site.reportErrors(jobId));
                }
                double rate = datasets / job.gather();
                json.put("gather_seconds", job.gather());
                json.put("datasets_per_second", rate);
                report.row(scenario, String.format(Locale.ROOT, "peak heap %s, largest live set after GC %s"
                                + " (%d GCs); %s datasets/s (gather %s)", Report.mib(gc.peakUsedBytes()),
                                Report.mib(gc.peakLiveBytes()), gc.collections(), Report.number(rate),
                                Report.seconds(job.gather())),
                        "within 256 MB heap", gc.peakUsedBytes() <= 256L << 20);
                site.purgeQueues();
            } finally {
                ckan.remove("big");
            }
        } catch (Exception e) {
            fail(scenario, e);
        }
    }

    // ------------------------------------------------------------------------------------------ 6 scale-out

    private void scaleOut() {
        int datasets = options.scaleDatasets;
        List<Integer> workers = options.scaleWorkers;
        int most = workers.get(workers.size() - 1);
        try (SyntheticCkanTarget target = new SyntheticCkanTarget(options.writeDelayMillis)) {
            Map<String, String> extra = new LinkedHashMap<>(options.engineSettings());
            extra.put(CkanCatalog.CATALOG_TYPE_KEY, CkanCatalog.CATALOG_TYPE);
            extra.put(CkanCatalog.URL_KEY, target.url());
            extra.put(CkanCatalog.API_KEY_KEY, "benchmark-token");
            try (PgSite site = PgSite.create(services, workDir, "scaleout", extra, options.keep)) {
                report.json.withObject("sites").set("scaleout", Report.MAPPER.valueToTree(site.settings()));
                ObjectNode json = report.scenario("6_scale_out");
                json.put("datasets_per_harvest", datasets);
                json.put("target_write_delay_ms", target.writeDelayMillis());
                CliProcess gather = CliProcess.start("scaleout-gather-consumer", options.jar, site.dir(), consumerJvm(),
                        site.config("gather-consumer", 3), List.of("gather_consumer", "--threads", "1"));
                awaitReady(gather, "gather");
                Map<String, Long> newCalls = new TreeMap<>();
                long[] newDatasets = {0};
                Map<String, Map<Integer, Double>> rates = new LinkedHashMap<>();
                Map<String, Double> unchangedCalls = new LinkedHashMap<>();

                // as threads: one fetch_consumer --threads N per run
                Map<Integer, Double> threadRates = new TreeMap<>();
                rates.put("threads", threadRates);
                for (int n : workers) {
                    String source = "scale-t" + n;
                    boolean forceAll = n == most;
                    SyntheticPortal portal = new SyntheticPortal(source, 100 + n, datasets);
                    site.createSource(source, ckan.add(portal), forceAll ? "{\"force_all\": true}" : "{}");
                    CliProcess fetch = CliProcess.start("scaleout-fetch-threads-" + n, options.jar, site.dir(),
                            consumerJvm(), site.config("fetch-consumer-" + n, n + 2),
                            List.of("fetch_consumer", "--threads", Integer.toString(n)));
                    awaitReady(fetch, "fetch");
                    List<CliProcess> consumers = List.of(gather, fetch);
                    warmUp(site, "warm-t" + n, 300 + n, n, consumers);
                    progress("6 scale-out: " + datasets + " new datasets, fetch_consumer --threads " + n);
                    Run run = scaleRun(site, target, source, datasets, consumers, newCalls);
                    newDatasets[0] += datasets;
                    threadRates.put(n, datasets / run.job.total());
                    run.json(json.withObject("threads").putObject(Integer.toString(n)), datasets);
                    if (forceAll) {
                        progress("6 scale-out: re-harvest of the unchanged " + datasets + " datasets, force_all true");
                        unchangedCalls.put("force_all true", unchangedRun(site, target, source, datasets, consumers,
                                true, json.putObject("unchanged_force_all_true")));
                    }
                    fetch.stop();
                    ckan.remove(source);
                }

                // as processes: N fetch_consumer --threads 1, started as the runs need more
                Map<Integer, Double> processRates = new TreeMap<>();
                rates.put("processes", processRates);
                List<CliProcess> fetchers = new ArrayList<>();
                try {
                    for (int n : workers) {
                        List<CliProcess> added = new ArrayList<>();
                        while (fetchers.size() + added.size() < n) {
                            int index = fetchers.size() + added.size() + 1;
                            added.add(CliProcess.start("scaleout-fetch-process-" + index, options.jar, site.dir(),
                                    consumerJvm(), site.config("fetch-consumer-1", 3),
                                    List.of("fetch_consumer", "--threads", "1")));
                        }
                        for (CliProcess process : added) {
                            awaitReady(process, "fetch");
                        }
                        fetchers.addAll(added);
                        String source = "scale-p" + n;
                        SyntheticPortal portal = new SyntheticPortal(source, 200 + n, datasets);
                        site.createSource(source, ckan.add(portal), "{}");
                        List<CliProcess> consumers = new ArrayList<>(fetchers);
                        consumers.add(gather);
                        if (!added.isEmpty()) {
                            warmUp(site, "warm-p" + n, 400 + n, n, consumers);
                        }
                        progress("6 scale-out: " + datasets + " new datasets, " + n + " fetch_consumer processes");
                        Run run = scaleRun(site, target, source, datasets, consumers, newCalls);
                        newDatasets[0] += datasets;
                        processRates.put(n, datasets / run.job.total());
                        run.json(json.withObject("processes").putObject(Integer.toString(n)), datasets);
                        if (n == most) {
                            progress("6 scale-out: re-harvest of the unchanged " + datasets
                                    + " datasets, force_all false");
                            unchangedCalls.put("force_all false", unchangedRun(site, target, source, datasets,
                                    consumers, false, json.putObject("unchanged_force_all_false")));
                        }
                        ckan.remove(source);
                    }
                } finally {
                    CliProcess.stopAll(fetchers);
                }
                gather.stop();

                for (Map.Entry<String, Map<Integer, Double>> mode : rates.entrySet()) {
                    Map<Integer, Double> byWorkers = mode.getValue();
                    Double one = byWorkers.get(workers.get(0));
                    StringBuilder measured = new StringBuilder();
                    for (Map.Entry<Integer, Double> entry : byWorkers.entrySet()) {
                        if (measured.length() > 0) {
                            measured.append(" · ");
                        }
                        measured.append(entry.getKey()).append(": ").append(Report.number(entry.getValue()))
                                .append("/s");
                        if (entry.getKey() != workers.get(0).intValue()) {
                            double speedUp = entry.getValue() / one;
                            measured.append(" (").append(Report.number(speedUp)).append("×)");
                            json.withObject(mode.getKey()).withObject(Integer.toString(entry.getKey())).put("speed_up", speedUp);
                        }
                    }
                    boolean standard = workers.get(0) == 1 && byWorkers.containsKey(8);
                    Boolean met = standard ? byWorkers.get(8) / one >= 7.5 : null;
                    report.row(String.format(Locale.ROOT, "6 scale-out, %,d new datasets → CKAN target (%d ms writes),"
                                    + " fetch workers as %s", datasets, target.writeDelayMillis(),
                                    mode.getKey().equals("threads") ? "threads of one fetch_consumer"
                                            : "fetch_consumer processes"),
                            measured.toString(), standard ? "8 workers ≥ 7.5× 1" : null, met);
                }
                long totalNew = newCalls.values().stream().mapToLong(Long::longValue).sum();
                double perNew = (double) totalNew / newDatasets[0];
                ObjectNode calls = json.putObject("target_calls_per_new_dataset");
                calls.put("total", perNew);
                StringBuilder breakdown = new StringBuilder();
                for (Map.Entry<String, Long> action : newCalls.entrySet()) {
                    double per = (double) action.getValue() / newDatasets[0];
                    calls.put(action.getKey(), per);
                    breakdown.append(breakdown.length() == 0 ? "" : ", ").append(action.getKey()).append(' ')
                            .append(Report.number(per));
                }
                report.row("6 CKAN target calls per new dataset", Report.number(perNew) + " (" + breakdown + ")",
                        "≤ 2", perNew <= 2);
                StringBuilder unchanged = new StringBuilder();
                double worst = 0;
                for (Map.Entry<String, Double> entry : unchangedCalls.entrySet()) {
                    unchanged.append(unchanged.length() == 0 ? "" : "; ").append(entry.getKey()).append(": ")
                            .append(Report.number(entry.getValue()));
                    worst = Math.max(worst, entry.getValue());
                }
                report.row("6 CKAN target calls per unchanged dataset (re-harvest, no remote change)",
                        unchanged.toString(), "0", worst == 0);
            }
        } catch (Exception e) {
            fail("6 scale-out", e);
        }
    }

    /**
     * An unmeasured harvest of {@code --scale-warm-up} datasets per worker through consumers just started, so that
     * the measured run does not include their JVMs' class loading and JIT compilation (a short run at 8 workers would
     * otherwise be mostly warm-up).
     */
    private void warmUp(PgSite site, String source, long seed, int workers, List<CliProcess> consumers)
            throws Exception {
        int datasets = Math.min(options.scaleWarmUp * workers, options.scaleDatasets);
        if (datasets <= 0) {
            return;
        }
        progress("6 scale-out: warm-up harvest of " + datasets + " datasets (not measured)");
        SyntheticPortal portal = new SyntheticPortal(source, seed, datasets);
        site.createSource(source, ckan.add(portal), "{}");
        Run run = harvest(site, source, consumers);
        expect(run, Map.of("added", (long) datasets), "a warm-up harvest");
        ckan.remove(source);
    }

    private Run scaleRun(PgSite site, SyntheticCkanTarget target, String source, int datasets,
            List<CliProcess> consumers, Map<String, Long> newCalls) throws Exception {
        Map<String, Long> before = target.requestCounts();
        long activeBefore = target.activeDatasets();
        Run run = harvest(site, source, consumers);
        expect(run, Map.of("added", (long) datasets), "a scale-out harvest");
        Map<String, Long> after = target.requestCounts();
        if (target.activeDatasets() - activeBefore != datasets) {
            throw new IllegalStateException("The CKAN target gained " + (target.activeDatasets() - activeBefore)
                    + " datasets, not " + datasets);
        }
        for (Map.Entry<String, Long> entry : after.entrySet()) {
            long delta = entry.getValue() - before.getOrDefault(entry.getKey(), 0L);
            if (delta > 0) {
                newCalls.merge(entry.getKey(), delta, Long::sum);
            }
        }
        return run;
    }

    private double unchangedRun(PgSite site, SyntheticCkanTarget target, String source, int datasets,
            List<CliProcess> consumers, boolean forceAll, ObjectNode json) throws Exception {
        long before = target.totalRequests();
        Map<String, Long> beforeByAction = target.requestCounts();
        Run run = harvest(site, source, consumers);
        Map<String, Long> expected = new LinkedHashMap<>();
        expected.put("added", 0L);
        expected.put("updated", 0L);
        expected.put("deleted", 0L);
        if (forceAll) {
            expected.put("not modified", (long) datasets);
        }
        expect(run, expected, "a re-harvest with no remote change");
        long calls = target.totalRequests() - before;
        Map<String, Long> byAction = new TreeMap<>();
        target.requestCounts().forEach((action, count) -> {
            long delta = count - beforeByAction.getOrDefault(action, 0L);
            if (delta > 0) {
                byAction.put(action, delta);
            }
        });
        run.json(json, datasets);
        json.put("force_all", forceAll);
        json.put("target_calls", calls);
        json.set("target_calls_by_action", Report.MAPPER.valueToTree(byAction));
        json.put("target_calls_per_dataset", (double) calls / datasets);
        return (double) calls / datasets;
    }

    // -------------------------------------------------------------------------------------------------- 7 H2

    private void h2() {
        int datasets = options.datasets;
        String scenario = String.format(Locale.ROOT, "7 full harvest, %,d new datasets, run_test on H2 (embedded"
                + " default: H2 file, in-process queue)", datasets);
        Path dir = workDir.resolve("h2");
        try {
            SyntheticPortal portal = new SyntheticPortal("h2", 7, datasets);
            String url = ckan.add(portal);
            Files.createDirectories(dir);
            Path config = dir.resolve("harvest.properties");
            Properties properties = new Properties();
            properties.put("ckan.site_id", "bench-h2-" + UUID.randomUUID().toString().substring(0, 8));
            properties.put("harvest.data_dir", dir.resolve("data").toAbsolutePath().toString());
            // the synthetic portal listens on loopback, which the outbound HTTP policy refuses by default
            properties.put("harvest.http.allow_private_addresses", "true");
            properties.putAll(options.engineSettings());
            try (Writer writer = Files.newBufferedWriter(config)) {
                properties.store(writer, "harvest benchmark, H2");
            }
            report.json.withObject("sites").set("h2", Report.MAPPER.valueToTree(new TreeMap<>(properties)));
            // the engine API creates the source, and is closed before run_test opens the H2 file
            try (Harvest harvest = openH2(config)) {
                harvest.createSource(SourceRequest.of("h2", url, "ckan").withConfig("{}"));
            }
            progress("7 full harvest of " + datasets + " datasets on H2 via harvester run_test");
            CliProcess process = CliProcess.start("h2-run-test", options.jar, dir, consumerJvm(), config,
                    List.of("run_test", "h2"));
            int exit = process.await(jobTimeout);
            if (exit != 0) {
                throw new IllegalStateException("harvester run_test exited " + exit + ":\n" + process.tail(15));
            }
            Map<String, Long> counts = parseReport(process.output());
            HarvestJob job;
            try (Harvest harvest = openH2(config)) {
                job = harvest.jobs("h2").get(0);
                Map<String, Long> reported = new LinkedHashMap<>();
                var stats = harvest.report(job.id()).stats();
                for (String status : STATUSES) {
                    reported.put(status, stats.count(status));
                }
                if (!reported.equals(counts)) {
                    throw new IllegalStateException("run_test printed " + counts + " but the report says " + reported);
                }
            }
            if (counts.get("added") != datasets || counts.get("errored") != 0 || !job.status().equals("Finished")) {
                throw new IllegalStateException("Expected " + datasets + " added and none errored, got " + counts
                        + ", job " + job.status() + "; log " + process.log());
            }
            double total = Duration.between(job.created(), job.finished()).toNanos() / 1e9;
            double gather = Duration.between(job.gatherStarted(), job.gatherFinished()).toNanos() / 1e9;
            double rate = datasets / total;
            ObjectNode json = report.scenario("7_h2_run_test");
            json.put("datasets", datasets);
            json.put("job_id", job.id());
            json.put("seconds", total);
            json.put("gather_seconds", gather);
            json.put("datasets_per_second", rate);
            json.put("process_seconds_with_jvm_start", process.secondsSinceStart());
            json.set("report", Report.MAPPER.valueToTree(counts));
            report.row(scenario, String.format(Locale.ROOT, "%s datasets/s (%s; gather %s)", Report.number(rate),
                    Report.seconds(total), Report.seconds(gather)), null, null);
            ckan.remove("h2");
        } catch (Exception e) {
            fail(scenario, e);
        } finally {
            if (!options.keep && !report.failed()) {
                deleteTree(dir);
            }
        }
    }

    private static Harvest openH2(Path config) {
        return Harvest.builder(HarvestConfig.load(config)).build();
    }

    // --------------------------------------------------------------------------------------------- helpers

    /** A finished job with its report. */
    private record Run(String jobId, PgSite.JobRow job, Map<String, Long> counts, double wallSeconds) {
        ObjectNode json(ObjectNode json, int datasets) {
            json.put("job_id", jobId);
            json.put("datasets", datasets);
            json.put("seconds", job.total());
            json.put("datasets_per_second", datasets / job.total());
            json.put("gather_seconds", job.gather());
            json.put("after_gather_seconds", job.afterGather());
            if (!Double.isNaN(wallSeconds)) {
                json.put("wall_seconds_polled", wallSeconds);
            }
            json.set("report", Report.MAPPER.valueToTree(counts));
            return json;
        }
    }

    /** Creates a job (engine API, as {@code harvester job}), waits for {@code Finished}, reads the report. */
    private Run harvest(PgSite site, String source, List<CliProcess> consumers) throws Exception {
        long start = System.nanoTime();
        String jobId = site.startJob(source);
        PgSite.JobRow job = site.awaitJob(jobId, PgSite.JobRow::done, consumers, options.pollMillis, jobTimeout);
        double wall = (System.nanoTime() - start) / 1e9;
        if (!job.status().equals("Finished")) {
            throw new IllegalStateException("Job " + jobId + " ended " + job.status() + site.reportErrors(jobId));
        }
        Run run = new Run(jobId, job, site.reportCounts(jobId), wall);
        if (run.counts.get("errored") != 0) {
            throw new IllegalStateException("Job " + jobId + " has " + run.counts.get("errored") + " errors: "
                    + run.counts + site.reportErrors(jobId));
        }
        return run;
    }

    private static void expect(Run run, Map<String, Long> expected, String what) {
        for (Map.Entry<String, Long> entry : expected.entrySet()) {
            long actual = run.counts.getOrDefault(entry.getKey(), 0L);
            if (actual != entry.getValue()) {
                throw new IllegalStateException("Expected " + what + " (job " + run.jobId + ") to report "
                        + entry.getKey() + ": " + entry.getValue() + ", but its report says " + run.counts);
            }
        }
    }

    private void awaitReady(CliProcess consumer, String queue) throws InterruptedException {
        String line = "Consuming the " + queue + " queue";
        if (consumer.awaitLog(line, Duration.ofSeconds(45))) {
            return;
        }
        if (!consumer.isAlive()) {
            throw new IllegalStateException(consumer.name() + " ended at start:\n" + consumer.tail(15));
        }
        // an engine that logs its start otherwise: wait no longer, and say so
        report.note(consumer.name() + " did not log '" + line + "' within 45 s of its start; it was used anyway, so"
                + " the figure after it may include some of its start-up");
    }

    private List<String> consumerJvm() {
        return List.of("-Xmx" + options.consumerHeap);
    }

    private static Map<String, Long> parseReport(String output) {
        Matcher matcher = REPORT_LINE.matcher(output);
        if (!matcher.find()) {
            throw new IllegalStateException("No report line (added: ..., errored: ...) in the output:\n" + output);
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        for (int i = 0; i < STATUSES.size(); i++) {
            counts.put(STATUSES.get(i), Long.parseLong(matcher.group(i + 1)));
        }
        return counts;
    }

    private void fail(String scenario, Exception e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        progress("FAILED " + scenario + ": " + message);
        if (!(e instanceof IllegalStateException || e instanceof IllegalArgumentException
                || e instanceof dev.harvest.core.HarvestException
                || e instanceof dev.harvest.core.config.ConfigException)) {
            e.printStackTrace();
        }
        report.failure(scenario, message);
    }

    private void skipped(String scenario, String reason) {
        report.row(scenario, "not run: " + reason, "", null);
    }

    private void progress(String message) {
        System.err.printf(Locale.ROOT, "[%6.1f s] %s%n", Duration.between(started, Instant.now()).toMillis() / 1000.0,
                message);
        System.err.flush();
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    private static String command(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                return "unknown";
            }
            return output;
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    private static String abbreviate(String text, int length) {
        return text.length() <= length ? text : text.substring(0, length);
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
