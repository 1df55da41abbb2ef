package io.p2pchat.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.p2pchat.channel.PeerVerifier;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.SecureChannelContext;
import io.p2pchat.identity.LocalIdentity;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The far end of the idle-session heap measurement, in its own JVM (so that the measured JVM holds
 * one socket per session, and 10k sessions fit in the process's file limit): opens sessions to
 * {@code host:port} in steps, printing {@code READY n} after each step and waiting for a line on
 * standard input before the next; {@code EXIT} (or end of input, or a 10-minute deadline) closes
 * everything.
 *
 * <p>Usage: {@code HeapPeer host port p2pchat|plain count...}
 */
public final class HeapPeer {
    private static final int IN_FLIGHT = 16;

    private HeapPeer() {}

    /** Entry point of the child JVM. */
    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        boolean plain = args[2].equals("plain");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        List<Channel> channels = new ArrayList<>();
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        Semaphore established = new Semaphore(0);
        ChannelInitializer<Channel> init;
        if (plain) {
            init =
                    new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline()
                                    .addLast(
                                            new LengthFieldBasedFrameDecoder(
                                                    Endpoints.MAX_MESSAGE, 0, 4, 0, 4),
                                            new LengthFieldPrepender(4),
                                            new Counter(inFlight, established, false));
                        }
                    };
        } else {
            LocalIdentity id = LocalIdentity.generate(3072, new SecureRandom());
            SecureChannelContext ctx =
                    SecureChannelContext.builder(id)
                            .peerVerifier(PeerVerifier.insecureAcceptAny())
                            .handshakeTimeout(java.time.Duration.ofSeconds(60))
                            .build();
            init =
                    ctx.initializer(
                            Role.INITIATOR,
                            p -> p.addLast(new Counter(inFlight, established, true)));
        }
        Bootstrap b =
                new Bootstrap()
                        .group(group)
                        .channel(NioSocketChannel.class)
                        .remoteAddress(new InetSocketAddress(host, port))
                        .handler(init);
        BufferedReader in =
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            int open = 0;
            for (int i = 3; i < args.length; i++) {
                int target = Integer.parseInt(args[i]);
                for (; open < target; open++) {
                    if (!inFlight.tryAcquire(remaining(deadline), TimeUnit.NANOSECONDS)) {
                        throw new IllegalStateException("timed out opening sessions");
                    }
                    channels.add(b.connect().channel());
                }
                if (!established.tryAcquire(
                        target - (i == 3 ? 0 : Integer.parseInt(args[i - 1])),
                        remaining(deadline),
                        TimeUnit.NANOSECONDS)) {
                    throw new IllegalStateException("timed out waiting for sessions");
                }
                out.println("READY " + target);
                String line = in.readLine();
                if (line == null || line.equals("EXIT")) {
                    break;
                }
            }
        } finally {
            for (Channel ch : channels) {
                ch.close();
            }
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    /** Releases a slot when the session is established (or failed) and counts it. */
    private static final class Counter extends io.netty.channel.ChannelInboundHandlerAdapter {
        private final Semaphore inFlight;
        private final Semaphore established;
        private final boolean secure;
        private boolean counted;

        Counter(Semaphore inFlight, Semaphore established, boolean secure) {
            this.inFlight = inFlight;
            this.established = established;
            this.secure = secure;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            if (!secure) {
                done(true);
            }
            super.channelActive(ctx);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof io.p2pchat.channel.HandshakeCompletionEvent) {
                done(((io.p2pchat.channel.HandshakeCompletionEvent) evt).isSuccess());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            done(false);
            super.channelInactive(ctx);
        }

        private void done(boolean ok) {
            if (counted) {
                return;
            }
            counted = true;
            inFlight.release();
            if (ok) {
                established.release();
            } else {
                System.err.println("session failed");
            }
        }
    }
}
