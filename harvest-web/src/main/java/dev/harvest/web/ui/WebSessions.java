package dev.harvest.web.ui;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The browser sessions of the web pages, in memory: a random id (the cookie), a CSRF token for every form, and the
 * user logged in with an API token. A restart logs everyone out, which is acceptable for an operator's console.
 * Sessions idle for {@link #IDLE} end; at most {@link #MAX_SESSIONS} live at once (the oldest go first).
 */
final class WebSessions {

    static final Duration IDLE = Duration.ofHours(8);
    static final int MAX_SESSIONS = 10_000;

    private static final SecureRandom RANDOM = new SecureRandom();

    /** One browser's session. */
    static final class Session {
        final String id;
        final String csrf;
        final String userId;
        volatile Instant lastSeen;
        volatile String flash;

        Session(String id, String csrf, String userId, Instant now) {
            this.id = id;
            this.csrf = csrf;
            this.userId = userId;
            this.lastSeen = now;
        }

        /** @return the one-time message, cleared as it is read */
        String takeFlash() {
            String message = flash;
            flash = null;
            return message;
        }
    }

    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Clock clock;

    WebSessions(Clock clock) {
        this.clock = clock;
    }

    static String randomToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** @return the live session with this id */
    Optional<Session> find(String id) {
        if (id == null) {
            return Optional.empty();
        }
        Session session = sessions.get(id);
        Instant now = clock.instant();
        if (session == null || session.lastSeen.plus(IDLE).isBefore(now)) {
            if (session != null) {
                sessions.remove(id);
            }
            return Optional.empty();
        }
        session.lastSeen = now;
        return Optional.of(session);
    }

    /**
     * @param userId the user logged in, or null for an anonymous visitor
     * @return a new session with a new id and CSRF token (a login always gets a new one: no session fixation)
     */
    Session create(String userId) {
        if (sessions.size() >= MAX_SESSIONS) {
            Instant now = clock.instant();
            sessions.values().removeIf(s -> s.lastSeen.plus(IDLE).isBefore(now));
            if (sessions.size() >= MAX_SESSIONS) {
                sessions.values().stream().min(java.util.Comparator.comparing(s -> s.lastSeen))
                        .ifPresent(oldest -> sessions.remove(oldest.id));
            }
        }
        Session session = new Session(randomToken(), randomToken(), userId, clock.instant());
        sessions.put(session.id, session);
        return session;
    }

    void remove(String id) {
        if (id != null) {
            sessions.remove(id);
        }
    }
}
