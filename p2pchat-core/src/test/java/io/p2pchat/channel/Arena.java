package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.testing.TestIdentities;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Where an {@link EvilPeer} meets an honest peer: embedded ({@link #embedded()}, the honest
 * pipeline in an {@link EmbeddedChannel} on the test thread, with simulated time) or over real
 * loopback sockets ({@link #loopback()}: one honest listener and one evil listener on 127.0.0.1 for
 * the whole test class).
 *
 * <p>{@link #sanity()} is the tlsfuzzer sanity bracket: on the same listeners, an honest initiator
 * completes a handshake with the honest responder and with an honest (bug-free) {@link EvilPeer}
 * responder, and a message makes a round trip each time. Loopback test classes call it before and
 * after every test.
 */
public abstract class Arena implements AutoCloseable {
    /** The honest side's default identity. */
    public static final LocalIdentity HONEST = TestIdentities.get("bob");

    /** The evil side's default identity. */
    public static final LocalIdentity EVIL = TestIdentities.get("mallory");

    /** An embedded arena: deterministic, inline crypto, simulated time. */
    public static Arena embedded() {
        return new Embedded();
    }

    /** A loopback arena with real sockets on 127.0.0.1. */
    public static Arena loopback() {
        return new Loopback();
    }

    /**
     * A context builder for {@code identity} fit for this arena, accepting any peer, with delegated
     * credentials and resumption off: the ladders attack the RSA-signed handshake and count the
     * records that follow it, and {@link CredentialAttacks} and {@link ResumptionAttacks} turn the
     * features on where they attack them.
     */
    public abstract SecureChannelContext.Builder context(LocalIdentity identity);

    /** An honest responder (built from {@code honest}) and an evil initiator facing it. */
    public abstract Duel evilInitiator(
            SecureChannelContext honest, SecureChannelContext evil, Bugs bugs);

    /** An honest initiator (built from {@code honest}) and an evil responder facing it. */
    public abstract Duel evilResponder(
            SecureChannelContext honest, SecureChannelContext evil, Bugs bugs);

    /** Default contexts: honest Bob, evil Mallory. */
    public Duel evilInitiator(Bugs bugs) {
        return evilInitiator(context(HONEST).build(), context(EVIL).build(), bugs);
    }

    /** Default contexts: honest Bob, evil Mallory. */
    public Duel evilResponder(Bugs bugs) {
        return evilResponder(context(HONEST).build(), context(EVIL).build(), bugs);
    }

    /** Whether this arena uses real sockets. */
    public abstract boolean isLoopback();

    /** The sanity bracket: normal sessions with both honest roles succeed on these listeners. */
    public abstract void sanity() throws Exception;

    @Override
    public void close() {}

    /** An evil peer facing an honest one, with the means to judge the outcome. */
    public static final class Duel implements AutoCloseable {
        public final EvilPeer evil;
        public final Probe honest;
        public final Channel channel;
        private final Runnable settle;

        Duel(EvilPeer evil, Probe honest, Channel channel, Runnable settle) {
            this.evil = evil;
            this.honest = honest;
            this.channel = channel;
            this.settle = settle;
        }

        /** Lets the honest side process what it received (embedded only; no-op on sockets). */
        public void settle() {
            settle.run();
        }

        /** Waits until the honest channel has closed, and returns its precise local error. */
        public ErrorCode awaitFailure() {
            await().atMost(Duration.ofSeconds(20))
                    .pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(2))
                    .until(
                            () -> {
                                settle.run();
                                return honest.isInactive();
                            });
            return honest.failureCode()
                    .orElseThrow(() -> new AssertionError("closed without an error code"));
        }

        /**
         * Asserts the honest side is closed with {@code expected}: the channel is inactive, no key
         * can be exported any more, and a record sent now reaches nobody. (ByteBuf leaks are
         * checked per class by the leak extension.)
         */
        public void assertClosed(ErrorCode expected) {
            assertThat(awaitFailure()).isEqualTo(expected);
            assertThat(channel.isActive()).isFalse();
            SecureSession.of(channel)
                    .ifPresent(
                            s ->
                                    assertThatThrownBy(
                                                    () ->
                                                            s.exportKeyingMaterial(
                                                                    "probe", new byte[0], 16))
                                            .isInstanceOf(IllegalStateException.class));
            int delivered = honest.messages.size();
            if (evil.established().isPresent()) {
                evil.sendApplication("after the close".getBytes(StandardCharsets.UTF_8));
                settle.run();
            }
            assertThat(honest.messages).hasSize(delivered);
        }

        /** Waits for the honest side's session. */
        public SecureSession awaitSession() {
            return await().atMost(Duration.ofSeconds(20))
                    .until(
                            () -> {
                                settle.run();
                                return honest.session();
                            },
                            java.util.Optional::isPresent)
                    .orElseThrow();
        }

        /** Runs {@code task} on the honest channel's event loop and waits for it. */
        public void onHonestLoop(Runnable task) throws Exception {
            if (channel.eventLoop().inEventLoop()) {
                task.run();
            } else {
                channel.eventLoop().submit(task).get(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        }

        /** Waits until at least {@code n} messages reached the honest application. */
        public void awaitMessages(int n) {
            await().atMost(Duration.ofSeconds(20))
                    .until(
                            () -> {
                                settle.run();
                                return honest.messages.size() >= n || honest.isInactive();
                            });
        }

        /** Asserts the honest handshake has not produced a session. */
        public void assertNoSession() {
            assertThat(honest.session()).isEmpty();
            assertThat(SecureSession.of(channel)).isEmpty();
        }

        @Override
        public void close() {
            evil.close();
            if (channel.isOpen()) {
                channel.close();
            }
            settle.run();
        }
    }

    // ------------------------------------------------------------------ embedded

    private static final class Embedded extends Arena {
        @Override
        public SecureChannelContext.Builder context(LocalIdentity identity) {
            return SecureChannelContext.builder(identity)
                    .peerVerifier(PeerVerifier.insecureAcceptAny())
                    .delegatedCredentials(false)
                    .resumption(false)
                    .cryptoExecutor(Runnable::run);
        }

        @Override
        public boolean isLoopback() {
            return false;
        }

        @Override
        public Duel evilInitiator(
                SecureChannelContext honest, SecureChannelContext evil, Bugs bugs) {
            return duel(honest, Role.RESPONDER, evil, bugs);
        }

        @Override
        public Duel evilResponder(
                SecureChannelContext honest, SecureChannelContext evil, Bugs bugs) {
            return duel(honest, Role.INITIATOR, evil, bugs);
        }

        private Duel duel(
                SecureChannelContext honest,
                Role honestRole,
                SecureChannelContext evil,
                Bugs bugs) {
            EmbeddedChannel ch = new EmbeddedChannel();
            Probe probe = new Probe(true);
            honest.addHandlers(ch.pipeline(), honestRole);
            ch.pipeline().addLast(probe);
            Wire wire = Wire.of(ch);
            EvilPeer peer =
                    honestRole == Role.RESPONDER
                            ? EvilPeer.initiator(evil, wire, bugs)
                            : EvilPeer.responder(evil, wire, bugs);
            return new Duel(peer, probe, ch, ch::runPendingTasks);
        }

        @Override
        public void sanity() throws Exception {
            try (Duel d = evilInitiator(Bugs.none())) {
                d.evil.handshake();
                d.evil.sendApplication("sanity".getBytes(StandardCharsets.UTF_8));
                assertThat(d.evil.receiveApplication()).asString().isEqualTo("sanity");
            }
        }
    }

    // ------------------------------------------------------------------ loopback

    private static final class Loopback extends Arena {
        private static final AtomicInteger SANITY = new AtomicInteger();
        private final EventLoopGroup group =
                new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        private final SecureChannelContext defaultHonest = context(HONEST).build();
        private final AtomicReference<SecureChannelContext> nextHonest = new AtomicReference<>();
        private final BlockingQueue<Accepted> accepted = new LinkedBlockingQueue<>();
        private final Channel server;
        private final ServerSocket evilServer;

        private record Accepted(Channel channel, Probe probe) {}

        Loopback() {
            server =
                    new ServerBootstrap()
                            .group(group)
                            .channel(NioServerSocketChannel.class)
                            .childHandler(
                                    new io.netty.channel.ChannelInitializer<Channel>() {
                                        @Override
                                        protected void initChannel(Channel ch) {
                                            SecureChannelContext ctx = nextHonest.getAndSet(null);
                                            Probe probe = new Probe(true);
                                            (ctx != null ? ctx : defaultHonest)
                                                    .addHandlers(ch.pipeline(), Role.RESPONDER);
                                            ch.pipeline().addLast(probe);
                                            accepted.add(new Accepted(ch, probe));
                                        }
                                    })
                            .bind(new InetSocketAddress("127.0.0.1", 0))
                            .syncUninterruptibly()
                            .channel();
            try {
                evilServer = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
                evilServer.setSoTimeout(10_000);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The honest listener's address. */
        InetSocketAddress honestAddress() {
            return (InetSocketAddress) server.localAddress();
        }

        @Override
        public SecureChannelContext.Builder context(LocalIdentity identity) {
            return SecureChannelContext.builder(identity)
                    .peerVerifier(PeerVerifier.insecureAcceptAny())
                    .delegatedCredentials(false)
                    .resumption(false);
        }

        @Override
        public boolean isLoopback() {
            return true;
        }

        @Override
        public Duel evilInitiator(
                SecureChannelContext honest, SecureChannelContext evil, Bugs bugs) {
            nextHonest.set(honest);
            Socket socket = new Socket();
            try {
                socket.connect(honestAddress(), 10_000);
                Accepted a = accepted.poll(10, TimeUnit.SECONDS);
                if (a == null) {
                    throw new AssertionError("the honest listener accepted nothing");
                }
                return new Duel(
                        EvilPeer.initiator(evil, Wire.of(socket), bugs),
                        a.probe,
                        a.channel,
                        () -> {});
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        @Override
        public Duel evilResponder(
                SecureChannelContext honest, SecureChannelContext evil, Bugs bugs) {
            Probe probe = new Probe(false);
            Channel ch =
                    new Bootstrap()
                            .group(group)
                            .channel(NioSocketChannel.class)
                            .handler(honest.initializer(Role.INITIATOR, p -> p.addLast(probe)))
                            .connect(evilServer.getLocalSocketAddress())
                            .syncUninterruptibly()
                            .channel();
            try {
                Socket socket = evilServer.accept();
                return new Duel(
                        EvilPeer.responder(evil, Wire.of(socket), bugs), probe, ch, () -> {});
            } catch (IOException e) {
                ch.close();
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void sanity() throws Exception {
            int n = SANITY.incrementAndGet();
            byte[] hello = ("sanity " + n).getBytes(StandardCharsets.UTF_8);
            // 1. honest initiator -> honest responder on the honest listener, with an echo.
            Probe client = new Probe(false);
            Channel ch =
                    new Bootstrap()
                            .group(group)
                            .channel(NioSocketChannel.class)
                            .handler(
                                    context(TestIdentities.get("alice"))
                                            .build()
                                            .initializer(Role.INITIATOR, p -> p.addLast(client)))
                            .connect(honestAddress())
                            .sync()
                            .channel();
            Accepted a = accepted.poll(10, TimeUnit.SECONDS);
            assertThat(a).as("sanity: accepted").isNotNull();
            ch.writeAndFlush(Unpooled.wrappedBuffer(hello));
            await().atMost(Duration.ofSeconds(20)).until(() -> !client.messages.isEmpty());
            assertThat(client.messages.get(0)).isEqualTo(hello);
            assertThat(client.session()).isPresent();
            ch.close().sync();
            await().atMost(Duration.ofSeconds(20)).until(a.probe::isInactive);
            assertThat(a.probe.closed()).hasValueSatisfying(e -> assertThat(e.isClean()).isTrue());
            // 2. honest initiator -> bug-free EvilPeer responder on the evil listener.
            try (Duel d =
                    evilResponder(
                            context(TestIdentities.get("alice")).build(),
                            context(EVIL).build(),
                            Bugs.none())) {
                d.evil.handshake();
                d.channel.writeAndFlush(Unpooled.wrappedBuffer(hello));
                assertThat(d.evil.receiveApplication()).isEqualTo(hello);
                d.evil.sendApplication(hello);
                await().atMost(Duration.ofSeconds(20)).until(() -> !d.honest.messages.isEmpty());
                assertThat(d.honest.messages.get(0)).isEqualTo(hello);
            }
        }

        @Override
        public void close() {
            server.close().syncUninterruptibly();
            try {
                evilServer.close();
            } catch (IOException e) {
                // ignore
            }
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
