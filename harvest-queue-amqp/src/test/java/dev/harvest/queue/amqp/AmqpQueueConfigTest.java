package dev.harvest.queue.amqp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.Settings;
import dev.harvest.api.queue.QueueException;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AmqpQueueConfigTest {

    @Test
    void withoutSettingsItUsesTheDefaultsOfCkanextHarvestAndSafeTuning() throws Exception {
        AmqpQueueConfig config = AmqpQueueConfig.from(settings(Map.of()));

        assertEquals("default", config.siteId());
        assertEquals("localhost", config.hostname());
        assertEquals(5672, config.port());
        assertEquals("guest", config.userId());
        assertEquals("guest", config.password());
        assertEquals("/", config.virtualHost());
        assertEquals(1, config.prefetch());
        assertEquals(30, config.heartbeatSeconds());
        assertEquals(30_000, config.confirmTimeoutMillis());
        assertTrue(config.automaticRecovery());
    }

    @Test
    void everySettingIsRead() throws Exception {
        AmqpQueueConfig config = AmqpQueueConfig.from(settings(Map.of(
                "ckan.site_id", "site1",
                "ckan.harvest.mq.hostname", "rabbit.example.org",
                "ckan.harvest.mq.port", "5673",
                "ckan.harvest.mq.user_id", "harvester",
                "ckan.harvest.mq.password", "secret",
                "ckan.harvest.mq.virtual_host", "/ckan",
                "harvest.mq.amqp.prefetch", "10",
                "harvest.mq.amqp.heartbeat_seconds", "0",
                "harvest.mq.amqp.confirm_timeout_ms", "1000",
                "harvest.mq.amqp.recovery_interval_ms", " 250 ")));

        assertEquals(new AmqpQueueConfig("site1", "rabbit.example.org", 5673, "harvester", "secret", "/ckan", 10, 0,
                1000, 250, 10_000, true), config);
    }

    @Test
    void aPortThatIsNotANumberIsRejectedNamingTheKey() {
        QueueException failure = assertThrows(QueueException.class,
                () -> AmqpQueueConfig.from(settings(Map.of("ckan.harvest.mq.port", "amqp"))));

        assertTrue(failure.getMessage().contains("ckan.harvest.mq.port must be a whole number, not 'amqp'"),
                failure.getMessage());
    }

    @Test
    void aPrefetchOfZeroIsRejectedBecauseRabbitMqWouldReadItAsUnlimited() {
        QueueException failure = assertThrows(QueueException.class,
                () -> AmqpQueueConfig.from(settings(Map.of("harvest.mq.amqp.prefetch", "0"))));

        assertTrue(failure.getMessage().contains("harvest.mq.amqp.prefetch must be between 1 and 65535, not 0"),
                failure.getMessage());
    }

    @Test
    void allBadValuesAreReportedTogether() {
        QueueException failure = assertThrows(QueueException.class, () -> AmqpQueueConfig.from(settings(Map.of(
                "harvest.mq.amqp.heartbeat_seconds", "-1",
                "harvest.mq.amqp.confirm_timeout_ms", "soon",
                "ckan.harvest.mq.port", "70000"))));

        assertTrue(failure.getMessage().contains("harvest.mq.amqp.heartbeat_seconds"), failure.getMessage());
        assertTrue(failure.getMessage().contains("harvest.mq.amqp.confirm_timeout_ms"), failure.getMessage());
        assertTrue(failure.getMessage().contains("ckan.harvest.mq.port"), failure.getMessage());
    }

    @Test
    void theDescriptionLeavesThePasswordOut() throws Exception {
        AmqpQueueConfig config = AmqpQueueConfig.from(settings(Map.of("ckan.harvest.mq.password", "s3cr3t")));

        assertFalse(config.toString().contains("s3cr3t"), config.toString());
    }

    @Test
    void theConnectionFactoryTurnsOnHeartbeatsAndRecovery() throws Exception {
        var factory = AmqpQueueConfig.from(settings(Map.of("harvest.mq.amqp.heartbeat_seconds", "15")))
                .connectionFactory();

        assertEquals(15, factory.getRequestedHeartbeat());
        assertTrue(factory.isAutomaticRecoveryEnabled());
        assertTrue(factory.isTopologyRecoveryEnabled());
        assertEquals(5_000, factory.getNetworkRecoveryInterval());
    }

    private static Settings settings(Map<String, String> values) {
        return key -> Optional.ofNullable(values.get(key));
    }
}
