package dev.harvest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.queue.QueueName;
import dev.harvest.core.Harvest;
import dev.harvest.core.SourceRequest;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.engine.ConsumerRunner;
import dev.harvest.core.store.HarvestQueries.ObjectSummary;
import dev.harvest.core.testing.ExternalServices;
import dev.harvest.core.testing.ScriptedHarvester;
import dev.harvest.core.testing.TestDatabases;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Python (ckanext-harvest) and Java consumers sharing one Redis during a migration: the messages are the same bytes
 * both ways. The Python side is played by the test, which writes and reads Redis exactly as ckanext-harvest's
 * {@code queue.py} does ({@code RPUSH} of {@code json.dumps({"harvest_..._id": id})}, default separators).
 */
class SideBySideConsumersTest {

    static final Duration DEADLINE = Duration.ofSeconds(60);

    String siteId;
    HarvestConfig config;
    Harvest harvest;
    Jedis jedis;
    String sourceId;

    @BeforeEach
    void aHarvestOnRedis() {
        ExternalServices.requireRedis();
        siteId = ExternalServices.uniqueSiteId("side-by-side");
        config = TestDatabases.config(TestDatabases.Kind.H2, Map.of("ckan.site_id", siteId,
                "ckan.harvest.mq.type", "redis", "ckan.harvest.mq.hostname", ExternalServices.redisHost(),
                "ckan.harvest.mq.port", Integer.toString(ExternalServices.redisPort())));
        harvest = Harvest.builder(config).discoverHarvesters(false).harvester(new ScriptedHarvester()).build();
        sourceId = harvest.createSource(SourceRequest.of("side-by-side", "http://remote.example.org/",
                ScriptedHarvester.NAME).withConfig("{\"guids\": [\"a\", \"b\", \"c\"]}")).id();
        jedis = new Jedis(ExternalServices.redisHost(), ExternalServices.redisPort());
    }

    @AfterEach
    void close() {
        if (harvest != null) {
            harvest.purgeQueues();
            harvest.close();
        }
        if (jedis != null) {
            jedis.keys("ckanext-harvest:" + siteId + ":*").forEach(jedis::del);
            jedis.close();
        }
    }

    String gatherList() {
        return "ckanext-harvest:" + siteId + ":harvest_job_id";
    }

    String fetchList() {
        return "ckanext-harvest:" + siteId + ":harvest_object_id";
    }

    /** {@code json.dumps({"harvest_job_id": id})} */
    static String pythonGatherBody(String jobId) {
        return "{\"harvest_job_id\": \"" + jobId + "\"}";
    }

    /** {@code json.dumps({"harvest_object_id": id})} */
    static String pythonFetchBody(String objectId) {
        return "{\"harvest_object_id\": \"" + objectId + "\"}";
    }

    static void awaitUntil(String what, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(DEADLINE);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void jobAndObjectMessagesPublishedByPythonAreConsumedByTheJavaGatherAndFetchConsumers() throws Exception {
        // ckanext-harvest's harvest_send_job_to_gather_queue: the job becomes Running, then its id is pushed
        HarvestJob job = harvest.createJob(sourceId, false);
        try (Connection connection = DriverManager.getConnection(config.jdbcUrl(), config.dbUser(),
                config.dbPassword()); PreparedStatement running = connection.prepareStatement(
                        "update harvest_job set status = 'Running' where id = ?")) {
            running.setString(1, job.id());
            running.executeUpdate();
        }
        jedis.rpush(gatherList(), pythonGatherBody(job.id()));
        ConsumerRunner gather = harvest.engine().consumer(harvest.queue(), QueueName.GATHER, 1);
        gather.start();
        try {
            awaitUntil("the Java gather consumer took the Python job message and gathered",
                    () -> harvest.queries().objectsOfJob(job.id(), false, 10).size() == 3);
        } finally {
            gather.stop();
            gather.awaitTermination();
        }
        // what Java published for them is drained by the Python side, then pushed back as Python writes it
        List<String> ids = harvest.queries().objectsOfJob(job.id(), false, 10).stream().map(ObjectSummary::id)
                .toList();
        jedis.del(fetchList());
        for (String id : ids) {
            jedis.rpush(fetchList(), pythonFetchBody(id));
        }

        ConsumerRunner fetch = harvest.engine().consumer(harvest.queue(), QueueName.FETCH, 1);
        fetch.start();
        try {
            awaitUntil("the Java fetch consumer finished the job from Python's object messages",
                    () -> harvest.queries().findJob(job.id()).orElseThrow().status().equals("Finished"));
        } finally {
            fetch.stop();
            fetch.awaitTermination();
        }

        assertEquals(List.of("COMPLETE/added", "COMPLETE/added", "COMPLETE/added"),
                harvest.queries().objectsOfJob(job.id(), false, 10).stream()
                        .map(o -> o.state() + "/" + o.reportStatus()).toList());
        assertEquals(0, jedis.llen(fetchList()), "every Python message consumed");
    }

    @Test
    void jobAndObjectMessagesPublishedByJavaHaveTheExactBytesPythonReads() throws Exception {
        HarvestJob job = harvest.createJob(sourceId, true);

        assertEquals(List.of(pythonGatherBody(job.id())), jedis.lrange(gatherList(), 0, -1));

        ConsumerRunner gather = harvest.engine().consumer(harvest.queue(), QueueName.GATHER, 1);
        gather.start();
        try {
            awaitUntil("the gather published the objects", () -> jedis.llen(fetchList()) == 3);
        } finally {
            gather.stop();
            gather.awaitTermination();
        }
        List<String> expected = harvest.queries().objectsOfJob(job.id(), false, 10).stream()
                .map(object -> pythonFetchBody(object.id())).sorted().toList();
        List<String> published = jedis.lrange(fetchList(), 0, -1).stream().sorted().toList();
        assertEquals(expected, published);
        assertTrue(published.stream().allMatch(body -> body.matches("\\{\"harvest_object_id\": \"[0-9a-f-]{36}\"}")),
                published::toString);
    }
}
