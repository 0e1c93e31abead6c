package dev.harvest.api.queue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Takes messages from one queue, for one thread.
 *
 * <p>Messages are taken one at a time with {@link #poll(Duration)}, or in batches with
 * {@link #pollBatch(int, Duration)} and acknowledged together with {@link #ackAll(Collection)} after the transaction
 * that processed them committed. The guarantees are the same either way: every delivery, alone or in a batch, is owned
 * by this consumer from the moment it is handed out until it is acknowledged or released; no other consumer receives
 * it meanwhile. If the consumer is closed, or its process dies (a crash, {@code SIGKILL}, a lost connection), every
 * delivery it has not acknowledged returns to the queue and is delivered again; the backend's own recovery sees to
 * that, within a bound it documents.
 *
 * <p>A backend must implement {@link #poll(Duration)} and {@link #close()}. {@link #pollBatch(int, Duration)} and
 * {@link #ackAll(Collection)} have defaults built on them, so a backend written before batches keeps working; a
 * backend overrides them to take and acknowledge a batch in fewer round trips.
 */
public interface QueueConsumer extends AutoCloseable {

    /**
     * Takes the next message, waiting at most {@code timeout}.
     *
     * @param timeout how long to wait for a message
     * @return the delivery, or empty if none arrived in time
     * @throws QueueException if the backend failed; the caller may retry, the consumer reconnects
     * @throws InterruptedException if the thread was interrupted while waiting
     */
    Optional<Delivery> poll(Duration timeout) throws QueueException, InterruptedException;

    /**
     * Takes up to max messages: waits at most timeout for the first, then takes what is already waiting without
     * waiting again. Returns an empty list if none arrived in time.
     *
     * <p>The deliveries come in queue order, each owned by this consumer exactly as if it had been taken by
     * {@link #poll(Duration)}: until it is acknowledged ({@link Delivery#ack()}, {@link #ackAll(Collection)}) or
     * released ({@link Delivery#release()}), no other consumer receives it, and if this consumer is closed or its
     * process dies first, it returns to the queue. Nothing of a batch is ever lost between the backend and the
     * caller: once the first message has been taken, a failure or an interrupt while taking the others ends the batch
     * early instead of throwing, so the caller always receives what was taken (an interrupt is then re-asserted on
     * the thread, for the caller's next blocking call to see).
     *
     * <p>A backend must take the first message as {@code poll(timeout)} would, must not wait for later messages once
     * it has the first, and should take the waiting ones in as few round trips as it can. A backend may size its
     * buffers to a batch size given to {@link HarvestQueue#consumer(QueueName, int)}; asked for more than that, it
     * may return fewer than {@code max} even when more messages are waiting.
     *
     * <p>The default takes the first with {@code poll(timeout)}, then calls {@code poll} with a very short timeout
     * (one millisecond, never zero: some backends read a zero timeout as "wait forever") until it has {@code max}
     * deliveries or a call returns nothing.
     *
     * @param max the most messages to take; at least 1
     * @param timeout how long to wait for the first message
     * @return the deliveries in queue order, at most {@code max}; empty if no message arrived in time
     * @throws IllegalArgumentException if {@code max} is less than 1
     * @throws QueueException if the backend failed before any message was taken; the caller may retry
     * @throws InterruptedException if the thread was interrupted before any message was taken
     */
    default List<Delivery> pollBatch(int max, Duration timeout) throws QueueException, InterruptedException {
        if (max < 1) {
            throw new IllegalArgumentException("A batch holds at least 1 message, asked for " + max);
        }
        Optional<Delivery> first = poll(timeout);
        if (first.isEmpty()) {
            return List.of();
        }
        List<Delivery> batch = new ArrayList<>(Math.min(max, 1_024));
        batch.add(first.get());
        Duration alreadyWaiting = Duration.ofMillis(1);
        try {
            while (batch.size() < max) {
                Optional<Delivery> next = poll(alreadyWaiting);
                if (next.isEmpty()) {
                    break;
                }
                batch.add(next.get());
            }
        } catch (InterruptedException e) {
            // The batch taken so far belongs to the caller; the interrupt is for its next blocking call.
            Thread.currentThread().interrupt();
        } catch (QueueException e) {
            // Hand out what was taken: the failure shows again on the next poll if it persists.
            System.getLogger(QueueConsumer.class.getName()).log(System.Logger.Level.WARNING,
                    "Ending a batch at " + batch.size() + " of at most " + max + " messages: " + e.getMessage());
        }
        return batch;
    }

    /**
     * Acknowledges every delivery, after the work they triggered was committed.
     *
     * <p>Each delivery is then done, as after {@link Delivery#ack()}; deliveries already acknowledged or released are
     * skipped, and deliveries this consumer still holds but that are not in the collection stay owned by it,
     * unacknowledged. If some deliveries cannot be acknowledged, the others still are, and the first failure is
     * thrown at the end with the others suppressed in it; a message whose acknowledgement failed may be delivered
     * again, which is harmless since the database decides what a message does.
     *
     * <p>The default acknowledges one by one with {@link Delivery#ack()}. A backend may acknowledge them in one round
     * trip, but must never acknowledge a delivery that is not in the collection.
     *
     * @param deliveries deliveries taken from this consumer; an empty collection does nothing
     * @throws QueueException if an acknowledgement could not be sent; the messages concerned may be delivered again
     */
    default void ackAll(Collection<Delivery> deliveries) throws QueueException {
        QueueException failure = null;
        for (Delivery delivery : deliveries) {
            try {
                delivery.ack();
            } catch (QueueException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Stops consuming; deliveries not yet acknowledged return to the queue. */
    @Override
    void close();
}
