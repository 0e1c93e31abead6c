package dev.harvest.queue.redis;

import dev.harvest.api.SettingDefinition;
import dev.harvest.api.Settings;
import dev.harvest.api.queue.HarvestQueue;
import dev.harvest.api.queue.HarvestQueueProvider;
import dev.harvest.api.queue.QueueException;
import java.util.List;
import java.util.Set;

/**
 * The {@code redis} queue backend, found through {@code META-INF/services}. Reads the settings described in
 * {@link RedisQueueConfig}.
 */
public final class RedisQueueProvider implements HarvestQueueProvider {

    /** The {@code ckan.harvest.mq.type} value of this backend. */
    public static final String TYPE = "redis";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public List<SettingDefinition> settings() {
        return RedisQueueConfig.SETTINGS;
    }

    @Override
    public HarvestQueue open(Settings settings) throws QueueException {
        return new RedisHarvestQueue(RedisQueueConfig.from(settings));
    }
}
