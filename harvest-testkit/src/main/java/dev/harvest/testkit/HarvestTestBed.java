package dev.harvest.testkit;

import dev.harvest.api.HarvestSource;
import dev.harvest.api.Harvester;
import dev.harvest.api.Settings;
import dev.harvest.api.ValidationContext;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.core.Harvest;
import dev.harvest.core.HarvestException;
import dev.harvest.core.JobReport;
import dev.harvest.core.SourceRequest;
import dev.harvest.core.SourceUpdate;
import dev.harvest.api.http.OutboundPolicy;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.store.HarvestQueries.ObjectSummary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a harvester through the real engine, the way {@code harvester run_test} does: gather, fetch and import of a
 * whole job in the test's thread, on an H2 database in a temporary directory, with the embedded catalog (or one the
 * test gives), the in-process queue and a clock the test controls.
 *
 * <pre>{@code
 * try (FixtureServer remote = FixtureServer.start();
 *         HarvestTestBed testBed = HarvestTestBed.of(new MyHarvester())) {
 *     remote.serveResource("/catalog.json", "application/json", "fixtures/catalog.json");
 *     HarvestSource source = testBed.source("portal", remote.url("/catalog.json"), "");
 *
 *     HarvestResult result = testBed.harvest(source);
 *
 *     result.assertFinishedWithoutErrors().assertCounts(3, 0, 0, 0, 0);
 *     assertEquals("Trees", testBed.dataset("trees").orElseThrow().title());
 * }
 * }</pre>
 *
 * <p>Each test bed is its own harvest site: its own database, catalog and sources. Close it after the test; it then
 * deletes the directory it created.
 *
 * <p>Jobs get their times from the clock. When the clock is a {@link MutableClock} (the default), each
 * {@link #harvest(HarvestSource)} first moves it forward by one second, so that two jobs never share a start time,
 * as real ones never do; the engine picks "the latest job" and "the last error-free job" by those times.
 */
public final class HarvestTestBed implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(HarvestTestBed.class);

    /** What every harvest moves a {@link MutableClock} forward by, so that jobs are ordered as in reality. */
    private static final Duration BETWEEN_JOBS = Duration.ofSeconds(1);

    private final Harvest harvest;
    private final String defaultType;
    private final Clock clock;
    private final Path dataDirectory;
    private final boolean ownsDataDirectory;

    private HarvestTestBed(Harvest harvest, String defaultType, Clock clock, Path dataDirectory,
            boolean ownsDataDirectory) {
        this.harvest = harvest;
        this.defaultType = defaultType;
        this.clock = clock;
        this.dataDirectory = dataDirectory;
        this.ownsDataDirectory = ownsDataDirectory;
    }

    /** @return a builder, to add settings, a catalog, a clock or more harvesters */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A test bed for one harvester with every default: a new temporary directory, the embedded catalog, a
     * {@link MutableClock} at the current time, no settings but {@code harvest.http.allow_private_addresses = true},
     * so that the harvester may reach fixture servers on loopback.
     *
     * @param harvester the harvester under test
     * @return the open test bed
     */
    public static HarvestTestBed of(Harvester harvester) {
        return builder().harvester(harvester).build();
    }

    /**
     * Creates a source of the first harvester, active and harvested manually.
     *
     * @param name the source's unique name: 2 to 100 lowercase letters, digits, {@code -} and {@code _}
     * @param url the remote's URL, e.g. {@code server.url("/oai")}
     * @param config the harvester configuration, usually JSON; {@code null} or empty for none
     * @return the created source, with its configuration as the harvester's {@code validateConfig} returned it
     * @throws InvalidSourceException if the engine or the harvester refuses the source
     */
    public HarvestSource source(String name, String url, String config) {
        return source(SourceSpec.of(name, url).withConfig(config));
    }

    /**
     * Creates a source with a title, an owner organization, a frequency or another harvester's type.
     *
     * @param spec the source
     * @return the created source, with its configuration as the harvester's {@code validateConfig} returned it
     * @throws InvalidSourceException if the engine or the harvester refuses the source
     */
    public HarvestSource source(SourceSpec spec) {
        String type = spec.type() == null ? defaultType : spec.type();
        SourceRequest request = new SourceRequest(spec.name(), spec.url(), type, spec.title(), true, spec.ownerOrg(),
                spec.frequency(), spec.config());
        try {
            return harvest.createSource(request);
        } catch (HarvestException e) {
            throw new InvalidSourceException(e.getMessage(), e.fieldErrors(), e);
        }
    }

    /**
     * Makes sure the catalog has an organization of this name (the engine refuses a source whose {@code owner_org}
     * the catalog does not know), creating it with the name as its id when it is missing.
     *
     * @param name the organization's name
     * @return the organization's id, to compare with datasets' {@code owner_org}
     */
    public String organization(String name) {
        try {
            Optional<CatalogGroup> existing = catalog().findGroup(GroupKind.ORGANIZATION, name);
            if (existing.isPresent()) {
                return existing.get().id();
            }
            return catalog().createGroup(GroupKind.ORGANIZATION, new CatalogGroup(Map.of("id", name, "name", name)))
                    .id();
        } catch (CatalogException e) {
            throw new IllegalStateException("Cannot create organization " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Changes a source's configuration between two jobs, as {@code harvester source update NAME --config JSON} does:
     * the harvester's {@code validateConfig} checks the new configuration, and what it returns is stored.
     *
     * @param source a source of this test bed
     * @param config the new configuration
     * @return the source as the engine now reads it
     * @throws InvalidSourceException if the engine or the harvester refuses the configuration
     */
    public HarvestSource reconfigure(HarvestSource source, String config) {
        Objects.requireNonNull(source, "source");
        try {
            return harvest.updateSource(source.id(), new SourceUpdate(null, null, config == null ? "" : config, null,
                    null, null));
        } catch (HarvestException e) {
            throw new InvalidSourceException(e.getMessage(), e.fieldErrors(), e);
        }
    }

    /**
     * Runs a whole harvest job of a source in this thread and returns what it did. Exceptions of the harvester are
     * recorded by the engine as gather or object errors, as in production: they never escape from here.
     *
     * @param source a source of this test bed
     * @return the ended job
     * @throws RuntimeException if the engine refuses to start a job: the source is unknown or inactive
     */
    public HarvestResult harvest(HarvestSource source) {
        return harvest(source, null);
    }

    /**
     * Runs a harvest job of a source limited to some records, imported even if unchanged (what
     * {@code harvester run_test SOURCE GUID...} does). The gather lists the whole remote but creates objects for the
     * chosen guids only; the job ends {@code Finished} with statistics of those records alone, infers no deletions,
     * never counts as the last error-free job of an incremental harvest, and records a gather error for a chosen
     * guid that the remote did not list.
     *
     * @param source a source of this test bed
     * @param guids the guids to fetch and import; {@code null} for all
     * @return the ended job
     * @throws RuntimeException if the engine refuses to start a job: the source is unknown or inactive
     */
    public HarvestResult harvest(HarvestSource source, Set<String> guids) {
        Objects.requireNonNull(source, "source");
        if (clock instanceof MutableClock mutable) {
            mutable.advance(BETWEEN_JOBS);
        }
        JobReport report = harvest.runTest(source.id(), guids);
        return result(report);
    }

    /**
     * Looks a dataset up in the catalog, as the engine and harvesters do.
     *
     * @param idOrName a dataset id or name
     * @return the dataset, deleted ones included (with {@code state} {@code deleted}), or empty
     * @throws IllegalStateException if the catalog cannot be read
     */
    public Optional<Dataset> dataset(String idOrName) {
        try {
            return harvest.catalog().findDataset(idOrName);
        } catch (CatalogException e) {
            throw new IllegalStateException("Cannot read dataset " + idOrName + " from the catalog: "
                    + e.getMessage(), e);
        }
    }

    /**
     * The active datasets that a source's harvests created or updated, by name. The catalog interface has no
     * listing, so these are the datasets its harvest objects point to, looked up one by one.
     *
     * @param source a source of this test bed
     * @return its active datasets, sorted by name
     * @throws IllegalStateException if the catalog cannot be read
     */
    public List<Dataset> datasets(HarvestSource source) {
        List<Dataset> datasets = new ArrayList<>();
        for (String id : harvest.stores().sources().packageIdsOfSource(source.id())) {
            dataset(id).filter(dataset -> "active".equals(dataset.state())).ifPresent(datasets::add);
        }
        datasets.sort(Comparator.comparing(Dataset::name, Comparator.nullsLast(Comparator.naturalOrder())));
        return datasets;
    }

    /** @return the catalog harvests write to: the embedded one, or the one given to the builder */
    public Catalog catalog() {
        return harvest.catalog();
    }

    /** @return the site-wide settings the harvester sees, with the ones given to the builder */
    public Settings settings() {
        return harvest.settings();
    }

    /**
     * What the engine hands to {@link Harvester#validateConfig(String, ValidationContext)}, for a test that calls
     * it directly.
     *
     * @return the test bed's catalog and settings
     */
    public ValidationContext validationContext() {
        return harvest.validationContext();
    }

    /** @return the clock that jobs, leases and the embedded catalog's timestamps read */
    public Clock clock() {
        return clock;
    }

    /**
     * Moves the clock forward, e.g. past an incremental harvester's window or a source's schedule.
     *
     * @param duration how far
     * @throws IllegalStateException if the builder was given a clock that is not a {@link MutableClock}
     */
    public void advanceClock(Duration duration) {
        if (!(clock instanceof MutableClock mutable)) {
            throw new IllegalStateException("The test bed's clock is a " + clock.getClass().getName()
                    + ", which cannot be moved: give the builder a MutableClock");
        }
        mutable.advance(duration);
    }

    /** @return the directory that holds the test bed's H2 database */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /**
     * The engine itself, for what the test bed does not offer (jobs, {@code clearSource}, {@code removeSource},
     * queries). It is engine-internal API, not part of the plugin API: it may change between harvest releases
     * without notice, so a plugin's tests that use it may need changes when harvest is upgraded.
     *
     * @return the engine of this test bed
     */
    public Harvest engine() {
        return harvest;
    }

    /** Closes the engine and its database, and deletes the data directory if the test bed created it. */
    @Override
    public void close() {
        try {
            harvest.close();
        } finally {
            if (ownsDataDirectory) {
                deleteRecursively(dataDirectory);
            }
        }
    }

    private HarvestResult result(JobReport report) {
        Map<String, String> contents = contentsOfJob(report.job().id());
        List<HarvestedObject> objects = new ArrayList<>();
        for (ObjectSummary object : report.objects()) {
            objects.add(new HarvestedObject(object.id(), object.guid(), object.state(), object.reportStatus(),
                    object.packageId(), object.current(), contents.get(object.id()), object.errors()));
        }
        List<String> gatherErrors = new ArrayList<>(report.gatherErrors());
        // The engine lists them newest first, for an operator; a test reads them in the order they happened.
        Collections.reverse(gatherErrors);
        return new HarvestResult(report.job().id(), report.source().name(), report.job().status(),
                report.stats().counts(), gatherErrors, objects);
    }

    /**
     * The stored content of a job's objects. The engine's report has no content, so this reads ckanext-harvest's
     * {@code harvest_object} table directly, with plain JDBC so that the testkit needs no Hibernate API.
     */
    private Map<String, String> contentsOfJob(String jobId) {
        Map<String, String> contents = new HashMap<>();
        try (Connection connection = harvest.stores().database().dataSource().getConnection();
                PreparedStatement select = connection.prepareStatement(
                        "select id, content from harvest_object where harvest_job_id = ?")) {
            select.setString(1, jobId);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    contents.put(rows.getString(1), rows.getString(2));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot read the contents of job " + jobId + ": " + e.getMessage(), e);
        }
        return contents;
    }

    /**
     * The engine's configuration: H2 in the data directory, the in-process queue,
     * {@code harvest.http.allow_private_addresses = true} (fixture servers are on loopback), and the test's settings. The
     * engine checks them when it starts, against what it and the harvesters declare: a key that no harvester
     * declares in {@link dev.harvest.api.Harvester#settings()} is rejected, as it would be in production.
     */
    private static HarvestConfig config(Path dataDirectory, Map<String, String> settings) {
        Map<String, String> values = new LinkedHashMap<>();
        // Fixture servers listen on loopback, which the outbound HTTP policy refuses in production; a test that checks
        // the policy sets the key back to false with setting(...).
        values.put(OutboundPolicy.ALLOW_PRIVATE_ADDRESSES, "true");
        values.putAll(settings);
        values.put("harvest.data_dir", dataDirectory.toString());
        // run_test needs no queue, but the engine opens one for other commands: never a shared broker in a test.
        values.put("ckan.harvest.mq.type", "memory");
        return HarvestConfig.of(values);
    }

    private static void deleteRecursively(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException | UncheckedIOException e) {
            // A leftover temporary directory is not worth failing a test that passed.
            LOGGER.warn("Could not delete the test bed's directory {}: {}", directory, e.toString());
        }
    }

    /** Assembles a {@link HarvestTestBed}. */
    public static final class Builder {
        private final List<Harvester> harvesters = new ArrayList<>();
        private final Map<String, String> settings = new LinkedHashMap<>();
        private Catalog catalog;
        private Clock clock;
        private Path dataDirectory;

        private Builder() {}

        /**
         * Registers a harvester. The first one is the type of {@link HarvestTestBed#source(String, String, String)};
         * the engine does not look for others on the class path, so a test runs exactly the harvesters it names.
         *
         * @param harvester a harvester
         * @return this builder
         */
        public Builder harvester(Harvester harvester) {
            harvesters.add(Objects.requireNonNull(harvester, "harvester"));
            return this;
        }

        /**
         * Sets a site-wide setting, e.g. {@code ckan.site_url} or a key the harvester reads from
         * {@link dev.harvest.api.Settings}.
         *
         * @param key the setting's key
         * @param value its value
         * @return this builder
         */
        public Builder setting(String key, String value) {
            settings.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Writes datasets to this catalog instead of the embedded one, e.g. a catalog the test inspects or a fake
         * that fails on purpose.
         *
         * @param catalog the catalog
         * @return this builder
         */
        public Builder catalog(Catalog catalog) {
            this.catalog = Objects.requireNonNull(catalog, "catalog");
            return this;
        }

        /**
         * The clock of jobs, leases and the embedded catalog. Give a {@link MutableClock} to move it from the test
         * (the default is one at the current time); any other clock cannot be moved.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Keeps the database in this directory (e.g. a JUnit {@code @TempDir}), which the test bed then leaves in
         * place. By default it creates a temporary directory and deletes it on close.
         *
         * @param directory an existing, preferably empty, directory
         * @return this builder
         */
        public Builder dataDirectory(Path directory) {
            this.dataDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /**
         * Creates the database and starts the engine.
         *
         * @return the open test bed; close it after the test
         * @throws IllegalStateException if no harvester was given, or two share a name
         * @throws RuntimeException if the engine refuses a setting
         */
        public HarvestTestBed build() {
            if (harvesters.isEmpty()) {
                throw new IllegalStateException("A test bed needs a harvester: call harvester(...) first");
            }
            Clock chosenClock = clock == null ? new MutableClock() : clock;
            boolean ownsDirectory = dataDirectory == null;
            Path directory;
            try {
                directory = ownsDirectory ? Files.createTempDirectory("harvest-testbed-") : dataDirectory;
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot create a directory for the test bed's database", e);
            }
            try {
                Harvest.Builder engine = Harvest.builder(config(directory, settings))
                        .discoverHarvesters(false)
                        .clock(chosenClock);
                harvesters.forEach(engine::harvester);
                if (catalog != null) {
                    engine.catalog(catalog);
                }
                return new HarvestTestBed(engine.build(), harvesters.get(0).info().name(), chosenClock, directory,
                        ownsDirectory);
            } catch (RuntimeException e) {
                if (ownsDirectory) {
                    deleteRecursively(directory);
                }
                throw e;
            }
        }
    }
}
