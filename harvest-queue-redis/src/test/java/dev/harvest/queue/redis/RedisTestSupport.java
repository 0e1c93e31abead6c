package dev.harvest.queue.redis;

import dev.harvest.api.Settings;
import dev.harvest.testkit.ExternalServices;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ClientKillParams;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/** Direct access to the test Redis, to look behind the queue's back: raw keys, cleanup, killed connections. */
final class RedisTestSupport {

    private RedisTestSupport() {}

    /** Settings pointing at the test Redis for one site, with extra keys. */
    static Settings settings(String siteId, Map<String, String> extra) {
        Map<String, String> values = new HashMap<>();
        values.put("ckan.site_id", siteId);
        values.put(RedisQueueConfig.HOSTNAME, ExternalServices.redisHost());
        values.put(RedisQueueConfig.PORT, Integer.toString(ExternalServices.redisPort()));
        values.putAll(extra);
        return key -> Optional.ofNullable(values.get(key));
    }

    /** A plain connection to database 0, outside any pool. */
    static Jedis jedis() {
        return new Jedis(ExternalServices.redisHost(), ExternalServices.redisPort());
    }

    /** Every key of a site (test-only use of SCAN: the queue itself never scans the keyspace). */
    static List<String> siteKeys(Jedis jedis, String siteId) {
        List<String> keys = new ArrayList<>();
        ScanParams params = new ScanParams().match("ckanext-harvest:" + siteId + ":*").count(1_000);
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
            ScanResult<String> page = jedis.scan(cursor, params);
            keys.addAll(page.getResult());
            cursor = page.getCursor();
        } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        return keys;
    }

    static void deleteSiteKeys(String siteId) {
        try (Jedis jedis = jedis()) {
            List<String> keys = siteKeys(jedis, siteId);
            if (!keys.isEmpty()) {
                jedis.del(keys.toArray(String[]::new));
            }
        }
    }

    /**
     * Kills every connection Redis has with the given client name, as a Redis restart or a network failure would.
     *
     * @return how many connections were killed
     */
    static int killConnections(String clientName) {
        int killed = 0;
        try (Jedis jedis = jedis()) {
            for (String line : jedis.clientList().split("\n")) {
                Map<String, String> fields = new HashMap<>();
                for (String field : line.trim().split(" ")) {
                    int equals = field.indexOf('=');
                    if (equals > 0) {
                        fields.put(field.substring(0, equals), field.substring(equals + 1));
                    }
                }
                if (clientName.equals(fields.get("name"))) {
                    killed += (int) jedis.clientKill(new ClientKillParams().id(fields.get("id")));
                }
            }
        }
        return killed;
    }

    /** Waits until a condition holds, failing after the timeout. */
    static void awaitUntil(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting until " + what);
            }
            Thread.sleep(20);
        }
    }
}
