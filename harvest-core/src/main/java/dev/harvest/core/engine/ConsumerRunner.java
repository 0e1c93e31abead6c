package dev.harvest.core.engine;

import dev.harvest.api.queue.Delivery;
import dev.harvest.api.queue.HarvestQueue;
import dev.harvest.api.queue.QueueConsumer;
import dev.harvest.api.queue.QueueException;
import dev.harvest.api.queue.QueueMessages;
import dev.harvest.api.queue.QueueName;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long-running consumer of one queue ({@code harvester gather_consumer} / {@code fetch_consumer}) with a number
 * of worker threads, each with its own {@link QueueConsumer}. Each worker takes up to a batch of messages at once
 * and hands their ids to the handler together.
 *
 * <p>Messages are acknowledged only after the handler returned, i.e. after the work was committed. A handler that
 * throws (the database is down, a publish failed) gets its batch released for redelivery, and the worker backs off
 * and carries on: no exception ends a worker. {@link #stop()} lets each worker finish its batch for a short grace
 * period, then asks the work in flight to stop ({@link #stopSignal()}: a gather stops at its harvester's next call,
 * a fetch batch before its next object, and both give their work back) and interrupts the workers, so that a
 * consumer stops within seconds even mid-gather or mid-request. Anything unacknowledged goes back to the queue.
 */
public final class ConsumerRunner {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerRunner.class);
    private static final Duration POLL = Duration.ofSeconds(1);
    /** How long {@link #stop()} lets the workers finish their batch before it asks the work in flight to stop. */
    private static final Duration GRACE = Duration.ofSeconds(3);
    /** How long {@link #stop()} then waits for the workers to give their work back. */
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);

    private final HarvestQueue queue;
    private final QueueName queueName;
    private final Consumer<List<String>> handler;
    private final int batchSize;
    private final int threads;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong handled = new AtomicLong();
    private final AtomicLong idle = new AtomicLong();
    private final List<Worker> workers = new ArrayList<>();

    /**
     * @param queue the queue backend
     * @param queueName the queue to consume
     * @param handler called with the ids of each batch of messages; returns once their work is committed
     * @param batchSize the most messages a worker takes at once
     * @param threads the number of worker threads
     */
    public ConsumerRunner(HarvestQueue queue, QueueName queueName, Consumer<List<String>> handler, int batchSize,
            int threads) {
        this.queue = queue;
        this.queueName = queueName;
        this.handler = handler;
        this.batchSize = batchSize;
        this.threads = threads;
    }

    /** Starts the worker threads. */
    public synchronized void start() {
        if (!running.compareAndSet(false, true)) {
            return;
        }
        for (int i = 1; i <= threads; i++) {
            Worker worker = new Worker(this::work, queueName.name().toLowerCase() + "-consumer-" + i);
            workers.add(worker);
            worker.start();
        }
        LOG.info("Consuming the {} queue with {} worker thread(s)", queueName.name().toLowerCase(), threads);
    }

    /**
     * Asks the workers to stop after their current batch; after a grace period of a few seconds, asks the work in
     * flight to stop and give its work back, and interrupts the workers; returns once they ended or a few more
     * seconds passed (work still running then is recovered when its lease expires).
     */
    public void stop() {
        running.set(false);
        try {
            if (!joinAll(GRACE)) {
                LOG.info("Stopping the {} consumer: asking the work in flight to stop", queueName.name().toLowerCase());
                for (Worker worker : workers) {
                    worker.stopping = true;
                    worker.interrupt();
                }
                if (!joinAll(STOP_WAIT)) {
                    LOG.warn("Some {} work did not stop within {} s; its lease expires and another worker resumes it",
                            queueName.name().toLowerCase(), STOP_WAIT.toSeconds());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        LOG.info("Stopped consuming the {} queue after {} message(s)", queueName.name().toLowerCase(), handled.get());
    }

    private boolean joinAll(Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        for (Worker worker : workers) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left > 0) {
                worker.join(left);
            }
            if (worker.isAlive()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the consumer whose worker runs the calling thread's work was asked to stop the work in flight. Work
     * that hands parts to other threads takes the signal on the worker thread and passes it along.
     *
     * @return the signal of the calling worker thread; never true outside a consumer's workers
     */
    public static java.util.function.BooleanSupplier stopSignal() {
        if (Thread.currentThread() instanceof Worker worker) {
            return () -> worker.stopping;
        }
        return () -> false;
    }

    /** A worker thread, with the flag {@link #stop()} sets when the work in flight must stop. */
    private static final class Worker extends Thread {
        private volatile boolean stopping;

        Worker(Runnable work, String name) {
            super(work, name);
        }
    }

    /** Blocks until {@link #stop()} was called and the workers ended. */
    public void awaitTermination() throws InterruptedException {
        for (Thread worker : List.<Thread>copyOf(workers)) {
            worker.join();
        }
    }

    /** @return messages handled so far */
    public long handledCount() {
        return handled.get();
    }

    /** @return how many polls in a row found the queue empty, summed over the workers (reset by any message) */
    public long idlePolls() {
        return idle.get();
    }

    private void work() {
        QueueConsumer consumer = null;
        long backoffMillis = 500;
        while (running.get()) {
            try {
                if (consumer == null) {
                    consumer = queue.consumer(queueName, batchSize);
                }
                List<Delivery> batch = consumer.pollBatch(batchSize, POLL);
                if (batch.isEmpty()) {
                    idle.incrementAndGet();
                    continue;
                }
                idle.set(0);
                handle(consumer, batch);
                backoffMillis = 500;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (QueueException | RuntimeException e) {
                LOG.warn("The {} queue failed: {}; retrying in {} ms", queueName.name().toLowerCase(), e.getMessage(),
                        backoffMillis);
                closeQuietly(consumer);
                consumer = null;
                sleep(backoffMillis);
                backoffMillis = Math.min(backoffMillis * 2, 30_000);
            }
        }
        closeQuietly(consumer);
    }

    private void handle(QueueConsumer consumer, List<Delivery> batch) throws QueueException {
        List<String> ids = new ArrayList<>(batch.size());
        List<Delivery> valid = new ArrayList<>(batch.size());
        for (Delivery delivery : batch) {
            Optional<String> id = QueueMessages.id(queueName, delivery.body());
            if (id.isEmpty()) {
                LOG.error("No harvest {} id received: message {} dropped", kind(), delivery.body());
                delivery.ack();
            } else {
                ids.add(id.get());
                valid.add(delivery);
            }
        }
        if (ids.isEmpty()) {
            return;
        }
        try {
            handler.accept(ids);
        } catch (RuntimeException | Error e) {
            // an Error too (a StackOverflowError that escaped, say): the messages go back, the worker lives on
            LOG.warn("Could not process {} {} {}: {}; the messages go back to the queue", ids.size(), kind(),
                    ids.size() == 1 ? ids.get(0) : "messages", dev.harvest.core.store.ErrorText.describe(e));
            // a consumer stopping mid-work was interrupted: hand the messages back before anything else
            boolean interrupted = Thread.interrupted();
            try {
                for (Delivery delivery : valid) {
                    delivery.release();
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            if (running.get()) {
                sleep(1000);
            }
            return;
        }
        consumer.ackAll(valid);
        handled.addAndGet(valid.size());
    }

    private String kind() {
        return queueName == QueueName.GATHER ? "job" : "object";
    }

    private static void closeQuietly(QueueConsumer consumer) {
        if (consumer != null) {
            try {
                consumer.close();
            } catch (RuntimeException e) {
                LOG.debug("Closing a queue consumer failed", e);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
