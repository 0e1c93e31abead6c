package dev.harvest.queue.amqp;

import dev.harvest.api.SettingDefinition;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.queue.HarvestQueueProvider;
import dev.harvest.api.queue.QueueException;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AmqpQueueProviderTest {

    @Test
    void theLegacySpellingAmpqSelectsThisProviderThroughTheServiceLoader() {
        List<HarvestQueueProvider> matches = providersAccepting("ampq");

        assertEquals(1, matches.size(), "providers accepting ampq: " + matches);
        assertInstanceOf(AmqpQueueProvider.class, matches.get(0));
    }

    @Test
    void theTypeAmqpSelectsThisProviderThroughTheServiceLoader() {
        List<HarvestQueueProvider> matches = providersAccepting("amqp");

        assertEquals(1, matches.size(), "providers accepting amqp: " + matches);
        assertInstanceOf(AmqpQueueProvider.class, matches.get(0));
    }

    @Test
    void itDeclaresEveryKeyItReads() {
        Set<String> keys = new AmqpQueueProvider().settings().stream().map(SettingDefinition::key)
                .collect(java.util.stream.Collectors.toSet());

        assertTrue(keys.containsAll(Set.of("ckan.harvest.mq.hostname", "ckan.harvest.mq.port",
                "ckan.harvest.mq.user_id", "ckan.harvest.mq.password", "ckan.harvest.mq.virtual_host",
                "harvest.mq.amqp.prefetch", "harvest.mq.amqp.heartbeat_seconds")), "keys: " + keys);
        assertTrue(keys.stream()
                .allMatch(key -> key.startsWith("ckan.harvest.mq.") || key.startsWith("harvest.mq.amqp.")),
                "keys: " + keys);
    }

    @Test
    void anInvalidSettingFailsTheOpeningBeforeAnyConnectionIsTried() {
        QueueException failure = assertThrows(QueueException.class, () -> new AmqpQueueProvider()
                .open(RabbitMqTestBroker.settings("unused", Map.of("harvest.mq.amqp.prefetch", "many"))));

        assertTrue(failure.getMessage().contains("harvest.mq.amqp.prefetch"), failure.getMessage());
    }

    private static List<HarvestQueueProvider> providersAccepting(String type) {
        return ServiceLoader.load(HarvestQueueProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(provider -> provider.type().equals(type) || provider.aliases().contains(type))
                .toList();
    }
}
