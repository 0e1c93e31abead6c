package dev.harvest.api.queue;

/** A queue backend failed: unreachable, refused a publish, lost its connection. */
public class QueueException extends Exception {

    private static final long serialVersionUID = 1L;

    public QueueException(String message) {
        super(message);
    }

    public QueueException(String message, Throwable cause) {
        super(message, cause);
    }
}
