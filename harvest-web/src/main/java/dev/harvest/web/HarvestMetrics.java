package dev.harvest.web;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import dev.harvest.api.queue.QueueName;
import dev.harvest.core.Harvest;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.javalin.http.Context;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /metrics} in Prometheus format through Micrometer. The harvest's state is read from the database when
 * Prometheus scrapes (the database is the truth, and several processes share it), a few bounded statements each
 * time: jobs by status, the objects of the last day's jobs by outcome and by state, the mean stage durations of the
 * last day's jobs, the queues' waiting messages and the database pool. This server's own HTTP requests are timed
 * as they happen. Remote HTTP calls of the harvesters are not counted here: they happen in the consumers.
 */
final class HarvestMetrics {

    private static final Logger LOG = LoggerFactory.getLogger(HarvestMetrics.class);
    private static final List<String> JOB_STATUSES = List.of("New", "Running", "Finished", "Aborted");
    private static final List<String> OUTCOMES = List.of("added", "updated", "not modified", "errored", "deleted");
    private static final List<String> STATES = List.of("WAITING", "FETCH", "IMPORT", "COMPLETE", "ERROR");
    private static final List<String> STAGES = List.of("gather", "fetch", "import");
    /** The jobs whose objects and stage durations are read: those created in the last day, at most this many. */
    private static final int RECENT_JOBS = 100;
    private static final int SAMPLED_OBJECTS = 2000;

    private final Harvest harvest;
    private final DataSource dataSource;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, AtomicLong> values = new ConcurrentHashMap<>();
    private final Map<String, double[]> stageSeconds = new ConcurrentHashMap<>();

