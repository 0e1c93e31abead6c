package dev.harvest.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A CKAN on loopback whose {@code package_search} never lets a gather end: it holds every request open without
 * answering ({@link #hanging()}), or answers and then drips its body a byte at a time, never ending it
 * ({@link #dripping()}), or ignores {@code start} and answers each page, after a delay, with records never seen
 * before and a huge {@code count} ({@link #endless(Duration)}), so that no bound of the engine ends the listing in the
 * time of a test. Every {@code package_search} request is counted.
 */
final class StallingCkan implements AutoCloseable {

    private static final int PAGE_ROWS = 10;

    private final HttpServer server;
    private final AtomicInteger searches = new AtomicInteger();
    private final AtomicInteger records = new AtomicInteger();
    /** Released on close, so that the handler threads holding requests open end. */
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Mode mode;
    private final Duration pageDelay;

    private enum Mode { HANG, DRIP, ENDLESS }

    private StallingCkan(Mode mode, Duration pageDelay) throws IOException {
        this.mode = mode;
        this.pageDelay = pageDelay;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "stalling-ckan");
            thread.setDaemon(true);
            return thread;
        }));
        server.createContext("/", exchange -> {
            try (exchange) {
                answer(exchange);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException clientWentAway) {
                // the consumer was stopped mid-request: expected
            }
        });
        server.start();
    }

    /** @return a CKAN whose {@code package_search} holds each request open until the server is closed */
    static StallingCkan hanging() throws IOException {
        return new StallingCkan(Mode.HANG, null);
    }

    /**
     * @return a CKAN whose {@code package_search} answers 200 and the start of a page, then a space every 200 ms, well
     *     within any read timeout, until the server is closed
     */
    static StallingCkan dripping() throws IOException {
        return new StallingCkan(Mode.DRIP, null);
    }

    /**
     * @param pageDelay how long each page takes to come
     * @return a CKAN whose {@code package_search} ignores {@code start} and never runs out of new records
     */
    static StallingCkan endless(Duration pageDelay) throws IOException {
        return new StallingCkan(Mode.ENDLESS, pageDelay);
    }

    private void answer(HttpExchange exchange) throws IOException, InterruptedException {
        if (!exchange.getRequestURI().getPath().endsWith("/api/3/action/package_search")) {
            send(exchange, 404, "{\"success\": false, \"error\": {\"message\": \"Not found\"}}");
            return;
        }
        searches.incrementAndGet();
        if (mode == Mode.HANG) {
            closed.await(); // headers never sent: the client waits for its read timeout, or its stop
            return;
        }
        if (mode == Mode.DRIP) {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, 0); // chunked: the body may go on forever
            OutputStream out = exchange.getResponseBody();
            out.write("{\"success\": true, \"result\": {\"count\": 1, \"results\": ["
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (!closed.await(200, TimeUnit.MILLISECONDS)) {
                out.write(' ');
                out.flush();
            }
            return;
        }
        if (closed.await(pageDelay.toMillis(), TimeUnit.MILLISECONDS)) {
            return;
        }
        StringBuilder results = new StringBuilder();
        for (int i = 0; i < PAGE_ROWS; i++) {
            int n = records.incrementAndGet();
            results.append(i == 0 ? "" : ", ").append(String.format("{\"id\": \"endless-%06d\", \"name\":"
                    + " \"endless-%06d\", \"title\": \"Endless %d\", \"metadata_modified\":"
                    + " \"2024-01-01T00:00:00\"}", n, n, n));
        }
        send(exchange, 200, "{\"success\": true, \"result\": {\"count\": 1000000, \"results\": [" + results + "]}}");
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** @return {@code http://127.0.0.1:<port>/} */
    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    /** @return how many {@code package_search} requests arrived so far */
    int searches() {
        return searches.get();
    }

    /**
     * Waits until at least {@code count} {@code package_search} requests arrived.
     *
     * @return whether they did within {@code within}
     */
    boolean awaitSearches(int count, Duration within) throws InterruptedException {
        Instant deadline = Instant.now().plus(within);
        while (searches.get() < count) {
            if (Instant.now().isAfter(deadline)) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
    }
}
