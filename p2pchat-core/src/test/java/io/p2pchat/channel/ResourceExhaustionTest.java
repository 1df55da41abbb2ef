package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.p2pchat.proto.ChatMessage;
import io.p2pchat.testing.LoopbackPair;
import io.p2pchat.testing.TestIdentities;
import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * ATTACKS B3, resource exhaustion: junk flood, slowloris, connection flood,
 * handshake flood, amplification, count floods and a slow reader. Runs
 * in the -Xmx256m resource JVM with the paranoid leak detector. Real-socket tests run the
 * sanity bracket around the attack on the same listener.
 */
@Tag("adversarial")
class ResourceExhaustionTest {
    @BeforeAll
    static void polling() {
        Awaitility.setDefaultPollDelay(Duration.ZERO);
        Awaitility.setDefaultPollInterval(Duration.ofMillis(5));
    }

    /** A server on 127.0.0.1 with a limiter first, recording every child. */
    static final class Server implements AutoCloseable {
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        final Queue<Probe> probes = new ConcurrentLinkedQueue<>();
        final ConnectionLimiter limiter;
        final Channel listener;
        final SecureChannelContext client =
                SecureChannelContext.builder(TestIdentities.get("alice"))
                        .peerVerifier(PeerVerifier.insecureAcceptAny())
                        .build();

        Server(SecureChannelContext context, ConnectionLimiter limiter) {
            this.limiter = limiter;
            listener =
                    new ServerBootstrap()
                            .group(group)
                            .channel(NioServerSocketChannel.class)
                            .childHandler(
                                    new ChannelInitializer<Channel>() {
                                        @Override
                                        protected void initChannel(Channel ch) {
                                            if (limiter != null) {
                                                ch.pipeline().addLast(limiter);
                                            }
                                            Probe p = new Probe(true);
                                            context.addHandlers(ch.pipeline(), Role.RESPONDER);
                                            ch.pipeline().addLast(p);
                                            probes.add(p);
                                        }
                                    })
                            .bind(new InetSocketAddress("127.0.0.1", 0))
                            .syncUninterruptibly()
                            .channel();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) listener.localAddress();
        }

        /**
         * Connects an honest client and completes its handshake. The handshake's future is taken
         * when the pipeline is built: the handler removes itself once the handshake completes,
         * which on a fast loopback can happen before {@code connect().sync()} returns here.
         */
        Channel connect(Probe app) throws Exception {
            LoopbackPair.Connection c = LoopbackPair.dial(group, address(), client, app);
            c.handshake().get(20, TimeUnit.SECONDS);
            return c.channel();
        }

        /** The sanity bracket: a handshake and a round trip succeed; returns its duration. */
        long roundTripMillis() throws Exception {
            Probe app = new Probe(false);
            long start = System.nanoTime();
            Channel ch = connect(app);
            ch.writeAndFlush(Unpooled.wrappedBuffer("ping".getBytes()));
            await().atMost(Duration.ofSeconds(20)).until(() -> !app.messages.isEmpty());
            long ms = (System.nanoTime() - start) / 1_000_000;
            ch.close().sync();
            return ms;
        }

