package dev.harvest.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.core.action.ActionDefinition;
import dev.harvest.core.action.ActionException;
import dev.harvest.core.action.HarvestActions;
import dev.harvest.core.auth.Actor;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CKAN's action API over HTTP: {@code GET} (query parameters, side-effect-free actions only) and {@code POST} (a
 * JSON object, or form parameters) on {@code /api/3/action/{name}}, answered with CKAN's envelope
 * {@code {help, success, result}} or {@code {help, success: false, error: {__type, message, <field>: [...]}}}.
 */
final class ActionApi {

    private static final Logger LOG = LoggerFactory.getLogger(ActionApi.class);

    static final ObjectMapper JSON = new ObjectMapper();

    private final HarvestActions actions;
    private final TokenAuthentication authentication;

    ActionApi(HarvestActions actions, TokenAuthentication authentication) {
        this.actions = actions;
        this.authentication = authentication;
    }

    void handle(Context ctx) {
        String name = ctx.pathParam("name");
        String help = ctx.scheme() + "://" + ctx.host() + "/api/3/action/help_show?name=" + name;
        try {
            Optional<ActionDefinition> definition = actions.find(name);
            if (definition.isEmpty()) {
                badRequest(ctx, help, "Bad request - Action name not known: " + name);
                return;
            }
            if (ctx.method() == HandlerType.GET && !definition.get().sideEffectFree()) {
                badRequest(ctx, help, "Bad request - JSON Error: Invalid request. Please use POST method for your"
                        + " request");
                return;
            }
            Map<String, Object> params;
            try {
                params = ctx.method() == HandlerType.POST ? postParams(ctx) : queryParams(ctx);
            } catch (BadRequest e) {
                badRequest(ctx, help, e.getMessage());
                return;
            }
            Actor actor = authentication.actor(ctx);
            Object result = actions.call(name, params, actor);
            Map<String, Object> envelope = new LinkedHashMap<>();
            envelope.put("help", help);
            envelope.put("success", true);
            envelope.put("result", result);
            respond(ctx, 200, envelope);
        } catch (ActionException e) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("__type", e.type());
            error.put("message", e.getMessage());
            error.putAll(e.fieldErrors());
            fail(ctx, help, e.status(), error);
        } catch (RuntimeException e) {
            LOG.error("Action {} failed", name, e);
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("__type", "Internal Server Error");
            error.put("message", "Internal Server Error: " + (e.getMessage() == null ? e.getClass().getSimpleName()
                    : e.getMessage().lines().findFirst().orElse("")));
            fail(ctx, help, 500, error);
        }
    }

    private static Map<String, Object> queryParams(Context ctx) {
        return flatten(ctx.queryParamMap());
    }

    private static Map<String, Object> flatten(Map<String, List<String>> multi) {
        Map<String, Object> params = new LinkedHashMap<>();
        multi.forEach((key, values) -> params.put(key, values.size() == 1 ? values.get(0) : List.copyOf(values)));
        return params;
    }

    private static Map<String, Object> postParams(Context ctx) {
        String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(java.util.Locale.ROOT);
        String body = ctx.body();
        boolean json = body != null && body.strip().startsWith("{");
        // curl -d '{...}' sends JSON as a form; CKAN reads such a body as JSON too
        if (type.startsWith("multipart/form-data")
                || type.startsWith("application/x-www-form-urlencoded") && !json) {
            return flatten(ctx.formParamMap());
        }
        if (body == null || body.isBlank()) {
            return queryParams(ctx);
        }
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new BadRequest("Bad request - JSON Error: Could not parse the request body as JSON: "
                    + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new BadRequest("Bad request - JSON Error: Request data JSON decoded to " + body.strip()
                    .substring(0, Math.min(60, body.strip().length())) + " but a dictionary was required");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> params = JSON.convertValue(node, LinkedHashMap.class);
        return params;
    }

    private static void badRequest(Context ctx, String help, String message) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("__type", "Bad Request");
        error.put("message", message);
        fail(ctx, help, 400, error);
    }

    private static void fail(Context ctx, String help, int status, Map<String, Object> error) {
        Map<String, Object> envelope = new LinkedHashMap<>();
        envelope.put("help", help);
        envelope.put("success", false);
        envelope.put("error", error);
        respond(ctx, status, envelope);
    }

    static void respond(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json;charset=utf-8").result(JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A result that is not JSON: " + e.getMessage(), e);
        }
    }

    /** A request that is not a CKAN action call. */
    private static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message);
        }
    }
}
