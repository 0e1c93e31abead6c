package dev.harvest.core.engine;

import dev.harvest.api.queue.Delivery;
import dev.harvest.api.queue.HarvestQueue;
import dev.harvest.api.queue.QueueConsumer;
import dev.harvest.api.queue.QueueException;
import dev.harvest.api.queue.QueueMessages;
import dev.harvest.api.queue.QueueName;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
 *
 * <p>With a {@link StalledWork} policy (the gather consumer), work that made no progress ({@link #progressSignal()})
 * for a while, such as a gather waiting on a remote that hangs or drips its answer, keeps running but gives its slot
 * to a new worker, up to a cap of stalled workers: a few hostile sources cannot hold every thread while the other
 * sources' jobs wait. A worker whose stalled work ends retires if the slots are full.
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
    private final StalledWork stalledWork;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong handled = new AtomicLong();
    private final AtomicLong idle = new AtomicLong();
    private final AtomicInteger workerNumber = new AtomicInteger();
    private final List<Worker> workers = new CopyOnWriteArrayList<>();
    private ScheduledExecutorService watch;

    /**
     * When work counts as stalled and leaves its slot to a new worker.
     *
     * @param after how long without progress
     * @param maxStalled how many stalled workers may run besides the slots
     * @param clock the clock progress is measured with
     */
    public record StalledWork(Duration after, int maxStalled, Clock clock) {}

    /**
     * @param queue the queue backend
     * @param queueName the queue to consume
     * @param handler called with the ids of each batch of messages; returns once their work is committed
     * @param batchSize the most messages a worker takes at once
     * @param threads the number of worker threads
     */
    public ConsumerRunner(HarvestQueue queue, QueueName queueName, Consumer<List<String>> handler, int batchSize,
            int threads) {
        this(queue, queueName, handler, batchSize, threads, null);
    }

    /**
     * @param queue the queue backend
     * @param queueName the queue to consume
     * @param handler called with the ids of each batch of messages; returns once their work is committed
     * @param batchSize the most messages a worker takes at once
     * @param threads the number of worker threads (slots)
     * @param stalledWork when stalled work gives its slot to a new worker, or null for never
     */
    public ConsumerRunner(HarvestQueue queue, QueueName queueName, Consumer<List<String>> handler, int batchSize,
            int threads, StalledWork stalledWork) {
        this.queue = queue;
        this.queueName = queueName;
        this.handler = handler;
        this.batchSize = batchSize;
        this.threads = threads;
        this.stalledWork = stalledWork;
    }

    /** Starts the worker threads. */
    public synchronized void start() {
        if (!running.compareAndSet(false, true)) {
            return;
        }
        for (int i = 1; i <= threads; i++) {
            addWorker();
        }
        if (stalledWork != null) {
            watch = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, queueName.name().toLowerCase() + "-consumer-watch");
                thread.setDaemon(true);
                return thread;
            });
            watch.scheduleWithFixedDelay(this::checkStalledWork, 1, 1, TimeUnit.SECONDS);
        }
        LOG.info("Consuming the {} queue with {} worker thread(s)", queueName.name().toLowerCase(), threads);
    }

    private void addWorker() {
        Worker worker = new Worker(this::work, queueName.name().toLowerCase() + "-consumer-"
                + workerNumber.incrementAndGet(), stalledWork == null ? null : stalledWork.clock());
        workers.add(worker);
        worker.start();
    }

    /**
     * Marks the work that made no progress for {@link StalledWork#after()} as stalled, and starts workers for the
     * slots it left, within the cap.
     */
    synchronized void checkStalledWork() {
        if (!running.get()) {
            return;
        }
        try {
            long now = stalledWork.clock().millis();
            for (Worker worker : workers) {
                if (worker.busyWith != null && !worker.stalled
                        && now - worker.lastProgress >= stalledWork.after().toMillis()) {
                    worker.stalled = true;
                    LOG.info("The {} of {} {} made no progress for {} s: it goes on, and another worker takes its"
                            + " place (harvest.gather.stalled_after_seconds)", kind().equals("job") ? "gather"
                            : "work", kind(), worker.busyWith, (now - worker.lastProgress) / 1000);
                }
            }
            long slotsHeld = workers.stream().filter(worker -> !worker.stalled).count();
            while (slotsHeld < threads && workers.size() < threads + stalledWork.maxStalled()) {
                addWorker();
                slotsHeld++;
            }
        } catch (RuntimeException e) {
            LOG.warn("Could not check the {} consumer's workers: {}", queueName.name().toLowerCase(), e.toString());
        }
    }

    /**
     * Called by a worker whose stalled work ended: it takes its slot back, or retires if the slots are all held.
     *
     * @return whether the worker retires
     */
    private synchronized boolean retiresAfterStalledWork(Worker worker) {
        worker.stalled = false;
        long slotsHeld = workers.stream().filter(other -> !other.stalled).count();
        if (slotsHeld > threads) {
            workers.remove(worker);
            return true;
        }
        return false;
    }

    /** @return how many workers run stalled work now (their slots went to other workers) */
    public int stalledCount() {
        return (int) workers.stream().filter(worker -> worker.stalled).count();
    }

    /** @return how many worker threads run now, stalled ones included */
    public int workerCount() {
        return workers.size();
    }

    /**
     * Asks the workers to stop after their current batch; after a grace period of a few seconds, asks the work in
     * flight to stop and give its work back, and interrupts the workers; returns once they ended or a few more
     * seconds passed (work still running then is recovered when its lease expires).
     */
    public void stop() {
        synchronized (this) {
            running.set(false); // under the lock: no worker is added from here on
        }
        if (watch != null) {
            watch.shutdownNow();
        }
        try {
            if (!joinAll(GRACE)) {
                LOG.info("Stopping the {} consumer: asking the work in flight to stop", queueName.name().toLowerCase());
                for (Worker worker : List.copyOf(workers)) {
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
        for (Worker worker : List.copyOf(workers)) {
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

    /**
     * What work calls whenever it makes progress (a gather's harvester hands the engine a record or a page), so that
     * the consumer does not count it as stalled.
     *
     * @return the progress mark of the calling worker thread; does nothing outside a consumer's workers
     */
    public static Runnable progressSignal() {
        if (Thread.currentThread() instanceof Worker worker && worker.clock != null) {
            return () -> worker.lastProgress = worker.clock.millis();
        }
        return () -> {};
    }

    /**
     * A worker thread, with the flag {@link #stop()} sets when the work in flight must stop, and what the stalled
     * work watch looks at.
     */
    private static final class Worker extends Thread {
        private final Clock clock;
        private volatile boolean stopping;
        /** The ids of the batch in hand, or null when idle. */
        private volatile String busyWith;
        private volatile long lastProgress;
        private volatile boolean stalled;

        Worker(Runnable work, String name, Clock clock) {
            super(work, name);
            this.clock = clock;
        }
    }

    /** Blocks until {@link #stop()} was called and the workers ended. */
    public void awaitTermination() throws InterruptedException {
        while (running.get() || workers.stream().anyMatch(Thread::isAlive)) {
            for (Thread worker : List.<Thread>copyOf(workers)) {
                worker.join();
            }
            if (running.get()) {
                Thread.sleep(POLL.toMillis());
            }
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
        Worker self = (Worker) Thread.currentThread();
        QueueConsumer consumer = null;
        long backoffMillis = 500;
        while (running.get()) {
            if (self.stalled && retiresAfterStalledWork(self)) {
                break; // its stalled work ended (or failed) and another worker holds its slot
            }
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
                try {
                    handle(consumer, batch);
                } finally {
                    self.busyWith = null;
                }
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
        Worker self = (Worker) Thread.currentThread();
        if (self.clock != null) {
            self.lastProgress = self.clock.millis();
        }
        self.busyWith = String.join(", ", ids);
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
