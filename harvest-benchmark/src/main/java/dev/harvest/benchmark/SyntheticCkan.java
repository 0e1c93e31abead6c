package dev.harvest.benchmark;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A synthetic remote CKAN on 127.0.0.1: any number of {@link SyntheticPortal}s, each under its own path prefix
 * ({@code http://127.0.0.1:<port>/<portal>}, the source URL), serving the action API the CKAN harvester uses:
 *
 * <ul>
 *   <li>{@code package_search}: {@code rows} (default 10, at most 1,000, as CKAN's {@code ckan.search.rows_max}),
 *       {@code start}, {@code sort}, {@code fq} (see {@link SearchFilter}), {@code fl=id}, {@code include_private}
 *       (accepted; there are no private datasets), {@code q} (only empty or {@code *:*}); the result has
 *       {@code count}, {@code results}, {@code sort}, {@code facets} and {@code search_facets};</li>
 *   <li>{@code package_show?id=<id or name>}; a deleted or unknown dataset gets CKAN's 404 {@code Not Found Error};</li>
 *   <li>{@code organization_show}, {@code group_show} (for the {@code remote_orgs}/{@code remote_groups} options),
 *       {@code status_show}.</li>
 * </ul>
 *
 * <p>Responses are written with Jackson's streaming generator straight to the connection, so a page of 1,000 datasets
 * (about 3 MB) costs no more memory than its buffer. It counts requests per action and datasets served.
 */
public final class SyntheticCkan implements AutoCloseable {

    static final int MAX_ROWS = 1000;
    private static final JsonFactory JSON = new JsonFactory();

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
    private final Map<String, SyntheticPortal> portals = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final LongAdder datasetsServed = new LongAdder();
    private final PageCache pageCache;
    private volatile boolean cachePages = true;

    /**
     * Starts the server on a free port of 127.0.0.1.
     *
     * @param threads handler threads
     * @throws IOException if it cannot listen
     */
    public SyntheticCkan(int threads) throws IOException {
        this(threads, 0);
    }

    /**
     * Starts the server on a free port of 127.0.0.1, keeping up to {@code pageCacheBytes} of generated
     * {@code package_search} responses, so that reading the same pages again (a re-harvest, the floor) costs a
     * copy instead of a generation. Pages are keyed by the portal's state, so a mutation never serves stale ones.
     *
     * @param threads handler threads
     * @param pageCacheBytes the cache's budget; 0 for none
     * @throws IOException if it cannot listen
     */
    public SyntheticCkan(int threads, long pageCacheBytes) throws IOException {
        pageCache = new PageCache(pageCacheBytes);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        AtomicInteger counter = new AtomicInteger();
        executor = Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, "synthetic-ckan-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /**
     * Serves a portal under {@code /<name>}.
     *
     * @param portal the portal
     * @return its base URL (a CKAN source URL)
     */
    public String add(SyntheticPortal portal) {
        if (!portal.name().matches("[a-z0-9-]+")) {
            throw new IllegalArgumentException("A portal name is lower case letters, digits and -: " + portal.name());
        }
        portals.put(portal.name(), portal);
        return url(portal.name());
    }

    /** Stops serving a portal (its memory and cached pages are freed once no request uses it). */
    public void remove(String portalName) {
        portals.remove(portalName);
        pageCache.removePortal(portalName);
    }

    /** Turns the page cache on or off (off: every page is generated, as for the serving rate's generation figure). */
    public void cachePages(boolean on) {
        cachePages = on;
    }

    /** @return bytes of pages cached now */
    public long cachedBytes() {
        return pageCache.bytes();
    }

    /** @return the base URL of the portal with this name */
    public String url(String portalName) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + portalName;
    }

    /** @return requests answered per action since the start */
    public Map<String, Long> requestCounts() {
        Map<String, Long> counts = new HashMap<>();
        requests.forEach((action, count) -> counts.put(action, count.sum()));
        return counts;
    }

    /** @return datasets written in search results and package_show answers since the start */
    public long datasetsServed() {
        return datasetsServed.sum();
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
            String[] segments = path.split("/");
            // "", portal, "api", "3", "action", action
            if (segments.length != 6 || !segments[2].equals("api") || !segments[3].equals("3")
                    || !segments[4].equals("action")) {
                count("(other)");
                error(exchange, 404, "Not Found Error", "Not found: " + path);
                return;
            }
            SyntheticPortal portal = portals.get(segments[1]);
            String action = segments[5];
            count(action);
            if (portal == null) {
                error(exchange, 404, "Not Found Error", "No portal " + segments[1]);
                return;
            }
            Map<String, String> params = query(exchange.getRequestURI().getRawQuery());
            switch (action) {
                case "package_search" -> packageSearch(exchange, portal, params);
                case "package_show" -> packageShow(exchange, portal, params);
                case "organization_show", "group_show" -> groupShow(exchange, portal, action, params);
                case "status_show" -> respond(exchange, 200, json -> {
                    json.writeStringField("help", "status_show");
                    json.writeBooleanField("success", true);
                    json.writeObjectFieldStart("result");
                    json.writeStringField("ckan_version", "2.10.4");
                    json.writeStringField("site_title", "Synthetic CKAN " + portal.name());
                    json.writeArrayFieldStart("extensions");
                    json.writeEndArray();
                    json.writeEndObject();
                });
                default -> error(exchange, 400, null, "Bad request - Action name not known: " + action);
            }
        } catch (RuntimeException e) {
            // the exchange is closed; the client sees a broken response
            throw new IOException("Synthetic CKAN failed on " + exchange.getRequestURI() + ": " + e, e);
        }
    }

    private void packageSearch(HttpExchange exchange, SyntheticPortal portal, Map<String, String> params)
            throws IOException {
        int rows;
        long start;
        SearchFilter filter;
        SearchSort sort;
        try {
            rows = Math.max(0, Math.min(MAX_ROWS, Integer.parseInt(params.getOrDefault("rows", "10"))));
            start = Math.max(0, Long.parseLong(params.getOrDefault("start", "0")));
            String q = params.getOrDefault("q", "").strip();
            if (!q.isEmpty() && !q.equals("*:*")) {
                throw new IllegalArgumentException("Only q=*:* is supported, not '" + q + "'");
            }
            filter = SearchFilter.parse(params.get("fq"));
            sort = SearchSort.parse(params.get("sort"));
        } catch (IllegalArgumentException e) {
            error(exchange, 409, "Search Query Error", "Search Query is invalid: " + e.getMessage());
            return;
        }
        String fl = params.get("fl");
        boolean idsOnly = fl != null && fl.strip().equals("id");
        if (fl != null && !idsOnly && !fl.isBlank()) {
            error(exchange, 409, "Search Query Error", "Only fl=id is supported, not '" + fl + "'");
            return;
        }
        SyntheticPortal.Entry[] matching = portal.matching(filter, sort);
        int from = (int) Math.min(start, matching.length);
        int to = Math.min(matching.length, from + rows);
        datasetsServed.add(idsOnly ? 0 : to - from);
        String key = portal.name() + '\n' + portal.version() + '\n' + filter.key() + '\n' + sort.key() + '\n' + from
                + '\n' + to + '\n' + idsOnly;
        boolean caching = cachePages && pageCache.enabled();
        byte[] cached = caching ? pageCache.get(key) : null;
        if (cached != null) {
            send(exchange, 200, cached, cached.length);
            return;
        }
        Buffer page = generate(json -> {
            json.writeStringField("help", "http://127.0.0.1/api/3/action/help_show?name=package_search");
            json.writeBooleanField("success", true);
            json.writeObjectFieldStart("result");
            json.writeNumberField("count", matching.length);
            json.writeObjectFieldStart("facets");
            json.writeEndObject();
            json.writeArrayFieldStart("results");
            for (int i = from; i < to; i++) {
                if (idsOnly) {
                    json.writeStartObject();
                    json.writeStringField("id", matching[i].id());
                    json.writeEndObject();
                } else {
                    portal.writeDataset(json, matching[i]);
                }
            }
            json.writeEndArray();
            json.writeStringField("sort", sort.key());
            json.writeObjectFieldStart("search_facets");
            json.writeEndObject();
            json.writeEndObject();
        });
        if (caching) {
            pageCache.put(portal.name(), key, page.toByteArray());
        }
        send(exchange, 200, page.array(), page.size());
        page.release();
    }

    private void packageShow(HttpExchange exchange, SyntheticPortal portal, Map<String, String> params)
            throws IOException {
        String id = params.getOrDefault("id", "");
        SyntheticPortal.Entry entry = portal.find(id);
        if (entry == null) {
            error(exchange, 404, "Not Found Error", "Not found");
            return;
        }
        datasetsServed.increment();
        respond(exchange, 200, json -> {
            json.writeStringField("help", "http://127.0.0.1/api/3/action/help_show?name=package_show");
            json.writeBooleanField("success", true);
            json.writeFieldName("result");
            portal.writeDataset(json, entry);
        });
    }

    private void groupShow(HttpExchange exchange, SyntheticPortal portal, String action, Map<String, String> params)
            throws IOException {
        String id = params.getOrDefault("id", "");
        boolean organization = action.equals("organization_show");
        Vocabulary.Group found = portal.group(organization, id);
        if (found == null) {
            error(exchange, 404, "Not Found Error", (organization ? "Organization" : "Group") + " not found");
            return;
        }
        respond(exchange, 200, json -> {
            json.writeStringField("help", "http://127.0.0.1/api/3/action/help_show?name=" + action);
            json.writeBooleanField("success", true);
            json.writeObjectFieldStart("result");
            json.writeStringField("description", found.description);
            json.writeStringField("created", found.created);
            json.writeStringField("title", found.title);
            json.writeStringField("name", found.name);
            json.writeBooleanField("is_organization", organization);
            json.writeStringField("state", "active");
            json.writeStringField("image_url", "");
            json.writeStringField("revision_id", found.revisionId);
            json.writeStringField("type", organization ? "organization" : "group");
            json.writeStringField("id", found.id);
            json.writeStringField("approval_status", "approved");
            json.writeEndObject();
        });
    }

    private void count(String action) {
        requests.computeIfAbsent(action, a -> new LongAdder()).increment();
    }

    /** Writes the body of an envelope; the callback writes its fields. */
    @FunctionalInterface
    interface Body {
        void write(JsonGenerator json) throws IOException;
    }

    static void respond(HttpExchange exchange, int status, Body body) throws IOException {
        Buffer buffer = generate(body);
        send(exchange, status, buffer.array(), buffer.size());
        buffer.release();
    }

    /**
     * Generates an envelope into this thread's reused buffer. The body is sent with a Content-Length in one write:
     * the JDK server's chunked encoding writes 4 KB chunks, which made it several times slower than the generation.
     */
    private static Buffer generate(Body body) throws IOException {
        Buffer buffer = BUFFERS.get();
        buffer.reset();
        try (JsonGenerator json = JSON.createGenerator(buffer, JsonEncoding.UTF8)) {
            json.writeStartObject();
            body.write(json);
            json.writeEndObject();
        }
        return buffer;
    }

    private static void send(HttpExchange exchange, int status, byte[] body, int length) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json;charset=utf-8");
        exchange.sendResponseHeaders(status, length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body, 0, length);
        }
    }

    private static final ThreadLocal<Buffer> BUFFERS = ThreadLocal.withInitial(Buffer::new);

    /** A byte array output stream whose array is reused by its thread. */
    private static final class Buffer extends java.io.ByteArrayOutputStream {
        Buffer() {
            super(1 << 16);
        }

        byte[] array() {
            return buf;
        }

        /** After use: a huge page once does not pin its buffer for ever. */
        void release() {
            if (buf.length > 16 << 20) {
                BUFFERS.remove();
            }
        }
    }

    /** Generated pages by key, least recently used first out, within a byte budget. */
    private static final class PageCache {
        private final long budget;
        private final LinkedHashMap<String, byte[]> pages = new LinkedHashMap<>(256, 0.75f, true);
        private final Map<String, String> portalOfKey = new HashMap<>();
        private long bytes;

        PageCache(long budget) {
            this.budget = budget;
        }

        boolean enabled() {
            return budget > 0;
        }

        synchronized byte[] get(String key) {
            return pages.get(key);
        }

        synchronized void put(String portal, String key, byte[] page) {
            if (page.length > budget) {
                return;
            }
            byte[] old = pages.put(key, page);
            portalOfKey.put(key, portal);
            bytes += page.length - (old == null ? 0 : old.length);
            var eldest = pages.entrySet().iterator();
            while (bytes > budget && eldest.hasNext()) {
                Map.Entry<String, byte[]> entry = eldest.next();
                bytes -= entry.getValue().length;
                portalOfKey.remove(entry.getKey());
                eldest.remove();
            }
        }

        synchronized void removePortal(String portal) {
            var entries = pages.entrySet().iterator();
            while (entries.hasNext()) {
                Map.Entry<String, byte[]> entry = entries.next();
                if (portal.equals(portalOfKey.get(entry.getKey()))) {
                    bytes -= entry.getValue().length;
                    portalOfKey.remove(entry.getKey());
                    entries.remove();
                }
            }
        }

        synchronized long bytes() {
            return bytes;
        }
    }

    static void error(HttpExchange exchange, int status, String type, String message) throws IOException {
        respond(exchange, status, json -> {
            json.writeStringField("help", "http://127.0.0.1/api/3/action/help_show");
            json.writeBooleanField("success", false);
            json.writeObjectFieldStart("error");
            json.writeStringField("message", message);
            if (type != null) {
                json.writeStringField("__type", type);
            }
            json.writeEndObject();
        });
    }

    static Map<String, String> query(String rawQuery) {
        Map<String, String> params = new HashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.put(key, value);
        }
        return params;
    }
}
