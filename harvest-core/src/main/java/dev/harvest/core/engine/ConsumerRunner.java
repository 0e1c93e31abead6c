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
 * and carries on: no exception ends a worker. {@link #stop()} lets each worker finish its batch, then closes its
 * consumer, which hands back anything unacknowledged.
 */
public final class ConsumerRunner {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerRunner.class);
    private static final Duration POLL = Duration.ofSeconds(1);

    private final HarvestQueue queue;
    private final QueueName queueName;
    private final Consumer<List<String>> handler;
    private final int batchSize;
    private final int threads;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong handled = new AtomicLong();
    private final AtomicLong idle = new AtomicLong();
    private final List<Thread> workers = new ArrayList<>();

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
            Thread worker = new Thread(this::work, queueName.name().toLowerCase() + "-consumer-" + i);
            workers.add(worker);
            worker.start();
        }
        LOG.info("Consuming the {} queue with {} worker thread(s)", queueName.name().toLowerCase(), threads);
    }

    /** Asks the workers to stop after their current message and waits for them. */
    public void stop() {
        running.set(false);
        for (Thread worker : workers) {
            try {
                worker.join(TimeUnit.MINUTES.toMillis(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        LOG.info("Stopped consuming the {} queue after {} message(s)", queueName.name().toLowerCase(), handled.get());
    }

    /** Blocks until {@link #stop()} was called and the workers ended. */
    public void awaitTermination() throws InterruptedException {
        for (Thread worker : List.copyOf(workers)) {
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
                    ids.size() == 1 ? ids.get(0) : "messages", e.getMessage(), e);
            for (Delivery delivery : valid) {
                delivery.release();
            }
            sleep(1000);
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
