package io.p2pchat.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Full mutually authenticated handshakes per second. Each of {@code clients} loops connects, waits
 * for a one-byte message that the server sends once its own side of the handshake has completed (so
 * both signatures and both verifications are done), closes, and connects again. Completions are
 * counted on the server. TLS engines are made without peer host and port, so no session is ever
 * resumed.
 */
final class HandshakeBench {
    private HandshakeBench() {}

    /** Handshakes per second in the measured window, and failures seen. */
    record Rate(double perSecond, long failures) {}

    static Rate run(
            Loopback loop, Endpoints ep, Side side, int clients, int warmupMs, int measureMs)
            throws Exception {
        AtomicLong completed = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        Channel server = loop.bind(ep.server(side, () -> new Greeter(completed)));
        Bootstrap bootstrap = loop.client(server, ep.client(side, () -> new Closer(failures)));
        CountDownLatch stopped = new CountDownLatch(clients);
        Looper[] loops = new Looper[clients];
        try {
            for (int i = 0; i < clients; i++) {
                loops[i] = new Looper(bootstrap, stopped, failures);
                loops[i].next();
            }
            Loopback.window(warmupMs);
            long c0 = completed.get();
            long t0 = System.nanoTime();
            Loopback.window(measureMs);
            long c1 = completed.get();
            long t1 = System.nanoTime();
            return new Rate((c1 - c0) / ((t1 - t0) / 1e9), failures.get());
        } finally {
            for (Looper l : loops) {
                if (l != null) {
                    l.running = false;
                }
            }
            stopped.await(20, TimeUnit.SECONDS);
            server.close().await(5, TimeUnit.SECONDS);
        }
    }

    /** One sequential client: connect, handshake, close, repeat. */
    private static final class Looper {
        private final Bootstrap bootstrap;
        private final CountDownLatch stopped;
        private final AtomicLong failures;
        volatile boolean running = true;

        Looper(Bootstrap bootstrap, CountDownLatch stopped, AtomicLong failures) {
            this.bootstrap = bootstrap;
            this.stopped = stopped;
            this.failures = failures;
        }

        void next() {
            if (!running) {
                stopped.countDown();
                return;
            }
            ChannelFuture f = bootstrap.connect();
            f.addListener(
                    (ChannelFuture cf) -> {
                        if (!cf.isSuccess()) {
                            failures.incrementAndGet();
                            next();
                            return;
                        }
                        cf.channel().closeFuture().addListener(c -> next());
                    });
        }
    }

    /** Server: once the handshake completes, counts it and sends one byte. */
    static final class Greeter extends Endpoints.AppHandler {
        private final AtomicLong completed;

        Greeter(AtomicLong completed) {
            this.completed = completed;
        }

        @Override
        protected void ready(ChannelHandlerContext ctx) {
            completed.incrementAndGet();
            ctx.writeAndFlush(ctx.alloc().buffer(1).writeByte(1), ctx.voidPromise());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }

    /** Client: closes when the server's byte arrives. */
    private static final class Closer extends Endpoints.AppHandler {
        private final AtomicLong failures;
        private boolean done;

        Closer(AtomicLong failures) {
            this.failures = failures;
        }

        @Override
        protected void ready(ChannelHandlerContext ctx) {}

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            io.netty.util.ReferenceCountUtil.release(msg);
            done = true;
            ctx.close();
        }

        @Override
        protected void failed(ChannelHandlerContext ctx, Throwable cause) {
            if (!done) {
                done = true;
                failures.incrementAndGet();
            }
            ctx.close();
        }
    }
}
