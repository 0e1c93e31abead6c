package dev.harvest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.harvest.api.HarvestJob;
import dev.harvest.ckan.CkanHarvester;
import dev.harvest.core.Harvest;
import dev.harvest.core.SourceRequest;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.testing.ExternalServices;
import dev.harvest.core.testing.TestDatabases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 with real processes: a {@code harvester gather_consumer} JVM, on PostgreSQL and Redis, gathering a CKAN
 * that never lets the gather end, stops within seconds of SIGTERM, exits 0 after its orderly shutdown, and hands its
 * job back at once, so that the next consumer gathers it again without waiting for a lease to expire.
 *
 * <p>The leases that would otherwise recover the job (the gather lease, Redis's consumer lease) and the CKAN read
 * timeout are all far longer than the test waits, so only the hand-back can explain a second consumer's gather.
 */
class ConsumerSigtermTest {

    /** A liveness bound, not a performance target: the consumer's own stop takes a few seconds. */
    private static final Duration STOPS_WITHIN = Duration.ofSeconds(20);
    /** JVM start-up on a loaded machine, and the first poll of the gather queue. */
    private static final Duration STARTS_WITHIN = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();
    private Path config;
    private Harvest harvest;
    private StallingCkan remote;

    @BeforeEach
    void aSiteOnPostgresAndRedis() throws Exception {
        assumeTrue(ProcessHandle.current().supportsNormalTermination(),
                "Process.destroy() sends SIGTERM only where normal termination is supported");
        ExternalServices.requirePostgres();
        ExternalServices.requireRedis();
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("harvest.db.url", ExternalServices.postgresJdbcUrl() + "?currentSchema="
                + TestDatabases.newPostgresSchema());
        settings.put("harvest.db.user", ExternalServices.postgresUser());
        settings.put("harvest.db.pool_size", "3");
        settings.put("ckan.site_id", ExternalServices.uniqueSiteId("sigterm"));
        settings.put("ckan.harvest.mq.type", "redis");
        settings.put("ckan.harvest.mq.hostname", ExternalServices.redisHost());
        settings.put("ckan.harvest.mq.port", Integer.toString(ExternalServices.redisPort()));
        settings.put("harvest.http.allow_private_addresses", "true"); // the remote is on loopback
        // none of these may end or recover a gather while the test waits: only the consumer's stop and hand-back
        settings.put("harvest.gather_lease_seconds", "600");
        settings.put("harvest.mq.redis.consumer_lease_seconds", "300");
        settings.put(CkanHarvester.HTTP_PREFIX + "read_timeout", "300");
        settings.put(CkanHarvester.HTTP_PREFIX + "call_timeout", "600");
        config = dir.resolve("harvest.properties");
        Properties properties = new Properties();
        properties.putAll(settings);
        try (var writer = Files.newBufferedWriter(config)) {
            properties.store(writer, "consumer SIGTERM test");
        }
        harvest = Harvest.builder(HarvestConfig.load(config)).build();
    }

    @AfterEach
    void stopEverything() {
        for (Process process : processes) {
            process.destroyForcibly();
        }
        if (remote != null) {
            remote.close();
        }
        if (harvest != null) {
            harvest.purgeQueues();
            harvest.close();
        }
    }

    @Test
    void aGatherConsumerStopsWithinSecondsOfSigtermMidRequestAndHandsItsJobBack() throws Exception {
        remote = StallingCkan.hanging();
        harvest.createSource(SourceRequest.of("hanging", remote.url(), CkanHarvester.NAME));
        Process first = launch("first");
        HarvestJob job = harvest.createJob("hanging", true);
        assertTrue(remote.awaitSearches(1, STARTS_WITHIN), () -> "the gather never asked the remote; "
                + logOf("first"));
        assertNotNull(gatherOwner(job), "the job is claimed by the consumer waiting for the remote");

        stopWithSigterm(first, "first");

        assertGaveTheJobBack("first", job);
        HarvestJob after = harvest.queries().findJob(job.id()).orElseThrow();
        assertEquals("Running", after.status(), "the job was neither finished nor failed by the stop");
        assertEquals(1, remote.searches(), "nothing asked the remote since");

        Process second = launch("second");
        assertTrue(remote.awaitSearches(2, STARTS_WITHIN), () -> "the next consumer never gathered the job again; "
                + logOf("second"));
        assertNotNull(gatherOwner(job), "the next consumer claimed the job");
        stopWithSigterm(second, "second");
    }

    @Test
    void aGatherConsumerStopsWithinSecondsOfSigtermWhileAResponseDrips() throws Exception {
        remote = StallingCkan.dripping();
        harvest.createSource(SourceRequest.of("dripping", remote.url(), CkanHarvester.NAME));
        Process consumer = launch("consumer");
        HarvestJob job = harvest.createJob("dripping", true);
        assertTrue(remote.awaitSearches(1, STARTS_WITHIN), () -> "the gather never asked the remote; "
                + logOf("consumer"));
        Thread.sleep(500); // into the body

        stopWithSigterm(consumer, "consumer");

        assertGaveTheJobBack("consumer", job);
        assertEquals(1, remote.searches(), "the request was not sent again");
    }

    @Test
    void aGatherConsumerStopsWithinSecondsOfSigtermInAListingThatNeverEnds() throws Exception {
        remote = StallingCkan.endless(Duration.ofMillis(300));
        harvest.createSource(SourceRequest.of("endless", remote.url(), CkanHarvester.NAME));
        Process consumer = launch("consumer");
        HarvestJob job = harvest.createJob("endless", true);
        assertTrue(remote.awaitSearches(4, STARTS_WITHIN), () -> "the gather did not page on; " + logOf("consumer"));
        assertNotNull(gatherOwner(job), "the consumer is mid-gather");

        stopWithSigterm(consumer, "consumer");

        assertGaveTheJobBack("consumer", job);
        assertEquals("Running", harvest.queries().findJob(job.id()).orElseThrow().status());
    }

    private Process launch(String name) throws IOException {
        Process process = HarvesterProcesses.launch(List.of("-Xmx256m"), config, dir.resolve("no-plugins"),
                dir.resolve(name + ".log"), "gather_consumer", "--threads", "1");
        processes.add(process);
        return process;
    }

    /** Sends SIGTERM and checks that the consumer ended within the bound, after its orderly shutdown. */
    private void stopWithSigterm(Process consumer, String name) throws Exception {
        long start = System.nanoTime();
        consumer.destroy(); // SIGTERM
        boolean ended = consumer.waitFor(STOPS_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(ended, () -> name + " still running " + STOPS_WITHIN.toSeconds() + " s after SIGTERM; "
                + logOf(name));
        System.out.printf("SIGTERM %s: exited %d after %d ms%n", name, consumer.exitValue(), millis);
        String log = logOf(name);
        assertEquals(0, consumer.exitValue(), () -> "a consumer stopped by SIGTERM exits 0; " + log);
        assertTrue(log.contains("Stopped gather_consumer after "), () -> "the shutdown hook ran; " + log);
        assertFalse(log.contains("did not stop within"), () -> "the work in flight stopped when asked; " + log);
    }

    /** The consumer released its claim on the job (its message went back to the queue with it). */
    private void assertGaveTheJobBack(String name, HarvestJob job) throws Exception {
        assertTrue(logOf(name).contains("gather interrupted by the consumer's shutdown"), () -> logOf(name));
        assertNull(gatherOwner(job), "the stopped consumer gave its claim on the job back");
    }

    private String gatherOwner(HarvestJob job) throws Exception {
        try (Connection connection = harvest.stores().database().dataSource().getConnection();
                PreparedStatement select = connection.prepareStatement(
                        "select gather_owner from harvest_job where id = ?")) {
            select.setString(1, job.id());
            try (ResultSet row = select.executeQuery()) {
                assertTrue(row.next(), "the job exists");
                return row.getString(1);
            }
        }
    }

    private String logOf(String name) {
        try {
            return "log of " + name + ":\n" + Files.readString(dir.resolve(name + ".log"));
        } catch (IOException e) {
            return "no log of " + name + " (" + e.getMessage() + ")";
        }
    }
}
