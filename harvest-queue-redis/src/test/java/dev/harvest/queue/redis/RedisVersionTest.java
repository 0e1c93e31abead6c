package dev.harvest.queue.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.queue.HarvestQueue;
import dev.harvest.testkit.ExternalServices;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** The backend needs Redis 6.2 (BLMOVE): the server's version is read from INFO at connect. */
class RedisVersionTest {

    /** The start of {@code INFO server} as Redis 6.0 sends it (Debian 11's redis-server), CRLF line ends. */
    static final String REDIS_6_0_INFO = "# Server\r\nredis_version:6.0.16\r\nredis_git_sha1:00000000\r\n"
            + "redis_git_dirty:0\r\nredis_build_id:6d95e1af3a2c082a\r\nredis_mode:standalone\r\n"
            + "os:Linux 5.10.0-28-amd64 x86_64\r\narch_bits:64\r\n";

    static final String REDIS_6_2_INFO = "# Server\r\nredis_version:6.2.14\r\nredis_git_sha1:00000000\r\n"
            + "redis_git_dirty:0\r\nredis_build_id:7b6f0b5f1cbd8d2e\r\nredis_mode:standalone\r\n";

    static final String VALKEY_8_INFO = "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\n"
            + "valkey_version:8.0.1\r\nredis_git_sha1:00000000\r\n";

    @Test
    void redis60IsRefusedWithOneLineNamingThe62RequirementAndBlmove() {
        RedisVersion version = RedisVersion.fromInfo(REDIS_6_0_INFO).orElseThrow();

        assertEquals("6.0.16", version.text());
        assertFalse(version.supportsBlmove());
        assertEquals("Redis at redis.example.org:6379/0 (from ckan.harvest.mq.hostname/ckan.harvest.mq.port) is"
                + " version 6.0.16; the redis queue backend needs Redis 6.2 or newer (its consumers move messages"
                + " with BLMOVE, new in 6.2)",
                version.tooOld("redis.example.org:6379/0 (from ckan.harvest.mq.hostname/ckan.harvest.mq.port)"));
        assertEquals(1, version.tooOld("x").lines().count());
    }

    @Test
    void redis62AndLaterAndValkeyAreAccepted() {
        assertTrue(RedisVersion.fromInfo(REDIS_6_2_INFO).orElseThrow().supportsBlmove());
        assertTrue(RedisVersion.fromInfo(VALKEY_8_INFO).orElseThrow().supportsBlmove());
        assertTrue(new RedisVersion(10, 0, "10.0").supportsBlmove());
        assertFalse(new RedisVersion(5, 9, "5.9").supportsBlmove());
    }

    @Test
    void aServerThatHidesItsVersionIsNotRefused() {
        assertEquals(Optional.empty(), RedisVersion.fromInfo("# Server\r\nredis_mode:standalone\r\n"));
    }

    @Test
    void theRealServersVersionIsReadFromItsInfoAndTheQueueConnects() throws Exception {
        ExternalServices.requireRedis();
        String info;
        try (Jedis jedis = RedisTestSupport.jedis()) {
            info = jedis.info("server");
        }
        RedisVersion version = RedisVersion.fromInfo(info).orElseThrow();
        assertTrue(info.contains("redis_version:" + version.text()), info);
        assertTrue(version.supportsBlmove(), "the test server is " + version.text());

        try (HarvestQueue queue = new RedisQueueProvider().open(RedisTestSupport.settings("version-check",
                Map.of()))) {
            assertEquals(0, queue.waitingCount(dev.harvest.api.queue.QueueName.FETCH));
        }
    }
}
