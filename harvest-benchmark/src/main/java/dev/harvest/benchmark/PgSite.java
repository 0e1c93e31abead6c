package dev.harvest.benchmark;

import dev.harvest.api.HarvestJob;
import dev.harvest.ckan.CkanCatalog;
import dev.harvest.core.Harvest;
import dev.harvest.core.JobReport;
import dev.harvest.core.SourceRequest;
import dev.harvest.core.config.HarvestConfig;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Predicate;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * One harvest site of the benchmark on PostgreSQL and Redis: a private schema, a private {@code ckan.site_id} (so
 * its queues are its own), properties files for its processes, and, in the benchmark's JVM, a {@link Harvest} for
 * creating sources and jobs and reading reports (the engine API; the store is never touched) plus a JDBC connection
 * for reading the ckanext-harvest tables. {@link #close()} purges its queues, deletes its Redis keys and drops the
 * schema.
 */
final class PgSite implements AutoCloseable {

    /** A row of {@code harvest_job}. */
    record JobRow(String id, String status, LocalDateTime created, LocalDateTime gatherStarted,
            LocalDateTime gatherFinished, LocalDateTime finished) {

        boolean done() {
            return !status.equals("Running") && !status.equals("New");
        }

        /** @return seconds from {@code a} to {@code b}, or NaN if one is missing */
        static double seconds(LocalDateTime a, LocalDateTime b) {
            return a == null || b == null ? Double.NaN : Duration.between(a, b).toNanos() / 1e9;
        }

        double total() {
            return seconds(created, finished);
        }

        double gather() {
            return seconds(gatherStarted, gatherFinished);
        }

        double afterGather() {
            return seconds(gatherFinished, finished);
        }
    }

    /** What the catalog holds, to tell whether a harvest wrote to it. */
    record CatalogSnapshot(long rows, long active, LocalDateTime lastModified, long contentHash) {}

    /** Sites not closed yet, so that an interrupted run still drops its schemas. */
    private static final List<PgSite> OPEN = new java.util.concurrent.CopyOnWriteArrayList<>();

    final String label;
    final String schema;
    final String siteId;
    private final Services services;
    private final Path dir;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final boolean keep;
    private Harvest harvest;
    private Connection sql;

    private PgSite(Services services, Path dir, String label, Map<String, String> extra, boolean keep) {
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        this.label = label;
        this.services = services;
        this.dir = dir;
        this.keep = keep;
        this.schema = "bench_" + label.replace('-', '_') + "_" + suffix;
        this.siteId = "bench-" + label + "-" + suffix;
        settings.put("ckan.site_id", siteId);
        settings.put("harvest.db.url", services.jdbcUrl(schema));
        settings.put("harvest.db.user", services.pgUser());
        if (!services.pgPassword().isEmpty()) {
            settings.put("harvest.db.password", services.pgPassword());
        }
        settings.put("ckan.harvest.mq.type", "redis");
        // the synthetic portals listen on loopback, which the outbound HTTP policy refuses by default
        settings.put("harvest.http.allow_private_addresses", "true");
        settings.put("ckan.harvest.mq.hostname", services.redisHost());
        settings.put("ckan.harvest.mq.port", Integer.toString(services.redisPort()));
        settings.putAll(extra);
    }

    /**
     * Creates the schema and opens the engine on it (which creates the tables).
     *
     * @param label names the schema and site
     * @param extra more settings for every process (engine batch settings, the catalog)
     */
    static PgSite create(Services services, Path workDir, String label, Map<String, String> extra, boolean keep)
            throws IOException, SQLException {
        PgSite site = new PgSite(services, Files.createDirectories(workDir.resolve(label)), label, extra, keep);
        try (Connection connection = services.connect(null); Statement statement = connection.createStatement()) {
            statement.execute("create schema " + site.schema);
        }
        OPEN.add(site);
        try {
            site.harvest();
        } catch (IOException | RuntimeException e) {
            site.close();
            throw e;
        }
        return site;
    }

    /** @return every setting but the pool size (and the password), for the results file */
    Map<String, String> settings() {
        Map<String, String> shown = new TreeMap<>(settings);
        shown.computeIfPresent("harvest.db.password", (key, value) -> "(set)");
        return shown;
    }

    /**
     * The properties file of one kind of process.
     *
     * @param role names the file
     * @param poolSize {@code harvest.db.pool_size}
     */
    Path config(String role, int poolSize) throws IOException {
        Path file = dir.resolve(role + ".properties");
        Properties properties = new Properties();
        properties.putAll(settings);
        properties.put("harvest.db.pool_size", Integer.toString(poolSize));
        try (Writer writer = Files.newBufferedWriter(file)) {
            properties.store(writer, "harvest benchmark, site " + siteId + ", " + role);
        }
        return file;
    }

    Path dir() {
        return dir;
    }

    /** The engine in the benchmark's JVM (pool of 2), opened once. */
    Harvest harvest() throws IOException {
        if (harvest == null) {
            Path file = config("benchmark-jvm", 2);
            harvest = Harvest.builder(HarvestConfig.load(file)).build();
        }
        return harvest;
    }

    Connection sql() throws SQLException {
        if (sql == null) {
            sql = services.connect(schema);
            sql.setAutoCommit(true);
        }
        return sql;
    }

    void createSource(String name, String url, String config) throws IOException {
        harvest().createSource(SourceRequest.of(name, url, "ckan").withConfig(config));
    }

    /** Creates a job and sends it to the gather queue, as {@code harvester job} does. */
    String startJob(String source) throws IOException {
        HarvestJob job = harvest().createJob(source, true);
        return job.id();
    }

    JobRow job(String jobId) throws SQLException {
        try (PreparedStatement statement = sql().prepareStatement("select id, status, created, gather_started,"
                + " gather_finished, finished from harvest_job where id = ?")) {
            statement.setString(1, jobId);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    throw new IllegalStateException("No job " + jobId);
                }
                return new JobRow(row.getString(1), row.getString(2), time(row, 3), time(row, 4), time(row, 5),
                        time(row, 6));
            }
        }
    }

    /** @return the id of the newest job of a source */
    String latestJob(String source) throws SQLException {
        try (PreparedStatement statement = sql().prepareStatement("select j.id from harvest_job j join harvest_source"
                + " s on s.id = j.source_id where s.name = ? order by j.created desc limit 1")) {
            statement.setString(1, source);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    throw new IllegalStateException("Source " + source + " has no job");
                }
                return row.getString(1);
            }
        }
    }

    /**
     * Reads the job every {@code pollMillis} until {@code done} holds.
     *
     * @param consumers processes that must stay alive meanwhile
     * @throws IllegalStateException if a consumer dies or the timeout passes
     */
    JobRow awaitJob(String jobId, Predicate<JobRow> done, List<CliProcess> consumers, long pollMillis,
            Duration timeout) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JobRow job = job(jobId);
            if (done.test(job)) {
                return job;
            }
            for (CliProcess consumer : consumers) {
                if (!consumer.isAlive()) {
                    throw new IllegalStateException(consumer.name() + " ended while job " + jobId + " was "
                            + job.status() + "; the end of its log (" + consumer.log() + "):\n" + consumer.tail(15));
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Job " + jobId + " still " + job.status() + " after " + timeout
                        + " (objects: " + objectStates(jobId) + ")");
            }
            Thread.sleep(pollMillis);
        }
    }

    /** @return counts per report status from the engine's job report ({@code harvester report}) */
    Map<String, Long> reportCounts(String jobId) throws IOException {
        JobReport report = harvest().report(jobId);
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String status : List.of("added", "updated", "not modified", "deleted", "errored")) {
            counts.put(status, report.stats().count(status));
        }
        return counts;
    }

    /** @return the report's gather errors and the first object errors, for a failure message */
    String reportErrors(String jobId) throws IOException {
        JobReport report = harvest().report(jobId);
        StringBuilder errors = new StringBuilder();
        report.gatherErrors().stream().limit(5).forEach(e -> errors.append("\n  gather error: ").append(e));
        report.objectsWithErrors().stream().limit(5)
                .forEach(o -> errors.append("\n  object ").append(o.guid()).append(": ").append(o.errors()));
        return errors.toString();
    }

    /** @return objects of a job per state ({@code harvest_object.state}) */
    Map<String, Long> objectStates(String jobId) throws SQLException {
        Map<String, Long> states = new TreeMap<>();
        try (PreparedStatement statement = sql().prepareStatement(
                "select state, count(*) from harvest_object where harvest_job_id = ? group by state")) {
            statement.setString(1, jobId);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    states.put(rows.getString(1), rows.getLong(2));
                }
            }
        }
        return states;
    }

    /** @return objects of a job */
    long objectCount(String jobId) throws SQLException {
        return objectStates(jobId).values().stream().mapToLong(Long::longValue).sum();
    }

    /** @return seconds from the first fetch (or import) start to the last import end of a job's objects, or NaN */
    double fetchImportSpan(String jobId) throws SQLException {
        try (PreparedStatement statement = sql().prepareStatement("select min(coalesce(fetch_started, import_started)),"
                + " max(import_finished) from harvest_object where harvest_job_id = ?")) {
            statement.setString(1, jobId);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return JobRow.seconds(time(row, 1), time(row, 2));
            }
        }
    }

    CatalogSnapshot catalog() throws SQLException {
        try (Statement statement = sql().createStatement();
                ResultSet row = statement.executeQuery("select count(*), count(*) filter (where state = 'active'),"
                        + " max(metadata_modified), coalesce(sum(hashtext(id || data)::bigint), 0)"
                        + " from catalog_dataset")) {
            row.next();
            return new CatalogSnapshot(row.getLong(1), row.getLong(2), time(row, 3), row.getLong(4));
        }
    }

    /** @return catalog rows written (by {@code metadata_modified}) after a snapshot */
    long catalogRowsWrittenSince(CatalogSnapshot snapshot) throws SQLException {
        if (snapshot.lastModified() == null) {
            return catalog().rows();
        }
        try (PreparedStatement statement = sql().prepareStatement(
                "select count(*) from catalog_dataset where metadata_modified > ?")) {
            statement.setTimestamp(1, Timestamp.valueOf(snapshot.lastModified()));
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }

    /** Empties this site's queues (a gather-only scenario leaves fetch messages behind). */
    void purgeQueues() throws IOException {
        harvest().purgeQueues();
    }

    /** Closes every site still open (from the shutdown hook of an interrupted run). */
    static void closeAll() {
        for (PgSite site : List.copyOf(OPEN)) {
            site.close();
        }
    }

    @Override
    public void close() {
        if (!OPEN.remove(this)) {
            return;
        }
        try {
            if (harvest != null) {
                try {
                    harvest.purgeQueues();
                } catch (RuntimeException e) {
                    System.err.println("Could not purge the queues of " + siteId + ": " + e.getMessage());
                }
                harvest.close();
            }
        } finally {
            harvest = null;
            try {
                if (sql != null) {
                    sql.close();
                }
            } catch (SQLException e) {
                // closing anyway
            }
            deleteRedisKeys();
            if (!keep) {
                try (Connection connection = services.connect(null);
                        Statement statement = connection.createStatement()) {
                    statement.execute("drop schema if exists " + schema + " cascade");
                } catch (SQLException e) {
                    System.err.println("Could not drop schema " + schema + ": " + e.getMessage());
                }
            }
        }
    }

    /** Deletes this site's keys ({@code ckanext-harvest:<site>:*}): queues, processing lists, consumer sets. */
    private void deleteRedisKeys() {
        try (Jedis jedis = new Jedis(services.redisHost(), services.redisPort())) {
            ScanParams match = new ScanParams().match("ckanext-harvest:" + siteId + ":*").count(1000);
            String cursor = ScanParams.SCAN_POINTER_START;
            do {
                ScanResult<String> page = jedis.scan(cursor, match);
                if (!page.getResult().isEmpty()) {
                    jedis.unlink(page.getResult().toArray(String[]::new));
                }
                cursor = page.getCursor();
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        } catch (RuntimeException e) {
            System.err.println("Could not delete the Redis keys of " + siteId + ": " + e.getMessage());
        }
    }

    private static LocalDateTime time(ResultSet row, int column) throws SQLException {
        Timestamp timestamp = row.getTimestamp(column);
        return timestamp == null ? null : timestamp.toLocalDateTime();
    }
}
