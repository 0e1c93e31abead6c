package dev.harvest.core.engine;

import dev.harvest.api.Harvester;
import dev.harvest.api.Settings;
import dev.harvest.core.HarvestException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The harvesters of this process, keyed by {@code info().name}. Filled by the engine with what
 * {@link dev.harvest.core.Plugins} discovered and what was registered by hand; two harvesters with one name are an
 * error, never "first found wins".
 */
public final class HarvesterRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(HarvesterRegistry.class);

    private final Map<String, Harvester> byName = new LinkedHashMap<>();
    private final List<Harvester> started = new ArrayList<>();
    private boolean closed;

    /**
     * Registers one harvester.
     *
     * @param harvester the harvester
     * @return this registry
     * @throws IllegalStateException if another harvester has the same name
     */
    public synchronized HarvesterRegistry register(Harvester harvester) {
        String name = harvester.info().name();
        Harvester existing = byName.get(name);
        if (existing != null) {
            if (existing.getClass() == harvester.getClass()) {
                return this;
            }
            throw new IllegalStateException("Two harvesters are named '" + name + "': "
                    + existing.getClass().getName() + " and " + harvester.getClass().getName());
        }
        LOG.info("Registering harvester {} ({})", name, harvester.getClass().getName());
        byName.put(name, harvester);
        return this;
    }

    /**
     * @param name a source type
     * @return the harvester of that name
     */
    public synchronized Optional<Harvester> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** @return every registered harvester, in registration order */
    public synchronized Collection<Harvester> all() {
        return List.copyOf(byName.values());
    }

    /** @return the registered names, for messages */
    public synchronized List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /**
     * Calls {@link Harvester#start(Settings)} on every registered harvester, once.
     *
     * @param settings the checked site settings
     * @throws HarvestException naming the harvester whose start failed; those already started are then closed
     */
    public synchronized void startAll(Settings settings) {
        for (Harvester harvester : byName.values()) {
            if (started.contains(harvester)) {
                continue;
            }
            try {
                harvester.start(settings);
                started.add(harvester);
            } catch (Exception e) {
                closeAll();
                throw new HarvestException("Harvester " + harvester.info().name() + " cannot start: "
                        + (e.getMessage() == null ? e.toString() : e.getMessage()));
            }
        }
    }

    /** Calls {@link Harvester#close()} on every registered harvester, once; a failing close is logged. */
    public synchronized void closeAll() {
        if (closed) {
            return;
        }
        for (Harvester harvester : byName.values()) {
            try {
                harvester.close();
            } catch (RuntimeException e) {
                LOG.warn("Closing harvester {} failed: {}", harvester.info().name(), e.toString());
            }
        }
        started.clear();
        closed = true;
    }
}
