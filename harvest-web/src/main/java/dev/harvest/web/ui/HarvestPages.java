package dev.harvest.web.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.harvest.core.Harvest;
import dev.harvest.core.action.ActionException;
import dev.harvest.core.action.HarvestActions;
import dev.harvest.core.auth.Actor;
import dev.harvest.core.auth.User;
import dev.harvest.core.auth.UserStore;
import dev.harvest.core.progress.JobProgress;
import dev.harvest.core.progress.ProgressFormat;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpStatus;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The web pages at {@code /harvest}: server-rendered with precompiled jte templates (every value escaped), working
 * without JavaScript. Every page goes through the {@link HarvestActions}, so the API's authorization rules are the
 * pages' rules. Every state-changing request is a POST carrying the session's CSRF token; a login takes an API token
 * and keeps the user in an {@code HttpOnly}, {@code SameSite=Lax} session cookie ({@code Secure} behind TLS).
 */
public final class HarvestPages {

    static final String COOKIE = "harvest_session";
    static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter PYTHON_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss[.SSSSSS]");

    private final Harvest harvest;
    private final HarvestActions actions;
    private final UserStore users;
    private final WebSessions sessions;
    private final TemplateEngine templates = TemplateEngine.createPrecompiled(ContentType.Html);

    /**
     * @param harvest the engine
     * @param actions its actions
     * @param users the users, for logins
     * @param clock the clock of session expiry
     */
    public HarvestPages(Harvest harvest, HarvestActions actions, UserStore users, Clock clock) {
        this.harvest = harvest;
        this.actions = actions;
        this.users = users;
        this.sessions = new WebSessions(clock);
    }

    /** @param config where to add the routes; the fixed paths come before {@code /harvest/{id}} */
    public void register(JavalinConfig config) {
        config.routes.get("/harvest/static/style.css", this::style);
        config.routes.get("/harvest", page(this::sourceList));
        config.routes.get("/harvest/login", page(this::loginForm));
        config.routes.post("/harvest/login", post(this::login));
        config.routes.post("/harvest/logout", post(this::logout));
        config.routes.get("/harvest/new", page(this::newForm));
        config.routes.post("/harvest/new", post(this::create));
        config.routes.get("/harvest/edit/{id}", page(this::editForm));
        config.routes.post("/harvest/edit/{id}", post(this::edit));
        config.routes.get("/harvest/object/{id}", page(this::objectContent));
        config.routes.get("/harvest/{id}", page(this::source));
        config.routes.get("/harvest/{id}/job", page(this::jobList));
        config.routes.get("/harvest/{id}/job/{job}", page(this::job));
        config.routes.get("/harvest/{id}/job/{job}/errors.csv", page((ctx, visit) -> exportErrors(ctx, visit, true)));
        config.routes.get("/harvest/{id}/job/{job}/errors.json", page((ctx, visit) -> exportErrors(ctx, visit, false)));
        for (String button : List.of("refresh", "abort", "clear", "clear-history", "delete")) {
            config.routes.post("/harvest/{id}/" + button, post((ctx, visit) -> button(ctx, visit, button)));
        }
    }

    // ------------------------------------------------------------------ plumbing

    /** A page handler that may throw; action errors become error pages. */
    private interface PageHandler {
        void handle(Context ctx, Visit visit) throws Exception;
    }

    /** One request's session, caller and layout context. */
    record Visit(WebSessions.Session session, Actor actor, PageContext page) {}

    private Visit visit(Context ctx) {
        Optional<WebSessions.Session> found = sessions.find(ctx.cookie(COOKIE));
        WebSessions.Session session = found.orElseGet(() -> {
            WebSessions.Session created = sessions.create(null);
            setCookie(ctx, created.id);
            return created;
        });
        Actor actor = Actor.anonymous();
        if (session.userId != null) {
            Optional<User> user = users.findUser(session.userId);
            if (user.isPresent()) {
                actor = users.actor(user.get());
            }
        }
        PageContext page = new PageContext(actor.user().map(User::name).orElse(null), actor.isSysadmin(),
                session.csrf, 0, session.takeFlash());
        return new Visit(session, actor, page);
    }

    private static void setCookie(Context ctx, String id) {
        boolean secure = "https".equalsIgnoreCase(ctx.scheme())
                || "https".equalsIgnoreCase(ctx.header("X-Forwarded-Proto"));
        ctx.res().addHeader("Set-Cookie", COOKIE + "=" + id + "; Path=/harvest; HttpOnly; SameSite=Lax"
                + (secure ? "; Secure" : ""));
    }

