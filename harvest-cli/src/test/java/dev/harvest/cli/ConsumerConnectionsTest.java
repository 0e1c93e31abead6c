package dev.harvest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.harvest.api.HarvestJob;
import dev.harvest.core.Harvest;
import dev.harvest.core.SourceRequest;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.testing.ExternalServices;
import dev.harvest.core.testing.ScriptedHarvester;
import dev.harvest.core.testing.TestDatabases;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ten consumer processes (real JVMs, as supervisor runs them) on one PostgreSQL schema hold no more connections than
 * docs/operations.md states: each pool is sized from its process's threads, an idle process keeps
 * {@code harvest.db.min_idle} (1), and every connection is named {@code harvest <command> <pid>} in
 * {@code pg_stat_activity}, where this test counts them: while idle, throughout a harvest, and after SIGTERM.
 */
class ConsumerConnectionsTest {

    private static final int FETCH_CONSUMERS = 9;
    private static final int OBJECTS = 600;
    private static final Duration DEADLINE = Duration.ofMinutes(4);
    /** docs/operations.md: threads + (fetch_parallelism - 1 if it fetches) + 2, with --threads 1 and the default 4. */
    private static final int GATHER_POOL = 1 + 0 + 2;
    private static final int FETCH_POOL = 1 + 3 + 2;

    @TempDir
    Path dir;

    /** The consumers, each with the application name of its connections. */
    private final Map<Process, String> processes = new LinkedHashMap<>();
    private final Map<Process, Path> logs = new LinkedHashMap<>();
    private Harvest harvest;

    @AfterEach
    void stopEverything() {
        processes.keySet().forEach(Process::destroyForcibly);
        if (harvest != null) {
            harvest.purgeQueues();
            harvest.close();
        }
    }

    @Test
    void tenConsumerProcessesHoldNoMoreConnectionsThanTheirPoolsIdleOrBusyAndNoneAfterTheyStop() throws Exception {
        ExternalServices.requirePostgres();
        ExternalServices.requireRedis();
        Path config = writeConfig();
        StringWriter initOut = new StringWriter();
        assertEquals(0, HarvesterCommand.execute(new String[] {"-c", config.toString(), "--plugins",
                dir.resolve("no-plugins").toString(), "initdb"}, new PrintWriter(initOut), new PrintWriter(initOut)),
                initOut::toString);

        launch(config, "gather", "gather_consumer");
        for (int i = 1; i <= FETCH_CONSUMERS; i++) {
            launch(config, "fetch-" + i, "fetch_consumer");
        }
        waitFor(Duration.ofMinutes(3), "every consumer consuming, its connections idle", () -> {
            Map<String, int[]> now = connections();
            return processes.values().stream().allMatch(name -> now.containsKey(name) && now.get(name)[1] == 0)
                    && processes.keySet().stream().allMatch(process -> log(process).contains("Consuming the"));
        });
        Map<String, int[]> idle = connections();
        int idleTotal = idle.values().stream().mapToInt(counts -> counts[0]).sum();
        System.out.println("Connections of 10 idle consumers: " + idleTotal + " " + summary(idle));
        assertWithinPools(idle);
        assertTrue(idleTotal <= processes.size() * 2, "an idle consumer keeps min_idle (1) connection, and one more"
                + " at most until the pool's idle timeout retires it: " + summary(idle));

        int[] peak = harvestThroughTheConsumers(config);
        System.out.println("Connections during the harvest: at most " + peak[0] + " in all, " + peak[1]
                + " for one process");

        for (Process process : processes.keySet()) {
            process.destroy(); // SIGTERM, as supervisor stops a program
        }
        for (Process process : processes.keySet()) {
            assertTrue(process.waitFor(2, TimeUnit.MINUTES), "a consumer stops on SIGTERM");
            assertEquals(0, process.exitValue(), () -> log(process));
        }
        assertEquals(Map.of(), connections(), "a stopped consumer closes its pool");
    }

    private Path writeConfig() throws IOException {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("harvest.db.url", ExternalServices.postgresJdbcUrl() + "?currentSchema="
                + TestDatabases.newPostgresSchema());
        settings.put("harvest.db.user", ExternalServices.postgresUser());
        settings.put("ckan.site_id", ExternalServices.uniqueSiteId("conn"));
        settings.put("ckan.harvest.mq.type", "redis");
        settings.put("ckan.harvest.mq.hostname", ExternalServices.redisHost());
        settings.put("ckan.harvest.mq.port", Integer.toString(ExternalServices.redisPort()));
        Path config = dir.resolve("harvest.properties");
        Properties properties = new Properties();
        properties.putAll(settings);
        try (var writer = Files.newBufferedWriter(config)) {
            properties.store(writer, "ten consumers");
        }
        return config;
    }