    HarvestMetrics(Harvest harvest) {
        this.harvest = harvest;
        this.dataSource = harvest.stores().database().dataSource();
        for (String status : JOB_STATUSES) {
            gauge("harvest.jobs", "Harvest jobs by status", "status", status);
        }
        for (String outcome : OUTCOMES) {
            gauge("harvest.objects.recent", "Objects of the jobs created in the last day, by outcome (report status)",
                    "outcome", outcome);
        }
        for (String state : STATES) {
            gauge("harvest.objects.recent.state", "Objects of the jobs created in the last day, by state",
                    "state", state);
        }
        for (QueueName queue : QueueName.values()) {
            gauge("harvest.queue.waiting", "Messages waiting in a queue of this site", "queue",
                    queue.name().toLowerCase(Locale.ROOT));
        }
        for (String stage : STAGES) {
            double[] holder = {Double.NaN};
            stageSeconds.put(stage, holder);
            Gauge.builder("harvest.stage.duration.mean", holder, h -> h[0])
                    .description("Mean duration of a stage over the last day's jobs (gather: per job; fetch and"
                            + " import: per object, sampled)")
                    .baseUnit("seconds").tag("stage", stage).register(registry);
        }
        if (dataSource instanceof HikariDataSource hikari) {
            for (String kind : List.of("active", "idle", "total", "pending")) {
                Gauge.builder("harvest.db.pool.connections", hikari, h -> pool(h, kind))
                        .description("Connections of this process's database pool").tag("kind", kind)
                        .register(registry);
            }
            Gauge.builder("harvest.db.pool.max", hikari, HikariDataSource::getMaximumPoolSize)
                    .description("Size of this process's database pool").register(registry);
        }
        // meters that plugins register on Micrometer's global registry, such as the CKAN transport's
        // harvest.remote.requests by status, are published here too
        Metrics.addRegistry(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    private static double pool(HikariDataSource hikari, String kind) {
        HikariPoolMXBean pool = hikari.getHikariPoolMXBean();
        if (pool == null) {
            return Double.NaN;
        }
        return switch (kind) {
            case "active" -> pool.getActiveConnections();
            case "idle" -> pool.getIdleConnections();
            case "total" -> pool.getTotalConnections();
            default -> pool.getThreadsAwaitingConnection();
        };
    }

    private void gauge(String name, String description, String tag, String value) {
        AtomicLong holder = new AtomicLong();
        values.put(name + "|" + value, holder);
        Gauge.builder(name, holder, AtomicLong::get).description(description).tag(tag, value).register(registry);
    }

    private void set(String name, String value, long count) {
        AtomicLong holder = values.get(name + "|" + value);
        if (holder != null) {
            holder.set(count);
        }
    }

    /** Times this server's requests by method, route and status. */
    void timeRequest(Context ctx, long startNanos) {
        io.javalin.router.Endpoint endpoint = ctx.endpoints().lastHttpEndpoint();
        // the route's pattern, not the path: a bounded set of tag values
        String route = endpoint == null ? "unmatched" : endpoint.path;
        Timer.builder("harvest.http.server.requests").description("HTTP requests this server answered")
                .tag("method", ctx.method().name()).tag("route", route)
                .tag("status", Integer.toString(ctx.statusCode()))
                .register(registry).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    /** Answers a scrape: refreshes the harvest's figures, then writes every meter in Prometheus' text format. */
    void scrape(Context ctx) {
        refresh();
        ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(registry.scrape());
    }

    private void refresh() {
        LocalDateTime since = LocalDateTime.now(ZoneOffset.UTC).minusDays(1);
        try (Connection connection = dataSource.getConnection()) {
            JOB_STATUSES.forEach(status -> set("harvest.jobs", status, 0));
            try (PreparedStatement select = connection.prepareStatement(
                    "select status, count(*) from harvest_job group by status");
                    ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    set("harvest.jobs", rows.getString(1), rows.getLong(2));
                }
            }
            List<String> recentJobs = new ArrayList<>();
            List<Double> gatherSeconds = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement("select id, gather_started, gather_finished"
                    + " from harvest_job where created > ? order by created desc fetch first " + RECENT_JOBS
                    + " rows only")) {
                select.setTimestamp(1, Timestamp.valueOf(since));
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        recentJobs.add(rows.getString(1));
                        seconds(rows.getTimestamp(2), rows.getTimestamp(3), gatherSeconds);
                    }
                }
            }
            stageSeconds.get("gather")[0] = mean(gatherSeconds);
            OUTCOMES.forEach(outcome -> set("harvest.objects.recent", outcome, 0));
            STATES.forEach(state -> set("harvest.objects.recent.state", state, 0));
            List<Double> fetchSeconds = new ArrayList<>();
            List<Double> importSeconds = new ArrayList<>();
            if (!recentJobs.isEmpty()) {
                String marks = String.join(", ", java.util.Collections.nCopies(recentJobs.size(), "?"));
                try (PreparedStatement select = connection.prepareStatement("select report_status, state, count(*)"
                        + " from harvest_object where harvest_job_id in (" + marks + ") group by report_status, state")) {
                    bind(select, recentJobs);
                    try (ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            if (rows.getString(1) != null) {
                                add("harvest.objects.recent", rows.getString(1), rows.getLong(3));
                            }
                            add("harvest.objects.recent.state", rows.getString(2), rows.getLong(3));
                        }
                    }
                }
                try (PreparedStatement select = connection.prepareStatement("select fetch_started, fetch_finished,"
                        + " import_started, import_finished from harvest_object where harvest_job_id in (" + marks
                        + ") and import_finished is not null fetch first " + SAMPLED_OBJECTS + " rows only")) {
                    bind(select, recentJobs);
                    try (ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            seconds(rows.getTimestamp(1), rows.getTimestamp(2), fetchSeconds);
                            seconds(rows.getTimestamp(3), rows.getTimestamp(4), importSeconds);
                        }
                    }
                }
            }
            stageSeconds.get("fetch")[0] = mean(fetchSeconds);
            stageSeconds.get("import")[0] = mean(importSeconds);
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Metrics: cannot read the harvest database: {}", e.getMessage());
        }
        for (QueueName queue : QueueName.values()) {
            try {
                set("harvest.queue.waiting", queue.name().toLowerCase(Locale.ROOT), harvest.queue().waitingCount(queue));
            } catch (Exception e) {
                LOG.warn("Metrics: cannot count the {} queue: {}", queue, e.getMessage());
            }
        }
    }

    private void add(String name, String value, long count) {
        AtomicLong holder = values.get(name + "|" + value);
        if (holder != null) {
            holder.addAndGet(count);
        }
    }

    private static void bind(PreparedStatement statement, List<String> ids) throws SQLException {
        for (int i = 0; i < ids.size(); i++) {
            statement.setString(i + 1, ids.get(i));
        }
    }

    private static void seconds(Timestamp from, Timestamp to, List<Double> into) {
        if (from != null && to != null && !to.before(from)) {
            into.add(Duration.between(from.toInstant(), to.toInstant()).toNanos() / 1e9);
        }
    }

    private static double mean(List<Double> values) {
        return values.isEmpty() ? Double.NaN : values.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }

    /** Leaves Micrometer's global registry, which this server's registry joined. */
    void close() {
        Metrics.removeRegistry(registry);
    }
}
