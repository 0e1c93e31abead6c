package dev.harvest.queue.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.Settings;
import dev.harvest.api.queue.HarvestQueueProvider;
import dev.harvest.api.queue.QueueException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class RedisQueueConfigTest {

    @Test
    void withNothingSetItConnectsToLocalhostLikeCkanextHarvest() throws Exception {
        RedisQueueConfig config = RedisQueueConfig.from(settings(Map.of()));

        assertEquals("localhost", config.endpoint().getHost());
        assertEquals(6379, config.endpoint().getPort());
        assertEquals(0, config.database());
        assertNull(config.password());
        assertEquals("default", config.siteId());
    }

    @Test
    void theCkanextHarvestKeysAreRead() throws Exception {
        RedisQueueConfig config = RedisQueueConfig.from(settings(Map.of(
                "ckan.site_id", "site1",
                RedisQueueConfig.HOSTNAME, "redis.internal",
                RedisQueueConfig.PORT, "6380",
                RedisQueueConfig.PASSWORD, "s3cret",
                RedisQueueConfig.REDIS_DB, "4")));

        assertEquals("redis.internal", config.endpoint().getHost());
        assertEquals(6380, config.endpoint().getPort());
        assertEquals("s3cret", config.password());
        assertEquals(4, config.database());
        assertEquals("site1", config.siteId());
        assertFalse(config.toString().contains("s3cret"), "the password leaked into " + config);
    }

    @Test
    void ckanRedisUrlIsUsedWhenNoHostnameIsSet() throws Exception {
        RedisQueueConfig config = RedisQueueConfig.from(settings(Map.of(
                RedisQueueConfig.REDIS_URL, "redis://:pw@cache.example:6390/2",
                RedisQueueConfig.PORT, "1111")));

        assertEquals("cache.example", config.endpoint().getHost());
        assertEquals(6390, config.endpoint().getPort());
        assertEquals("pw", config.password());
        assertEquals(2, config.database());
        assertEquals(RedisQueueConfig.REDIS_URL, config.source());
    }

    @Test
    void aHostnameWinsOverCkanRedisUrl() throws Exception {
        RedisQueueConfig config = RedisQueueConfig.from(settings(Map.of(
                RedisQueueConfig.REDIS_URL, "redis://cache.example:6390/2",
                RedisQueueConfig.HOSTNAME, "queue.example")));

        assertEquals("queue.example", config.endpoint().getHost());
        assertEquals(6379, config.endpoint().getPort());
        assertEquals(0, config.database());
    }

    @Test
    void aPortThatIsNotANumberIsRejectedNamingTheKey() {
        QueueException failure = assertThrows(QueueException.class,
                () -> RedisQueueConfig.from(settings(Map.of(RedisQueueConfig.PORT, "sixthousand"))));

        assertTrue(failure.getMessage().contains("ckan.harvest.mq.port"), failure.getMessage());
        assertTrue(failure.getMessage().contains("sixthousand"), failure.getMessage());
    }

    @Test
    void aPortOutOfRangeIsRejectedNamingTheKey() {
        QueueException failure = assertThrows(QueueException.class,
                () -> RedisQueueConfig.from(settings(Map.of(RedisQueueConfig.PORT, "70000"))));

        assertTrue(failure.getMessage().contains("ckan.harvest.mq.port"), failure.getMessage());
    }

    @Test
    void aNegativeDatabaseIsRejectedNamingTheKey() {
        QueueException failure = assertThrows(QueueException.class,
                () -> RedisQueueConfig.from(settings(Map.of(RedisQueueConfig.REDIS_DB, "-1"))));

        assertTrue(failure.getMessage().contains("ckan.harvest.mq.redis_db"), failure.getMessage());
    }

    @Test
    void aMalformedRedisUrlIsRejectedNamingTheKey() {
        for (String url : List.of("http://cache.example:6379/0", "redis://cache.example:6379/notadb", "redis://[bad")) {
            QueueException failure = assertThrows(QueueException.class,
                    () -> RedisQueueConfig.from(settings(Map.of(RedisQueueConfig.REDIS_URL, url))), url);
            assertTrue(failure.getMessage().contains("ckan.redis.url"), url + ": " + failure.getMessage());
        }
    }

    @Test
    void theTuningKeysAreReadAndChecked() throws Exception {
        RedisQueueConfig config = RedisQueueConfig.from(settings(Map.of(
                RedisQueueConfig.CONSUMER_LEASE_SECONDS, "7",
                RedisQueueConfig.MAX_CONNECTIONS, "9",
                RedisQueueConfig.RETRY_ATTEMPTS, "2")));
        assertEquals(Duration.ofSeconds(7), config.consumerLease());
        assertEquals(9, config.maxConnections());
        assertEquals(2, config.retryAttempts());

        QueueException failure = assertThrows(QueueException.class, () -> RedisQueueConfig.from(
                settings(Map.of(RedisQueueConfig.CONSUMER_LEASE_SECONDS, "0"))));
        assertTrue(failure.getMessage().contains(RedisQueueConfig.CONSUMER_LEASE_SECONDS), failure.getMessage());
    }

    @Test
    void theProviderIsFoundByTheServiceLoaderAndDeclaresEveryKeyItReads() {
        HarvestQueueProvider provider = ServiceLoader.load(HarvestQueueProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(candidate -> candidate.type().equals("redis"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no provider of type redis"));

        List<String> keys = provider.settings().stream().map(dev.harvest.api.SettingDefinition::key).toList();
        assertTrue(keys.containsAll(List.of("ckan.harvest.mq.hostname", "ckan.harvest.mq.port",
                "ckan.harvest.mq.password", "ckan.harvest.mq.redis_db", "ckan.redis.url",
                RedisQueueConfig.CONSUMER_LEASE_SECONDS)), "declared: " + keys);
    }

    private static Settings settings(Map<String, String> values) {
        return key -> Optional.ofNullable(values.get(key));
    }
}
