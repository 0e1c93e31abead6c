package dev.harvest.core.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Runs a batch's plugin stages that may wait on I/O (fetches, calls to a remote catalog) concurrently, at most
 * {@code parallelism} at a time per batch. The threads are shared by every worker of the process and end with it.
 */
final class StageExecutor implements AutoCloseable {

    private final int parallelism;
    private final ExecutorService threads;

    StageExecutor(int parallelism) {
        this.parallelism = parallelism;
        AtomicInteger count = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "harvest-stage-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Applies {@code stage} to every item, in order of the results. The function must not throw: plugin failures
     * are its results. With a parallelism of 1, or one item, it runs in the calling thread.
     */
    <T, R> List<R> map(List<T> items, Function<T, R> stage) {
        if (parallelism <= 1 || items.size() <= 1) {
            return items.stream().map(stage).toList();
        }
        AtomicInteger next = new AtomicInteger();
        Object[] results = new Object[items.size()];
        Runnable lane = () -> {
            for (int i = next.getAndIncrement(); i < items.size(); i = next.getAndIncrement()) {
                results[i] = stage.apply(items.get(i));
            }
        };
        List<Future<?>> lanes = new ArrayList<>();
        for (int i = 1; i < Math.min(parallelism, items.size()); i++) {
            lanes.add(threads.submit(lane));
        }
        lane.run(); // the calling thread is one of the lanes
        for (Future<?> future : lanes) {
            try {
                future.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for a batch's stages", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("A batch stage failed: " + e.getCause(), e.getCause());
            }
        }
        List<R> ordered = new ArrayList<>(items.size());
        for (Object result : results) {
            @SuppressWarnings("unchecked")
            R typed = (R) result;
            ordered.add(typed);
        }
        return ordered;
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
