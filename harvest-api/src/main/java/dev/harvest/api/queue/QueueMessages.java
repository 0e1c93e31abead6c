package dev.harvest.api.queue;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The message bodies, byte for byte as ckanext-harvest writes them with Python's {@code json.dumps}:
 * {@code {"harvest_job_id": "<id>"}} and {@code {"harvest_object_id": "<id>"}}. A Python harvester and this one can
 * therefore share a broker during a migration.
 */
public final class QueueMessages {

    private static final Pattern BODY =
            Pattern.compile("^\\s*\\{\\s*\"(harvest_job_id|harvest_object_id)\"\\s*:\\s*\"([^\"\\\\]*)\"\\s*}\\s*$");

    private QueueMessages() {}

    /**
     * @param queue the queue the message goes to
     * @param id a job id (gather) or object id (fetch)
     * @return the message body
     */
    public static String body(QueueName queue, String id) {
        if (id == null || id.isEmpty() || id.indexOf('"') >= 0 || id.indexOf('\\') >= 0) {
            throw new IllegalArgumentException("Not a valid harvest id for a queue message: " + id);
        }
        return "{\"" + queue.idField() + "\": \"" + id + "\"}";
    }

    /**
     * Reads the id out of a message body.
     *
     * @param queue the queue the message came from
     * @param body the raw body
     * @return the id, or empty if the body is not a message of that queue (malformed, null id, other field)
     */
    public static Optional<String> id(QueueName queue, String body) {
        if (body == null) {
            return Optional.empty();
        }
        Matcher matcher = BODY.matcher(body);
        if (!matcher.matches() || !matcher.group(1).equals(queue.idField()) || matcher.group(2).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(matcher.group(2));
    }
}
