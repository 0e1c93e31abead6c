package dev.harvest.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.queue.QueueName;
import dev.harvest.core.engine.ConsumerRunner.StalledWork;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.testing.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class ConsumerRunnerTest {

    @Test
    void aHandlerThatThrowsAnErrorGetsItsMessageBackAndTheWorkerCarriesOn() throws Exception {
        try (InMemoryHarvestQueue queue = new InMemoryHarvestQueue("consumer-test")) {
            AtomicBoolean failedOnce = new AtomicBoolean();
            List<String> handled = new CopyOnWriteArrayList<>();
            ConsumerRunner runner = new ConsumerRunner(queue, QueueName.FETCH, ids -> {
                if (ids.contains("poison") && failedOnce.compareAndSet(false, true)) {
                    throw new StackOverflowError("escaped a plugin");
                }
                handled.addAll(ids);
            }, 1, 1);
            queue.publish(QueueName.FETCH, List.of("poison", "next"));

            runner.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (handled.size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            runner.stop();

            assertTrue(failedOnce.get());
            assertEquals(List.of("next", "poison"), handled.stream().sorted().toList());
            assertEquals(2, runner.handledCount());
            assertEquals(0, queue.waitingCount(QueueName.FETCH));
        }
    }

    private final MutableClock clock = new MutableClock();
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<String> started = new CopyOnWriteArrayList<>();
    private final List<String> handled = new CopyOnWriteArrayList<>();

    /** A handler whose messages named {@code hang*} wait for {@link #release}, as a gather on a hanging remote. */
    private void hangOrHandle(List<String> ids) {
        started.addAll(ids);
        if (ids.get(0).startsWith("hang")) {
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        handled.addAll(ids);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void workWithoutProgressGivesItsSlotToANewWorkerAndItsWorkerRetiresWhenItEnds() throws Exception {
        try (InMemoryHarvestQueue queue = new InMemoryHarvestQueue("stalled-test")) {
            ConsumerRunner runner = new ConsumerRunner(queue, QueueName.GATHER, this::hangOrHandle, 1, 1,
                    new StalledWork(Duration.ofSeconds(30), 4, clock));
            queue.publish(QueueName.GATHER, List.of("hang-1"));
            runner.start();
            try {
                await(() -> started.contains("hang-1"), "the hanging work started");
                queue.publish(QueueName.GATHER, List.of("next"));
                clock.advance(Duration.ofSeconds(29));
                runner.checkStalledWork();
                assertEquals(0, runner.stalledCount(), "29 s without progress is not stalled yet");
                assertEquals(1, runner.workerCount());
                assertTrue(handled.isEmpty(), "the one slot is held");

                clock.advance(Duration.ofSeconds(1));
                runner.checkStalledWork();
                assertEquals(1, runner.stalledCount());
                assertEquals(2, runner.workerCount(), "a new worker took the stalled work's slot");
                await(() -> handled.contains("next"), "the next message was handled while the first hangs");
                assertEquals(List.of("next"), handled);

                release.countDown();
                await(() -> runner.workerCount() == 1, "the stalled work's worker retired");
                assertEquals(0, runner.stalledCount());
                assertEquals(2, runner.handledCount());
            } finally {
                release.countDown();
                runner.stop();
            }
        }
    }

    @Test
    void workThatKeepsProgressingKeepsItsSlotHoweverLongItRuns() throws Exception {
        try (InMemoryHarvestQueue queue = new InMemoryHarvestQueue("progress-test")) {
            CountDownLatch progressed = new CountDownLatch(1);
            CountDownLatch checked = new CountDownLatch(1);
            ConsumerRunner runner = new ConsumerRunner(queue, QueueName.GATHER, ids -> {
                Runnable progress = ConsumerRunner.progressSignal();
                for (int page = 0; page < 10; page++) {
                    clock.advance(Duration.ofSeconds(20)); // a slow page, 200 s in all
                    progress.run();
                }
                progressed.countDown();
                try {
                    checked.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                handled.addAll(ids);
            }, 1, 1, new StalledWork(Duration.ofSeconds(30), 4, clock));
            queue.publish(QueueName.GATHER, List.of("slow"));
            runner.start();
            try {
                assertTrue(progressed.await(20, TimeUnit.SECONDS));
                runner.checkStalledWork();
                assertEquals(0, runner.stalledCount());
                assertEquals(1, runner.workerCount());
                checked.countDown();
                await(() -> handled.contains("slow"), "the slow work ended");
            } finally {
                checked.countDown();
                runner.stop();
            }
        }
    }

    @Test
    void noMoreStalledWorkersRunThanTheCapAllows() throws Exception {
        try (InMemoryHarvestQueue queue = new InMemoryHarvestQueue("cap-test")) {
            ConsumerRunner runner = new ConsumerRunner(queue, QueueName.GATHER, this::hangOrHandle, 1, 1,
                    new StalledWork(Duration.ofSeconds(30), 1, clock));
            queue.publish(QueueName.GATHER, List.of("hang-1", "hang-2", "next"));
            runner.start();
            try {
                await(() -> started.contains("hang-1"), "the first hanging work started");
                clock.advance(Duration.ofSeconds(31));
                runner.checkStalledWork();
                await(() -> started.contains("hang-2"), "the second hanging work started on the new worker");
                clock.advance(Duration.ofSeconds(31));
                runner.checkStalledWork();
                assertEquals(2, runner.stalledCount());
                assertEquals(2, runner.workerCount(), "one slot plus one stalled worker, the cap");
                assertTrue(!started.contains("next"), "the third message waits for a slot");

                release.countDown();
                await(() -> handled.contains("next"), "the third message was handled once the hangs ended");
                await(() -> runner.workerCount() == 1, "the surplus worker retired");
            } finally {
                release.countDown();
                runner.stop();
            }
        }
    }
}