        @Override
        public void close() {
            listener.close().syncUninterruptibly();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static SecureChannelContext.Builder context() {
        return SecureChannelContext.builder(TestIdentities.get("bob"))
                .peerVerifier(PeerVerifier.insecureAcceptAny());
    }

    private static int openFileDescriptors() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    /** 200 silent connections from 40 loopback addresses against a limiter of 48 and 4. */
    @Test
    void connectionFlood_fromManyAddresses_capsEnforcedEstablishedPeerKeptFdsBack()
            throws Exception {
        ConnectionLimiter limiter = ConnectionLimiter.of(48, 4);
        try (Server server = new Server(context().build(), limiter)) {
            server.roundTripMillis();
            Probe app = new Probe(false);
            Channel established = server.connect(app);
            await().until(() -> limiter.activeConnections() == 1);
            int fdsBefore = openFileDescriptors();
            List<Socket> flood = new ArrayList<>();
            try {
                for (int i = 0; i < 200; i++) {
                    Socket s = new Socket();
                    s.bind(
                            new InetSocketAddress(
                                    InetAddress.getByName("127.0.0." + (2 + i % 40)), 0));
                    s.connect(server.address(), 5000);
                    flood.add(s);
                }
                await().atMost(Duration.ofSeconds(20))
                        .until(
                                () ->
                                        limiter.activeConnections() + limiter.rejectedConnections()
                                                == 201);
                assertThat(limiter.activeConnections()).isEqualTo(48);
                assertThat(limiter.rejectedConnections()).isEqualTo(153);
                // Per address: 5 attempts each, never more than 4 admitted.
                for (int a = 2; a < 42; a++) {
                    assertThat(limiter.activeConnections(InetAddress.getByName("127.0.0." + a)))
                            .isLessThanOrEqualTo(4);
                }
                // Refused connections were closed at once: they read end of stream.
                int closed = 0;
                for (Socket s : flood) {
                    s.setSoTimeout(50);
                    try {
                        if (s.getInputStream().read() == -1) {
                            closed++;
                        }
                    } catch (java.net.SocketTimeoutException stillOpen) {
                        // admitted and waiting for a hello
                    } catch (java.io.IOException reset) {
                        closed++;
                    }
                }
                assertThat(closed).isEqualTo((int) limiter.rejectedConnections());
                assertThat(established.isActive()).isTrue();
            } finally {
                for (Socket s : flood) {
                    s.close();
                }
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> limiter.activeConnections() == 1);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> openFileDescriptors() <= fdsBefore + 2);
            established.writeAndFlush(Unpooled.wrappedBuffer("still here".getBytes()));
            await().atMost(Duration.ofSeconds(20)).until(() -> !app.messages.isEmpty());
            established.close().sync();
            server.roundTripMillis();
        }
    }

    /**
     * clients that send a valid hello and vanish, while a legitimate peer connects: the
     * pending-handshake cap holds, refused attempts cost no RSA signature, the peer completes.
     */
    @Test
    void handshakeFlood_helloThenVanish_capHoldsNoSignatureForRefusedLegitPeerCompletes()
            throws Exception {
        AtomicInteger signatures = new AtomicInteger();
        SecureChannelContext ctx =
                context()
                        .maxConcurrentHandshakes(8)
                        .certificateSource(
                                () -> {
                                    signatures.incrementAndGet(); // called once per signature
                                    return new byte[0];
                                })
                        .build();
        byte[] hello =
                EvilPeer.plaintextFrame(
                        ContentType.HELLO,
                        new InitiatorHandshake(server().settings().handshake(), new SecureRandom())
                                .start());
        try (Server server = new Server(ctx, null)) {
            server.roundTripMillis();
            int signaturesBefore = signatures.get();
            long cpuBefore = processCpuNanos();
            int attempts = 150;
            for (int i = 0; i < attempts; i++) {
                try (Socket s = new Socket()) {
                    s.bind(
                            new InetSocketAddress(
                                    InetAddress.getByName("127.0.0." + (2 + i % 50)), 0));
                    s.connect(server.address(), 5000);
                    s.getOutputStream().write(hello);
                    s.setSoLinger(true, 0); // vanish with a reset
                }
            }
            // A legitimate peer right behind the flood, while the refused attempts drain. Like any
            // client refused with BUSY, it retries; it must get through within the bound.
            long start = System.nanoTime();
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions()
                    .until(() -> server.roundTripMillis() >= 0);
            long ms = (System.nanoTime() - start) / 1_000_000;
            System.out.println("R-04 legitimate round trip right after the flood: " + ms + " ms");
            await().atMost(Duration.ofSeconds(30)).until(() -> ctx.activeHandshakes() == 0);
            long busy =
                    server.probes.stream()
                            .filter(p -> p.failureCode().orElse(null) == ErrorCode.BUSY)
                            .count();
            int flooded = signatures.get() - signaturesBefore - 1; // minus the legitimate peer
            System.out.printf(
                    "R-04: %d attempts, %d refused BUSY, %d signatures, %.2f ms CPU per attempt%n",
                    attempts, busy, flooded, (processCpuNanos() - cpuBefore) / 1e6 / attempts);
            assertThat(flooded).isLessThanOrEqualTo(attempts - (int) busy);
            server.roundTripMillis();
        }
    }

