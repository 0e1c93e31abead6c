package dev.harvest.api.queue;

import dev.harvest.api.SettingDefinition;
import dev.harvest.api.Settings;
import java.util.List;
import java.util.Set;

/**
 * A queue backend, discovered with {@link java.util.ServiceLoader} through
 * {@code META-INF/services/dev.harvest.api.queue.HarvestQueueProvider} and chosen by {@code ckan.harvest.mq.type}.
 */
public interface HarvestQueueProvider {

    /** @return the {@code ckan.harvest.mq.type} value that selects this backend, e.g. {@code redis} */
    String type();

    /** @return other accepted spellings of the type, e.g. the legacy {@code ampq} */
    default Set<String> aliases() {
        return Set.of();
    }

    /**
     * The site settings this backend reads, so that the engine accepts them in the configuration file, rejects
     * unknown keys and lists them with {@code harvester config --list}.
     *
     * @return settings such as {@code ckan.harvest.mq.hostname}, with defaults and one-line descriptions
     */
    List<SettingDefinition> settings();

    /**
     * Opens a connection, namespaced by {@link Settings#siteId()}.
     *
     * @param settings the site-wide settings
     * @return the queue
     * @throws QueueException if the settings are invalid (the message names the key) or the backend is unreachable
     */
    HarvestQueue open(Settings settings) throws QueueException;
}
