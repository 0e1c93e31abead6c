package dev.harvest.web;

import dev.harvest.core.Harvest;
import dev.harvest.core.action.HarvestActions;
import dev.harvest.core.auth.UserStore;
import dev.harvest.web.ui.HarvestPages;
import io.javalin.Javalin;

/**
 * The HTTP server of {@code harvester serve}: the CKAN action API at {@code /api/3/action/{name}} and
 * {@code /api/action/{name}}, the web pages at {@code /harvest}, {@code /metrics} (Prometheus) and {@code /health},
 * with security headers on every response. Javalin on Jetty 12.
 *
 * <pre>{@code
 * try (HarvestWebServer server = HarvestWebServer.start(harvest, users, "127.0.0.1", 5000)) { ... }
 * }</pre>
 */
public final class HarvestWebServer implements AutoCloseable {

    /** The Content-Security-Policy of every response: nothing from elsewhere, no inline script, no framing. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'self'; img-src 'self';"
            + " form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private static final String STARTED = "harvest.started";

    private final Javalin app;
    private final Health health;
    private final HarvestMetrics metrics;

    private HarvestWebServer(Javalin app, Health health, HarvestMetrics metrics) {
        this.app = app;
        this.health = health;
        this.metrics = metrics;
    }

    /**
     * Starts the server.
     *
     * @param harvest the engine
     * @param users the users and their tokens
     * @param host the address to listen on ({@code 127.0.0.1} by default in {@code serve})
     * @param port the port; 0 for any free one
     * @return the running server
     */
    public static HarvestWebServer start(Harvest harvest, UserStore users, String host, int port) {
        HarvestActions actions = new HarvestActions(harvest, users);
        ActionApi api = new ActionApi(actions, new TokenAuthentication(users));
        HarvestPages pages = new HarvestPages(harvest, actions, users, java.time.Clock.systemUTC());
        HarvestMetrics metrics = new HarvestMetrics(harvest);
        Health health = new Health(harvest);
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.http.maxRequestSize = 10_000_000L;
            config.routes.before(ctx -> {
                ctx.attribute(STARTED, System.nanoTime());
                SecurityHeaders.apply(ctx);
            });
            config.routes.after(ctx -> {
                Long started = ctx.attribute(STARTED);
                if (started != null) {
                    metrics.timeRequest(ctx, started);
                }
            });
            config.routes.get("/metrics", metrics::scrape);
            config.routes.get("/health", health::handle);
            for (String prefix : new String[] {"/api/3/action/", "/api/action/"}) {
                config.routes.get(prefix + "{name}", api::handle);
                config.routes.post(prefix + "{name}", api::handle);
            }
            pages.register(config);
        });
        app.start(host, port);
        return new HarvestWebServer(app, health, metrics);
    }

    /** @return the port the server listens on */
    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
        health.close();
        metrics.close();
    }
}
