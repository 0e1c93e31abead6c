package dev.harvest.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.harvest.api.HarvestSource;
import dev.harvest.core.store.JobStatus;
import dev.harvest.core.store.ObjectResult;
import dev.harvest.core.store.ObjectState;
import dev.harvest.core.store.ReportStatus;
import dev.harvest.core.store.Stores;
import dev.harvest.core.store.Transitions;
import dev.harvest.core.testing.MutableClock;
import dev.harvest.core.testing.ScriptedHarvester;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The transition tables of {@link Transitions}, checked for every pair of states through the production statements:
 * every operation of the stores is tried on a row in every state, and the states it reached must be exactly those
 * the table allows.
 */
class TransitionsTest {

    private final MutableClock clock = new MutableClock();
    private Harvest harvest;
    private Stores stores;
    private HarvestSource source;

    @AfterEach
    void close() {
        if (harvest != null) {
            harvest.close();
        }
    }

    private void open(Kind kind) {
        harvest = Harvest.builder(TestDatabases.config(kind, Map.of())).discoverHarvesters(false)
                .harvester(new ScriptedHarvester()).clock(clock).build();
        stores = harvest.stores();
        source = harvest.createSource(SourceRequest.of("src", "http://remote.example.org/", ScriptedHarvester.NAME));
    }

    /** A row in a state, held by a token whose lease has expired, in a job of the given status. */
    private record Row(String objectId, String jobId, String token) {}

    private Row insert(ObjectState state, JobStatus jobStatus) {
        Row row = new Row(UUID.randomUUID().toString(), UUID.randomUUID().toString(), "token-" + UUID.randomUUID());
        LocalDateTime now = LocalDateTime.now(clock.withZone(java.time.ZoneOffset.UTC));
        String sourceId = newSource();
        sql("insert into harvest_job (id, created, source_id, status, gather_started, gather_finished)"
                + " values (?, ?, ?, ?, ?, ?)", row.jobId(), now, sourceId, jobStatus.value(), now, now);
        sql("insert into harvest_object (id, guid, current, gathered, state, retry_times, harvest_job_id,"
                + " harvest_source_id, claimed_by, lease_until, kind) values (?, ?, false, ?, ?, 0, ?, ?, ?, ?, 'harvest')",
                row.objectId(), "guid-" + row.objectId(), now, state == null ? null : state.name(), row.jobId(),
                sourceId, row.token(), now.minusMinutes(1));
        return row;
    }

    /**
     * A source of its own for each row: a source has at most one New or Running job (the database enforces it), and
     * the rows of these tests are in every status.
     */
    private String newSource() {
        String id = UUID.randomUUID().toString();
        sql("insert into harvest_source (id, name, url, type, active, frequency, created) values (?, ?, ?, ?, true,"
                + " 'MANUAL', ?)", id, "src-" + id, "http://remote.example.org/" + id, source.type(),
                LocalDateTime.now(clock.withZone(java.time.ZoneOffset.UTC)));
        return id;
    }

    private void sql(String statement, Object... values) {
        stores.database().inTransaction(session -> {
            session.doWork(connection -> {
                try (PreparedStatement prepared = connection.prepareStatement(statement)) {
                    for (int i = 0; i < values.length; i++) {
                        Object value = values[i];
                        prepared.setObject(i + 1, value instanceof LocalDateTime time ? Timestamp.valueOf(time) : value);
                    }
                    prepared.executeUpdate();
                }
            });
            return null;
        });
    }

