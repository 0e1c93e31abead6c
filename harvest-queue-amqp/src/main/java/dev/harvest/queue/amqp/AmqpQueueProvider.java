package dev.harvest.queue.amqp;

import dev.harvest.api.SettingDefinition;
import dev.harvest.api.Settings;
import dev.harvest.api.queue.HarvestQueue;
import dev.harvest.api.queue.HarvestQueueProvider;
import dev.harvest.api.queue.QueueException;
import java.util.List;
import java.util.Set;

/**
 * The RabbitMQ backend, selected by {@code ckan.harvest.mq.type=amqp} or by ckanext-harvest's legacy spelling
 * {@code ampq}. Registered in {@code META-INF/services/dev.harvest.api.queue.HarvestQueueProvider}.
 */
public final class AmqpQueueProvider implements HarvestQueueProvider {

    /** The {@code ckan.harvest.mq.type} that selects this backend. */
    public static final String TYPE = "amqp";

    /** The misspelling ckanext-harvest has always accepted as well. */
    public static final String LEGACY_TYPE = "ampq";

    /** Creates the provider; called by {@link java.util.ServiceLoader}. */
    public AmqpQueueProvider() {}

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Set<String> aliases() {
        return Set.of(LEGACY_TYPE);
    }

    @Override
    public List<SettingDefinition> settings() {
        return AmqpQueueConfig.SETTINGS;
    }

    /**
     * Connects to RabbitMQ and declares the exchange, the site's two queues and their bindings.
     *
     * @param settings the site-wide settings
     * @return the queue
     * @throws QueueException if a setting is invalid (the message names the key) or RabbitMQ is unreachable
     */
    @Override
    public HarvestQueue open(Settings settings) throws QueueException {
        return AmqpHarvestQueue.open(AmqpQueueConfig.from(settings));
    }
}
