package dev.harvest.benchmark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The benchmark's settings: each {@code --name value} flag, or the environment variable {@code BENCH_NAME} (upper
 * case, {@code -} as {@code _}); a flag wins over the variable. {@code --quick} (or {@code BENCH_QUICK=true}) changes
 * the defaults of the sizes to a run of about two thousand datasets.
 */
final class Options {

    /** Every scenario, in the order they run. */
    static final List<String> SCENARIOS = List.of("full", "floor", "unchanged", "incremental", "runtest", "forceall",
            "memory", "scaleout", "h2");

    private static final Map<String, String> HELP = new LinkedHashMap<>();

    static {
        HELP.put("quick", "small sizes: 2,000 datasets, a 20,000-dataset gather, 240 per scale-out run (flag only, "
                + "or BENCH_QUICK=true)");
        HELP.put("scenarios", "comma-separated, from " + String.join(",", SCENARIOS) + " (default: all)");
        HELP.put("datasets", "datasets of the full, floor, unchanged, incremental, run_test, force_all and H2 "
                + "scenarios (default 100000; quick 2000)");
        HELP.put("gather-datasets", "datasets of the memory scenario's gather (default 300000; quick 20000)");
        HELP.put("scale-datasets", "datasets of each scale-out harvest (default 2000; quick 240)");
        HELP.put("scale-workers", "fetch worker counts of the scale-out scenario (default 1,2,4,8)");
        HELP.put("scale-warm-up", "datasets per fetch worker of the unmeasured harvest run through newly started"
                + " scale-out consumers before each measured run (default 50; 0: none)");
        HELP.put("fetch-threads", "threads of the fetch consumer in the queued scenarios (default 2)");
        HELP.put("gather-heap", "-Xmx of the memory scenario's gather consumer (default 256m)");
        HELP.put("consumer-heap", "-Xmx of the other consumer and run_test processes (default 1g)");
        HELP.put("write-delay-ms", "how long the synthetic CKAN target takes to answer a write (default 20)");
        HELP.put("object-batch-size", "harvest.object_batch_size for every process (unset: not passed)");
        HELP.put("fetch-parallelism", "harvest.fetch_parallelism for every process (unset: not passed)");
        HELP.put("gather-batch-size", "harvest.gather_batch_size for every process (unset: not passed)");
        HELP.put("poll-ms", "how often job status is read from the database (default 50)");
        HELP.put("job-timeout-minutes", "a job not finished by then fails the scenario (default 180)");
        HELP.put("server-threads", "handler threads of the synthetic CKAN (default 4)");
        HELP.put("page-cache-mb", "generated package_search pages the synthetic CKAN keeps (default 512; 0: none)");
        HELP.put("jar", "the harvester jar (default harvest-cli/target/harvester.jar)");
        HELP.put("out-dir", "where results are written (default benchmark-results)");
        HELP.put("keep", "keep the schemas, H2 files, configs and logs (flag, or BENCH_KEEP=true)");
    }

    boolean quick;
    List<String> scenarios = SCENARIOS;
    int datasets = 100_000;
    int gatherDatasets = 300_000;
    int scaleDatasets = 2_000;
    List<Integer> scaleWorkers = List.of(1, 2, 4, 8);
    int scaleWarmUp = 50;
    int fetchThreads = 2;
    String gatherHeap = "256m";
    String consumerHeap = "1g";
    long writeDelayMillis = 20;
    Integer objectBatchSize;
    Integer fetchParallelism;
    Integer gatherBatchSize;
    long pollMillis = 50;
    int jobTimeoutMinutes = 180;
    int serverThreads = 4;
    int pageCacheMegabytes = 512;
    Path jar = Path.of("harvest-cli", "target", "harvester.jar");
    Path outDir = Path.of("benchmark-results");
    boolean keep;

    static String usage() {
        StringBuilder usage = new StringBuilder("Usage: bin/harvest-benchmark [--quick] [--name value ...]\n\n");
        HELP.forEach((name, help) -> usage.append(String.format(Locale.ROOT, "  --%-20s %s%n", name, help)));
        usage.append("\nEach option may also be given as an environment variable BENCH_<NAME> (e.g. BENCH_DATASETS).\n");
        return usage.toString();
    }

