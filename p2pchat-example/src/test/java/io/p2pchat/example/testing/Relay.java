package io.p2pchat.example.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on 127.0.0.1 that forwards every connection to a target and records the bytes of both
 * directions (at most 32 MiB each): what a network eavesdropper sees.
 */
public final class Relay implements AutoCloseable {
    private static final int MAX_RECORDED = 32 << 20;

    private final InetSocketAddress target;
    private final ServerSocket server;
    private final ByteArrayOutputStream toTarget = new ByteArrayOutputStream();
    private final ByteArrayOutputStream fromTarget = new ByteArrayOutputStream();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();

    /** Starts relaying to {@code target}. */
    public Relay(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        Thread t = new Thread(this::accept, "relay-accept");
        t.setDaemon(true);
        t.start();
    }

    /** The port to connect to. */
    public int port() {
        return server.getLocalPort();
    }

    /** Connections relayed so far. */
    public int connections() {
        return connections.get();
    }

    /** Everything sent towards the target, in order, over all connections. */
    public byte[] toTarget() {
        synchronized (toTarget) {
            return toTarget.toByteArray();
        }
    }

    /** Everything the target sent back. */
    public byte[] fromTarget() {
        synchronized (fromTarget) {
            return fromTarget.toByteArray();
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(target.getAddress(), target.getPort());
                sockets.add(client);
                sockets.add(upstream);
                connections.incrementAndGet();
                pump(client, upstream, toTarget);
                pump(upstream, client, fromTarget);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to, ByteArrayOutputStream record) {
        Thread t =
                new Thread(
                        () -> {
                            byte[] buf = new byte[16384];
                            try (InputStream in = from.getInputStream();
                                    OutputStream out = to.getOutputStream()) {
                                int n;
                                while ((n = in.read(buf)) >= 0) {
                                    synchronized (record) {
                                        if (record.size() + n <= MAX_RECORDED) {
                                            record.write(buf, 0, n);
                                        }
                                    }
                                    out.write(buf, 0, n);
                                    out.flush();
                                }
                            } catch (IOException e) {
                                // one side closed
                            } finally {
                                closeQuietly(from);
                                closeQuietly(to);
                            }
                        },
                        "relay-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }
}
