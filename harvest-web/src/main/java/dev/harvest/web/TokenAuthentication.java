package dev.harvest.web;

import dev.harvest.core.action.ActionException;
import dev.harvest.core.auth.Actor;
import dev.harvest.core.auth.UserStore;
import io.javalin.http.Context;

/**
 * Who calls, from the API token in the {@code Authorization} header as CKAN reads it (the token alone, or after
 * {@code Bearer }), or in the older {@code X-CKAN-API-Key} header. No header is an anonymous call; a token that
 * matches no user is refused rather than downgraded, so that a revoked token is noticed.
 */
final class TokenAuthentication {

    private final UserStore users;

    TokenAuthentication(UserStore users) {
        this.users = users;
    }

    Actor actor(Context ctx) {
        String token = ctx.header("Authorization");
        if (token == null || token.isBlank()) {
            token = ctx.header("X-CKAN-API-Key");
        }
        if (token == null || token.isBlank()) {
            return Actor.anonymous();
        }
        token = token.strip();
        if (token.regionMatches(true, 0, "Bearer ", 0, 7)) {
            token = token.substring(7).strip();
        }
        return users.authenticate(token)
                .orElseThrow(() -> new ActionException.NotAuthorized("Invalid API token: it matches no user (revoked?)"));
    }
}