    private static SecureChannelContext server() {
        return context().build();
    }

    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean
                ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime()
                : 0;
    }

    /** garbage hellos never reach public-key work (cheap checks first). */
    @Test
    void handshakeFlood_garbageHellos_costNoSignature() throws Exception {
        AtomicInteger signatures = new AtomicInteger();
        SecureChannelContext ctx =
                context()
                        .certificateSource(
                                () -> {
                                    signatures.incrementAndGet();
                                    return new byte[0];
                                })
                        .cryptoExecutor(Runnable::run)
                        .build();
        for (int i = 0; i < 200; i++) {
            EmbeddedChannel ch = new EmbeddedChannel();
            ctx.addHandlers(ch.pipeline(), Role.RESPONDER);
            ch.writeInbound(
                    Unpooled.wrappedBuffer(
                            EvilPeer.plaintextFrame(
                                    ContentType.HELLO, new byte[] {8, 1, 0x10, (byte) i})));
            ch.runPendingTasks();
            ch.finishAndReleaseAll();
        }
        assertThat(signatures.get()).isZero();
        assertThat(ctx.activeHandshakes()).isZero();
    }

    /**
     * an authenticated peer floods 80 maximal frames of junk while another peer chats: the
     * flooder is closed at the first bad frame, the chat goes on.
     */
    @Test
    void junkFlood_authenticatedPeer_closedAtFirstFrameOthersUnaffected() throws Exception {
        try (Arena arena = Arena.loopback()) {
            arena.sanity();
            try (Arena.Duel d = arena.evilInitiator(Bugs.none())) {
                d.evil.handshake();
                d.evil.sendApplication("before".getBytes());
                d.awaitMessages(1);
                byte[] junk =
                        EvilPeer.rawFrame(65536, ContentType.APPLICATION_DATA, 1, new byte[65531]);
                new java.util.Random(3).nextBytes(junk);
                System.arraycopy(
                        EvilPeer.rawFrame(65536, ContentType.APPLICATION_DATA, 1, new byte[0]),
                        0,
                        junk,
                        0,
                        9);
                Thread flooder =
                        new Thread(
                                () -> {
                                    for (int i = 0; i < 80; i++) {
                                        d.evil.writeRaw(junk);
                                    }
                                });
                flooder.start();
                for (int i = 0; i < 5; i++) {
                    arena.sanity(); // the other peer keeps chatting meanwhile
                }
                flooder.join(20_000);
                d.assertClosed(ErrorCode.BAD_RECORD_MAC);
                assertThat(d.honest.messages).hasSize(1);
            }
            arena.sanity();
        }
    }

    private static Arena.Duel embeddedDuel(SecureChannelContext honest) {
        Arena arena = Arena.embedded();
        return arena.evilInitiator(honest, arena.context(Arena.EVIL).build(), Bugs.none());
    }

    private static SecureChannelContext embeddedContext() {
        return Arena.embedded().context(Arena.HONEST).build();
    }

    private static void advance(Arena.Duel d, long seconds) {
        EmbeddedChannel ch = (EmbeddedChannel) d.channel;
        for (long s = 0; s < seconds && ch.isOpen(); s++) {
            ch.advanceTimeBy(1, TimeUnit.SECONDS);
            ch.runScheduledPendingTasks();
            ch.runPendingTasks();
        }
    }

    /** R-02a: connect and send nothing: the handshake timeout closes at 10 s, not before. */
    @Test
    void slowloris_silentAfterConnect_handshakeTimeout() {
        try (Arena.Duel d = embeddedDuel(embeddedContext())) {
            advance(d, 9);
            assertThat(d.channel.isActive()).isTrue();
            advance(d, 2);
            d.assertClosed(ErrorCode.HANDSHAKE_TIMEOUT);
            assertThat(d.evil.awaitAlertCode()).isEqualTo(io.p2pchat.channel.AlertCode.TIMEOUT);
        }
    }

    /** R-02b: the first message at one byte per second: progress does not extend the timeout. */
    @Test
    void slowloris_oneBytePerSecond_handshakeTimeout() {
        try (Arena.Duel d = embeddedDuel(embeddedContext())) {
            d.evil.bugs(
                    Bugs.none()
                            .frame(
                                    FrameOp.Selector.nth(0),
                                    (f, h) -> {
                                        for (int i = 0; i < 11 && i < f.length; i++) {
                                            d.evil.writeRaw(new byte[] {f[i]});
                                            advance(d, 1);
                                        }
                                        return List.of();
                                    }));
            d.evil.sendHello();
            d.assertClosed(ErrorCode.HANDSHAKE_TIMEOUT);
        }
    }

    /** R-02c: the first message, then silence. */
    @Test
    void slowloris_stopsAfterFirstMessage_handshakeTimeout() {
        try (Arena.Duel d = embeddedDuel(embeddedContext())) {
            d.evil.sendHello();
            d.evil.expect(ContentType.HELLO);
            advance(d, 11);
            d.assertClosed(ErrorCode.HANDSHAKE_TIMEOUT);
        }
    }

    /** R-02d: idle after the handshake, not even answering keep-alives: idle timeout at 60 s. */
    @Test
    void slowloris_idleAfterHandshake_idleTimeout() throws Exception {
        try (Arena.Duel d = embeddedDuel(embeddedContext())) {
            d.evil.handshake();
            advance(d, 50);
            assertThat(d.channel.isActive()).isTrue();
            advance(d, 15);
            d.assertClosed(ErrorCode.IDLE_TIMEOUT);
        }
    }

    /** a declared application message of 1 MiB with 10 bytes sent allocates nothing large. */
    @Test
    void amplification_declaredLengthNotSent_noLargeAllocation() {
        FramingAttacksTest.CountingAllocator alloc = new FramingAttacksTest.CountingAllocator();
        EmbeddedChannel ch =
                new EmbeddedChannel(
                        new DelimitedProtobufDecoder(ChatMessage.getDefaultInstance(), 1 << 20));
        ch.config().setAllocator(alloc);
        ch.writeInbound(
                Unpooled.wrappedBuffer(
                        new byte[] {(byte) 0x80, (byte) 0x80, 0x40, 1, 2, 3, 4, 5, 6, 7}));
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(alloc.largest.get()).isLessThan(4096);
        ch.finishAndReleaseAll();
    }

    /** a flood of pings (no bytes to speak of) is rate limited per connection. */
    @Test
    void countFlood_pings_isRateLimit() throws Exception {
        try (Arena.Duel d = embeddedDuel(embeddedContext())) {
            d.evil.handshake();
            d.evil.cork();
            for (int i = 0; i < 400; i++) {
                d.evil.sendPing(i);
            }
            d.evil.uncork();
            d.assertClosed(ErrorCode.RATE_LIMIT);
        }
    }

    /**
     * a peer that stops reading while the application keeps writing without watching
     * writability: closed with SLOW_CONSUMER once the outbound buffer passes its limit; the heap
     * stays bounded (this JVM has 256 MiB).
     */
    @Test
    void slowReader_writerIgnoringWritability_isSlowConsumer() throws Exception {
        try (Arena arena = Arena.loopback()) {
            arena.sanity();
            SecureChannelContext honest =
                    arena.context(Arena.HONEST).maxOutboundBufferBytes(1 << 20).build();
            try (Arena.Duel d =
                    arena.evilInitiator(honest, arena.context(Arena.EVIL).build(), Bugs.none())) {
                d.evil.handshake();
                ((Wire.SocketWire) d.evil.wire()).socket().setReceiveBufferSize(4096);
                d.awaitSession();
                byte[] chunk = new byte[16 * 1024];
                d.onHonestLoop(
                        () -> {
                            for (int i = 0; i < 4096 && d.channel.isActive(); i++) { // up to 64 MiB
                                d.channel.writeAndFlush(Unpooled.wrappedBuffer(chunk));
                            }
                        });
                d.assertClosed(ErrorCode.SLOW_CONSUMER);
            }
            arena.sanity();
        }
    }
}
