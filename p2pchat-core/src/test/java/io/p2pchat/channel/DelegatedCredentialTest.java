package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.proto.HelloMessage;
import io.p2pchat.testing.EmbeddedPair;
import io.p2pchat.testing.LoopbackPair;
import io.p2pchat.testing.SettableClock;
import io.p2pchat.testing.TestIdentities;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Delegated credentials (docs/protocol.md 5.10): negotiation with peers that have the feature on,
 * off, or predate it, over real sockets in both roles; the verified-credential cache; renewal and
 * expiry of this side's credential.
 */
class DelegatedCredentialTest {
    private static final LocalIdentity ALICE = TestIdentities.get("alice");
    private static final LocalIdentity BOB = TestIdentities.get("bob");

    /** Copies the first frame the peer sent (its HELLO) before the frame decoder sees it. */
    private static final class FirstFrame extends ChannelInboundHandlerAdapter {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final CompletableFuture<HelloMessage> hello = new CompletableFuture<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!hello.isDone() && msg instanceof ByteBuf buf) {
                bytes.writeBytes(ByteBufUtil.getBytes(buf));
                byte[] seen = bytes.toByteArray();
                if (seen.length >= 4) {
                    int length =
                            (seen[0] & 0xff) << 24
                                    | (seen[1] & 0xff) << 16
                                    | (seen[2] & 0xff) << 8
                                    | (seen[3] & 0xff);
                    if (seen.length >= 4 + length) {
                        try {
                            hello.complete(
                                    HelloMessage.parseFrom(
                                            java.util.Arrays.copyOfRange(seen, 9, 4 + length)));
                        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                            hello.completeExceptionally(e);
                        }
                    }
                }
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** The application handler: installs a {@link FirstFrame} at the head of the pipeline. */
    private static final class App extends ChannelInboundHandlerAdapter {
        final FirstFrame first = new FirstFrame();
        final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        final BlockingQueue<byte[]> messages = new LinkedBlockingQueue<>();

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.pipeline().addFirst("first-frame", first);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                messages.add(ByteBufUtil.getBytes(buf));
            } finally {
                buf.release();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            events.add(evt);
        }
    }

    private static SecureChannelContext context(LocalIdentity id, boolean dc) {
        return SecureChannelContext.builder(id)
                .peerVerifier(PeerVerifier.insecureAcceptAny())
                .delegatedCredentials(dc)
                .build();
    }

    private static SecureSession session(App app) throws Exception {
        Object event = app.events.poll(20, TimeUnit.SECONDS);
        assertThat(event).isInstanceOf(HandshakeCompletionEvent.class);
        HandshakeCompletionEvent completion = (HandshakeCompletionEvent) event;
        assertThat(completion.cause()).isEmpty();
        return completion.session().orElseThrow();
    }

    /**
     * Over real sockets: a credential is used iff both sides have the feature on; a side with it
     * off sends a hello without field 11 (as a peer that predates it) or answers scheme 0, and the
     * RSA handshake runs unchanged. Data flows both ways in every combination.
     */
    @ParameterizedTest(name = "initiator dc={0}, responder dc={1}")
    @CsvSource({"true, true", "true, false", "false, true", "false, false"})
    void loopback_anyCombination_negotiatesCredentialOnlyWhenBothOffer(
            boolean initiatorDc, boolean responderDc) throws Exception {
        App responderApp = new App();
        App initiatorApp = new App();
        try (LoopbackPair pair = new LoopbackPair(context(BOB, responderDc), () -> responderApp)) {
            Channel ch = pair.connect(context(ALICE, initiatorDc), initiatorApp);
            SecureSession is = session(initiatorApp);
            SecureSession rs = session(responderApp);
            assertThat(is.peerId()).isEqualTo(BOB.peerId());
            assertThat(rs.peerId()).isEqualTo(ALICE.peerId());
            assertThat(is.delegatedCredentials()).isEqualTo(initiatorDc && responderDc);
            assertThat(rs.delegatedCredentials()).isEqualTo(initiatorDc && responderDc);

            HelloMessage initiatorHello = responderApp.first.hello.get(10, TimeUnit.SECONDS);
            HelloMessage responderHello = initiatorApp.first.hello.get(10, TimeUnit.SECONDS);
            assertThat(initiatorHello.getInitiatorHello().getCredentialSchemesList())
                    .isEqualTo(initiatorDc ? java.util.List.of(1) : java.util.List.of());
            assertThat(responderHello.getResponderHello().getCredentialScheme())
                    .isEqualTo(initiatorDc && responderDc ? 1 : 0);
            // The hello of a side with the feature off is byte for byte a pre-feature hello.
            if (!initiatorDc) {
                assertThat(initiatorHello.getInitiatorHello().getUnknownFields().asMap()).isEmpty();
            }

            ch.writeAndFlush(io.netty.buffer.Unpooled.copiedBuffer("ping", StandardCharsets.UTF_8));
            assertThat(responderApp.messages.poll(10, TimeUnit.SECONDS))
                    .isEqualTo("ping".getBytes(StandardCharsets.UTF_8));
            assertThat(is.exportKeyingMaterial("t", new byte[0], 16))
                    .isEqualTo(rs.exportKeyingMaterial("t", new byte[0], 16));
            ch.close().sync();
        }
    }

