package io.p2pchat.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.p2pchat.channel.HandshakeCompletionEvent;
import io.p2pchat.channel.PeerVerifier;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.SecureChannelContext;
import io.p2pchat.identity.LocalIdentity;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a flood of full handshakes does to an established session on the same server event loop,
 * with handshake steps on the event loop (the default) and with {@code offloadAllHandshakeWork}
 * (docs/robustness.md R-04). Not part of {@code ./bench}; run it alone:
 *
 * <pre>
 * java -cp p2pchat-bench/target/p2pchat-bench.jar io.p2pchat.bench.FloodRtt [rounds]
 * </pre>
 *
 * The server has one event loop. One client ping-pongs 100-byte messages through it (each sent when
 * the previous echo arrives) for 3 s idle, then for 3 s while four clients on another loop connect,
 * complete a full handshake (delegated credentials, no resumption) and close, in a loop. Prints RTT
 * percentiles of both windows and the flood's handshake rate, for each mode, {@code rounds} times
 * (default 2) alternating the modes. Every loop is bounded by its window.
 */
public final class FloodRtt {
    private static final int MESSAGE = 100;
    private static final int FLOODERS = 4;
    private static final long WARMUP_MS = 2000;
    private static final long WINDOW_MS = 3000;
    private static final int MAX_SAMPLES = 1 << 21;

    private final LocalIdentity server = LocalIdentity.generate();
    private final LocalIdentity pinger = LocalIdentity.generate();
    private final LocalIdentity flooder = LocalIdentity.generate();
    private final PrintStream out;

    private FloodRtt(PrintStream out) {
        this.out = out;
    }

    /**
     * Runs the comparison.
     *
     * @param args optional: the number of rounds (1 to 10)
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Math.max(1, Math.min(10, Integer.parseInt(args[0]))) : 2;
        FloodRtt f = new FloodRtt(System.out);
        f.out.println(
                "FloodRtt on "
                        + BenchMain.cpuModel()
                        + ", "
                        + Runtime.getRuntime().availableProcessors()
                        + " cores, Java "
                        + Runtime.version());
        for (int r = 0; r < rounds; r++) {
            for (boolean offloadAll : new boolean[] {false, true}) {
                f.round(offloadAll);
            }
        }
    }

    private static SecureChannelContext context(LocalIdentity id, boolean offloadAll) {
        return SecureChannelContext.builder(id)
                .peerVerifier(PeerVerifier.insecureAcceptAny())
                .resumption(false)
                .offloadAllHandshakeWork(offloadAll)
                .maxConcurrentHandshakes(1024)
                .build();
    }

    private void round(boolean offloadAll) throws Exception {
        EventLoopGroup serverLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup pingLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup floodLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        AtomicBoolean flooding = new AtomicBoolean(true);
        try {
            Channel srv =
                    new ServerBootstrap()
                            .group(serverLoop)
                            .channel(NioServerSocketChannel.class)
                            .childHandler(
                                    context(server, offloadAll)
                                            .initializer(
                                                    Role.RESPONDER, p -> p.addLast(new Echo())))
                            .bind(new InetSocketAddress("127.0.0.1", 0))
                            .sync()
                            .channel();
            InetSocketAddress address = (InetSocketAddress) srv.localAddress();
            Pinger pingHandler = new Pinger();
            Channel ping =
                    new Bootstrap()
                            .group(pingLoop)
                            .channel(NioSocketChannel.class)
                            .handler(
                                    context(pinger, offloadAll)
                                            .initializer(
                                                    Role.INITIATOR, p -> p.addLast(pingHandler)))
                            .connect(address)
                            .sync()
                            .channel();
            pingHandler.up.get(10, TimeUnit.SECONDS);
            Loopback.window(WARMUP_MS);
            int idleFrom = pingHandler.count.get();
            Loopback.window(WINDOW_MS);
            int idleTo = pingHandler.count.get();

            AtomicLong handshakes = new AtomicLong();
            Bootstrap flood =
                    new Bootstrap()
                            .group(floodLoop)
                            .channel(NioSocketChannel.class)
                            .handler(
                                    context(flooder, offloadAll)
                                            .initializer(
                                                    Role.INITIATOR,
                                                    p -> p.addLast(new Closer(handshakes))));
            for (int i = 0; i < FLOODERS; i++) {
                loop(flood, address, flooding);
            }
            Loopback.window(1000);
            int floodFrom = pingHandler.count.get();
            long h0 = handshakes.get();
            Loopback.window(WINDOW_MS);
            int floodTo = pingHandler.count.get();
            long h1 = handshakes.get();
            out.printf(
                    Locale.ROOT,
                    "%-26s idle: %s | flood of %d handshakes/s: %s%n",
                    offloadAll ? "offloadAllHandshakeWork" : "default (steps on the loop)",
                    pingHandler.percentiles(idleFrom, idleTo),
                    (h1 - h0) * 1000 / WINDOW_MS,
                    pingHandler.percentiles(floodFrom, floodTo));
            flooding.set(false);
            ping.close().sync();
            srv.close().sync();
        } finally {
            flooding.set(false);
            floodLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            pingLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            serverLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** One flooder: connect, handshake, close, again while {@code flooding}. */
    private static void loop(Bootstrap b, InetSocketAddress address, AtomicBoolean flooding) {
        if (!flooding.get()) {
            return;
        }
        b.connect(address)
                .addListener(
                        (ChannelFuture f) -> {
                            if (!f.isSuccess()) {
                                loop(b, address, flooding);
                                return;
                            }
                            f.channel().closeFuture().addListener(x -> loop(b, address, flooding));
                        });
    }

    /** Server: echoes every message. */
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }
    }

    /** Flooder: counts the handshake and closes. */
    private static final class Closer extends ChannelInboundHandlerAdapter {
        private final AtomicLong handshakes;

        Closer(AtomicLong handshakes) {
            this.handshakes = handshakes;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof HandshakeCompletionEvent) {
                if (((HandshakeCompletionEvent) evt).isSuccess()) {
                    handshakes.incrementAndGet();
                }
                ctx.close();
            }
        }
    }

    /** The ping-pong client: sends the next message when the echo arrives, records each RTT. */
    private static final class Pinger extends ChannelInboundHandlerAdapter {
        final CompletableFuture<Void> up = new CompletableFuture<>();
        final AtomicInteger count = new AtomicInteger();
        private final long[] rtts = new long[MAX_SAMPLES];
        private long sentAt;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof HandshakeCompletionEvent) {
                up.complete(null);
                send(ctx);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ((ByteBuf) msg).release();
            int i = count.get();
            if (i < rtts.length) {
                rtts[i] = System.nanoTime() - sentAt;
                count.set(i + 1);
            }
            send(ctx);
        }

        private void send(ChannelHandlerContext ctx) {
            sentAt = System.nanoTime();
            ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[MESSAGE]));
        }

        /** p50, p99 and p999 of the RTTs recorded in [from, to). */
        String percentiles(int from, int to) {
            long[] s = Arrays.copyOfRange(rtts, from, Math.max(from, to));
            if (s.length == 0) {
                return "no round trip";
            }
            Arrays.sort(s);
            return String.format(
                    Locale.ROOT,
                    "%d RTTs, p50 %.0f us, p99 %.0f us, p999 %.0f us",
                    s.length,
                    s[s.length / 2] / 1e3,
                    s[(int) (s.length * 0.99)] / 1e3,
                    s[(int) (s.length * 0.999)] / 1e3);
        }
    }
}
