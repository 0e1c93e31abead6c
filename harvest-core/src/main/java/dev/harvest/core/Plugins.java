package dev.harvest.core;

import dev.harvest.api.Harvester;
import dev.harvest.api.catalog.CatalogProvider;
import dev.harvest.api.queue.HarvestQueueProvider;
import dev.harvest.core.config.EngineSettings;
import dev.harvest.core.config.SettingDeclarations;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugins of one engine: the harvesters, queue backends and catalogs that {@link ServiceLoader} finds (plus the
 * harvesters registered by hand), and the settings they declare.
 *
 * <p>A plugin that cannot be loaded does not take the others down: a provider class that is missing, fails its
 * static initializer or constructor, or whose {@code info()}, {@code type()} or {@code settings()} throws, is left
 * out and recorded as a {@link Failure} naming the provider class and the jar that declares it. Commands that do not
 * need it work as before; the command line prints the failures, so that a command needing the missing harvester type
 * says why it is missing.
 */
public final class Plugins {

    private static final Logger LOG = LoggerFactory.getLogger(Plugins.class);

    /** The most providers (good or broken) read from one service type: a bound on a loader that never ends. */
    private static final int MAX_PROVIDERS = 1000;

    /**
     * A plugin that was not loaded.
     *
     * @param service the extension point, e.g. {@code Harvester}
     * @param provider the provider class named in the jar's {@code META-INF/services} file, or {@code unknown}
     * @param location the jar (or folder) that declares it, or {@code unknown}
     * @param reason why it was not loaded, one line
     */
    public record Failure(String service, String provider, String location, String reason) {
        /** @return one line naming the plugin, its jar and the reason */
        public String describe() {
            return service + " plugin " + provider + " in " + location + " was not loaded: " + reason;
        }
    }

    private final List<Harvester> harvesters;
    private final List<HarvestQueueProvider> queues;
    private final List<CatalogProvider> catalogs;
    private final List<Failure> failures;

    private Plugins(List<Harvester> harvesters, List<HarvestQueueProvider> queues, List<CatalogProvider> catalogs,
            List<Failure> failures) {
        this.harvesters = harvesters;
        this.queues = queues;
        this.catalogs = catalogs;
        this.failures = failures;
    }

    /**
     * Finds the plugins on a class path, leaving out (and recording) those that cannot be loaded.
     *
     * @param classLoader where to look ({@code META-INF/services/dev.harvest.api.*})
     * @param withHarvesters whether to look for harvesters too, or only for queue backends and catalogs
     * @return the plugins
     */
    public static Plugins discover(ClassLoader classLoader, boolean withHarvesters) {
        List<Failure> failures = new ArrayList<>();
        List<Harvester> harvesters = withHarvesters
                ? load(Harvester.class, classLoader, failures, h -> {
                    Objects.requireNonNull(h.info(), "info()").name();
                    Objects.requireNonNull(h.settings(), "settings()");
                })
                : List.of();
        List<HarvestQueueProvider> queues = load(HarvestQueueProvider.class, classLoader, failures, q -> {
            Objects.requireNonNull(q.type(), "type()");
            Objects.requireNonNull(q.settings(), "settings()");
            Objects.requireNonNull(q.aliases(), "aliases()");
        });
        List<CatalogProvider> catalogs = load(CatalogProvider.class, classLoader, failures, c -> {
            Objects.requireNonNull(c.type(), "type()");
            Objects.requireNonNull(c.settings(), "settings()");
        });
        failures.forEach(failure -> LOG.warn("{}", failure.describe()));
        return new Plugins(harvesters, queues, catalogs, List.copyOf(failures));
    }

    /** Checks that a loaded plugin answers what the engine asks of it before it is used. */
    @FunctionalInterface
    private interface Probe<T> {
        void check(T plugin);
    }

    private static <T> List<T> load(Class<T> type, ClassLoader classLoader, List<Failure> failures, Probe<T> probe) {
        List<T> found = new ArrayList<>();
        Iterator<T> providers = ServiceLoader.load(type, classLoader).iterator();
        String lastError = null;
        for (int read = 0; read < MAX_PROVIDERS; read++) {
            T plugin;
            try {
                if (!providers.hasNext()) {
                    break;
                }
                plugin = providers.next();
            } catch (ServiceConfigurationError | LinkageError e) {
                String error = String.valueOf(e.getMessage());
                if (error.equals(lastError)) {
                    break; // the loader cannot get past this one
                }
                lastError = error;
                failures.add(failure(type, classLoader, providerName(e), e));
                continue;
            }
            try {
                probe.check(plugin);
                found.add(plugin);
            } catch (RuntimeException | LinkageError e) {
                failures.add(failure(type, classLoader, plugin.getClass().getName(), e));
            }
        }
        return List.copyOf(found);
    }

    /** The provider class a ServiceLoader error is about: {@code <service>: Provider <class> <what went wrong>}. */
    private static String providerName(Throwable e) {
        Matcher matcher = PROVIDER.matcher(String.valueOf(e.getMessage()));
        return matcher.find() ? matcher.group(1) : "unknown";
    }

    private static final Pattern PROVIDER = Pattern.compile("Provider ([\\w.$]+)");

    private static Failure failure(Class<?> type, ClassLoader classLoader, String provider, Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String reason = cause == e ? oneLine(e) : oneLine(e) + " (" + oneLine(cause) + ")";
        return new Failure(type.getSimpleName(), provider, location(type, classLoader, provider), reason);
    }

    private static String oneLine(Throwable e) {
        String message = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("").strip();
        String text = message.isEmpty() ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + message;
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    /** The jar whose {@code META-INF/services} file names the provider. */
    private static String location(Class<?> type, ClassLoader classLoader, String provider) {
        try {
            Enumeration<URL> files = classLoader.getResources("META-INF/services/" + type.getName());
            while (files.hasMoreElements()) {
                URL file = files.nextElement();
                try (InputStream in = file.openStream()) {
                    String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    boolean names = text.lines().map(line -> line.replaceAll("#.*", "").strip())
                            .anyMatch(provider::equals);
                    if (names) {
                        return jarOf(file);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // the location only decorates the message
        }
        return "unknown";
    }

    private static String jarOf(URL servicesFile) {
        String text = servicesFile.toString();
        if (text.startsWith("jar:")) {
            String jar = text.substring(4, text.indexOf("!/") < 0 ? text.length() : text.indexOf("!/"));
            try {
                return java.nio.file.Path.of(java.net.URI.create(jar)).toString();
            } catch (RuntimeException notAFile) {
                return jar;
            }
        }
        return text;
    }

    /**
     * @param more harvesters registered by hand
     * @return these plugins with those harvesters added
     */
    public Plugins withHarvesters(Collection<Harvester> more) {
        List<Harvester> all = new ArrayList<>(harvesters);
        all.addAll(more);
        return new Plugins(List.copyOf(all), queues, catalogs, failures);
    }

    /** @return the plugins that were found but could not be loaded, each naming its class and jar */
    public List<Failure> failures() {
        return failures;
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
