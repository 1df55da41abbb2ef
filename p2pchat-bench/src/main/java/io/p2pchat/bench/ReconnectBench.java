package io.p2pchat.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.p2pchat.channel.SecureSession;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Connect-to-first-byte latency of reconnects, one client at a time: the clock starts before {@code
 * connect()} and stops when the server's first application byte (sent once its side of the
 * handshake completed) reaches the client. With {@link Side#P2PCHAT_RESUMED} every connection after
 * the first resumes with the ticket the previous one left (docs/protocol.md 5.11).
 */
final class ReconnectBench {
    private static final int MAX_SAMPLES = 20_000;

    private ReconnectBench() {}

    /** The median in microseconds, the samples taken and how many of them were resumed. */
    record Latency(double p50, int samples, int resumed) {}

    static Latency run(Loopback loop, Endpoints ep, Side side, int measureMs) throws Exception {
        AtomicReference<CompletableFuture<FirstByte>> firstByte = new AtomicReference<>();
        Channel server =
                loop.bind(ep.server(side, () -> new HandshakeBench.Greeter(new AtomicLong())));
        Bootstrap bootstrap = loop.client(server, ep.client(side, () -> new Reader(firstByte)));
        long[] micros = new long[MAX_SAMPLES];
        int n = 0;
        int resumed = 0;
        try {
            // One full handshake leaves the first ticket; it is not a sample.
            reconnect(bootstrap, firstByte);
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(measureMs);
            while (n < MAX_SAMPLES && System.nanoTime() < end) {
                long t0 = System.nanoTime();
                FirstByte b = reconnect(bootstrap, firstByte);
                micros[n++] = (b.nanoTime() - t0) / 1000;
                resumed += b.resumed() ? 1 : 0;
            }
        } finally {
            server.close().await(5, TimeUnit.SECONDS);
        }
        long[] taken = Arrays.copyOf(micros, n);
        Arrays.sort(taken);
        return new Latency(n == 0 ? Double.NaN : taken[n / 2], n, resumed);
    }

    /** When the first byte arrived ({@link System#nanoTime()}), and whether the session resumed. */
    private record FirstByte(long nanoTime, boolean resumed) {}

    /**
     * Connects, waits for the first byte, closes; the first byte's arrival is taken on the event
     * loop that reads it, so neither the close nor this thread's wake-up is in the sample.
     */
    private static FirstByte reconnect(
            Bootstrap bootstrap, AtomicReference<CompletableFuture<FirstByte>> firstByte)
            throws Exception {
        CompletableFuture<FirstByte> done = new CompletableFuture<>();
        firstByte.set(done);
        Channel ch = bootstrap.connect().sync().channel();
        try {
            return done.get(10, TimeUnit.SECONDS);
        } finally {
            ch.close().await(5, TimeUnit.SECONDS);
        }
    }

    /** Client: completes the current sample when the server's byte arrives. */
    private static final class Reader extends Endpoints.AppHandler {
        private final AtomicReference<CompletableFuture<FirstByte>> firstByte;

        Reader(AtomicReference<CompletableFuture<FirstByte>> firstByte) {
            this.firstByte = firstByte;
        }

        @Override
        protected void ready(ChannelHandlerContext ctx) {}

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            long now = System.nanoTime();
            io.netty.util.ReferenceCountUtil.release(msg);
            firstByte
                    .get()
                    .complete(
                            new FirstByte(
                                    now,
                                    SecureSession.of(ctx.channel())
                                            .map(SecureSession::resumed)
                                            .orElse(false)));
        }

        @Override
        protected void failed(ChannelHandlerContext ctx, Throwable cause) {
            firstByte
                    .get()
                    .completeExceptionally(new IllegalStateException("handshake failed", cause));
            ctx.close();
        }
    }
}
