package io.p2pchat.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Ping-pong latency: the client sends a 100-byte message, the server echoes it, the client times
 * the round trip with {@code System.nanoTime()} and sends the next one at once. One message in
 * flight; client and server run on different event-loop threads of the same JVM.
 */
final class RttBench {
    /** Message size. */
    static final int MESSAGE = 100;

    /** Most samples kept per run (bounded memory). */
    private static final int MAX_SAMPLES = 2_000_000;

    private RttBench() {}

    /** Round-trip percentiles in microseconds: p50, p99, p999, and the sample count. */
    record Rtt(double p50, double p99, double p999, int samples) {}

    static Rtt run(Loopback loop, Endpoints ep, Side side, int warmupMs, int measureMs)
            throws Exception {
        Channel server = loop.bind(ep.server(side, Echo::new));
        Pinger pinger = new Pinger();
        Channel client = null;
        try {
            client = loop.client(server, ep.client(side, () -> pinger)).connect().sync().channel();
            pinger.started.get(15, TimeUnit.SECONDS);
            Loopback.window(warmupMs);
            pinger.recording = true;
            Loopback.window(measureMs);
            pinger.recording = false;
            pinger.running = false;
            client.close().await(5, TimeUnit.SECONDS);
            if (pinger.failure != null) {
                throw new IllegalStateException(side + " ping-pong failed", pinger.failure);
            }
            int n = pinger.count;
            long[] s = pinger.samples;
            return new Rtt(
                    Stats.percentile(s, n, 0.50) / 1e3,
                    Stats.percentile(s, n, 0.99) / 1e3,
                    Stats.percentile(s, n, 0.999) / 1e3,
                    n);
        } finally {
            pinger.running = false;
            if (client != null) {
                client.close().await(5, TimeUnit.SECONDS);
            }
            server.close().await(5, TimeUnit.SECONDS);
        }
    }

    private static final class Pinger extends Endpoints.AppHandler {
        final CompletableFuture<Void> started = new CompletableFuture<>();
        final long[] samples = new long[MAX_SAMPLES];
        final byte[] payload = new byte[MESSAGE];
        volatile boolean running = true;
        volatile boolean recording;
        volatile Throwable failure;
        int count;
        private long sentAt;

        @Override
        protected void ready(ChannelHandlerContext ctx) {
            started.complete(null);
            send(ctx);
        }

        private void send(ChannelHandlerContext ctx) {
            ByteBuf msg = ctx.alloc().buffer(MESSAGE);
            msg.writeBytes(payload);
            sentAt = System.nanoTime();
            ctx.writeAndFlush(msg, ctx.voidPromise());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            long rtt = System.nanoTime() - sentAt;
            ((ByteBuf) msg).release();
            if (recording && count < samples.length) {
                samples[count++] = rtt;
            }
            if (running) {
                send(ctx);
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

    /** Writes every message back as received. */
    private static final class Echo extends Endpoints.AppHandler {
        @Override
        protected void ready(ChannelHandlerContext ctx) {}

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg, ctx.voidPromise());
        }
    }
}