    private Handler page(PageHandler handler) {
        return ctx -> {
            Visit visit = visit(ctx);
            try {
                handler.handle(ctx, visit);
            } catch (ActionException e) {
                error(ctx, visit, e.status() == 409 ? 400 : e.status(), e.getMessage());
            }
        };
    }

    /** A POST handler: refused with 403 unless the form carries the session's CSRF token. */
    private Handler post(PageHandler handler) {
        return ctx -> {
            Visit visit = visit(ctx);
            String sent = ctx.formParam("_csrf");
            if (sent == null || !java.security.MessageDigest.isEqual(sent.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    visit.session().csrf.getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
                error(ctx, visit, 403, "The form's CSRF token is missing or out of date: reload the page and try again.");
                return;
            }
            try {
                handler.handle(ctx, visit);
            } catch (ActionException e) {
                error(ctx, visit, e.status() == 409 ? 400 : e.status(), e.getMessage());
            }
        };
    }

    private void render(Context ctx, String template, Map<String, Object> params) {
        StringOutput output = new StringOutput();
        templates.render(template, params, output);
        ctx.contentType("text/html;charset=utf-8").result(output.toString());
    }

    private void error(Context ctx, Visit visit, int status, String message) {
        ctx.status(status);
        render(ctx, "error.jte", Map.of("page", visit.page(), "status", status,
                "message", message == null ? "" : message));
    }

    private JsonNode call(String action, Map<String, ?> params, Actor actor) {
        return JSON.valueToTree(actions.call(action, params, actor));
    }

    private static Map<String, Object> params(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    private void style(Context ctx) throws Exception {
        try (InputStream in = HarvestPages.class.getResourceAsStream("/dev/harvest/web/static/style.css")) {
            ctx.contentType("text/css;charset=utf-8").result(in.readAllBytes());
        }
    }

    // ------------------------------------------------------------------ login

    private void loginForm(Context ctx, Visit visit) {
        render(ctx, "login.jte", params("page", visit.page(), "error", null));
    }

    private void login(Context ctx, Visit visit) {
        String token = ctx.formParam("token");
        Optional<Actor> actor = token == null ? Optional.empty() : users.authenticate(token.strip());
        if (actor.isEmpty()) {
            ctx.status(403);
            render(ctx, "login.jte", params("page", visit.page(), "error", "That API token matches no user."));
            return;
        }
        sessions.remove(visit.session().id);
        WebSessions.Session session = sessions.create(actor.get().user().orElseThrow().id());
        session.flash = "Logged in as " + actor.get().displayName() + ".";
        setCookie(ctx, session.id);
        ctx.redirect("/harvest", HttpStatus.SEE_OTHER);
    }

    private void logout(Context ctx, Visit visit) {
        sessions.remove(visit.session().id);
        WebSessions.Session session = sessions.create(null);
        session.flash = "Logged out.";
        setCookie(ctx, session.id);
        ctx.redirect("/harvest", HttpStatus.SEE_OTHER);
    }

    // ------------------------------------------------------------------ sources

    private void sourceList(Context ctx, Visit visit) {
        String query = Optional.ofNullable(ctx.queryParam("q")).orElse("").strip();
        String type = Optional.ofNullable(ctx.queryParam("type")).orElse("");
        String organization = Optional.ofNullable(ctx.queryParam("organization")).orElse("");
        String active = Optional.ofNullable(ctx.queryParam("active")).orElse("");
        Map<String, Object> listParams = params();
        if (!organization.isBlank()) {
            listParams.put("organization_id", organization);
        }
        JsonNode all = call("harvest_source_list", listParams, visit.actor());
        ArrayNode shown = JSON.createArrayNode();
        String needle = query.toLowerCase(Locale.ROOT);
        for (JsonNode source : all) {
            boolean matches = needle.isEmpty() || (source.path("name").asText() + " " + source.path("title").asText()
                    + " " + source.path("url").asText()).toLowerCase(Locale.ROOT).contains(needle);
            if (matches && (type.isBlank() || type.equals(source.path("type").asText()))
                    && (active.isBlank() || active.equals(Boolean.toString(source.path("active").asBoolean())))) {
                shown.add(source);
            }
        }
        render(ctx, "sources.jte", params("page", visit.page(), "sources", shown, "q", query, "type", type,
                "organization", organization, "active", active,
                "harvesters", call("harvesters_info_show", Map.of(), visit.actor()),
                "canCreate", visit.actor().isSysadmin() || !visit.actor().memberships().isEmpty()));
    }

    private void source(Context ctx, Visit visit) {
        JsonNode source = call("harvest_source_show", Map.of("id", ctx.pathParam("id")), visit.actor());
        boolean canEdit = visit.actor().canEdit(source.path("owner_org").isNull() ? null
                : source.path("owner_org").asText());
        JsonNode jobs = canEdit ? call("harvest_job_list", Map.of("source_id", source.path("id").asText(),
                "limit", 10), visit.actor()) : JSON.createArrayNode();
        render(ctx, "source.jte", params("page", visit.page(), "source", source, "jobs", jobs, "canEdit", canEdit));
    }

    private void newForm(Context ctx, Visit visit) {
        if (visit.actor().isAnonymous()) {
            throw new ActionException.NotAuthorized("Log in to create a harvest source.");
        }
        renderForm(ctx, visit, null, JSON.createObjectNode().put("frequency", "MANUAL"), Map.of());
    }

    private void renderForm(Context ctx, Visit visit, String sourceId, JsonNode values,
            Map<String, List<String>> errors) {
        render(ctx, "form.jte", params("page", visit.page(), "sourceId", sourceId, "values", values,
                "errors", errors, "harvesters", call("harvesters_info_show", Map.of(), visit.actor()),
                "frequencies", Harvest.FREQUENCIES));
    }

    private static final List<String> FORM_FIELDS = List.of("name", "title", "url", "notes", "source_type",
            "frequency", "config", "owner_org");

    private Map<String, Object> formValues(Context ctx) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (String field : FORM_FIELDS) {
            String value = ctx.formParam(field);
            if (value != null) {
                values.put(field, value);
            }
        }
        return values;
    }

    private void create(Context ctx, Visit visit) {
        Map<String, Object> values = formValues(ctx);
        try {
            JsonNode created = call("harvest_source_create", values, visit.actor());
            visit.session().flash = "Harvest source created.";
            ctx.redirect("/harvest/" + created.path("name").asText(), HttpStatus.SEE_OTHER);
        } catch (ActionException.Validation e) {
            ctx.status(400);
            renderForm(ctx, visit, null, JSON.valueToTree(values), e.fieldErrors());
        }
    }

    private void editForm(Context ctx, Visit visit) {
        JsonNode source = call("harvest_source_show", Map.of("id", ctx.pathParam("id")), visit.actor());
        if (!visit.actor().canEdit(source.path("owner_org").isNull() ? null : source.path("owner_org").asText())) {
            throw new ActionException.NotAuthorized("Not authorized to edit this harvest source.");
        }
        renderForm(ctx, visit, source.path("id").asText(), source, Map.of());
    }

    private void edit(Context ctx, Visit visit) {
        Map<String, Object> values = formValues(ctx);
        values.remove("name");
        values.remove("source_type");
        values.put("id", ctx.pathParam("id"));
        try {
            JsonNode updated = call("harvest_source_patch", values, visit.actor());
            visit.session().flash = "Harvest source saved.";
            ctx.redirect("/harvest/" + updated.path("name").asText(), HttpStatus.SEE_OTHER);
        } catch (ActionException.Validation e) {
            ctx.status(400);
            JsonNode current = call("harvest_source_show", Map.of("id", ctx.pathParam("id")), visit.actor());
            com.fasterxml.jackson.databind.node.ObjectNode shown = current.deepCopy();
            values.forEach((key, value) -> shown.put(key, String.valueOf(value)));
            renderForm(ctx, visit, current.path("id").asText(), shown, e.fieldErrors());
        }
    }

    private void button(Context ctx, Visit visit, String button) {
        JsonNode source = call("harvest_source_show", Map.of("id", ctx.pathParam("id")), visit.actor());
        String id = source.path("id").asText();
        String message;
        try {
            switch (button) {
                case "refresh" -> {
                    call("harvest_job_create", Map.of("source_id", id), visit.actor());
                    message = "Harvest will start shortly. Refresh this page for updates.";
                }
                case "abort" -> {
                    call("harvest_job_abort", Map.of("source_id", id), visit.actor());
                    message = "Harvest job stopped.";
                }
                case "clear" -> {
                    call("harvest_source_clear", Map.of("id", id), visit.actor());
                    message = "Harvest source cleared.";
                }
                case "clear-history" -> {
                    call("harvest_source_job_history_clear", Map.of("id", id), visit.actor());
                    message = "Job history cleared; the datasets are kept.";
                }
                case "delete" -> {
                    call("harvest_source_delete", Map.of("id", id,
                            "clear_source", "true".equals(ctx.formParam("clear"))), visit.actor());
                    message = "true".equals(ctx.formParam("clear")) ? "Harvesting source successfully cleared."
                            : "Harvesting source successfully inactivated.";
                }
                default -> throw new IllegalArgumentException(button);
            }
        } catch (ActionException.Conflict | ActionException.Validation e) {
            message = "An error occurred: [" + e.getMessage() + "]";
        }
        visit.session().flash = message;
        ctx.redirect("/harvest/" + source.path("name").asText(), HttpStatus.SEE_OTHER);
    }

    // ------------------------------------------------------------------ jobs

    private void jobList(Context ctx, Visit visit) {
        JsonNode source = call("harvest_source_show", Map.of("id", ctx.pathParam("id")), visit.actor());
        JsonNode jobs = call("harvest_job_list", Map.of("source_id", source.path("id").asText()), visit.actor());
        render(ctx, "jobs.jte", params("page", visit.page(), "source", source, "jobs", jobs));
    }

    private void job(Context ctx, Visit visit) {
        JsonNode source = call("harvest_source_show", Map.of("id", ctx.pathParam("id")), visit.actor());
        String jobId = ctx.pathParam("job");
        if ("last".equals(jobId)) {
            JsonNode last = source.path("status").path("last_job");
            if (last.isNull() || last.isMissingNode()) {
                throw new ActionException.NotFound("No jobs yet for this source");
            }
            jobId = last.path("id").asText();
        }
        JsonNode job = call("harvest_job_show", Map.of("id", jobId), visit.actor());
        JsonNode report = call("harvest_job_report", Map.of("id", jobId), visit.actor());
        boolean running = List.of("New", "Running").contains(job.path("status").asText());
        String progress = running ? progressLine(job) : null;
        PageContext page = running ? visit.page().refreshingEvery(5) : visit.page();
        render(ctx, "job.jte", params("page", page, "source", source, "job", job, "report", report,
                "progress", progress));
    }

    /** Objects by stage, rate and ETA, as the command line's progress line. */
    private String progressLine(JsonNode job) {
        Optional<JobProgress> progress = harvest.queries().jobProgress(job.path("id").asText());
        if (progress.isEmpty()) {
            return null;
        }
        OptionalDouble rate = OptionalDouble.empty();
        Optional<Duration> eta = Optional.empty();
        String started = job.path("gather_started").asText(null);
        var sample = progress.get().sample();
        if (started != null && sample.done() > 0) {
            LocalDateTime since = LocalDateTime.parse(started, PYTHON_TIME);
            double seconds = Math.max(1, Duration.between(since, LocalDateTime.now(ZoneOffset.UTC)).toSeconds());
            double perSecond = sample.done() / seconds;
            rate = OptionalDouble.of(perSecond);
            if (sample.totalIsFinal() && sample.total() > sample.done()) {
                eta = Optional.of(Duration.ofSeconds((long) ((sample.total() - sample.done()) / perSecond)));
            }
        }
        return ProgressFormat.line(sample, rate, eta);
    }

    private void exportErrors(Context ctx, Visit visit, boolean csv) throws Exception {
        String jobId = ctx.pathParam("job");
        call("harvest_job_show", Map.of("id", jobId), visit.actor()); // who may see the job may export its errors
        ErrorExport.write(harvest, jobId, csv, ctx);
    }

    // ------------------------------------------------------------------ objects

    /** Spec §11.4: the object's stored content (or extra {@code original_document}), as XML, JSON or text. */
    private void objectContent(Context ctx, Visit visit) {
        JsonNode object = call("harvest_object_show", Map.of("id", ctx.pathParam("id")), visit.actor());
        String content = object.path("content").asText(null);
        if (content == null || content.isEmpty()) {
            content = object.path("extras").path("original_document").asText(null);
        }
        if (content == null || content.isEmpty()) {
            throw new ActionException.NotFound("No content found");
        }
        String trimmed = content.strip();
        String type = trimmed.startsWith("<") ? "application/xml;charset=utf-8"
                : trimmed.startsWith("{") || trimmed.startsWith("[") ? "application/json;charset=utf-8"
                : "text/plain;charset=utf-8";
        ctx.contentType(type).result(content);
    }
}
