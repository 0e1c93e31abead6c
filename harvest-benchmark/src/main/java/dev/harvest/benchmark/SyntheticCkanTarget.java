package dev.harvest.benchmark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A synthetic CKAN that harvests are written to ({@code harvest.catalog.type=ckan}): the calls {@code CkanCatalog}
 * makes, with CKAN's envelopes and errors, kept in memory.
 *
 * <ul>
 *   <li>{@code package_show?id=<id or name>}: the dict, or 404 {@code Not Found Error};</li>
 *   <li>{@code package_create} (409 {@code Validation Error} when the name or id is taken), {@code package_update}
 *       (404 when unknown), {@code package_delete} (state {@code deleted});</li>
 *   <li>{@code group_show}/{@code organization_show}, {@code group_create}/{@code organization_create}.</li>
 * </ul>
 *
 * <p>Every write is answered after a fixed delay (20 ms in the benchmark), so that the parallelism of the writers
 * shows. Reads are answered at once. Requests are counted per action, so a benchmark can tell how many target calls a
 * new or an unchanged dataset costs. Writes need an {@code Authorization} header, as CKAN's do.
 */
public final class SyntheticCkanTarget implements AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Set<String> WRITES = Set.of("package_create", "package_update", "package_delete",
            "group_create", "organization_create");

    static {
        // Without TCP_NODELAY the JDK server writes the headers and the body in two packets, and Nagle's algorithm
        // holds the second until the client's delayed ACK: about 40 ms added to every small response. Read once,
        // when the first HttpServer is created.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final long writeDelayMillis;
    private final Map<String, ObjectNode> datasets = new ConcurrentHashMap<>();
    private final Map<String, String> datasetIdsByName = new ConcurrentHashMap<>();
    private final Map<String, ObjectNode> groups = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();

    /**
     * Starts the target on a free port of 127.0.0.1.
     *
     * @param writeDelayMillis how long each write takes to answer
     * @throws IOException if it cannot listen
     */
    public SyntheticCkanTarget(long writeDelayMillis) throws IOException {
        this.writeDelayMillis = writeDelayMillis;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        AtomicInteger counter = new AtomicInteger();
        // unbounded: a delayed write holds its thread, and the writers' parallelism must never queue here
        executor = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "synthetic-target-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** @return the target's URL ({@code harvest.catalog.ckan.url}) */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** @return requests answered per action since the start, sorted by action */
    public Map<String, Long> requestCounts() {
        Map<String, Long> counts = new TreeMap<>();
        requests.forEach((action, count) -> counts.put(action, count.sum()));
        return counts;
    }

    /** @return the total of {@link #requestCounts()} */
    public long totalRequests() {
        return requests.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** @return datasets in state active */
    public long activeDatasets() {
        return datasets.values().stream().filter(d -> "active".equals(d.path("state").asText())).count();
    }

    /** @return the delay of each write, in milliseconds */
    public long writeDelayMillis() {
        return writeDelayMillis;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            String prefix = "/api/3/action/";
            String action = path.startsWith(prefix) ? path.substring(prefix.length()) : "(other)";
            requests.computeIfAbsent(action, a -> new LongAdder()).increment();
            if (action.equals("(other)")) {
                SyntheticCkan.error(exchange, 404, "Not Found Error", "Not found: " + path);
                return;
            }
            boolean write = WRITES.contains(action);
            JsonNode body = null;
            if (write) {
                if (!exchange.getRequestMethod().equals("POST")) {
                    SyntheticCkan.error(exchange, 400, null, "Bad request - " + action + " needs a POST");
                    return;
                }
                String token = exchange.getRequestHeaders().getFirst("Authorization");
                if (token == null || token.isBlank()) {
                    SyntheticCkan.error(exchange, 403, "Authorization Error",
                            "Access denied: User not authorized to " + action);
                    return;
                }
                try {
                    body = MAPPER.readTree(exchange.getRequestBody());
                } catch (JsonProcessingException e) {
                    SyntheticCkan.error(exchange, 400, null, "Bad request - JSON Error: " + e.getOriginalMessage());
                    return;
                }
                if (body == null || !body.isObject()) {
                    SyntheticCkan.error(exchange, 400, null, "Bad request - the body is not a JSON object");
                    return;
                }
                sleep(writeDelayMillis);
            }
            Map<String, String> params = SyntheticCkan.query(exchange.getRequestURI().getRawQuery());
            switch (action) {
                case "package_show" -> show(exchange, findDataset(params.getOrDefault("id", "")), "Not found");
                case "group_show" -> show(exchange, groups.get("group:" + params.getOrDefault("id", "")),
                        "Group not found");
                case "organization_show" -> show(exchange, groups.get("organization:" + params.getOrDefault("id", "")),
                        "Organization not found");
                case "package_create" -> packageCreate(exchange, (ObjectNode) body);
                case "package_update" -> packageUpdate(exchange, (ObjectNode) body);
                case "package_delete" -> packageDelete(exchange, (ObjectNode) body);
                case "group_create" -> groupCreate(exchange, (ObjectNode) body, "group");
                case "organization_create" -> groupCreate(exchange, (ObjectNode) body, "organization");
                default -> SyntheticCkan.error(exchange, 400, null, "Bad request - Action name not known: " + action);
            }
        }
    }

    private ObjectNode findDataset(String idOrName) {
        ObjectNode found = datasets.get(idOrName);
        if (found == null) {
            String id = datasetIdsByName.get(idOrName);
            found = id == null ? null : datasets.get(id);
        }
        return found;
    }

    private void packageCreate(HttpExchange exchange, ObjectNode dataset) throws IOException {
        String name = dataset.path("name").asText("");
        if (name.isBlank()) {
            validationError(exchange, "name", "Missing value");
            return;
        }
        synchronized (writeLock) {
            String id = dataset.path("id").asText("");
            if (!id.isEmpty() && datasets.containsKey(id)) {
                validationError(exchange, "id", "Dataset id already exists");
                return;
            }
            if (datasetIdsByName.containsKey(name)) {
                validationError(exchange, "name", "That URL is already in use.");
                return;
            }
            if (id.isEmpty()) {
                id = UUID.randomUUID().toString();
                dataset.put("id", id);
            }
            String now = now();
            dataset.put("state", "active");
            dataset.put("metadata_created", now);
            dataset.put("metadata_modified", now);
            datasets.put(id, dataset);
            datasetIdsByName.put(name, id);
        }
        result(exchange, dataset);
    }

    private void packageUpdate(HttpExchange exchange, ObjectNode dataset) throws IOException {
        synchronized (writeLock) {
            ObjectNode existing = findDataset(dataset.path("id").asText(dataset.path("name").asText("")));
            if (existing == null) {
                SyntheticCkan.error(exchange, 404, "Not Found Error", "Not found");
                return;
            }
            String id = existing.get("id").asText();
            String oldName = existing.path("name").asText();
            String name = dataset.path("name").asText(oldName);
            String holder = datasetIdsByName.get(name);
            if (holder != null && !holder.equals(id)) {
                validationError(exchange, "name", "That URL is already in use.");
                return;
            }
            dataset.put("id", id);
            dataset.put("name", name);
            if (!dataset.has("state")) {
                dataset.put("state", "active");
            }
            dataset.put("metadata_created", existing.path("metadata_created").asText());
            dataset.put("metadata_modified", now());
            datasetIdsByName.remove(oldName);
            datasetIdsByName.put(name, id);
            datasets.put(id, dataset);
        }
        result(exchange, dataset);
    }

    private void packageDelete(HttpExchange exchange, ObjectNode body) throws IOException {
        synchronized (writeLock) {
            ObjectNode existing = findDataset(body.path("id").asText(""));
            if (existing == null) {
                SyntheticCkan.error(exchange, 404, "Not Found Error", "Not found");
                return;
            }
            // stored dicts are never changed in place: a reader may be writing one out
            ObjectNode deleted = existing.deepCopy();
            deleted.put("state", "deleted");
            deleted.put("metadata_modified", now());
            datasets.put(deleted.get("id").asText(), deleted);
        }
        SyntheticCkan.respond(exchange, 200, json -> {
            json.writeStringField("help", "http://127.0.0.1/api/3/action/help_show?name=package_delete");
            json.writeBooleanField("success", true);
            json.writeNullField("result");
        });
    }

    private void groupCreate(HttpExchange exchange, ObjectNode group, String kind) throws IOException {
        String name = group.path("name").asText("");
        if (name.isBlank()) {
            validationError(exchange, "name", "Missing value");
            return;
        }
        synchronized (writeLock) {
            if (groups.containsKey(kind + ":" + name)) {
                validationError(exchange, "name", "Group name already exists in database");
                return;
            }
            String id = group.path("id").asText("");
            if (id.isEmpty()) {
                id = UUID.randomUUID().toString();
                group.put("id", id);
            }
            group.put("is_organization", kind.equals("organization"));
            group.put("state", "active");
            groups.put(kind + ":" + name, group);
            groups.put(kind + ":" + id, group);
        }
        result(exchange, group);
    }

    private void show(HttpExchange exchange, ObjectNode found, String notFound) throws IOException {
        if (found == null) {
            SyntheticCkan.error(exchange, 404, "Not Found Error", notFound);
            return;
        }
        result(exchange, found);
    }

    private static void result(HttpExchange exchange, ObjectNode result) throws IOException {
        SyntheticCkan.respond(exchange, 200, json -> {
            json.writeStringField("help", "http://127.0.0.1/api/3/action/help_show");
            json.writeBooleanField("success", true);
            json.writeFieldName("result");
            MAPPER.writeTree(json, result);
        });
    }

    private static void validationError(HttpExchange exchange, String field, String message) throws IOException {
        SyntheticCkan.respond(exchange, 409, json -> {
            json.writeStringField("help", "http://127.0.0.1/api/3/action/help_show");
            json.writeBooleanField("success", false);
            json.writeObjectFieldStart("error");
            json.writeArrayFieldStart(field);
            json.writeString(message);
            json.writeEndArray();
            json.writeStringField("__type", "Validation Error");
            json.writeEndObject();
        });
    }

    private static String now() {
        LocalDateTime now = LocalDateTime.now(ZoneOffset.UTC);
        return SyntheticPortal.ckanTime(now.toEpochSecond(ZoneOffset.UTC) * 1_000_000L + now.getNano() / 1000);
    }

    private static void sleep(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