    private void launch(Path config, String name, String command) throws IOException {
        Process process = HarvesterProcesses.launch(List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                config, dir.resolve("no-plugins"), dir.resolve(name + ".log"), command, "--threads", "1");
        processes.put(process, "harvest " + command + " " + process.pid());
        logs.put(process, dir.resolve(name + ".log"));
    }

    private String log(Process process) {
        try {
            Path file = logs.get(process);
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** @return for each of this test's processes with connections: {connections, of them not idle} */
    private Map<String, int[]> connections() throws Exception {
        Map<String, int[]> counts = new LinkedHashMap<>();
        try (Connection connection = DriverManager.getConnection(ExternalServices.postgresJdbcUrl(),
                        ExternalServices.postgresUser(), ExternalServices.postgresPassword());
                PreparedStatement select = connection.prepareStatement("select application_name, count(*),"
                        + " sum(case when state = 'idle' then 0 else 1 end) from pg_stat_activity"
                        + " where application_name = any(?) group by application_name")) {
            select.setArray(1, connection.createArrayOf("text", processes.values().toArray()));
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    counts.put(rows.getString(1), new int[] {rows.getInt(2), rows.getInt(3)});
                }
            }
        }
        return counts;
    }

    private void assertWithinPools(Map<String, int[]> counts) {
        int total = 0;
        for (Map.Entry<String, int[]> process : counts.entrySet()) {
            int pool = process.getKey().startsWith("harvest gather_consumer") ? GATHER_POOL : FETCH_POOL;
            assertTrue(process.getValue()[0] <= pool, process.getKey() + " holds " + process.getValue()[0]
                    + " connections, more than its pool of " + pool);
            total += process.getValue()[0];
        }
        int stated = GATHER_POOL + FETCH_CONSUMERS * FETCH_POOL;
        assertTrue(total <= stated, "ten consumers hold " + total + " connections, more than the " + stated
                + " stated");
    }

    private static String summary(Map<String, int[]> counts) {
        StringBuilder summary = new StringBuilder("{");
        counts.forEach((name, value) -> summary.append(summary.length() > 1 ? ", " : "").append(name).append('=')
                .append(value[0]));
        return summary.append('}').toString();
    }

    /** Runs a harvest through the consumers, counting their connections every 200 ms: {most in all, most of one}. */
    private int[] harvestThroughTheConsumers(Path config) throws Exception {
        harvest = Harvest.builder(HarvestConfig.load(config).withDatabaseUse(HarvestConfig.DatabaseUse.oneShot("test")))
                .discoverHarvesters(false)
                .harvester(new ScriptedHarvester())
                .build();
        harvest.createSource(SourceRequest.of("bulk", "http://bulk.example.org", ScriptedHarvester.NAME)
                .withConfig("{\"count\": " + OBJECTS + ", \"import_delay_ms\": 5}"));
        HarvestJob job = harvest.createJob("bulk", true);
        int[] peak = {0, 0};
        Instant deadline = Instant.now().plus(DEADLINE);
        while (harvest.queries().findJob(job.id()).orElseThrow().status().equals("Running")) {
            Map<String, int[]> now = connections();
            assertWithinPools(now);
            peak[0] = Math.max(peak[0], now.values().stream().mapToInt(counts -> counts[0]).sum());
            peak[1] = Math.max(peak[1], now.values().stream().mapToInt(counts -> counts[0]).max().orElse(0));
            if (Instant.now().isAfter(deadline)) {
                fail("job " + job.id() + " still Running after " + DEADLINE + "; consumer logs in " + dir);
            }
            Thread.sleep(200);
        }
        assertEquals(Map.of("COMPLETE", (long) OBJECTS), harvest.queries().objectStateCounts(job.id()));
        return peak;
    }

    private static void waitFor(Duration timeout, String what, BooleanSupplierWithException condition)
            throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(500);
        }
    }

    @FunctionalInterface
    private interface BooleanSupplierWithException {
        boolean getAsBoolean() throws Exception;
    }
}