    /**
     * @param args the command line
     * @param env the environment
     * @return the options
     * @throws IllegalArgumentException naming a bad option or value
     */
    static Options parse(String[] args, Map<String, String> env) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String name : HELP.keySet()) {
            String variable = "BENCH_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
            String value = env.get(variable);
            if (value != null && !value.isBlank()) {
                values.put(name, value.strip());
            }
        }
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("Unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (!HELP.containsKey(name)) {
                throw new IllegalArgumentException("Unknown option --" + name);
            }
            if (name.equals("quick") || name.equals("keep")) {
                values.put(name, value == null ? "true" : value);
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--" + name + " needs a value");
                }
                value = args[++i];
            }
            values.put(name, value);
        }
        Options options = new Options();
        options.quick = Boolean.parseBoolean(values.getOrDefault("quick", "false"));
        if (options.quick) {
            options.datasets = 2_000;
            options.gatherDatasets = 20_000;
            options.scaleDatasets = 240;
        }
        for (Map.Entry<String, String> entry : values.entrySet()) {
            String value = entry.getValue();
            try {
                switch (entry.getKey()) {
                    case "quick" -> { }
                    case "keep" -> options.keep = Boolean.parseBoolean(value);
                    case "scenarios" -> options.scenarios = scenarios(value);
                    case "datasets" -> options.datasets = positive(value);
                    case "gather-datasets" -> options.gatherDatasets = positive(value);
                    case "scale-datasets" -> options.scaleDatasets = positive(value);
                    case "scale-workers" -> options.scaleWorkers = workers(value);
                    case "scale-warm-up" -> options.scaleWarmUp = Integer.parseInt(value.strip());
                    case "fetch-threads" -> options.fetchThreads = positive(value);
                    case "gather-heap" -> options.gatherHeap = heap(value);
                    case "consumer-heap" -> options.consumerHeap = heap(value);
                    case "write-delay-ms" -> options.writeDelayMillis = Long.parseLong(value);
                    case "object-batch-size" -> options.objectBatchSize = positive(value);
                    case "fetch-parallelism" -> options.fetchParallelism = positive(value);
                    case "gather-batch-size" -> options.gatherBatchSize = positive(value);
                    case "poll-ms" -> options.pollMillis = positive(value);
                    case "job-timeout-minutes" -> options.jobTimeoutMinutes = positive(value);
                    case "server-threads" -> options.serverThreads = positive(value);
                    case "page-cache-mb" -> options.pageCacheMegabytes = Integer.parseInt(value.strip());
                    case "jar" -> options.jar = Path.of(value);
                    case "out-dir" -> options.outDir = Path.of(value);
                    default -> throw new IllegalStateException(entry.getKey());
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + entry.getKey() + ": not a number: '" + value + "'");
            }
        }
        return options;
    }

    boolean runs(String scenario) {
        return scenarios.contains(scenario);
    }

    /** The engine settings passed to every process, only those that were set. */
    Map<String, String> engineSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        if (objectBatchSize != null) {
            settings.put("harvest.object_batch_size", objectBatchSize.toString());
        }
        if (fetchParallelism != null) {
            settings.put("harvest.fetch_parallelism", fetchParallelism.toString());
        }
        if (gatherBatchSize != null) {
            settings.put("harvest.gather_batch_size", gatherBatchSize.toString());
        }
        return settings;
    }

    /** Every setting, for the results file. */
    Map<String, Object> asMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("quick", quick);
        map.put("scenarios", scenarios);
        map.put("datasets", datasets);
        map.put("gather_datasets", gatherDatasets);
        map.put("scale_datasets", scaleDatasets);
        map.put("scale_workers", scaleWorkers);
        map.put("scale_warm_up_datasets_per_worker", scaleWarmUp);
        map.put("fetch_threads", fetchThreads);
        map.put("gather_heap", gatherHeap);
        map.put("consumer_heap", consumerHeap);
        map.put("write_delay_ms", writeDelayMillis);
        map.put("harvest.object_batch_size", objectBatchSize == null ? "(not set: engine default)" : objectBatchSize);
        map.put("harvest.fetch_parallelism", fetchParallelism == null ? "(not set: engine default)" : fetchParallelism);
        map.put("harvest.gather_batch_size", gatherBatchSize == null ? "(not set: engine default)" : gatherBatchSize);
        map.put("poll_ms", pollMillis);
        map.put("job_timeout_minutes", jobTimeoutMinutes);
        map.put("server_threads", serverThreads);
        map.put("page_cache_mb", pageCacheMegabytes);
        map.put("jar", jar.toString());
        map.put("keep", keep);
        return map;
    }

    private static List<String> scenarios(String value) {
        Set<String> chosen = new LinkedHashSet<>();
        for (String name : value.split(",")) {
            String scenario = name.strip().toLowerCase(Locale.ROOT);
            if (scenario.isEmpty()) {
                continue;
            }
            if (scenario.equals("all")) {
                chosen.addAll(SCENARIOS);
            } else if (!SCENARIOS.contains(scenario)) {
                throw new IllegalArgumentException("Unknown scenario '" + scenario + "' (known: "
                        + String.join(",", SCENARIOS) + ")");
            } else {
                chosen.add(scenario);
            }
        }
        List<String> ordered = new ArrayList<>();
        for (String scenario : SCENARIOS) {
            if (chosen.contains(scenario)) {
                ordered.add(scenario);
            }
        }
        if (ordered.isEmpty()) {
            throw new IllegalArgumentException("--scenarios names none");
        }
        return List.copyOf(ordered);
    }

    private static List<Integer> workers(String value) {
        List<Integer> workers = new ArrayList<>();
        for (String part : value.split(",")) {
            if (!part.isBlank()) {
                workers.add(positive(part.strip()));
            }
        }
        if (workers.isEmpty()) {
            throw new IllegalArgumentException("--scale-workers names none");
        }
        return workers.stream().distinct().sorted().toList();
    }

    private static int positive(String value) {
        int number = Integer.parseInt(value.strip().replace("_", "").replace(",", ""));
        if (number <= 0) {
            throw new NumberFormatException(value);
        }
        return number;
    }

    private static String heap(String value) {
        if (!value.matches("\\d+[kKmMgG]?")) {
            throw new IllegalArgumentException("Not a heap size: '" + value + "' (e.g. 256m)");
        }
        return value;
    }
}
