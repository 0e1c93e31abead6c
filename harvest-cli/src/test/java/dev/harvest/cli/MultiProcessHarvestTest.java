package dev.harvest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.harvest.api.HarvestJob;
import dev.harvest.core.Harvest;
import dev.harvest.core.JobReport;
import dev.harvest.core.SourceRequest;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.testing.ExternalServices;
import dev.harvest.core.testing.ScriptedHarvester;
import dev.harvest.core.testing.TestDatabases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;

/**
 * Production mode with real processes: PostgreSQL, a queue backend, one gather consumer and two fetch consumers, each
 * in its own JVM started from the {@code harvester} command line, and {@code harvester run} as cron would call it.
 * One fetch consumer is killed with SIGKILL mid-harvest, or the broker drops every connection mid-harvest; the job
 * still finishes with every object COMPLETE and every dataset in the catalog exactly once.
 */
class MultiProcessHarvestTest {

    private static final int OBJECTS = 2000;
    private static final Duration DEADLINE = Duration.ofMinutes(6);

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();
    private Harvest harvest;
    private String siteId;

    @AfterEach
    void stopEverything() throws Exception {
        for (Process process : processes) {
            process.destroyForcibly();
        }
        if (harvest != null) {
            harvest.purgeQueues();
            harvest.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"redis", "amqp"})
    void aHarvestSurvivesAFetchConsumerKilledWithSigkill(String backend) throws Exception {
        Path config = start(backend);
        Process doomed = processes.get(1);

        HarvestJob job = harvestWith(config, completed -> {
            if (completed >= OBJECTS / 5 && doomed.isAlive()) {
                doomed.destroyForcibly(); // SIGKILL: no shutdown hook, nothing handed back
            }
        });

        assertTrue(!doomed.isAlive(), "the fetch consumer was killed mid-harvest");
        assertEveryObjectImportedExactlyOnce(job);
        stopGracefully(processes.get(0), processes.get(2));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"redis", "amqp"})
    void aHarvestSurvivesTheBrokerDroppingEveryConnection(String backend) throws Exception {
        Path config = start(backend);
        int[] drops = {0};

        HarvestJob job = harvestWith(config, completed -> {
            if ((drops[0] == 0 && completed >= OBJECTS / 5) || (drops[0] == 1 && completed >= OBJECTS / 2)) {
                try {
                    dropConnections(backend);
                } catch (Exception e) {
                    throw new IllegalStateException("could not drop the broker's connections", e);
                }
                drops[0]++;
            }
        });

        assertEquals(2, drops[0], "the broker dropped the connections twice mid-harvest");
        assertEveryObjectImportedExactlyOnce(job);
        stopGracefully(processes.toArray(Process[]::new));
    }

    private Path start(String backend) throws Exception {
        ExternalServices.requirePostgres();
        if (backend.equals("redis")) {
            ExternalServices.requireRedis();
        } else {
            ExternalServices.requireRabbitMq();
        }
        siteId = ExternalServices.uniqueSiteId("mp-" + backend);
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("harvest.db.url", ExternalServices.postgresJdbcUrl() + "?currentSchema="
                + TestDatabases.newPostgresSchema());
        settings.put("harvest.db.user", ExternalServices.postgresUser());
        settings.put("harvest.db.pool_size", "4");
        settings.put("ckan.site_id", siteId);
        settings.put("ckan.harvest.mq.type", backend);
        settings.put("harvest.object_lease_seconds", "15");
        if (backend.equals("redis")) {
            settings.put("ckan.harvest.mq.hostname", ExternalServices.redisHost());
            settings.put("ckan.harvest.mq.port", Integer.toString(ExternalServices.redisPort()));
            settings.put("harvest.mq.redis.consumer_lease_seconds", "3");
        } else {
            settings.put("ckan.harvest.mq.hostname", ExternalServices.rabbitHost());
            settings.put("ckan.harvest.mq.port", Integer.toString(ExternalServices.rabbitPort()));
            settings.put("ckan.harvest.mq.user_id", ExternalServices.rabbitUser());
            settings.put("ckan.harvest.mq.password", ExternalServices.rabbitPassword());
            settings.put("harvest.mq.amqp.heartbeat_seconds", "5");
        }
        Path config = dir.resolve("harvest.properties");
        Properties properties = new Properties();
        properties.putAll(settings);
        try (var writer = Files.newBufferedWriter(config)) {
            properties.store(writer, "multi-process harvest test");
        }
        harvest = Harvest.builder(HarvestConfig.load(config))
                .discoverHarvesters(false)
                .harvester(new ScriptedHarvester())
                .build();
        harvest.createSource(SourceRequest.of("bulk", "http://bulk.example.org", ScriptedHarvester.NAME)
                .withConfig("{\"count\": " + OBJECTS + ", \"import_delay_ms\": 20}"));
        processes.add(launch(config, "gather", "gather_consumer", "--threads", "1"));
        processes.add(launch(config, "fetch-a", "fetch_consumer", "--threads", "2"));
        processes.add(launch(config, "fetch-b", "fetch_consumer", "--threads", "2"));
        return config;
    }

    private Process launch(Path config, String name, String... command) throws IOException {
        return HarvesterProcesses.launch(List.of("-Xmx256m"), config, dir.resolve("no-plugins"),
                dir.resolve(name + ".log"), command);
    }

    /** Starts a job and plays cron (run every 2 s) until it finishes, calling {@code duringHarvest} as it goes. */
    private HarvestJob harvestWith(Path config, Consumer<Long> duringHarvest) throws Exception {
        HarvestJob job = harvest.createJob("bulk", true);
        Instant deadline = Instant.now().plus(DEADLINE);
        Instant nextRun = Instant.now();
        while (true) {
            HarvestJob current = harvest.queries().findJob(job.id()).orElseThrow();
            if (!current.status().equals("Running")) {
                return current;
            }
            long completed = harvest.queries().jobStats(job.id()).count("added");
            duringHarvest.accept(completed);
            if (Instant.now().isAfter(nextRun)) {
                harvest.run();
                nextRun = Instant.now().plusSeconds(2);
            }
            if (Instant.now().isAfter(deadline)) {
                fail("job " + job.id() + " still Running after " + DEADLINE + " with " + completed + " objects added;"
                        + " consumer logs in " + dir);
            }
            Thread.sleep(250);
        }
    }

    private void assertEveryObjectImportedExactlyOnce(HarvestJob job) throws Exception {
        assertEquals("Finished", job.status());
        JobReport report = harvest.report(job.id());
        assertEquals(Map.of("COMPLETE", (long) OBJECTS), harvest.queries().objectStateCounts(job.id()),
                () -> "objects with errors: " + report.objectsWithErrors());
        // a dataset and its object's state commit together, so a worker killed mid-batch leaves neither, and the
        // next worker's import is still the one that adds the dataset
        assertEquals(OBJECTS, report.stats().count("added"), "added stays added: " + report.stats());
        assertEquals(0, report.stats().count("errored"));
        try (Connection connection = harvest.stores().database().dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select name from catalog_dataset")) {
            Set<String> names = new HashSet<>();
            int count = 0;
            while (rows.next()) {
                names.add(rows.getString(1));
                count++;
            }
            assertEquals(OBJECTS, count, "one dataset per object, no duplicates");
            for (int i = 1; i <= OBJECTS; i++) {
                assertTrue(names.contains(String.format("ds-obj-%05d", i)), "dataset of object " + i);
            }
        }
    }

    private void dropConnections(String backend) throws Exception {
        if (backend.equals("redis")) {
            try (Jedis jedis = new Jedis(ExternalServices.redisHost(), ExternalServices.redisPort())) {
                jedis.sendCommand(redis.clients.jedis.Protocol.Command.CLIENT, "KILL", "TYPE", "normal", "SKIPME", "yes");
            }
            return;
        }
        Process list = new ProcessBuilder("rabbitmqctl", "-q", "list_connections", "pid").redirectErrorStream(true).start();
        List<String> pids = new String(list.getInputStream().readAllBytes()).lines()
                .map(String::strip).filter(line -> line.startsWith("<")).toList();
        assertTrue(list.waitFor(60, TimeUnit.SECONDS) && list.exitValue() == 0, "rabbitmqctl list_connections works");
        for (String pid : pids) {
            new ProcessBuilder("rabbitmqctl", "-q", "close_connection", pid, "test: broker drops connections")
                    .redirectErrorStream(true).start().waitFor(60, TimeUnit.SECONDS);
        }
    }

    private void stopGracefully(Process... consumers) throws Exception {
        for (Process consumer : consumers) {
            consumer.destroy(); // SIGTERM
        }
        for (Process consumer : consumers) {
            assertTrue(consumer.waitFor(2, TimeUnit.MINUTES), "a consumer stops on SIGTERM");
            assertEquals(0, consumer.exitValue(), "a consumer stopped by SIGTERM exits 0");
        }
    }
}
