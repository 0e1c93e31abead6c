package dev.harvest.testkit;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP server on the loopback interface that plays a remote catalog for a harvester under test: fixed
 * documents, documents from the test's class path, or answers computed from the request (an OAI-PMH
 * {@code resumptionToken}, CKAN's {@code start} and {@code rows}).
 *
 * <pre>{@code
 * try (FixtureServer server = FixtureServer.start()) {
 *     server.serveResource("/oai", "text/xml", "fixtures/list-records.xml");
 *     server.serve("/api/3/action/package_search", request -> FixtureResponse.ok("application/json",
 *             page(Integer.parseInt(request.query("start").orElse("0")))));
 *
 *     harvest(server.url("/oai"));
 *
 *     assertEquals(1, server.requestCount("/oai"));
 * }
 * }</pre>
 *
 * <p>Paths match exactly, whatever the query. A path with no handler answers {@code 404} with a short text (unless
 * {@link #serveAnyOtherPath(Function)} says otherwise), and a handler that throws answers {@code 500} with the
 * exception's message, so that a broken fixture shows up in the harvester's recorded errors rather than as a hang.
 * Requests are served by several threads at once, as a real remote would serve a harvester's parallel fetches, and
 * every request is recorded in arrival order.
 *
 * <p>It binds to {@code 127.0.0.1} on a free port and nowhere else: tests never open a port to the network.
 */
public final class FixtureServer implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(FixtureServer.class);

    /** The requests a fixture server may have waiting for a thread; more than any harvester test sends at once. */
    private static final int BACKLOG = 64;

    private static final AtomicInteger SERVER_NUMBER = new AtomicInteger();

    private final HttpServer server;
    private final ExecutorService executor;
    private final String baseUrl;
    private final Map<String, Function<FixtureRequest, FixtureResponse>> handlers = new ConcurrentHashMap<>();
    private final List<FixtureRequest> requests = new CopyOnWriteArrayList<>();
    private volatile Function<FixtureRequest, FixtureResponse> otherPaths = FixtureServer::notFound;
    private volatile boolean closed;

    private FixtureServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
        this.baseUrl = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /**
     * Starts a server on {@code 127.0.0.1} and a free port. It serves nothing until a path is registered; close it
     * when the test ends (try-with-resources or {@code @AfterEach}).
     *
     * @return the running server
     * @throws UncheckedIOException if no port can be bound
     */
    public static FixtureServer start() {
        int number = SERVER_NUMBER.incrementAndGet();
        AtomicInteger threadNumber = new AtomicInteger();
        ThreadFactory threads = runnable -> {
            Thread thread = new Thread(runnable, "fixture-server-" + number + "-" + threadNumber.incrementAndGet());
            // A test that forgets to close its server must not keep the test JVM alive.
            thread.setDaemon(true);
            return thread;
        };
        // Cached rather than fixed: a handler that blocks on a latch must not starve the harvester's other requests.
        ExecutorService executor = Executors.newCachedThreadPool(threads);
        try {
            HttpServer server = HttpServer.create(
                    new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), BACKLOG);
            server.setExecutor(executor);
            FixtureServer fixture = new FixtureServer(server, executor);
            server.createContext("/", fixture::handle);
            server.start();
            return fixture;
        } catch (IOException e) {
            executor.shutdownNow();
            throw new UncheckedIOException("Cannot start a fixture server on 127.0.0.1", e);
        }
    }

    /** @return the port the server listens on */
    public int port() {
        return server.getAddress().getPort();
    }

    /** @return the server's root, e.g. {@code http://127.0.0.1:41234}, without a trailing slash */
    public String baseUrl() {
        return baseUrl;
    }

    /**
     * The absolute URL of a path on this server, for a source's URL or an assertion.
     *
     * @param path a path starting with {@code /}, optionally with a query, e.g. {@code /oai} or
     *     {@code /oai?verb=Identify}
     * @return e.g. {@code http://127.0.0.1:41234/oai}
     * @throws IllegalArgumentException if the path does not start with {@code /}
     */
    public String url(String path) {
        requireAbsolute(path);
        return baseUrl + path;
    }

    /**
     * Serves a fixed document at a path, whatever the query and method. Registering a path again replaces its
     * handler.
     *
     * @param path the exact path, starting with {@code /}, without a query
     * @param contentType the {@code Content-Type} to answer with
     * @param body the document, sent as UTF-8 with status 200
     */
    public void serve(String path, String contentType, String body) {
        FixtureResponse response = FixtureResponse.ok(contentType, body);
        serve(path, request -> response);
    }

    /**
     * Serves a document from the test's class path at a path, with status 200. The resource is read now, so a
     * missing one fails the test at once instead of becoming a puzzling harvest error.
     *
     * @param path the exact path, starting with {@code /}, without a query
     * @param contentType the {@code Content-Type} to answer with
     * @param classpathResource the resource's name, e.g. {@code fixtures/records.xml} (a leading {@code /} is
     *     allowed); its bytes are sent unchanged
     * @throws IllegalArgumentException if the resource is not on the class path
     * @throws UncheckedIOException if it cannot be read
     */
    public void serveResource(String path, String contentType, String classpathResource) {
        FixtureResponse response = FixtureResponse.bytes(200, contentType, readResource(classpathResource));
        serve(path, request -> response);
    }

    /**
     * Serves a path with a handler that computes each answer from the request, e.g. the next page of a paged
     * listing. The handler is called from several threads at once, and may throw: the client then gets a
     * {@code 500} with the exception's message. Registering a path again replaces its handler.
     *
     * @param path the exact path, starting with {@code /}, without a query
     * @param handler computes the response
     */
    public void serve(String path, Function<FixtureRequest, FixtureResponse> handler) {
        requireAbsolute(path);
        if (path.contains("?")) {
            throw new IllegalArgumentException("Serve a path without its query, and read the query in a handler: "
                    + path);
        }
        handlers.put(path, Objects.requireNonNull(handler, "handler"));
    }

    /**
     * Answers every path that has no handler of its own with this handler, instead of {@code 404}: e.g. a remote
     * that answers everything with an HTML login page.
     *
     * @param handler computes the response for any other path
     */
    public void serveAnyOtherPath(Function<FixtureRequest, FixtureResponse> handler) {
        otherPaths = Objects.requireNonNull(handler, "handler");
    }

    /** @return every request received so far, in arrival order, including those answered 404 */
    public List<FixtureRequest> requests() {
        return List.copyOf(requests);
    }

    /**
     * @param path an exact path, without a query
     * @return the requests received so far for that path, in arrival order
     */
    public List<FixtureRequest> requests(String path) {
        return requests.stream().filter(request -> request.path().equals(path)).toList();
    }

    /**
     * @param path an exact path, without a query
     * @return how many requests for that path were received so far, whatever their query
     */
    public int requestCount(String path) {
        return requests(path).size();
    }

    /**
     * Stops the server at once and releases its port; a client that connects afterwards is refused, which is how
     * a test makes an unreachable remote. Closing twice is harmless.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.stop(0);
        executor.shutdownNow();
    }

    @Override
    public String toString() {
        return "FixtureServer " + baseUrl;
    }

    private void handle(HttpExchange exchange) {
        try {
            URI uri = exchange.getRequestURI();
            String path = uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath();
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            FixtureRequest request = new FixtureRequest(exchange.getRequestMethod(), path, uri.getRawQuery(),
                    exchange.getRequestHeaders(), body);
            requests.add(request);
            send(exchange, request, respond(request));
        } catch (IOException e) {
            // The client hung up (a harvester's timeout, a test that closed its client): nothing left to answer.
            LOGGER.debug("Fixture server {} could not answer {}: {}", baseUrl, exchange.getRequestURI(), e.toString());
        } finally {
            exchange.close();
        }
    }

    private FixtureResponse respond(FixtureRequest request) {
        Function<FixtureRequest, FixtureResponse> handler = handlers.getOrDefault(request.path(), otherPaths);
        try {
            FixtureResponse response = handler.apply(request);
            if (response == null) {
                return FixtureResponse.status(500, "text/plain; charset=utf-8",
                        "The fixture handler for " + request.path() + " returned no response");
            }
            return response;
        } catch (RuntimeException | AssertionError e) {
            // An assertion inside a handler is a test bug too: answer it like any other failure instead of
            // letting the JDK server drop the connection without a word.
            LOGGER.warn("Fixture handler for {} failed", request, e);
            return FixtureResponse.status(500, "text/plain; charset=utf-8",
                    "The fixture handler for " + request.path() + " failed: " + e);
        }
    }

    private static void send(HttpExchange exchange, FixtureRequest request, FixtureResponse response)
            throws IOException {
        Headers headers = exchange.getResponseHeaders();
        headers.set("Content-Type", response.contentType());
        response.headers().forEach((name, values) -> values.forEach(value -> headers.add(name, value)));
        byte[] body = response.bodyBytes();
        int status = response.status();
        boolean noBody = body.length == 0 || request.method().equals("HEAD") || status == 204 || status == 304
                || status < 200;
        // -1 tells the JDK server "no body"; 0 would mean "chunked".
        exchange.sendResponseHeaders(status, noBody ? -1 : body.length);
        if (!noBody) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static FixtureResponse notFound(FixtureRequest request) {
        return FixtureResponse.status(404, "text/plain; charset=utf-8",
                "No fixture is served at " + request.path());
    }

    private static void requireAbsolute(String path) {
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("A fixture path starts with '/': " + path);
        }
    }

    private static byte[] readResource(String name) {
        String relative = name.startsWith("/") ? name.substring(1) : name;
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) {
            loader = FixtureServer.class.getClassLoader();
        }
        try (InputStream in = loader.getResourceAsStream(relative)) {
            if (in == null) {
                throw new IllegalArgumentException("No resource " + relative + " on the test's class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the resource " + relative, e);
        }
    }
}
