package dev.harvest.core.auth;

import java.time.LocalDateTime;

/**
 * An API token as listed: never its text, which only its creation shows.
 *
 * @param id the token's id (what {@code token revoke} takes)
 * @param userName its user
 * @param name a label given at creation, or null
 * @param created when it was created (UTC)
 * @param lastUsed when it last authenticated a request (UTC), or null
 */
public record ApiToken(String id, String userName, String name, LocalDateTime created, LocalDateTime lastUsed) {}