    /** A credential verified once is not verified again: the second handshake costs no RSA. */
    @Test
    void verifiedCache_secondHandshakeWithSameCredential_reusesTheVerification() {
        SecureChannelContext alice = EmbeddedPair.context(ALICE).build();
        SecureChannelContext bob = EmbeddedPair.context(BOB).build();
        CredentialKeeper bobs = bob.settings().handshake().credentials();
        for (int i = 0; i < 3; i++) {
            try (EmbeddedPair pair = new EmbeddedPair(alice, bob)) {
                assertThat(pair.handshake()).isPresent();
            }
        }
        assertThat(bobs.verifiedCountForTesting()).isEqualTo(1);
        assertThat(alice.settings().handshake().credentials().verifiedCountForTesting())
                .isEqualTo(1);
    }

    /** A clock tests move by hand. */
    /**
     * With less than a quarter of its validity left the credential is renewed (on the crypto
     * executor, here inline); past its end with no renewal possible the side falls back to RSA.
     */
    @Test
    void ownCredential_nearExpiry_isRenewedOnTheCryptoExecutor() {
        SettableClock clock =
                new SettableClock(Instant.parse("2026-12-07T00:00:00Z").toEpochMilli());
        java.util.List<Runnable> queued = new java.util.ArrayList<>();
        CredentialKeeper keeper =
                new CredentialKeeper(
                        ALICE,
                        new byte[0],
                        Duration.ofHours(24),
                        clock,
                        new java.security.SecureRandom(),
                        queued::add,
                        null);
        CredentialKeeper.Own first = keeper.usable();
        assertThat(first).isNotNull();
        assertThat(queued).isEmpty();

        clock.advance(Duration.ofHours(17).toMillis()); // 7 h left: more than a quarter
        assertThat(keeper.usable()).isSameAs(first);
        assertThat(queued).isEmpty();

        clock.advance(Duration.ofHours(2).toMillis()); // 5 h left: renew, keep using the old one
        assertThat(keeper.usable()).isSameAs(first);
        assertThat(keeper.usable()).isSameAs(first);
        assertThat(queued).hasSize(1); // one renewal at a time
        queued.remove(0).run();
        CredentialKeeper.Own second = keeper.usable();
        assertThat(second).isNotSameAs(first);
        assertThat(second.credential().notBeforeMillis()).isEqualTo(clock.millis());

        clock.advance(Duration.ofHours(24).toMillis()); // expired and not renewed yet
        assertThat(keeper.usable()).isNull();
    }

    /**
     * A side whose credential has expired (a machine that slept) runs the RSA handshake at once,
     * renews in the background, and uses the new credential from the next handshake on.
     */
    @Test
    void expiredOwnCredential_fallsBackToRsaThenUsesTheRenewedOne() throws Exception {
        SettableClock clock =
                new SettableClock(Instant.parse("2026-12-07T00:00:00Z").toEpochMilli());
        // Resumption off: a resumed handshake signs nothing, so it would negotiate no credential.
        SecureChannelContext alice =
                EmbeddedPair.context(ALICE).clock(clock).resumption(false).build();
        clock.advance(Duration.ofDays(2).toMillis());
        SecureChannelContext bob = EmbeddedPair.context(BOB).clock(clock).resumption(false).build();
        assertThat(negotiatedScheme(alice, bob)).isEqualTo(0);
        assertThat(negotiatedScheme(alice, bob)).isEqualTo(1);
    }

    /** Runs one embedded handshake and returns the credential scheme of the responder's hello. */
    private static int negotiatedScheme(SecureChannelContext i, SecureChannelContext r)
            throws Exception {
        int[] scheme = {-1};
        try (EmbeddedPair pair = new EmbeddedPair(i, r)) {
            pair.tap(
                    (dir, idx, frame) -> {
                        if (dir == EmbeddedPair.Dir.R_TO_I && idx == 0) {
                            byte[] hello = new byte[frame.readableBytes() - 9];
                            frame.getBytes(frame.readerIndex() + 9, hello);
                            try {
                                scheme[0] =
                                        HelloMessage.parseFrom(hello)
                                                .getResponderHello()
                                                .getCredentialScheme();
                            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                                throw new AssertionError(e);
                            }
                        }
                        return frame;
                    });
            assertThat(pair.handshake()).isPresent();
        }
        return scheme[0];
    }
}
