package dev.harvest.examples.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A JDK HTTP server on a free loopback port that serves canned responses by path; 404 for anything else. */
public final class TestHttpServer implements AutoCloseable {

    private record Response(int status, String contentType, byte[] body, Path file, boolean stallAfterBody,
            String location) {
        Response(int status, String contentType, byte[] body, Path file, boolean stallAfterBody) {
            this(status, contentType, body, file, stallAfterBody, null);
        }
    }

    private final HttpServer server;
    private final Map<String, Response> responses = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requestCounts = new ConcurrentHashMap<>();
    private final ExecutorService handlers = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "test-http-handler");
        thread.setDaemon(true);
        return thread;
    });

    public TestHttpServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            try (exchange) {
                requestCounts.computeIfAbsent(exchange.getRequestURI().getPath(), path -> new AtomicInteger())
                        .incrementAndGet();
                Response response = responses.get(exchange.getRequestURI().getPath());
                if (response == null) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                exchange.getResponseHeaders().set("Content-Type", response.contentType());
                if (response.location() != null) {
                    exchange.getResponseHeaders().set("Location", response.location());
                }
                long length = response.file() != null ? Files.size(response.file()) : response.body().length;
                exchange.sendResponseHeaders(response.status(),
                        response.stallAfterBody() ? 0 : length == 0 ? -1 : length);
                try (OutputStream out = exchange.getResponseBody()) {
                    if (response.file() != null) {
                        Files.copy(response.file(), out);
                    } else {
                        out.write(response.body());
                    }
                    if (response.stallAfterBody()) {
                        out.flush();
                        Thread.sleep(60_000);
                    }
                }
            } catch (IOException clientWentAway) {
                // A harvester that stops reading early (e.g. after an HTTP error) closes the connection.
            } catch (InterruptedException closing) {
                Thread.currentThread().interrupt();
            }
        });
        server.setExecutor(handlers);
        server.start();
    }

    /** Serves a JSON text at a path with status 200. */
    public String serveJson(String path, String json) {
        return serve(path, 200, "application/json", json);
    }

    /** Serves a text at a path. */
    public String serve(String path, int status, String contentType, String body) {
        responses.put(path, new Response(status, contentType, body.getBytes(StandardCharsets.UTF_8), null, false));
        return url(path);
    }

    /** Serves raw bytes at a path with status 200; the body may be cut anywhere. */
    public String serveBytes(String path, String contentType, byte[] body) {
        responses.put(path, new Response(200, contentType, body, null, false));
        return url(path);
    }

    /** Streams a file at a path with status 200, without loading it in memory. */
    public String serveFile(String path, String contentType, Path file) {
        responses.put(path, new Response(200, contentType, null, file, false));
        return url(path);
    }

    /** Sends the start of a document, then nothing more until the server is closed. */
    public String serveThenStall(String path, String start) {
        responses.put(path, new Response(200, "application/json", start.getBytes(StandardCharsets.UTF_8), null, true));
        return url(path);
    }

    /** Answers a path with a redirect to {@code location} and a small HTML body, as servers do. */
    public String serveRedirect(String path, int status, String location) {
        byte[] body = ("<html><body>Moved to <a href=\"" + location + "\">here</a></body></html>")
                .getBytes(StandardCharsets.UTF_8);
        responses.put(path, new Response(status, "text/html", body, null, false, location));
        return url(path);
    }

    /** How many requests came for a path, whatever was served there. */
    public int requestCount(String path) {
        AtomicInteger count = requestCounts.get(path);
        return count == null ? 0 : count.get();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url(String path) {
        return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort() + path;
    }

    @Override
    public void close() {
        handlers.shutdownNow();
        server.stop(0);
    }
}
