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
import dev.harvest.core.testing.TcpProxy;
import dev.harvest.core.testing.TestDatabases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chaos test of issue 13, small enough for every build: a harvest of 2,000 objects by real consumer processes
 * (one gather consumer, three fetch consumers, {@code run} as cron) while fetch consumers are SIGKILLed (and
 * replaced, as a supervisor would), the broker's connections are dropped (a TCP proxy in front of Redis or RabbitMQ
 * cuts them all, so that other tests on the same broker are not touched), and PostgreSQL terminates the consumers'
 * database connections ({@code pg_terminate_backend}, only of this test's processes). Nothing may be lost and
 * nothing duplicated: every object ends COMPLETE and added, and the catalog has each dataset exactly once. At the
 * end every consumer stops on SIGTERM within seconds and exits 0.
 */
class ChaosHarvestTest {

    private static final int OBJECTS = 2000;
    /** About a minute on an idle machine; generous for a loaded CI runner. */
    private static final Duration DEADLINE = Duration.ofMinutes(4);

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    Path dir;

    private final List<Process> processes = new ArrayList<>();
    private TcpProxy broker;
    private Harvest harvest;
    private Path consumerConfig;
    private int kills;
    private int brokerDrops;
    private int databaseDrops;
    private int databaseConnectionsTerminated;

    @AfterEach
    void stopEverything() throws Exception {
        for (Process process : processes) {
            process.destroyForcibly();
        }
        if (broker != null) {
            broker.close();
        }
        if (harvest != null) {
            harvest.purgeQueues();
            harvest.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"redis", "amqp"})
    void aHarvestLosesAndDuplicatesNothingThroughKillsAndDroppedConnections(String backend) throws Exception {
        start(backend);
        awaitConsumersReady();
        Instant started = Instant.now();
        HarvestJob job = harvest.createJob("chaos", true);
        // each event fires once, when the share of objects added passes its threshold
        List<Runnable> events = List.of(this::killAFetchConsumer, this::dropBrokerConnections,
                this::dropDatabaseConnections, this::killAFetchConsumer, this::dropBrokerConnections,
                this::dropDatabaseConnections);
        int fired = 0;
        Instant nextRun = Instant.now();
        while (true) {
            HarvestJob current = harvest.queries().findJob(job.id()).orElseThrow();
            if (!current.status().equals("Running")) {
                job = current;
                break;
            }
            long added = harvest.queries().jobStats(job.id()).count("added");
            if (fired < events.size() && added >= (long) OBJECTS * (fired + 1) / (events.size() + 2)) {
                System.out.printf("CHAOS event %d at %d added, %d s%n", fired + 1, added,
                        Duration.between(started, Instant.now()).toSeconds());
                events.get(fired++).run();
            }
            if (Instant.now().isAfter(nextRun)) {
                harvest.run(); // cron
                nextRun = Instant.now().plusSeconds(2);
            }
            if (Instant.now().isAfter(started.plus(DEADLINE))) {
                fail("job " + job.id() + " still Running after " + DEADLINE + " with " + added + " added; consumer"
                        + " logs in " + dir);
            }
            Thread.sleep(100);
        }
        long seconds = Duration.between(started, Instant.now()).toSeconds();

        assertEquals(events.size(), fired, "every fault was injected before the job finished");
        assertNothingLostOrDuplicated(job);
        long stopMillis = stopAllWithSigterm();
        System.out.printf("CHAOS %s: %d objects, %d SIGKILLs, %d broker drops, %d database drops (%d connections"
                        + " terminated), finished in %d s, 0 lost, 0 duplicated, consumers stopped on SIGTERM in %d ms%n",
                backend, OBJECTS, kills, brokerDrops, databaseDrops, databaseConnectionsTerminated, seconds,
                stopMillis);
    }

    private void start(String backend) throws Exception {
        ExternalServices.requirePostgres();
        if (backend.equals("redis")) {
            ExternalServices.requireRedis();
            broker = new TcpProxy(ExternalServices.redisHost(), ExternalServices.redisPort());
        } else {
            ExternalServices.requireRabbitMq();
            broker = new TcpProxy(ExternalServices.rabbitHost(), ExternalServices.rabbitPort());
        }
        String siteId = ExternalServices.uniqueSiteId("chaos-" + backend);
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("harvest.db.url", ExternalServices.postgresJdbcUrl() + "?currentSchema="
                + TestDatabases.newPostgresSchema());
        settings.put("harvest.db.user", ExternalServices.postgresUser());
        settings.put("harvest.db.pool_size", "3");
        settings.put("ckan.site_id", siteId);
        settings.put("ckan.harvest.mq.type", backend);
        // a SIGKILLed consumer's objects come back after this lease: short, so that the test stays short
        settings.put("harvest.object_lease_seconds", "10");
        if (backend.equals("redis")) {
            settings.put("harvest.mq.redis.consumer_lease_seconds", "3");
        } else {
            settings.put("ckan.harvest.mq.user_id", ExternalServices.rabbitUser());
            settings.put("ckan.harvest.mq.password", ExternalServices.rabbitPassword());
            settings.put("harvest.mq.amqp.heartbeat_seconds", "5");
        }
        // the test plays cron with a direct connection to the broker; the consumers go through the proxy
        Map<String, String> direct = new LinkedHashMap<>(settings);
        direct.put("ckan.harvest.mq.hostname", backend.equals("redis") ? ExternalServices.redisHost()
                : ExternalServices.rabbitHost());
        direct.put("ckan.harvest.mq.port", Integer.toString(backend.equals("redis") ? ExternalServices.redisPort()
                : ExternalServices.rabbitPort()));
        settings.put("ckan.harvest.mq.hostname", "127.0.0.1");
        settings.put("ckan.harvest.mq.port", Integer.toString(broker.port()));
        consumerConfig = write("consumers.properties", settings);
        harvest = Harvest.builder(HarvestConfig.load(write("cron.properties", direct)))
                .discoverHarvesters(false)
                .harvester(new ScriptedHarvester())
                .build();
        harvest.createSource(SourceRequest.of("chaos", "http://chaos.example.org", ScriptedHarvester.NAME)
                .withConfig("{\"count\": " + OBJECTS + ", \"import_delay_ms\": 10}"));
        processes.add(launch("gather", "gather_consumer", "--threads", "1"));
        for (String name : List.of("fetch-1", "fetch-2", "fetch-3")) {
            processes.add(launch(name, "fetch_consumer", "--threads", "2"));
        }
    }

    /** Waits until every consumer process says it consumes its queue (JVM start-up is slow on a loaded machine). */
    private void awaitConsumersReady() throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
        while (true) {
            long ready = 0;
            try (var logs = Files.list(dir)) {
                for (Path log : logs.filter(file -> file.toString().endsWith(".log")).toList()) {
                    if (Files.readString(log).contains("Consuming the ")) {
                        ready++;
                    }
                }
            }
            if (ready >= processes.size()) {
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                fail("only " + ready + " of " + processes.size() + " consumers started; logs in " + dir);
            }
            Thread.sleep(250);
        }
    }

    private Path write(String name, Map<String, String> settings) throws IOException {
        Path file = dir.resolve(name);
        Properties properties = new Properties();
        properties.putAll(settings);
        try (var writer = Files.newBufferedWriter(file)) {
            properties.store(writer, "chaos test");
        }
        return file;
    }

    private Process launch(String name, String... command) throws IOException {
        return HarvesterProcesses.launch(List.of("-Xmx256m"), consumerConfig, dir.resolve("no-plugins"),
                dir.resolve(name + "-" + processes.size() + ".log"), command);
    }

    /** SIGKILLs the oldest live fetch consumer and starts a replacement, as a supervisor would. */
    private void killAFetchConsumer() {
        Process victim = processes.stream().skip(1).filter(Process::isAlive).findFirst().orElseThrow();
        victim.destroyForcibly(); // SIGKILL: no shutdown hook, nothing handed back
        kills++;
        try {
            assertTrue(victim.waitFor(30, TimeUnit.SECONDS));
            processes.add(launch("fetch-replacement", "fetch_consumer", "--threads", "2"));
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private void dropBrokerConnections() {
        broker.dropAll();
        brokerDrops++;
    }

    /** Terminates every database connection of this test's consumer processes (their application names). */
    private void dropDatabaseConnections() {
        try (Connection connection = harvest.stores().database().dataSource().getConnection();
                PreparedStatement terminate = connection.prepareStatement("select count(pg_terminate_backend(pid))"
                        + " from pg_stat_activity where application_name = any (?)")) {
            List<String> names = new ArrayList<>();
            for (Process process : processes) {
                if (process.isAlive()) {
                    for (String command : List.of("gather_consumer", "fetch_consumer")) {
                        names.add("harvest " + command + " " + process.pid());
                    }
                }
            }
            terminate.setArray(1, connection.createArrayOf("text", names.toArray()));
            try (ResultSet rows = terminate.executeQuery()) {
                rows.next();
                databaseConnectionsTerminated += rows.getInt(1);
            }
            databaseDrops++;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private void assertNothingLostOrDuplicated(HarvestJob job) throws Exception {
        assertEquals("Finished", job.status());
        JobReport report = harvest.report(job.id());
        assertEquals(Map.of("COMPLETE", (long) OBJECTS), harvest.queries().objectStateCounts(job.id()),
                () -> "objects with errors: " + report.objectsWithErrors());
        assertEquals(OBJECTS, report.stats().count("added"), () -> "added stays added: " + report.stats());
        assertEquals(0, report.stats().count("errored"));
        try (Connection connection = harvest.stores().database().dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select count(*), count(distinct name) from catalog_dataset")) {
            rows.next();
            assertEquals(OBJECTS, rows.getInt(1), "one dataset per object");
            assertEquals(OBJECTS, rows.getInt(2), "no dataset twice");
        }
    }

    /** @return how long the consumers took to stop on SIGTERM */
    private long stopAllWithSigterm() throws Exception {
        List<Process> alive = processes.stream().filter(Process::isAlive).toList();
        long start = System.nanoTime();
        alive.forEach(Process::destroy); // SIGTERM
        for (Process consumer : alive) {
            assertTrue(consumer.waitFor(30, TimeUnit.SECONDS), "a consumer stops within seconds of SIGTERM");
            assertEquals(0, consumer.exitValue(), "a consumer stopped by SIGTERM exits 0");
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }
}
