package io.p2pchat.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bulk throughput: one connection; once the server has completed its side of the handshake it sends
 * one byte, and from then on the client writes 16 KiB messages as fast as the channel stays
 * writable, the server counts the application bytes it receives. Every message is a freshly
 * allocated buffer ({@code ctx.alloc().buffer()}) filled from the same array, on every side.
 */
final class BulkBench {
    /** Application message size. */
    static final int MESSAGE = 16 * 1024;

    /** Messages written between flushes. */
    private static final int FLUSH_EVERY = 16;

    private static final byte[] PAYLOAD = new byte[MESSAGE];

    static {
        ThreadLocalRandom.current().nextBytes(PAYLOAD);
    }

    private BulkBench() {}

    /**
     * A bulk result.
     *
     * @param mbps application payload MB/s (10^6 bytes) received during the measured window
     * @param mbPerCpuSecond the same bytes per second of CPU time this process used in the window
     *     (both ends, every thread): the cost per byte, which a loaded machine disturbs much less
     *     than the wall-clock rate
     */
    record Bulk(double mbps, double mbPerCpuSecond) {}

    /** One bulk run. */
    static Bulk run(Loopback loop, Endpoints ep, Side side, int warmupMs, int measureMs)
            throws Exception {
        return run(loop, ep, side, warmupMs, warmupMs, measureMs);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * As {@link #run(Loopback, Endpoints, Side, int, int)}, with a warm-up that lasts at least
     * {@code warmupMs} and goes on, up to {@code maxWarmupMs}, until two successive 250 ms windows
     * agree within 15 %: on a loaded 2-core machine the JIT may take seconds to compile the JDK's
     * AES-GCM intrinsics, and a side must not be measured before it is compiled.
     */
    static Bulk run(
            Loopback loop, Endpoints ep, Side side, int warmupMs, int maxWarmupMs, int measureMs)
            throws Exception {
        AtomicLong received = new AtomicLong();
        Channel server = loop.bind(ep.server(side, () -> new Sink(received)));
        Source source = new Source();
        Channel client = null;
        try {
            client = loop.client(server, ep.client(side, () -> source)).connect().sync().channel();
            source.started.get(15, TimeUnit.SECONDS);
            warmUp(received, warmupMs, maxWarmupMs);
            long b0 = received.get();
            long t0 = System.nanoTime();
            long c0 = processCpuNanos();
            Loopback.window(measureMs);
            long b1 = received.get();
            long t1 = System.nanoTime();
            long c1 = processCpuNanos();
            if (source.failure != null) {
                throw new IllegalStateException(side + " bulk failed", source.failure);
            }
            return new Bulk(
                    (b1 - b0) / ((t1 - t0) / 1e9) / 1e6, (b1 - b0) / ((c1 - c0) / 1e9) / 1e6);
        } finally {
            source.running = false;
            if (client != null) {
                client.close().await(5, TimeUnit.SECONDS);
            }
            server.close().await(5, TimeUnit.SECONDS);
        }
    }

    private static void warmUp(AtomicLong received, int minMs, int maxMs)
            throws InterruptedException {
        long start = System.nanoTime();
        double previous = -1;
        while (true) {
            long b0 = received.get();
            Loopback.window(250);
            double rate = received.get() - b0;
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            boolean steady = previous > 0 && Math.abs(rate - previous) <= 0.15 * previous;
            if (elapsedMs >= maxMs || (elapsedMs >= minMs && steady)) {
                return;
            }
            previous = rate;
        }
    }

    /** Writes 16 KiB messages while the channel is writable. */
    private static final class Source extends Endpoints.AppHandler {
        final CompletableFuture<Void> started = new CompletableFuture<>();
        volatile boolean running = true;
        volatile Throwable failure;

        @Override
        protected void ready(ChannelHandlerContext ctx) {}

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (started.isDone()) {
                pump(ctx);
            }
            ctx.fireChannelWritabilityChanged();
        }

        private void pump(ChannelHandlerContext ctx) {
            int n = 0;
            while (running && ctx.channel().isWritable()) {
                ByteBuf msg = ctx.alloc().buffer(MESSAGE);
                msg.writeBytes(PAYLOAD);
                ctx.write(msg, ctx.voidPromise());
                if (++n % FLUSH_EVERY == 0) {
                    ctx.flush();
                }
            }
            ctx.flush();
        }

        /** The server's one-byte "go": its side of the handshake is complete too. */
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            io.netty.util.ReferenceCountUtil.release(msg);
            if (!started.isDone()) {
                started.complete(null);
                pump(ctx);
            }
        }

        @Override
        protected void failed(ChannelHandlerContext ctx, Throwable cause) {
            if (running && failure == null) {
                failure = cause;
            }
            started.completeExceptionally(cause == null ? new IllegalStateException() : cause);
            ctx.close();
        }
    }

    /** Counts and releases what arrives. */
    private static final class Sink extends Endpoints.AppHandler {
        private final AtomicLong received;

        Sink(AtomicLong received) {
            this.received = received;
        }

        @Override
        protected void ready(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(ctx.alloc().buffer(1).writeByte(1), ctx.voidPromise());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            received.lazySet(received.get() + buf.readableBytes());
            buf.release();
        }
    }
}
