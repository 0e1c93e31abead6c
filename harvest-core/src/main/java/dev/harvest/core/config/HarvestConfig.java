package dev.harvest.core.config;

import dev.harvest.api.Settings;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The site-wide configuration: ckanext-harvest's keys ({@code ckan.site_id}, {@code ckan.harvest.*}) plus the
 * database keys {@code harvest.db.url}, {@code harvest.db.user}, {@code harvest.db.password} (or CKAN's
 * {@code sqlalchemy.url}).
 *
 * <p>Without a file the embedded default applies: an H2 database in {@code ./harvest-data} and the in-process queue.
 * Unknown keys and bad values are rejected with a message naming the key, so that a typo never silently falls back
 * to a default.
 */
public final class HarvestConfig implements Settings {

    /** Worker threads of a process that says nothing of its use: an embedding application, a test. */
    private static final String DEFAULT_WORKERS_KEY = "harvest.consumer.threads";

    private static final org.slf4j.Logger LOGGER = org.slf4j.LoggerFactory.getLogger(HarvestConfig.class);

    private final Map<String, String> values;
    private final SettingDeclarations declarations;
    private final DatabaseUse databaseUse;
    /** Keys read from a CKAN {@code .ini} that the check drops, instead of refusing, when nobody declares them. */
    private final Set<String> tolerated;
    /** The tolerated keys the check dropped. */
    private final Set<String> ignored;

    private HarvestConfig(Map<String, String> values, SettingDeclarations declarations, DatabaseUse databaseUse,
            Set<String> tolerated, Set<String> ignored) {
        this.values = values;
        this.declarations = declarations;
        this.databaseUse = databaseUse;
        this.tolerated = tolerated;
        this.ignored = ignored;
    }

    private HarvestConfig(Map<String, String> values, SettingDeclarations declarations, DatabaseUse databaseUse) {
        this(values, declarations, databaseUse, Set.of(), Set.of());
    }

    private HarvestConfig(Map<String, String> values, SettingDeclarations declarations) {
        this(values, declarations, null);
    }

    /**
     * What one process does with the harvest database, so that its connection pool fits it: the name under which
     * its connections show in the database's session list ({@code pg_stat_activity.application_name}), and how many
     * threads use the database at once. See {@link #poolSize()}.
     *
     * @param name what the process runs, e.g. {@code fetch_consumer}; its connections are named
     *     {@code harvest <name> <pid>}
     * @param workers threads that each hold a connection while they work: a consumer's worker threads, the harvest
     *     thread of {@code run_test} and its progress reader; 1 for a one-shot command
     * @param fetches whether the process runs fetch batches, whose fetch lanes ({@code harvest.fetch_parallelism})
     *     may read the embedded catalog each with a connection of its own
     */
    public record DatabaseUse(String name, int workers, boolean fetches) {
        public DatabaseUse {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a database use needs a name");
            }
            if (workers < 1) {
                throw new IllegalArgumentException("a database use needs at least one worker, not " + workers);
            }
        }

