package dev.harvest.core.auth;

/**
 * A token just created: the only time its text exists outside the caller's hands.
 *
 * @param token the token as listed
 * @param secret the text to send in the {@code Authorization} header; only its SHA-256 is stored
 */
public record NewToken(ApiToken token, String secret) {}
