package dev.harvest.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback in front of a real service, which a test makes misbehave: the first connections are cut
 * after a number of bytes from the service (a database that restarts during a client's start-up), and
 * {@link #dropAll()} cuts every open connection (a service restart, a network failure).
 */
public final class TcpProxy implements AutoCloseable {

    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private final AtomicInteger connectionsToCut = new AtomicInteger();
    private volatile long cutAfterBytes;
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger cut = new AtomicInteger();
    private final List<Socket> open = new CopyOnWriteArrayList<>();

    public TcpProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "tcp-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** @return the port to connect to instead of the service's */
    public int port() {
        return server.getLocalPort();
    }

    /** The next {@code connections} connections are cut once the service sent them {@code bytes} bytes. */
    public void cutNext(int connections, long bytes) {
        cutAfterBytes = bytes;
        connectionsToCut.set(connections);
    }

    /** @return connections accepted so far */
    public int accepted() {
        return accepted.get();
    }

    /** @return connections cut so far */
    public int cut() {
        return cut.get();
    }

    /** Cuts every open connection at once. */
    public void dropAll() {
        for (Socket socket : open) {
            closeQuietly(socket);
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                accepted.incrementAndGet();
                long budget = connectionsToCut.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? cutAfterBytes : -1;
                Socket service = new Socket(targetHost, targetPort);
                open.add(client);
                open.add(service);
                pump(client, service, -1);
                pump(service, client, budget);
            } catch (IOException e) {
                // closed, or the service refused: the client sees its connection end
            }
        }
    }

    private void pump(Socket from, Socket to, long budget) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[8192];
            long sent = 0;
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    if (budget >= 0 && sent + read > budget) {
                        out.write(buffer, 0, (int) (budget - sent));
                        out.flush();
                        cut.incrementAndGet();
                        break;
                    }
                    out.write(buffer, 0, read);
                    out.flush();
                    sent += read;
                }
            } catch (IOException e) {
                // one side closed
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
            }
        }, "tcp-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        dropAll();
    }
}
