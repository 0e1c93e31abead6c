package dev.harvest.queue.redis;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Redis server's version, read from {@code INFO server} ({@code redis_version:7.0.15}), and whether this backend
 * can use it: consumers move messages from the waiting list to a processing list with {@code BLMOVE}, which Redis
 * has since 6.2. An older server would fail at the first consume with an unknown-command error, long after startup.
 *
 * @param major the major version
 * @param minor the minor version
 * @param text the version as the server gives it
 */
record RedisVersion(int major, int minor, String text) {

    /** The oldest Redis this backend works with. */
    static final RedisVersion REQUIRED = new RedisVersion(6, 2, "6.2");

    private static final Pattern VERSION = Pattern.compile("(?m)^redis_version:(\\d+)\\.(\\d+)(\\S*)");

    /**
     * @param info the reply of {@code INFO server} (or {@code INFO})
     * @return the version, or empty when the reply has no {@code redis_version} line (a server that hides it)
     */
    static Optional<RedisVersion> fromInfo(String info) {
        Matcher matcher = VERSION.matcher(info == null ? "" : info);
        if (!matcher.find()) {
            return Optional.empty();
        }
        return Optional.of(new RedisVersion(Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2)),
                matcher.group(1) + "." + matcher.group(2) + matcher.group(3)));
    }

    /** @return whether the server has {@code BLMOVE} */
    boolean supportsBlmove() {
        return major > REQUIRED.major || (major == REQUIRED.major && minor >= REQUIRED.minor);
    }

    /**
     * @param where the server, for the message
     * @return the one line that says why this server cannot be used
     */
    String tooOld(String where) {
        return "Redis at " + where + " is version " + text + "; the redis queue backend needs Redis "
                + REQUIRED.text + " or newer (its consumers move messages with BLMOVE, new in 6.2)";
    }
}
