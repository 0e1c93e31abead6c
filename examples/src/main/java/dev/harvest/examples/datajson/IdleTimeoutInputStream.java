package dev.harvest.examples.datajson;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A download body that is closed when a read waits too long for bytes. Only time spent waiting inside a read counts,
 * so a slow consumer (an engine flushing a batch of objects) is never mistaken for a stalled server.
 *
 * <p>{@code HttpClient}'s request timeout ends when the response headers arrive; without this, a server that stalls
 * in the middle of a large document would block a gather forever. Closing the stream makes the blocked read throw,
 * and {@link #stalled()} tells why.
 */
final class IdleTimeoutInputStream extends FilterInputStream {

    private final long idleLimitNanos;
    private final ScheduledExecutorService watchdog;
    /** When the read in progress started, or 0 when no read is in progress. */
    private volatile long readStartedNanos;
    private volatile boolean stalled;

    IdleTimeoutInputStream(InputStream body, Duration idleLimit) {
        super(body);
        this.idleLimitNanos = idleLimit.toNanos();
        this.watchdog = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "datajson-download-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        long checkEveryMillis = Math.max(50, idleLimit.toMillis() / 4);
        watchdog.scheduleWithFixedDelay(this::closeIfIdle, checkEveryMillis, checkEveryMillis, TimeUnit.MILLISECONDS);
    }

    /** @return whether the stream was closed because the server sent nothing for too long */
    boolean stalled() {
        return stalled;
    }

    @Override
    public int read() throws IOException {
        readStartedNanos = System.nanoTime();
        try {
            return super.read();
        } finally {
            readStartedNanos = 0;
        }
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        readStartedNanos = System.nanoTime();
        try {
            return super.read(buffer, offset, length);
        } finally {
            readStartedNanos = 0;
        }
    }

    @Override
    public void close() throws IOException {
        watchdog.shutdownNow();
        super.close();
    }

    private void closeIfIdle() {
        long started = readStartedNanos;
        if (started != 0 && System.nanoTime() - started > idleLimitNanos) {
            stalled = true;
            try {
                close();
            } catch (IOException ignored) {
                // The reader gets its own exception from the closed stream.
            }
        }
    }
}
