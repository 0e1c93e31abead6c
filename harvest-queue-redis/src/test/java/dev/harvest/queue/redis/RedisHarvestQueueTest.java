package dev.harvest.queue.redis;

import dev.harvest.api.queue.HarvestQueue;
import dev.harvest.api.queue.QueueConsumer;
import dev.harvest.testkit.ExternalServices;
import dev.harvest.testkit.queue.HarvestQueueContract;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;

/** The queue contract against a real Redis. */
class RedisHarvestQueueTest extends HarvestQueueContract {

    /** Short enough for the dead-consumer test, long enough that a busy 2-core machine never misses a heartbeat. */
    private static final String LEASE_SECONDS = "3";

    RedisHarvestQueueTest() {
        // Redis cannot tell a first delivery from a redelivery without extra bookkeeping, so it does not mark them.
        super(Duration.ofSeconds(20), false, true, true);
    }

    @BeforeEach
    void requireRedis() {
        ExternalServices.requireRedis();
    }

    @Override
    protected HarvestQueue openQueue(String siteId) throws Exception {
        return new RedisQueueProvider().open(RedisTestSupport.settings(siteId,
                Map.of(RedisQueueConfig.CONSUMER_LEASE_SECONDS, LEASE_SECONDS)));
    }

    @Override
    protected void abandon(HarvestQueue queue, QueueConsumer consumer) {
        ((RedisHarvestQueue) queue).stopHeartbeat(consumer);
    }

    @Override
    protected void cleanUp(String siteId) {
        RedisTestSupport.deleteSiteKeys(siteId);
    }

    @Override
    protected String siteIdPrefix() {
        return "it-redis";
    }
}
