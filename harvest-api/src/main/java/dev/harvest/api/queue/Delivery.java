package dev.harvest.api.queue;

/** One message taken from a queue. Exactly one of {@link #ack()} and {@link #release()} should follow. */
public interface Delivery {

    /** @return the raw message body */
    String body();

    /** @return whether the backend knows this message was delivered before (a redelivery) */
    boolean redelivered();

    /**
     * Acknowledges the message: it is done and will not come back. Call only after the work it triggered has been
     * committed to the database.
     *
     * @throws QueueException if the acknowledgement could not be sent; the message may then be delivered again
     */
    void ack() throws QueueException;

    /**
     * Hands the message back to the queue for another consumer, e.g. on shutdown.
     *
     * @throws QueueException if it could not be handed back; the backend's own recovery still returns it
     */
    void release() throws QueueException;
}
