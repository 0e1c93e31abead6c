package dev.harvest.web;

import dev.harvest.api.queue.QueueName;
import dev.harvest.core.Harvest;
import io.javalin.http.Context;
import java.sql.Connection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * {@code /health} for load balancers: 200 {@code {"status": "ok", "database": "ok", "queue": "ok"}} when the
 * database answers and the queue can count its messages, else 503 naming what failed. Each check has 5 seconds.
 */
final class Health implements AutoCloseable {

    private static final long TIMEOUT_SECONDS = 5;

    private final Harvest harvest;
    private final ExecutorService checks = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "health-check");
        thread.setDaemon(true);
        return thread;
    });

    Health(Harvest harvest) {
        this.harvest = harvest;
    }

    void handle(Context ctx) {
        Map<String, Object> body = new LinkedHashMap<>();
        String database = check(() -> {
            try (Connection connection = harvest.stores().database().dataSource().getConnection()) {
                if (!connection.isValid((int) TIMEOUT_SECONDS)) {
                    throw new IllegalStateException("the connection is not valid");
                }
            }
            return null;
        });
        String queue = check(() -> harvest.queue().waitingCount(QueueName.GATHER));
        boolean ok = database.equals("ok") && queue.equals("ok");
        body.put("status", ok ? "ok" : "unavailable");
        body.put("database", database);
        body.put("queue", queue);
        ActionApi.respond(ctx, ok ? 200 : 503, body);
    }

    private String check(Callable<?> check) {
        Future<?> future = checks.submit(check);
        try {
            future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return "ok";
        } catch (java.util.concurrent.TimeoutException e) {
            future.cancel(true);
            return "no answer within " + TIMEOUT_SECONDS + " s";
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            return "failed: " + (cause.getMessage() == null ? cause.getClass().getSimpleName()
                    : cause.getMessage().lines().findFirst().orElse(""));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    @Override
    public void close() {
        checks.shutdownNow();
    }
}
