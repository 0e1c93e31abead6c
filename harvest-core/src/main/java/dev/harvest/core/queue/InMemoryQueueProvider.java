package dev.harvest.core.queue;

import dev.harvest.api.SettingDefinition;
import dev.harvest.api.Settings;
import dev.harvest.api.queue.HarvestQueue;
import dev.harvest.api.queue.HarvestQueueProvider;
import java.util.List;

/**
 * The {@code memory} queue backend: an {@link InMemoryHarvestQueue} per {@link #open(Settings)}, for the embedded
 * default where the engine and its consumers run in one process. It reads no settings besides {@code ckan.site_id}.
 */
public final class InMemoryQueueProvider implements HarvestQueueProvider {

    /** The {@code ckan.harvest.mq.type} value of this backend. */
    public static final String TYPE = "memory";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public List<SettingDefinition> settings() {
        return List.of();
    }

    @Override
    public HarvestQueue open(Settings settings) {
        return new InMemoryHarvestQueue(settings.siteId());
    }
}
