package io.p2pchat.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * An in-JVM TCP fault proxy on loopback (ATTACKS B6): netem is not available on the build hosts, so
 * links between nodes go through this proxy, which can delay with jitter, stall, cut (FIN), reset
 * (RST), corrupt one bit every N bytes, duplicate byte ranges, and refuse connections (partition).
 *
 * <pre>{@code
 * FaultProxy proxy = new FaultProxy(seed);
 * FaultProxy.Link ab = proxy.link("a-b", "127.0.0.1", nodeA.localAddress(), "127.0.0.2");
 * nodeB.join(ab.address());  // b reaches a through the proxy, from b's own 127.0.0.2
 * ab.delay(200, 100);        // 200 +- 100 ms each way, order preserved (it is TCP)
 * ab.partition(true);        // resets open connections and refuses new ones
 * }</pre>
 *
 * <p>Each accepted connection is one {@link Pipe}: a connection to the target bound to {@code
 * sourceHost} (so the target sees the dialer's address, and bans by address stay per node), and two
 * directions, each a reader and a writer thread with a bounded queue between them (a stalled writer
 * back-pressures the reader, which stops reading: memory stays bounded).
 *
 * <p>Thread-safe. Every thread is a daemon and ends when its pipe or the proxy closes. Loopback
 * only: the constructor of a link refuses non-loopback hosts.
 */
public final class FaultProxy implements AutoCloseable {
    private static final int CHUNK = 16 * 1024;
    private static final int QUEUE = 64;

    private final Random random;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    /** A proxy whose jitter, corrupted bits and duplicated ranges come from {@code seed}. */
    public FaultProxy(long seed) {
        this.random = new Random(seed);
    }

    /**
     * A new link listening on {@code listenHost} (an ephemeral port) and forwarding to {@code
     * target}, dialing it from {@code sourceHost}.
     */
    public Link link(String name, String listenHost, InetSocketAddress target, String sourceHost)
            throws IOException {
        requireLoopback(listenHost);
        requireLoopback(sourceHost);
        requireLoopback(target.getHostString());
        Link l = new Link(name, listenHost, target, sourceHost);
        links.add(l);
        return l;
    }

    /** All links. */
    public List<Link> links() {
        return List.copyOf(links);
    }

    private static void requireLoopback(String host) throws IOException {
        if (!InetAddress.getByName(host).isLoopbackAddress()) {
            throw new IllegalArgumentException("host: " + host + " (expected: 127.0.0.0/8)");
        }
    }

    private synchronized int nextInt(int bound) {
        return bound <= 0 ? 0 : random.nextInt(bound);
    }

    @Override
    public void close() {
        closed = true;
        for (Link l : links) {
            l.close();
        }
    }

    /** Counters of one link, for reports. */
    public record Stats(
            long connections,
            long refused,
            long bytes,
            long corruptedBits,
            long duplicatedRanges,
            long cuts,
            long resets) {}

    /** One proxied address: what dials {@link #address()} reaches the target. */
    public final class Link implements AutoCloseable {
        private final String name;
        private volatile InetSocketAddress target;
        private final String sourceHost;
        private final ServerSocket server;
        private final List<Pipe> pipes = new CopyOnWriteArrayList<>();
        private final Object stallLock = new Object();

        private volatile long delayMillis;
        private volatile long jitterMillis;
        private volatile boolean stalled;
        private volatile boolean refusing;
        private volatile long corruptEveryBytes;
        private volatile long duplicateEveryBytes;
        private volatile int duplicateLength;

        private final AtomicLong connections = new AtomicLong();
        private final AtomicLong refused = new AtomicLong();
        private final AtomicLong bytes = new AtomicLong();
        private final AtomicLong corruptedBits = new AtomicLong();
        private final AtomicLong duplicatedRanges = new AtomicLong();
        private final AtomicLong cuts = new AtomicLong();
        private final AtomicLong resets = new AtomicLong();

        private Link(String name, String listenHost, InetSocketAddress target, String sourceHost)
                throws IOException {
            this.name = name;
            this.target = target;
            this.sourceHost = sourceHost;
            this.server = new ServerSocket(0, 50, InetAddress.getByName(listenHost));
            Thread t = new Thread(this::acceptLoop, "proxy-" + name + "-accept");
            t.setDaemon(true);
            t.start();
        }

        /** Where to dial to reach the target through this link. */
        public InetSocketAddress address() {
            return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
        }

        /** Forwards new connections to another target (a restarted node's new port). */
        public Link retarget(InetSocketAddress newTarget) {
            this.target = newTarget;
            return this;
        }

        /** The link's name. */
        public String name() {
            return name;
        }

        /** Connections currently open through this link. */
        public int openPipes() {
            return pipes.size();
        }

        /** Delays every chunk by {@code millis} +- {@code jitter} (byte order is preserved). */
        public Link delay(long millis, long jitter) {
            if (millis < 0 || jitter < 0 || jitter > millis) {
                throw new IllegalArgumentException(
                        "delay: " + millis + " +- " + jitter + " (expected: 0 <= jitter <= delay)");
            }
            this.delayMillis = millis;
            this.jitterMillis = jitter;
            return this;
        }

        /** Stops (or resumes) forwarding in both directions; nothing is lost, only held. */
        public Link stall(boolean on) {
            stalled = on;
            if (!on) {
                synchronized (stallLock) {
                    stallLock.notifyAll();
                }
            }
            return this;
        }

        /** Flips one random bit once every {@code bytes} forwarded bytes per direction (0: off). */
        public Link corruptEvery(long bytes) {
            this.corruptEveryBytes = bytes;
            return this;
        }

        /**
         * Sends a copy of the last up to {@code length} bytes again once every {@code bytes}
         * forwarded bytes per direction (0: off): a byte range duplicated at the TCP payload level.
         */
        public Link duplicateEvery(long bytes, int length) {
            this.duplicateEveryBytes = bytes;
            this.duplicateLength = length;
            return this;
        }

        /** Refuses new connections (accept, then RST) and resets open ones; or heals. */
        public Link partition(boolean on) {
            refusing = on;
            if (on) {
                reset();
            }
            return this;
        }

        /** Closes every open connection with FIN. */
        public Link cut() {
            for (Pipe p : pipes) {
                cuts.incrementAndGet();
                p.close(false);
            }
            return this;
        }

        /** Closes every open connection with RST. */
        public Link reset() {
            for (Pipe p : pipes) {
                resets.incrementAndGet();
                p.close(true);
            }
            return this;
        }

        /** Removes every fault (delay, stall, corruption, duplication, partition). */
        public Link clear() {
            delay(0, 0);
            corruptEvery(0);
            duplicateEvery(0, 0);
            refusing = false;
            stall(false);
            return this;
        }

        /** Counters so far. */
        public Stats stats() {
            return new Stats(
                    connections.get(),
                    refused.get(),
                    bytes.get(),
                    corruptedBits.get(),
                    duplicatedRanges.get(),
                    cuts.get(),
                    resets.get());
        }

        private void acceptLoop() {
            while (!closed && !server.isClosed()) {
                Socket client;
                try {
                    client = server.accept();
                } catch (IOException e) {
                    return;
                }
                if (refusing) {
                    refused.incrementAndGet();
                    abort(client);
                    continue;
                }
                Socket upstream = new Socket();
                try {
                    upstream.bind(new InetSocketAddress(sourceHost, 0));
                    upstream.connect(target, 5000);
                } catch (IOException e) {
                    abort(client);
                    closeQuietly(upstream);
                    continue;
                }
                connections.incrementAndGet();
                Pipe p = new Pipe(this, client, upstream);
                pipes.add(p);
                p.start();
            }
        }

        private void awaitUnstalled(Pipe p) {
            synchronized (stallLock) {
                // Bounded waits so that a closed pipe or proxy is noticed.
                while (stalled && !p.closed && !closed) {
                    try {
                        stallLock.wait(50);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }

        @Override
        public void close() {
            closeQuietly(server);
            for (Pipe p : pipes) {
                p.close(true);
            }
        }

        @Override
        public String toString() {
            return "Link[" + name + " " + address() + " -> " + target + "]";
        }
    }

    /** One proxied connection. */
    private final class Pipe {
        private final Link link;
        private final Socket client;
        private final Socket upstream;
        volatile boolean closed;
        private int directionsDone;

        Pipe(Link link, Socket client, Socket upstream) {
            this.link = link;
            this.client = client;
            this.upstream = upstream;
        }

        void start() {
            direction("up", client, upstream);
            direction("down", upstream, client);
        }

        private void direction(String dir, Socket from, Socket to) {
            // Each chunk carries its delivery time (System.nanoTime) as an 8-byte prefix.
            BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUE);
            Thread reader =
                    new Thread(() -> read(from, queue), "proxy-" + link.name + "-" + dir + "-read");
            Thread writer =
                    new Thread(() -> write(to, queue), "proxy-" + link.name + "-" + dir + "-write");
            reader.setDaemon(true);
            writer.setDaemon(true);
            reader.start();
            writer.start();
        }

        private void read(Socket from, BlockingQueue<byte[]> queue) {
            long sinceCorrupt = 0;
            long sinceDuplicate = 0;
            long lastDeliver = 0;
            try {
                InputStream in = from.getInputStream();
                byte[] buf = new byte[CHUNK];
                while (!closed) {
                    link.awaitUnstalled(this);
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    byte[] chunk = java.util.Arrays.copyOf(buf, n);
                    long every = link.corruptEveryBytes;
                    if (every > 0) {
                        sinceCorrupt += n;
                        if (sinceCorrupt >= every) {
                            sinceCorrupt = 0;
                            int at = nextInt(n);
                            chunk[at] ^= (byte) (1 << nextInt(8));
                            link.corruptedBits.incrementAndGet();
                        }
                    }
                    long dupEvery = link.duplicateEveryBytes;
                    if (dupEvery > 0 && link.duplicateLength > 0) {
                        sinceDuplicate += n;
                        if (sinceDuplicate >= dupEvery) {
                            sinceDuplicate = 0;
                            int len = Math.min(link.duplicateLength, n);
                            byte[] twice = java.util.Arrays.copyOf(chunk, n + len);
                            System.arraycopy(chunk, n - len, twice, n, len);
                            chunk = twice;
                            link.duplicatedRanges.incrementAndGet();
                        }
                    }
                    long delay = link.delayMillis;
                    long jitter = link.jitterMillis;
                    long at = System.nanoTime();
                    if (delay > 0) {
                        long d = delay - jitter + nextInt((int) (2 * jitter + 1));
                        at += TimeUnit.MILLISECONDS.toNanos(d);
                    }
                    // TCP keeps order: never deliver before the previous chunk.
                    at = Math.max(at, lastDeliver);
                    lastDeliver = at;
                    byte[] framed = new byte[8 + chunk.length];
                    java.nio.ByteBuffer.wrap(framed).putLong(at).put(chunk);
                    while (!closed && !queue.offer(framed, 50, TimeUnit.MILLISECONDS)) {
                        // back-pressure: the writer is stalled or slow
                    }
                }
            } catch (IOException | InterruptedException e) {
                // closed or reset
            }
            // End of stream (or failure): tell the writer.
            while (!closed) {
                try {
                    if (queue.offer(new byte[0], 50, TimeUnit.MILLISECONDS)) {
                        break;
                    }
                } catch (InterruptedException e) {
                    break;
                }
            }
        }

        private void write(Socket to, BlockingQueue<byte[]> queue) {
            try {
                OutputStream out = to.getOutputStream();
                while (!closed) {
                    byte[] framed = queue.poll(50, TimeUnit.MILLISECONDS);
                    if (framed == null) {
                        continue;
                    }
                    if (framed.length == 0) {
                        // Half-close: the other side sent FIN.
                        to.shutdownOutput();
                        break;
                    }
                    long at = java.nio.ByteBuffer.wrap(framed).getLong();
                    // Emulated latency: wait until the chunk is due (bounded by the delay set).
                    for (long now = System.nanoTime();
                            now < at && !closed;
                            now = System.nanoTime()) {
                        LockSupport.parkNanos(Math.min(at - now, 50_000_000L));
                    }
                    link.awaitUnstalled(this);
                    if (closed) {
                        break;
                    }
                    out.write(framed, 8, framed.length - 8);
                    out.flush();
                    link.bytes.addAndGet(framed.length - 8);
                }
            } catch (IOException | InterruptedException e) {
                close(true);
                return;
            }
            directionDone();
        }

        private synchronized void directionDone() {
            if (++directionsDone == 2) {
                close(false);
            }
        }

        void close(boolean rst) {
            if (closed) {
                return;
            }
            closed = true;
            link.pipes.remove(this);
            if (rst) {
                abort(client);
                abort(upstream);
            } else {
                closeQuietly(client);
                closeQuietly(upstream);
            }
        }
    }

    /** Closes with RST (SO_LINGER 0). */
    static void abort(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (SocketException e) {
            // already closed
        }
        closeQuietly(s);
    }

    static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    /** Links matching a predicate, for schedules. */
    public List<Link> links(java.util.function.Predicate<Link> p) {
        List<Link> out = new ArrayList<>();
        for (Link l : links) {
            if (p.test(l)) {
                out.add(l);
            }
        }
        return out;
    }
}