        /**
         * @param command the command's name
         * @return a one-shot command: one thread at a time, no fetches
         */
        public static DatabaseUse oneShot(String command) {
            return new DatabaseUse(command, 1, false);
        }
    }

    /** Connections on top of the workers' for the process's housekeeping: lease heartbeats, the database log. */
    public static final int HOUSEKEEPING_CONNECTIONS = 2;

    /**
     * The pool size a process needs when {@code harvest.db.pool_size} does not say: one connection per worker
     * thread, {@code fetchParallelism - 1} more for a process that fetches (the extra lanes of one batch's fetch, for
     * harvesters that read the embedded catalog while fetching; the worker's own lane is already counted), and
     * {@value #HOUSEKEEPING_CONNECTIONS} for housekeeping.
     *
     * @param workers the threads that each hold a connection while they work
     * @param fetches whether the process runs fetch batches
     * @param fetchParallelism {@code harvest.fetch_parallelism}
     * @return the pool's maximum size
     */
    public static int poolSizeFor(int workers, boolean fetches, int fetchParallelism) {
        return workers + (fetches ? Math.max(0, fetchParallelism - 1) : 0) + HOUSEKEEPING_CONNECTIONS;
    }

    /**
     * This configuration for a process that uses the database as {@code use} says: its pool is sized from it
     * (unless {@code harvest.db.pool_size} is set) and its connections carry its name.
     *
     * @param use what the process does
     * @return a copy with that use
     */
    public HarvestConfig withDatabaseUse(DatabaseUse use) {
        return new HarvestConfig(values, declarations, use, tolerated, ignored);
    }

    /** @return what this process said it does with the database, or empty if it did not */
    public Optional<DatabaseUse> databaseUse() {
        return Optional.ofNullable(databaseUse);
    }

    /**
     * The most connections this process's pool opens: {@code harvest.db.pool_size} when it is set, else
     * {@link #poolSizeFor} of the {@linkplain #withDatabaseUse database use} (a process that said nothing counts as
     * a fetching process with {@code harvest.consumer.threads} workers).
     *
     * @return the pool's maximum size
     */
    public int poolSize() {
        if (isSet("harvest.db.pool_size")) {
            return intValue("harvest.db.pool_size");
        }
        int parallelism = intOr("harvest.fetch_parallelism", 4);
        if (databaseUse == null) {
            return poolSizeFor(intOr(DEFAULT_WORKERS_KEY, 4), true, parallelism);
        }
        return poolSizeFor(databaseUse.workers(), databaseUse.fetches(), parallelism);
    }

    /**
     * @return the connections the pool keeps open while the process is idle: {@code harvest.db.min_idle} (default
     *     1), at most {@link #poolSize()}
     */
    public int minIdle() {
        return Math.min(intOr("harvest.db.min_idle", 1), poolSize());
    }

    /**
     * @return the name the process's connections carry ({@code application_name} in PostgreSQL's
     *     {@code pg_stat_activity}): {@code harvest <command> <pid>}, or {@code harvest <pid>} for a process that did
     *     not say what it runs
     */
    public String applicationName() {
        long pid = ProcessHandle.current().pid();
        return databaseUse == null ? "harvest " + pid : "harvest " + databaseUse.name() + " " + pid;
    }

    /** An integer setting, or {@code fallback} when it is not an integer (the validation reports that). */
    private int intOr(String key, int fallback) {
        try {
            return get(key).map(Integer::parseInt).orElse(fallback);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /**
     * The embedded default: H2 in {@code dataDir}, in-process queue, embedded catalog.
     *
     * @param dataDir where the H2 database file lives
     * @return the configuration
     */
    public static HarvestConfig embedded(Path dataDir) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("harvest.data_dir", dataDir.toString());
        values.put("ckan.harvest.mq.type", "memory");
        return new HarvestConfig(values, SettingDeclarations.engine());
    }

    /**
     * A configuration from key/value pairs, not yet checked: the engine's builder checks it against the settings that
     * the engine and the loaded plugins declare ({@link #validated(SettingDeclarations)}).
     *
     * @param properties the keys and values
     * @return the configuration
     */
    public static HarvestConfig of(Map<String, String> properties) {
        Map<String, String> values = new LinkedHashMap<>();
        properties.forEach((key, value) -> values.put(key.strip(), value == null ? "" : value.strip()));
        return new HarvestConfig(values, SettingDeclarations.engine());
    }

    /**
     * Reads a configuration file, not yet checked (see {@link #of(Map)}): a properties file ({@code key = value}
     * lines, {@code #} comments), or a CKAN site's {@code .ini} file (one whose first line that is not a comment is a
     * {@code [section]} header), read by {@link #fromCkanIni}.
     *
     * @param file the file given with {@code --config}
     * @return the configuration
     * @throws ConfigException if the file cannot be read
     */
    public static HarvestConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("Cannot read the configuration file " + file + ": " + e.getMessage());
        }
        if (CkanIniFile.looksLikeIni(text)) {
            return fromCkanIni(file, text);
        }
        Properties properties = new Properties();
        try (Reader reader = new java.io.StringReader(text)) {
            properties.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("Cannot read the configuration file " + file + ": " + e.getMessage());
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (String name : properties.stringPropertyNames()) {
            map.put(name, properties.getProperty(name));
        }
        return of(map);
    }

    /**
     * A CKAN site's {@code .ini} file: the keys of its {@code [app:main]} section (with {@code [DEFAULT]} and
     * {@code %(here)s} interpolation) that harvest may know: {@code sqlalchemy.url}, {@code ckan.site_id},
     * {@code ckan.site_url}, {@code ckan.site_title}, {@code ckan.redis.url}, {@code ckan.harvest.*},
     * {@code ckanext.harvest.*}, {@code smtp.*}, and harvest's own {@code harvest.*}. CKAN's other keys are left out.
     * Of the CKAN keys, those that neither the engine nor a loaded plugin declares are dropped by the check with a
     * warning that lists the {@code ckan.harvest.*} ones (ckanext-harvest read keys harvest does not need); harvest's
     * own keys stay strict, as in a properties file.
     *
     * @param file the file
     * @param text its content
     * @return the configuration, not yet checked
     * @throws ConfigException if the file is not a readable CKAN ini file
     */
    public static HarvestConfig fromCkanIni(Path file, String text) {
        CkanIniFile.Extracted app = CkanIniFile.parse(file, text).appSettings();
        HarvestConfig config = of(app.settings());
        Set<String> tolerated = new TreeSet<>();
        config.values.keySet().stream().filter(key -> !key.startsWith("harvest.")).forEach(tolerated::add);
        return new HarvestConfig(config.values, config.declarations, null, Set.copyOf(tolerated), Set.of());
    }

    /**
     * Checks every key against the declared settings and the engine's values, and applies the declared defaults.
     *
     * @param declared what the engine and the loaded plugins declare
     * @return the checked configuration
     * @throws ConfigException naming every unknown key (with the plugins loaded) and every bad value at once
     */
    public HarvestConfig validated(SettingDeclarations declared) {
        Map<String, String> kept = values;
        Set<String> dropped = new TreeSet<>();
        for (String key : tolerated) {
            if (values.containsKey(key) && !declared.isDeclared(key)) {
                dropped.add(key);
            }
        }
        if (!dropped.isEmpty()) {
            kept = new LinkedHashMap<>(values);
            kept.keySet().removeAll(dropped);
            List<String> harvestKeys = dropped.stream()
                    .filter(key -> key.startsWith("ckan.harvest.") || key.startsWith("ckanext.harvest.")).toList();
            if (!harvestKeys.isEmpty()) {
                LOGGER.warn("Ignoring {} of the CKAN configuration file that harvest does not read: {}",
                        harvestKeys.size() == 1 ? "a ckan.harvest key" : harvestKeys.size() + " ckan.harvest keys",
                        String.join(", ", harvestKeys));
            }
        }
        HarvestConfig checked = new HarvestConfig(kept, declared, databaseUse, tolerated, Set.copyOf(dropped));
        checked.validate();
        return checked;
    }

    /** @return the keys of a CKAN {@code .ini} file that the check dropped because nobody declares them */
    public Set<String> ignoredKeys() {
        return ignored;
    }

    /** @return the declarations this configuration was checked against (the engine's alone before the check) */
    public SettingDeclarations declarations() {
        return declarations;
    }

    private void validate() {
        List<String> problems = new ArrayList<>();
        Set<String> unknown = new TreeSet<>();
        for (String key : values.keySet()) {
            if (!declarations.isDeclared(key)) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            problems.add("unknown configuration key" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
                    + " (declared by none of " + String.join(", ", declarations.owners()) + ")");
        }
        checkInteger(problems, "ckan.harvest.timeout", 1);
        checkInteger(problems, "ckan.harvest.log_timeframe", 0);
        checkInteger(problems, "ckan.harvest.harvest_source_limit", 1);
        checkInteger(problems, "harvest.db.pool_size", 1);
        checkInteger(problems, "harvest.retry_limit", 1);
        checkInteger(problems, "harvest.object_lease_seconds", 1);
        checkInteger(problems, "harvest.gather_lease_seconds", 1);
        checkInteger(problems, "harvest.gather_batch_size", 1);
        checkInteger(problems, "harvest.object_batch_size", 1);
        checkInteger(problems, "harvest.fetch_parallelism", 1);
        checkInteger(problems, "harvest.consumer.threads", 1);
        checkInteger(problems, "harvest.db.min_idle", 0);
        checkInteger(problems, "harvest.progress.interval_seconds", 1);
        checkInteger(problems, "harvest.stall_warning_minutes", 1);
        checkInteger(problems, "harvest.gather.max_objects", 1);
        checkInteger(problems, "harvest.gather.max_seconds", 1);
        checkInteger(problems, "harvest.gather.stalled_after_seconds", 1);
        checkInteger(problems, "harvest.gather.max_stalled", 0);
        get("harvest.gather.count_margin").ifPresent(value -> {
            try {
                if (!(Double.parseDouble(value) >= 0)) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                problems.add("harvest.gather.count_margin: must be a number from 0 up, not '" + value + "'");
            }
        });
        get("ckan.harvest.log_scope").ifPresent(scope -> {
            if (!scope.matches("-1|[0-7]")) {
                problems.add("ckan.harvest.log_scope: must be -1 (off) or 0 to 7, not '" + scope + "'");
            }
        });
        get("ckan.harvest.log_level").ifPresent(level -> {
            if (!level.toLowerCase().matches("debug|info|warning|error|critical")) {
                problems.add("ckan.harvest.log_level: must be debug, info, warning, error or critical, not '"
                        + level + "'");
            }
        });
        for (String key : List.of("ckan.harvest.status_mail.errored", "ckan.harvest.status_mail.all")) {
            get(key).ifPresent(value -> {
                if (!value.matches("(?i)true|false")) {
                    problems.add(key + ": must be true or false, not '" + value + "'");
                }
            });
        }
        get("ckanext.harvest.default_dataset_name_append").ifPresent(value -> {
            if (!value.equals("number-sequence") && !value.equals("random-hex")) {
                problems.add("ckanext.harvest.default_dataset_name_append: must be number-sequence or random-hex,"
                        + " not '" + value + "'");
            }
        });
        get("harvest.deletion_guard.max_share").ifPresent(value -> {
            try {
                double share = Double.parseDouble(value);
                if (share < 0 || share > 1) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                problems.add("harvest.deletion_guard.max_share: must be a number from 0 to 1, not '" + value + "'");
            }
        });
        get("sqlalchemy.url").ifPresent(url -> {
            if (get("harvest.db.url").isEmpty()) {
                try {
                    jdbcFromSqlAlchemy(url);
                } catch (ConfigException e) {
                    problems.add(e.getMessage());
                }
            }
        });
        get("harvest.db.url").ifPresent(url -> {
            if (!url.startsWith("jdbc:")) {
                problems.add("harvest.db.url: must be a JDBC URL such as jdbc:postgresql://localhost/harvest, not '"
                        + url + "'");
            }
        });
        if (!problems.isEmpty()) {
            throw new ConfigException("Invalid configuration: " + String.join("; ", problems));
        }
    }

    private void checkInteger(List<String> problems, String key, int min) {
        get(key).ifPresent(value -> {
            try {
                if (Integer.parseInt(value) < min) {
                    problems.add(key + ": must be at least " + min + ", not " + value);
                }
            } catch (NumberFormatException e) {
                problems.add(key + ": must be an integer, not '" + value + "'");
            }
        });
    }

    @Override
    public Optional<String> get(String key) {
        String value = values.get(key);
        if (value != null && !value.isEmpty()) {
            return Optional.of(value);
        }
        return declarations.defaultValue(key);
    }

    /**
     * @param key an integer key
     * @return its value or default
     */
    public int intValue(String key) {
        return Integer.parseInt(get(key).orElseThrow(() -> new ConfigException(key + " is not set")));
    }

    /** @return whether the key was given explicitly (defaults do not count) */
    public boolean isSet(String key) {
        String value = values.get(key);
        return value != null && !value.isEmpty();
    }

    /** @return the queue type: {@code memory} for the embedded default, otherwise as configured, {@code ampq} read as {@code amqp} */
    public String queueType() {
        String type = values.getOrDefault("ckan.harvest.mq.type", "");
        if (type.isEmpty()) {
            // ckanext-harvest defaults to redis; without a database configured we are the embedded default
            return isSet("harvest.db.url") || isSet("sqlalchemy.url") ? "redis" : "memory";
        }
        return type.equals("ampq") ? "amqp" : type;
    }

    /** @return the JDBC URL of the harvest database */
    public String jdbcUrl() {
        if (isSet("harvest.db.url")) {
            return withH2Options(values.get("harvest.db.url"));
        }
        if (isSet("sqlalchemy.url")) {
            return jdbcFromSqlAlchemy(values.get("sqlalchemy.url")).url();
        }
        Path dataDir = Path.of(get("harvest.data_dir").orElseThrow()).toAbsolutePath();
        return withH2Options("jdbc:h2:file:" + dataDir.resolve("harvest"));
    }

    /** @return the database user, or empty */
    public String dbUser() {
        if (isSet("harvest.db.user")) {
            return values.get("harvest.db.user");
        }
        if (!isSet("harvest.db.url") && isSet("sqlalchemy.url")) {
            return jdbcFromSqlAlchemy(values.get("sqlalchemy.url")).user();
        }
        return jdbcUrl().startsWith("jdbc:h2:") ? "sa" : "";
    }

    /** @return the database password, or empty */
    public String dbPassword() {
        if (isSet("harvest.db.password")) {
            return values.get("harvest.db.password");
        }
        if (!isSet("harvest.db.url") && isSet("sqlalchemy.url")) {
            return jdbcFromSqlAlchemy(values.get("sqlalchemy.url")).password();
        }
        return "";
    }

    private static String withH2Options(String url) {
        if (!url.startsWith("jdbc:h2:")) {
            return url;
        }
        String upper = url.toUpperCase();
        StringBuilder out = new StringBuilder(url);
        // ckanext-harvest's column names "key" and "value" are keywords in H2 2.x
        if (!upper.contains("NON_KEYWORDS")) {
            out.append(";NON_KEYWORDS=KEY,VALUE");
        }
        if (upper.startsWith("JDBC:H2:MEM:") && !upper.contains("DB_CLOSE_DELAY")) {
            out.append(";DB_CLOSE_DELAY=-1");
        }
        return out.toString();
    }

    /**
     * A database's JDBC URL and credentials.
     *
     * @param url the JDBC URL
     * @param user the user, or empty
     * @param password the password, or empty
     */
    public record JdbcTarget(String url, String user, String password) {}

    /**
     * The CKAN site's own database, when this configuration names it apart from harvest's: a CKAN {@code .ini} (or
     * properties file) with both {@code sqlalchemy.url} (CKAN's) and {@code harvest.db.url} (harvest's). It is where
     * {@code harvester migrate-from-ckan} copies from when {@code --from} is not given.
     *
     * @return the CKAN database, or empty when {@code sqlalchemy.url} is not set or is harvest's own database
     */
    public Optional<JdbcTarget> ckanDatabase() {
        if (!isSet("sqlalchemy.url") || !isSet("harvest.db.url")) {
            return Optional.empty();
        }
        return Optional.of(jdbcFromSqlAlchemy(values.get("sqlalchemy.url")));
    }

    /** Turns CKAN's {@code postgresql://user:pass@host:port/db} into a JDBC URL and credentials. */
    static JdbcTarget jdbcFromSqlAlchemy(String sqlAlchemyUrl) {
        try {
            URI uri = URI.create(sqlAlchemyUrl.replaceFirst("^postgresql\\+psycopg2?:", "postgresql:")
                    .replaceFirst("^postgres:", "postgresql:"));
            if (!"postgresql".equals(uri.getScheme()) || uri.getHost() == null || uri.getPath() == null
                    || uri.getPath().length() < 2) {
                throw new IllegalArgumentException();
            }
            String user = "";
            String password = "";
            if (uri.getRawUserInfo() != null) {
                String[] parts = uri.getRawUserInfo().split(":", 2);
                user = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
                password = parts.length > 1 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : "";
            }
            String url = "jdbc:postgresql://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
                    + uri.getPath() + (uri.getRawQuery() != null ? "?" + uri.getRawQuery() : "");
            return new JdbcTarget(url, user, password);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("sqlalchemy.url: expected postgresql://user:password@host[:port]/database, not '"
                    + sqlAlchemyUrl.replaceFirst("//.*@", "//***@") + "'"); // the whole user info: a password may hold ':' or '/'
        }
    }
}
