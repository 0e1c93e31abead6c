package dev.harvest.ckan;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;

/**
 * Makes OkHttp calls end when their thread is interrupted. A blocked socket read ignores {@link Thread#interrupt()},
 * so a consumer stopping (SIGTERM) while a remote sends nothing would wait out the request deadline and keep its job:
 * a watch thread cancels, every 100 ms, the call of any thread that was interrupted.
 */
final class InterruptibleCalls {

    private static final Map<Call, Thread> IN_FLIGHT = new ConcurrentHashMap<>();
    private static final ScheduledExecutorService WATCH = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "http-interrupt-watch");
        thread.setDaemon(true);
        return thread;
    });

    static {
        WATCH.scheduleWithFixedDelay(InterruptibleCalls::cancelInterrupted, 100, 100, TimeUnit.MILLISECONDS);
    }

    private InterruptibleCalls() {}

    /**
     * Registers a call about to run on the calling thread, until the returned handle is closed.
     *
     * @throws java.io.IOException if the calling thread is already interrupted
     */
    static Registration register(Call call) throws java.io.IOException {
        Thread thread = Thread.currentThread();
        if (thread.isInterrupted()) {
            throw new java.io.IOException("interrupted before the request");
        }
        IN_FLIGHT.put(call, thread);
        return () -> IN_FLIGHT.remove(call);
    }

    private static void cancelInterrupted() {
        IN_FLIGHT.forEach((call, thread) -> {
            if (thread.isInterrupted()) {
                call.cancel();
            }
        });
    }

    /** A registered call; closing it ends the watch of the call. */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
