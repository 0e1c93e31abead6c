package dev.harvest.examples.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

/**
 * Serves the bundled demo catalog, {@code demo/data.json} (twelve DCAT-US datasets of two publishers), over HTTP,
 * so that harvesters can be tried without a network: {@code GET /data.json} returns it for the {@code datajson}
 * harvester, and {@code GET /api/3/action/package_search} serves the same datasets as a CKAN action API
 * ({@link DemoCkanApi}) for the {@code ckan} harvester. Any other path is 404.
 *
 * <p>Run it with {@code java -cp harvest-examples.jar dev.harvest.examples.demo.DemoCatalogServer [--port N]}; it
 * prints the catalog URL and serves until killed. Tests start it with {@link #start(int)}.
 */
public final class DemoCatalogServer implements AutoCloseable {

    /** The port used when {@code --port} is not given. */
    public static final int DEFAULT_PORT = 8765;

    /** The classpath location of the demo catalog. */
    public static final String CATALOG_RESOURCE = "/demo/data.json";

    private final HttpServer server;
    private final byte[] catalog;
    private final DemoCkanApi ckanApi;

    private DemoCatalogServer(HttpServer server, byte[] catalog) {
        this.server = server;
        this.catalog = catalog;
        this.ckanApi = new DemoCkanApi(catalog);
    }

    /**
     * Starts serving on the loopback interface.
     *
     * @param port the port, or 0 for any free port
     * @return the running server
     * @throws IOException if the port cannot be bound
     */
    public static DemoCatalogServer start(int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        DemoCatalogServer demo = new DemoCatalogServer(server, demoCatalog());
        server.createContext("/", demo::handle);
        server.start();
        return demo;
    }

    /**
     * The bytes of the bundled demo catalog.
     *
     * @return the {@code data.json} document
     */
    public static byte[] demoCatalog() {
        try (InputStream in = DemoCatalogServer.class.getResourceAsStream(CATALOG_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(CATALOG_RESOURCE + " is missing from the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + CATALOG_RESOURCE, e);
        }
    }

    /** @return the URL of the served catalog, to use as a harvest source URL */
    public String catalogUrl() {
        return "http://" + server.getAddress().getHostString() + ":" + port() + "/data.json";
    }

    /** @return the base URL of the served CKAN action API, to use as a {@code ckan} harvest source URL */
    public String ckanUrl() {
        return "http://" + server.getAddress().getHostString() + ":" + port();
    }

    /** @return the port the server listens on */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Stops serving at once. */
    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            boolean isGet = exchange.getRequestMethod().equals("GET");
            byte[] body;
            int status;
            if (path.equals("/data.json")) {
                body = catalog;
                status = 200;
            } else if (path.equals(DemoCkanApi.PACKAGE_SEARCH_PATH)) {
                body = ckanApi.packageSearch(exchange.getRequestURI().getRawQuery());
                status = 200;
            } else {
                body = ("Not found: only /data.json and " + DemoCkanApi.PACKAGE_SEARCH_PATH + " are served\n")
                        .getBytes(StandardCharsets.UTF_8);
                status = 404;
            }
            exchange.getResponseHeaders().set("Content-Type",
                    status == 200 ? "application/json; charset=utf-8" : "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(status, isGet ? body.length : -1);
            if (isGet) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    /**
     * Serves the demo catalog until the process is killed.
     *
     * @param args {@code --port N} (default {@value #DEFAULT_PORT})
     * @throws Exception if the port cannot be bound
     */
    public static void main(String[] args) throws Exception {
        int port;
        try {
            port = parsePort(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println("Usage: DemoCatalogServer [--port N]");
            System.exit(2);
            return;
        }
        DemoCatalogServer demo = start(port);
        System.out.println("Serving the demo catalog as DCAT-US at " + demo.catalogUrl() + " and as a CKAN API at "
                + demo.ckanUrl() + " (Ctrl-C to stop)");
        new CountDownLatch(1).await();
    }

    /**
     * Reads the command line.
     *
     * @param args the arguments of {@link #main(String[])}
     * @return the port to listen on
     * @throws IllegalArgumentException naming the argument that is wrong
     */
    static int parsePort(String[] args) {
        int port = DEFAULT_PORT;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--port") && i + 1 < args.length) {
                String value = args[++i];
                try {
                    port = Integer.parseInt(value);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--port must be a number, not '" + value + "'");
                }
                if (port < 0 || port > 65535) {
                    throw new IllegalArgumentException("--port must be between 0 and 65535, not " + port);
                }
            } else if (args[i].equals("--port")) {
                throw new IllegalArgumentException("--port needs a value");
            } else {
                throw new IllegalArgumentException("Unknown argument '" + args[i] + "'");
            }
        }
        return port;
    }
}
