package dev.harvest.api.queue;

/** A queue backend failed: unreachable, refused a publish, lost its connection. */
public class QueueException extends Exception {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, in one line that names the queue problem
     */
    public QueueException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong, in one line
     * @param cause the underlying failure
     */
    public QueueException(String message, Throwable cause) {
        super(message, cause);
    }
}
