package dev.harvest.ckan;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A fake CKAN for tests, after ckanext-harvest's {@code mock_ckan.py} (spec §15.8) but with a real search:
 * {@code package_search} filters its datasets by the {@code fq} terms the harvester sends (organization and group
 * includes/excludes, {@code metadata_modified} ranges, {@code id:"..."}), sorts by id, honours {@code start}, caps
 * {@code rows} at {@link #rowsMax} and supports {@code fl=id}. Like CKAN's search index it never lists a dataset in
 * state {@code deleted}, nor a private one without {@code include_private=true}. An unknown {@code fq} is a 400, as in
 * the original.
 *
 * <p>A first path segment other than {@code api} is a test name: {@code site_down} answers 500, {@code
 * datasets_added} simulates a dataset inserted while paging, {@code invalid_tag} replaces every dataset's tags.
 * Scripted responses ({@link #enqueue}, or {@link #enqueueFor} for the requests a predicate picks) are served before
 * routing, to simulate failures. Every request is recorded.
 *
 * <p>POST actions write to the in-memory store when the request carries {@link #writeToken}, so the same class is the
 * target of a {@link CkanCatalog}; they behave as CKAN's do, which {@code CkanCatalogContractTest} checks through the
 * catalog: {@code package_create} refuses a taken name or id (409, {@code Validation Error}) and sets
 * {@code metadata_created} and {@code metadata_modified} itself; {@code package_update} replaces the whole dict
 * (fields left out are gone), keeps {@code metadata_created}, gives a new, later {@code metadata_modified} and makes the
 * dataset active; {@code package_delete} sets state {@code deleted} and keeps the dataset findable by id and name; an
 * unknown id is CKAN's 404 {@code Not Found Error}. Group and organization names and ids are unique across both kinds,
 * as in CKAN's one {@code group} table. Writes are atomic: concurrent requests are served by several threads.
 */
final class MockCkan implements AutoCloseable {

    static {
        // The JDK server writes a response's headers and body separately; without TCP_NODELAY the body waits for
        // the client's delayed ACK (about 40 ms a request). Read once, when the server classes load.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    static final ObjectMapper MAPPER = new ObjectMapper();

    /** The outbound policy of tests: mock remotes listen on loopback, which the default policy refuses. */
    static final dev.harvest.api.http.OutboundPolicy LOOPBACK =
            dev.harvest.api.http.OutboundPolicy.builder().allowPrivateAddresses(true).build();
    private static final Pattern ORG_INCLUDE = Pattern.compile("organization:([\\w-]+)");
    private static final Pattern GROUP_INCLUDE = Pattern.compile("groups:([\\w-]+)");
    private static final Pattern MODIFIED = Pattern.compile("metadata_modified:\\[(\\S+)Z TO \\*]");
    private static final Pattern ID = Pattern.compile("id:\"([^\"]+)\"");
    private static final DateTimeFormatter CKAN_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS");

    /** One request as received. */
    record Recorded(String method, String path, Map<String, String> params, Map<String, String> headers,
            String body) {}

    /**
     * A canned response; {@code declaredLength} above the body length makes a truncated body; {@code trickleMillis}
     * sends the body one byte at a time with that pause between bytes.
     */
    record Scripted(int status, String contentType, String body, Map<String, String> headers, long delayMillis,
            long declaredLength, long trickleMillis) {
        static Scripted status(int status, String body) {
            return new Scripted(status, "application/json", body, Map.of(), 0, -1, 0);
        }

        Scripted withContentType(String type) {
            return new Scripted(status, type, body, headers, delayMillis, declaredLength, trickleMillis);
        }

        Scripted withHeader(String name, String value) {
            Map<String, String> more = new LinkedHashMap<>(headers);
            more.put(name, value);
            return new Scripted(status, contentType, body, more, delayMillis, declaredLength, trickleMillis);
        }

        Scripted delayed(long millis) {
            return new Scripted(status, contentType, body, headers, millis, declaredLength, trickleMillis);
        }

        Scripted truncatedFrom(long length) {
            return new Scripted(status, contentType, body, headers, delayMillis, length, trickleMillis);
        }

        Scripted trickled(long millisPerByte) {
            return new Scripted(status, contentType, body, headers, delayMillis, declaredLength, millisPerByte);
        }
    }

    final List<Map<String, Object>> datasets = new CopyOnWriteArrayList<>();
    final List<Map<String, Object>> orgs = new CopyOnWriteArrayList<>();
    final List<Map<String, Object>> groups = new CopyOnWriteArrayList<>();
    final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedDeque<Scripted> script = new ConcurrentLinkedDeque<>();
    /** Scripted responses for the requests a predicate picks, tried before {@link #script}. */
    private final List<Map.Entry<Predicate<Recorded>, ConcurrentLinkedDeque<Scripted>>> targetedScripts =
            new CopyOnWriteArrayList<>();
    /** Serialises the writes of datasets, as CKAN's unique name and id columns do. */
    private final Object datasetWrites = new Object();
    private LocalDateTime lastWriteTime = LocalDateTime.MIN;
    volatile int rowsMax = 1000;
    volatile String writeToken = "secret-token";
    /** ckanext-harvest's mock has no organization_show; a writable target has one. */
    volatile boolean hasOrganizationShow;
    volatile Predicate<Recorded> scriptApplies = request -> true;
    private final HttpServer server;

    private MockCkan(boolean withFixtures) throws IOException {
        if (withFixtures) {
            Map<String, Object> fixtures = fixtures();
            datasets.addAll(listOfMaps(fixtures.get("datasets")));
            orgs.addAll(listOfMaps(fixtures.get("orgs")));
            groups.addAll(listOfMaps(fixtures.get("groups")));
        }
        hasOrganizationShow = !withFixtures;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", this::handle);
        server.start();
    }

    /** @return a mock serving the datasets, orgs and groups of ckanext-harvest's tests */
    static MockCkan withMockDatasets() throws IOException {
        return new MockCkan(true);
    }

    /** @return a mock with no data, e.g. the target of a {@link CkanCatalog} */
    static MockCkan empty() throws IOException {
        return new MockCkan(false);
    }

    /** @return {@code http://127.0.0.1:<port>} */
    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** @param responses served, in order, before normal routing */
    void enqueue(Scripted... responses) {
        script.addAll(List.of(responses));
    }

    /**
     * Scripts the answers to the requests that {@code when} picks, e.g. only the {@code fl=id} listing or only
     * {@code package_show}; other requests are routed as usual.
     *
     * @param when which requests get the scripted responses
     * @param responses served, in order, to the next requests it picks
     */
    void enqueueFor(Predicate<Recorded> when, Scripted... responses) {
        targetedScripts.add(Map.entry(when, new ConcurrentLinkedDeque<>(List.of(responses))));
    }

    /** @return a predicate picking the requests to one action, e.g. {@code package_show} */
    static Predicate<Recorded> action(String action) {
        return request -> request.path().endsWith("/" + action);
    }

    /** @return a predicate picking the id listing of an incremental gather ({@code package_search} with fl=id) */
    static Predicate<Recorded> idListing() {
        return request -> request.path().endsWith("/package_search") && "id".equals(request.params().get("fl"));
    }

    /** @return a {@code package_search} answer listing exactly these ids (with {@code fl=id}) */
    static Scripted idPage(String... ids) {
        List<Map<String, Object>> results = new ArrayList<>();
        for (String id : ids) {
            results.add(Map.of("id", id));
        }
        return ok(Map.of("count", ids.length, "results", results));
    }

    List<Recorded> requestsTo(String action) {
        return requests.stream().filter(r -> r.path().endsWith("/" + action)).toList();
    }

    /** @return the dataset with this id, else the one with this name (as CKAN's package_show), or null */
    Map<String, Object> dataset(String idOrName) {
        return datasets.stream().filter(d -> idOrName.equals(d.get("id"))).findFirst()
                .orElseGet(() -> datasets.stream().filter(d -> idOrName.equals(d.get("name"))).findFirst()
                        .orElse(null));
    }

    /** Adds a dataset in package_show form with the given id, name, organization and modification date. */
    Map<String, Object> addDataset(String id, String name, String orgId, String modified) {
        Map<String, Object> dataset = new LinkedHashMap<>();
        dataset.put("id", id);
        dataset.put("name", name);
        dataset.put("title", "Dataset " + name);
        dataset.put("type", "dataset");
        dataset.put("owner_org", orgId);
        dataset.put("metadata_modified", modified);
        dataset.put("tags", new ArrayList<>());
        dataset.put("groups", new ArrayList<>());
        dataset.put("extras", new ArrayList<>());
        dataset.put("resources", new ArrayList<>(List.of(new LinkedHashMap<>(Map.of("id", id + "-r1", "url",
                "http://files.example/" + name + ".csv", "url_type", "upload", "revision_id", "r1")))));
        datasets.add(dataset);
        return dataset;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> fixtures() {
        try (InputStream in = MockCkan.class.getResourceAsStream("/ckanext-harvest-mock-datasets.json")) {
            return MAPPER.readValue(in, Map.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> listOfMaps(Object value) {
        List<Map<String, Object>> copies = new ArrayList<>();
        for (Object item : (List<Object>) value) {
            copies.add(deepCopy((Map<String, Object>) item));
        }
        return copies;
    }

    static Map<String, Object> deepCopy(Map<String, Object> map) {
        return MAPPER.convertValue(map, new TypeReference<LinkedHashMap<String, Object>>() {});
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    // ------------------------------------------------------------------------------------------------- handling

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Map<String, String> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(), values.get(0)));
            String rawQuery = exchange.getRequestURI().getRawQuery();
            Recorded request = new Recorded(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    parseQuery(rawQuery), headers, body);
            requests.add(request);

            Scripted scripted = targetedScript(request);
            if (scripted == null && scriptApplies.test(request)) {
                scripted = script.poll();
            }
            if (scripted != null) {
                send(exchange, scripted);
                return;
            }
            String path = request.path();
            String testName = "";
            Matcher prefix = Pattern.compile("^/([^/]+)(/.*)$").matcher(path);
            if (prefix.matches() && !prefix.group(1).equals("api")) {
                testName = prefix.group(1);
                path = prefix.group(2);
            }
            if (testName.equals("site_down")) {
                send(exchange, Scripted.status(500, "Site is down"));
                return;
            }
            path = path.replaceFirst("^/api/\\d/", "/api/");
            if (rawQuery != null && rawQuery.contains("%25")) {
                send(exchange, Scripted.status(400, "Double-encoded query: " + rawQuery));
                return;
            }
            send(exchange, route(request, path, testName));
        } catch (RuntimeException e) {
            e.printStackTrace();
            throw e;
        }
    }

    private Scripted targetedScript(Recorded request) {
        for (Map.Entry<Predicate<Recorded>, ConcurrentLinkedDeque<Scripted>> targeted : targetedScripts) {
            if (targeted.getKey().test(request)) {
                Scripted scripted = targeted.getValue().poll();
                if (scripted != null) {
                    return scripted;
                }
            }
        }
        return null;
    }

    private Scripted route(Recorded request, String path, String testName) {
        Map<String, String> params = request.params();
        if (request.method().equals("POST")) {
            if (!writeToken.equals(request.headers().get("authorization"))) {
                return envelopeError(403, "Authorization Error", "Access denied");
            }
            return write(path.substring(path.lastIndexOf('/') + 1), request.body());
        }
        switch (path) {
            case "/api/action/package_search":
                return search(params, testName);
            case "/api/action/package_show":
                return Optional.ofNullable(dataset(params.getOrDefault("id", "")))
                        .map(d -> ok(withTestTags(d, testName)))
                        .orElse(envelopeError(404, "Not Found Error", "Not found"));
            case "/api/action/group_show":
                return show(groups, params.get("id"));
            case "/api/action/organization_show":
                return !hasOrganizationShow ? Scripted.status(400, "Mock CKAN doesnt recognize that call")
                        : show(orgs, params.get("id"));
            default:
                return Scripted.status(400, "Mock CKAN doesnt recognize that call");
        }
    }

    private Scripted search(Map<String, String> params, String testName) {
        int rows = Math.min(Integer.parseInt(params.getOrDefault("rows", "10")), rowsMax);
        int start = Integer.parseInt(params.getOrDefault("start", "0"));
        if (testName.equals("datasets_added")) {
            // Page 1 sees one dataset; before page 2 another one sorts in front, shifting the first one along.
            List<Map<String, Object>> page = start == 0 ? List.of(datasets.get(0))
                    : start == 1 ? List.of(datasets.get(0), datasets.get(1)) : List.of();
            return ok(Map.of("count", 2, "results", page));
        }
        List<Predicate<Map<String, Object>>> filters = new ArrayList<>();
        String fq = params.getOrDefault("fq", "");
        if (fq.contains("+")) {
            return Scripted.status(400, "Not implemented search params (double encoded?): " + fq);
        }
        for (String term : splitTerms(fq)) {
            Predicate<Map<String, Object>> filter = filterFor(term);
            if (filter == null) {
                return Scripted.status(400, "Not implemented search params " + params);
            }
            filters.add(filter);
        }
        List<Map<String, Object>> matching = datasets.stream()
                .filter(d -> filters.stream().allMatch(f -> f.test(d)))
                .filter(d -> !"deleted".equals(d.get("state")))
                .filter(d -> "true".equals(params.get("include_private")) || !Boolean.TRUE.equals(d.get("private")))
                .sorted(Comparator.comparing(d -> String.valueOf(d.get("id"))))
                .toList();
        List<Object> page = new ArrayList<>();
        for (int i = start; i < Math.min(matching.size(), start + rows); i++) {
            Map<String, Object> dataset = matching.get(i);
            page.add("id".equals(params.get("fl")) ? Map.of("id", dataset.get("id")) : withTestTags(dataset, testName));
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("count", matching.size());
        result.put("sort", params.get("sort"));
        result.put("results", page);
        return ok(result);
    }

    /** Splits an fq on spaces, keeping {@code a OR b} and {@code [x TO *]} together. */
    private static List<String> splitTerms(String fq) {
        List<String> terms = new ArrayList<>();
        Matcher matcher = Pattern.compile("metadata_modified:\\[[^]]*]|\\S+(?: OR \\S+)*").matcher(fq);
        while (matcher.find()) {
            terms.add(matcher.group());
        }
        return terms;
    }

    private Predicate<Map<String, Object>> filterFor(String term) {
        Matcher id = ID.matcher(term);
        if (id.matches()) {
            return d -> id.group(1).equals(d.get("id"));
        }
        Matcher modified = MODIFIED.matcher(term);
        if (modified.matches()) {
            String since = modified.group(1);
            LocalDateTime.parse(since); // a malformed date is a server error, as in Solr
            return d -> d.get("metadata_modified") instanceof String date && date.compareTo(since) >= 0;
        }
        boolean negated = term.startsWith("-");
        String positive = negated ? term.substring(1) : term;
        List<String> alternatives = List.of(positive.split(" OR "));
        Predicate<Map<String, Object>> any = null;
        for (String alternative : alternatives) {
            Matcher org = ORG_INCLUDE.matcher(alternative);
            Matcher group = GROUP_INCLUDE.matcher(alternative);
            Predicate<Map<String, Object>> one;
            if (org.matches()) {
                String name = org.group(1);
                one = d -> orgs.stream().anyMatch(o -> name.equals(o.get("name")) && o.get("id").equals(d.get("owner_org")));
            } else if (group.matches()) {
                String name = group.group(1);
                one = d -> d.get("groups") instanceof List<?> list
                        && list.stream().anyMatch(g -> g instanceof Map<?, ?> m && name.equals(m.get("name")));
            } else {
                return null;
            }
            any = any == null ? one : any.or(one);
        }
        return negated ? any.negate() : any;
    }

    @SuppressWarnings("unchecked")
    private Scripted write(String action, String body) {
        Map<String, Object> data;
        try {
            data = MAPPER.readValue(body, Map.class);
        } catch (IOException e) {
            return Scripted.status(400, "Bad request: JSON Error: " + e.getMessage());
        }
        switch (action) {
            case "package_create", "package_update" -> {
                synchronized (datasetWrites) {
                    return writeDataset(action.equals("package_create"), data);
                }
            }
            case "package_delete" -> {
                synchronized (datasetWrites) {
                    Map<String, Object> existing = dataset(String.valueOf(data.get("id")));
                    if (existing == null) {
                        return envelopeError(404, "Not Found Error", "Not found");
                    }
                    existing.put("state", "deleted");
                    existing.put("metadata_modified", nextWriteTime());
                    return ok(null);
                }
            }
            case "group_create", "organization_create" -> {
                List<Map<String, Object>> store = action.startsWith("group") ? groups : orgs;
                // check and add under one lock, as CKAN's unique name column does: concurrent requests are served
                // by several handler threads. Groups and organizations share CKAN's group table, so a name or an id
                // is unique across both.
                synchronized (groups) {
                    if (!(data.get("name") instanceof String name) || name.isBlank()) {
                        return error(409, Map.of("__type", "Validation Error", "name", List.of("Missing value")));
                    }
                    if (Stream.concat(groups.stream(), orgs.stream()).anyMatch(g -> name.equals(g.get("name")))) {
                        return error(409, Map.of("__type", "Validation Error", "name",
                                List.of("Group name already exists in database")));
                    }
                    Object id = data.get("id");
                    if (id != null
                            && Stream.concat(groups.stream(), orgs.stream()).anyMatch(g -> id.equals(g.get("id")))) {
                        return error(409, Map.of("__type", "Validation Error", "id",
                                List.of("Group id already exists in database")));
                    }
                    Map<String, Object> stored = new LinkedHashMap<>(data);
                    stored.putIfAbsent("id", UUID.randomUUID().toString());
                    stored.putIfAbsent("state", "active");
                    store.add(stored);
                    return ok(stored);
                }
            }
            default -> {
                return Scripted.status(400, "Bad request - Action name not known: " + action);
            }
        }
    }

    /**
     * CKAN's package_create and package_update: names and ids are unique, the server sets the timestamps, an update
     * replaces the whole dict. Called under {@link #datasetWrites}.
     */
    private Scripted writeDataset(boolean create, Map<String, Object> data) {
        Object givenId = data.get("id");
        Map<String, Object> existing;
        if (create) {
            existing = null;
            if (givenId != null && datasets.stream().anyMatch(d -> givenId.equals(d.get("id")))) {
                return error(409, Map.of("__type", "Validation Error", "id", List.of("Dataset id already exists")));
            }
        } else {
            existing = givenId == null ? null : dataset(String.valueOf(givenId));
            if (existing == null) {
                return envelopeError(404, "Not Found Error", "Not found");
            }
        }
        Map<String, Object> errors = new LinkedHashMap<>();
        Object name = data.get("name");
        if (!(name instanceof String text) || text.isBlank()) {
            errors.put("name", List.of("Missing value"));
        } else if (!text.matches("[a-z0-9_-]{2,100}")) {
            errors.put("name", List.of("Must be purely lowercase alphanumeric (ascii) characters and these symbols: "
                    + "-_"));
        } else if (datasets.stream().anyMatch(d -> name.equals(d.get("name")) && d != existing)) {
            errors.put("name", List.of("That URL is already in use."));
        }
        if (data.get("tags") instanceof List<?> tags) {
            for (Object tag : tags) {
                Object tagName = tag instanceof Map<?, ?> m ? m.get("name") : tag;
                if (!String.valueOf(tagName).matches("[\\w \\-.]+")) {
                    errors.put("tags", List.of("Tag \"" + tagName + "\" must be alphanumeric characters "
                            + "or symbols: -_."));
                }
            }
        }
        if (!errors.isEmpty()) {
            errors.put("__type", "Validation Error");
            return error(409, errors);
        }
        Map<String, Object> stored = new LinkedHashMap<>(data);
        String now = nextWriteTime();
        if (existing != null) {
            stored.put("id", existing.get("id"));
            stored.put("metadata_created", existing.get("metadata_created"));
        } else {
            stored.putIfAbsent("id", UUID.randomUUID().toString());
            stored.put("metadata_created", now);
        }
        stored.put("metadata_modified", now);
        stored.put("state", "active");
        if (existing != null) {
            for (int i = 0; i < datasets.size(); i++) {
                if (datasets.get(i) == existing) {
                    datasets.set(i, stored);
                }
            }
        } else {
            datasets.add(stored);
        }
        return ok(stored);
    }

    /** A write time in CKAN's format (UTC, microseconds), later than every earlier one even within a clock tick. */
    private String nextWriteTime() {
        synchronized (datasetWrites) {
            LocalDateTime now = LocalDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
            lastWriteTime = now.isAfter(lastWriteTime) ? now : lastWriteTime.plus(1, ChronoUnit.MICROS);
            return CKAN_TIME.format(lastWriteTime);
        }
    }

    private Scripted show(List<Map<String, Object>> store, String idOrName) {
        return store.stream().filter(g -> g.get("id").equals(idOrName) || g.get("name").equals(idOrName))
                .findFirst().map(MockCkan::ok).orElse(envelopeError(404, "Not Found Error", "Not found"));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> withTestTags(Map<String, Object> dataset, String testName) {
        if (!testName.equals("invalid_tag")) {
            return dataset;
        }
        Map<String, Object> copy = deepCopy(dataset);
        copy.put("tags", listOfMaps(fixtures().get("invalid_tags")));
        return copy;
    }

    private static Scripted ok(Object result) {
        Map<String, Object> envelope = new LinkedHashMap<>();
        envelope.put("help", "http://mock/api/3/action/help_show");
        envelope.put("success", true);
        envelope.put("result", result);
        return Scripted.status(200, json(envelope));
    }

    private static Scripted envelopeError(int status, String type, String message) {
        return error(status, Map.of("__type", type, "message", message));
    }

    private static Scripted error(int status, Map<String, Object> error) {
        return Scripted.status(status, json(Map.of("help", "http://mock/api/3/action/help_show", "success", false,
                "error", error)));
    }

    static String json(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void send(HttpExchange exchange, Scripted response) throws IOException {
        if (response.delayMillis() > 0) {
            try {
                Thread.sleep(response.delayMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        byte[] bytes = response.body().getBytes(StandardCharsets.UTF_8);
        if (response.contentType() != null) {
            exchange.getResponseHeaders().set("Content-Type", response.contentType());
        }
        response.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
        long length = response.declaredLength() >= 0 ? response.declaredLength() : bytes.length;
        exchange.sendResponseHeaders(response.status(), length == 0 ? -1 : length);
        try (OutputStream out = exchange.getResponseBody()) {
            int end = (int) Math.min(bytes.length, length);
            if (response.trickleMillis() > 0) {
                for (int i = 0; i < end; i++) {
                    out.write(bytes[i]);
                    out.flush();
                    try {
                        Thread.sleep(response.trickleMillis());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            } else {
                out.write(bytes, 0, end);
            }
            out.flush();
        } catch (IOException clientGone) {
            // The client may hang up on a truncated or oversize body.
        }
    }

    private static Map<String, String> parseQuery(String rawQuery) {
        Map<String, String> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            params.put(URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
        return params;
    }
}