    private String[] read(String table, String id, String... columns) {
        return stores.database().read(session -> session.doReturningWork(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "select " + String.join(", ", columns) + " from " + table + " where id = ?")) {
                select.setString(1, id);
                try (ResultSet result = select.executeQuery()) {
                    result.next();
                    String[] values = new String[columns.length];
                    for (int i = 0; i < columns.length; i++) {
                        values[i] = result.getString(i + 1);
                    }
                    return values;
                }
            }
        }));
    }

    private ObjectResult result(Row row, ObjectState state) {
        return new ObjectResult(row.objectId(), source.id(), "guid-" + row.objectId(), state,
                state == ObjectState.COMPLETE ? ReportStatus.ADDED : ReportStatus.ERRORED, null, false, false, null,
                List.of(), false);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void everyObjectStatePairMovesExactlyAsTheTransitionTableSays(Kind kind) {
        open(kind);
        Map<String, BiConsumer<Row, Void>> running = new LinkedHashMap<>();
        running.put("claim", (row, x) -> stores.objects().claim(List.of(row.objectId()), Duration.ofMinutes(5)));
        running.put("fetched", (row, x) -> stores.objects().markFetched(row.token(), List.of(row.objectId())));
        running.put("complete", (row, x) -> stores.objects().writeResults(row.token(), List.of(result(row, ObjectState.COMPLETE))));
        running.put("error", (row, x) -> stores.objects().writeResults(row.token(), List.of(result(row, ObjectState.ERROR))));
        running.put("give back", (row, x) -> stores.objects().giveBack(row.token()));
        running.put("hand back on stop", (row, x) -> stores.objects().handBackOnStop(row.token()));
        running.put("abort", (row, x) -> stores.jobs().abortJob(row.jobId()));
        running.put("time out", (row, x) -> stores.jobs().timeOutJob(row.jobId(), "timed out"));
        Map<String, BiConsumer<Row, Void>> stopped = Map.of(
                "late message", (row, x) -> stores.objects().errorObjectsOfStoppedJobs(List.of(row.objectId())));

        List<ObjectState> froms = new ArrayList<>(Arrays.asList(ObjectState.values()));
        froms.add(null); // ckanext-harvest's rows without a state count as waiting
        for (ObjectState from : froms) {
            Set<ObjectState> reached = EnumSet.noneOf(ObjectState.class);
            reach(from, JobStatus.RUNNING, running, reached);
            reach(from, JobStatus.ABORTED, stopped, reached);
            ObjectState table = from == null ? ObjectState.WAITING : from;
            Set<ObjectState> allowed = Arrays.stream(ObjectState.values())
                    .filter(to -> Transitions.isAllowed(table, to))
                    .collect(Collectors.toCollection(() -> EnumSet.noneOf(ObjectState.class)));
            assertEquals(allowed, reached, "from " + from);
        }
    }

    private void reach(ObjectState from, JobStatus jobStatus, Map<String, BiConsumer<Row, Void>> operations,
            Set<ObjectState> reached) {
        for (Map.Entry<String, BiConsumer<Row, Void>> operation : operations.entrySet()) {
            Row row = insert(from, jobStatus);
            operation.getValue().accept(row, null);
            String[] after = read("harvest_object", row.objectId(), "state", "claimed_by");
            boolean moved = !Objects.equals(after[0], from == null ? null : from.name())
                    || !Objects.equals(after[1], row.token());
            if (moved) {
                reached.add(ObjectState.valueOf(after[0]));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void everyJobStatusPairMovesExactlyAsTheTransitionTableSays(Kind kind) {
        open(kind);
        Map<String, java.util.function.Consumer<String>> operations = new LinkedHashMap<>();
        operations.put("start", jobId -> stores.jobs().startJob(jobId));
        operations.put("finish", jobId -> stores.jobs().finishJobIfDone(jobId));
        operations.put("time out", jobId -> stores.jobs().timeOutJob(jobId, "timed out"));
        operations.put("abort", jobId -> stores.jobs().abortJob(jobId));
        for (JobStatus from : JobStatus.values()) {
            Set<JobStatus> reached = EnumSet.noneOf(JobStatus.class);
            for (var operation : operations.values()) {
                String jobId = UUID.randomUUID().toString();
                LocalDateTime now = LocalDateTime.now(clock.withZone(java.time.ZoneOffset.UTC));
                sql("insert into harvest_job (id, created, source_id, status, gather_started, gather_finished)"
                        + " values (?, ?, ?, ?, ?, ?)", jobId, now, newSource(), from.value(), now, now);
                operation.accept(jobId);
                JobStatus after = JobStatus.of(read("harvest_job", jobId, "status")[0]);
                if (after != from) {
                    reached.add(after);
                }
            }
            Set<JobStatus> allowed = Arrays.stream(JobStatus.values())
                    .filter(to -> to != from && Transitions.isAllowed(from, to))
                    .collect(Collectors.toCollection(() -> EnumSet.noneOf(JobStatus.class)));
            assertEquals(allowed, reached, "from " + from);
        }
    }
}
