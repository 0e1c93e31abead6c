package dev.harvest.core;

import dev.harvest.api.Harvester;
import dev.harvest.api.catalog.CatalogProvider;
import dev.harvest.api.queue.HarvestQueueProvider;
import dev.harvest.core.config.EngineSettings;
import dev.harvest.core.config.SettingDeclarations;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The plugins of one engine: the harvesters, queue backends and catalogs that {@link ServiceLoader} finds (plus the
 * harvesters registered by hand), and the settings they declare.
 */
public final class Plugins {

    private final List<Harvester> harvesters;
    private final List<HarvestQueueProvider> queues;
    private final List<CatalogProvider> catalogs;

    private Plugins(List<Harvester> harvesters, List<HarvestQueueProvider> queues, List<CatalogProvider> catalogs) {
        this.harvesters = harvesters;
        this.queues = queues;
        this.catalogs = catalogs;
    }

    /**
     * Finds the plugins on a class path.
     *
     * @param classLoader where to look ({@code META-INF/services/dev.harvest.api.*})
     * @param withHarvesters whether to look for harvesters too, or only for queue backends and catalogs
     * @return the plugins
     * @throws HarvestException if a plugin cannot be loaded, naming it
     */
    public static Plugins discover(ClassLoader classLoader, boolean withHarvesters) {
        return new Plugins(
                withHarvesters ? load(Harvester.class, classLoader) : List.of(),
                load(HarvestQueueProvider.class, classLoader),
                load(CatalogProvider.class, classLoader));
    }

    private static <T> List<T> load(Class<T> type, ClassLoader classLoader) {
        List<T> found = new ArrayList<>();
        try {
            ServiceLoader.load(type, classLoader).forEach(found::add);
        } catch (ServiceConfigurationError e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new HarvestException("Cannot load a " + type.getSimpleName() + " plugin: " + e.getMessage()
                    + (cause == e ? "" : " (" + cause + ")"));
        }
        return List.copyOf(found);
    }

    /**
     * @param more harvesters registered by hand
     * @return these plugins with those harvesters added
     */
    public Plugins withHarvesters(Collection<Harvester> more) {
        List<Harvester> all = new ArrayList<>(harvesters);
        all.addAll(more);
        return new Plugins(List.copyOf(all), queues, catalogs);
    }

    /** @return the harvesters, discovered ones first */
    public List<Harvester> harvesters() {
        return harvesters;
    }

    /** @return every setting the engine and these plugins declare, with its owner */
    public SettingDeclarations settings() {
        SettingDeclarations declarations = new SettingDeclarations().add(EngineSettings.OWNER, EngineSettings.ALL);
        harvesters.forEach(h -> declarations.add("harvester " + h.info().name(), h.settings()));
        queues.forEach(q -> declarations.add("queue " + q.type(), q.settings()));
        catalogs.forEach(c -> declarations.add("catalog " + c.type(), c.settings()));
        return declarations;
    }

    /**
     * @param type a {@code ckan.harvest.mq.type} value or alias
     * @return the backend of that type
     */
    public Optional<HarvestQueueProvider> queue(String type) {
        return queues.stream().filter(q -> q.type().equals(type) || q.aliases().contains(type)).findFirst();
    }

    /** @return the queue types on the class path, for messages */
    public List<String> queueTypes() {
        return queues.stream().map(HarvestQueueProvider::type).sorted().toList();
    }

    /**
     * @param type a {@code harvest.catalog.type} value
     * @return the catalog provider of that type
     */
    public Optional<CatalogProvider> catalog(String type) {
        return catalogs.stream().filter(c -> c.type().equals(type)).findFirst();
    }

    /** @return the catalog types on the class path, for messages */
    public List<String> catalogTypes() {
        return catalogs.stream().map(CatalogProvider::type).sorted().toList();
    }
}
