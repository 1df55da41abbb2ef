package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.proto.HelloMessage;
import io.p2pchat.testing.EmbeddedPair;
import io.p2pchat.testing.SettableClock;
import io.p2pchat.testing.TestIdentities;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * Session resumption (docs/protocol.md 5.11) through the handlers: a reconnect resumes with a
 * single-use ticket, proves it with a fresh key exchange and no signature, gets new keys; a used,
 * expired or foreign ticket costs a full handshake; a refused identity stays refused; a peer
 * without the feature still gets a full handshake in either role.
 */
class ResumptionTest {
    static final LocalIdentity ALICE = TestIdentities.get("alice");
    static final LocalIdentity BOB = TestIdentities.get("bob");
    static final byte[] NETWORK = filled(7);

    static byte[] filled(int value) {
        byte[] b = new byte[32];
        Arrays.fill(b, (byte) value);
        return b;
    }

    static SecureChannelContext.Builder context(LocalIdentity id) {
        return EmbeddedPair.context(id).networkId(NETWORK);
    }

    /** Runs one handshake between the two contexts; returns both sessions. */
    static SecureSession[] connect(SecureChannelContext i, SecureChannelContext r) {
        try (EmbeddedPair pair = new EmbeddedPair(i, r)) {
            return sessions(pair);
        }
    }

    static SecureSession[] sessions(EmbeddedPair pair) {
        SecureSession is =
                pair.handshake()
                        .orElseThrow(
                                () ->
                                        new AssertionError(
                                                "no session: initiator "
                                                        + pair.initiatorApp.failureCode()
                                                        + ", responder "
                                                        + pair.responderApp.failureCode()));
        SecureSession rs = SecureSession.of(pair.responder).orElseThrow();
        return new SecureSession[] {is, rs};
    }

    static ResumptionTickets tickets(SecureChannelContext c) {
        return c.settings().handshake().tickets();
    }

    /**
     * Waits (at most 10 s) until {@code initiator} holds a ticket from BOB: the ticket precedes any
     * data of the responder, so a reconnect must not race it.
     */
    static void awaitTicketFromBob(SecureChannelContext initiator) {
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> tickets(initiator).heldCount(BOB.peerId()) >= 1);
    }

    @Test
    void reconnect_withTicket_resumesWithNewKeysAndNoSignature() {
        SecureChannelContext ci = context(ALICE).build();
        SecureChannelContext cr = context(BOB).build();
        byte[] fullExport;
        String fullFingerprint;
        try (EmbeddedPair pair = new EmbeddedPair(ci, cr)) {
            SecureSession[] full = sessions(pair);
            assertThat(full[0].resumed()).isFalse();
            assertThat(full[1].resumed()).isFalse();
            fullExport = full[0].exportKeyingMaterial("x", new byte[0], 32);
            fullFingerprint = full[0].sessionFingerprint();
        }
        assertThat(tickets(ci).heldCount(BOB.peerId())).isEqualTo(1);
        assertThat(tickets(cr).issuedCount()).isEqualTo(1);

        List<Integer> sizes = new ArrayList<>();
        try (EmbeddedPair pair = new EmbeddedPair(ci, cr)) {
            pair.tap(
                    (dir, idx, frame) -> {
                        sizes.add(frame.readableBytes());
                        return frame;
                    });
            SecureSession[] resumed = sessions(pair);
            assertThat(resumed[0].resumed()).isTrue();
            assertThat(resumed[1].resumed()).isTrue();
            assertThat(resumed[0].peerId()).isEqualTo(BOB.peerId());
            assertThat(resumed[1].peerId()).isEqualTo(ALICE.peerId());
            assertThat(resumed[0].delegatedCredentials()).isFalse();
            byte[] export = resumed[0].exportKeyingMaterial("x", new byte[0], 32);
            assertThat(export)
                    .isEqualTo(resumed[1].exportKeyingMaterial("x", new byte[0], 32))
                    .isNotEqualTo(fullExport);
            assertThat(resumed[0].sessionFingerprint())
                    .isEqualTo(resumed[1].sessionFingerprint())
                    .isNotEqualTo(fullFingerprint);
            pair.sendFromInitiator("over resumed".getBytes(StandardCharsets.UTF_8));
            assertThat(pair.responderApp.messages)
                    .anySatisfy(
                            m ->
                                    assertThat(new String(m, StandardCharsets.UTF_8))
                                            .isEqualTo("over resumed"));
        }
        // Flight 1 (hybrid: ML-KEM key), 2a, 2b (Finished only), 3 (Finished only), NewTicket:
        // no identity, certificate or 384-byte RSA signature in 2b or 3.
        assertThat(sizes.get(2)).isLessThan(100);
        assertThat(sizes.get(3)).isLessThan(100);
        // The used ticket is gone from the issuer; the resumed session issued a fresh one.
        assertThat(tickets(cr).issuedCount()).isEqualTo(1);
        assertThat(tickets(ci).heldCount(BOB.peerId())).isEqualTo(1);
        // And the chain goes on.
        assertThat(connect(ci, cr)[0].resumed()).isTrue();
    }

    /**
     * The responder's NewTicket leaves in the same socket write as what the application writes on
     * completion (docs/benchmarks.md, "Resumed handshakes: where the time goes").
     */
    @Test
    void newTicket_leavesWithTheApplicationsFirstWrite() {
        SecureChannelContext ci = context(ALICE).build();
        try (EmbeddedPair pair = new EmbeddedPair(ci, context(BOB).build())) {
            WriteCounter counter = new WriteCounter();
            pair.responder.pipeline().addFirst(counter);
            String recorder = pair.responder.pipeline().context(EmbeddedPair.Recorder.class).name();
            pair.responder
                    .pipeline()
                    .addBefore(
                            recorder,
                            "reply",
                            new ChannelInboundHandlerAdapter() {
                                @Override
                                public void userEventTriggered(
                                        ChannelHandlerContext ctx, Object evt) {
                                    if (evt instanceof HandshakeCompletionEvent
                                            && ((HandshakeCompletionEvent) evt).isSuccess()) {
                                        ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {42}));
                                    }
                                    ctx.fireUserEventTriggered(evt);
                                }
                            });
            sessions(pair);
            pair.pump();
            // Flight 2 (hello and AuthMessage), then the NewTicket with the application's byte.
            assertThat(counter.socketWrites).isEqualTo(2);
            assertThat(pair.initiatorApp.messages).containsExactly(new byte[] {42});
            assertThat(tickets(ci).heldCount(BOB.peerId())).isEqualTo(1);
        }
    }

    /** Counts the flushes that send something: each is one write to the socket. */
    private static final class WriteCounter extends ChannelOutboundHandlerAdapter {
        int pending;
        int socketWrites;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            pending++;
            ctx.write(msg, promise);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            if (pending > 0) {
                socketWrites++;
                pending = 0;
            }
            ctx.flush();
        }
    }

    @Test
    void expiredTicket_atTheIssuer_costsAFullHandshake() {
        SettableClock issuerClock = new SettableClock(System.currentTimeMillis());
        SecureChannelContext ci = context(ALICE).build();
        SecureChannelContext cr = context(BOB).clock(issuerClock).build();
        connect(ci, cr);
        issuerClock.advance(Duration.ofHours(24).toMillis());
        SecureSession[] again = connect(ci, cr);
        assertThat(again[0].resumed()).isFalse();
        assertThat(again[1].resumed()).isFalse();
    }

    @Test
    void expiredTicket_atTheHolder_isNotOffered() {
        SettableClock holderClock = new SettableClock(System.currentTimeMillis());
        SecureChannelContext ci = context(ALICE).clock(holderClock).build();
        SecureChannelContext cr = context(BOB).build();
        connect(ci, cr);
        holderClock.advance(Duration.ofHours(24).toMillis());
        List<HelloMessage> hellos = new ArrayList<>();
        try (EmbeddedPair pair = new EmbeddedPair(ci, cr)) {
            pair.tap(
                    (dir, idx, frame) -> {
                        if (dir == EmbeddedPair.Dir.I_TO_R && idx == 0) {
                            hellos.add(hello(frame));
                        }
                        return frame;
                    });
            assertThat(sessions(pair)[0].resumed()).isFalse();
        }
        assertThat(hellos.get(0).getInitiatorHello().getPskIdentity().isEmpty()).isTrue();
    }

    @Test
    void ticket_forAnotherSuite_isUsedUpAndCostsAFullHandshake() throws Exception {
        SecureChannelContext ci = context(ALICE).build();
        SecureChannelContext cr = context(BOB).build();
        connect(ci, cr); // hybrid
        Ticket ticket =
                tickets(ci).take(new io.netty.channel.embedded.EmbeddedChannel().remoteAddress());
        assertThat(ticket).isNotNull();
        SecureChannelContext classical =
                context(ALICE).cipherSuites(CipherSuite.X25519_AES_128_GCM_SHA256).build();
        InitiatorHandshake ih =
                new InitiatorHandshake(
                        classical.settings().handshake(), new SecureRandom(), ticket);
        ResponderHandshake rh =
                new ResponderHandshake(cr.settings().handshake(), new SecureRandom());
        rh.onInitiatorHello(ih.start());
        assertThat(rh.resumed).isFalse();
        assertThat(tickets(cr).issuedCount()).isZero();
        ih.destroy();
        rh.destroy();
    }

    @Test
    void ticket_presentedToAnotherContextOfTheSameIdentity_isUnknown() {
        SecureChannelContext ci = context(ALICE).build();
        connect(ci, context(BOB).build());
        SecureSession[] other = connect(ci, context(BOB).build());
        assertThat(other[0].resumed()).isFalse();
        assertThat(other[0].peerId()).isEqualTo(BOB.peerId());
    }

    @Test
    void unboundJoiner_getsNoTicket() {
        SecureChannelContext ci = EmbeddedPair.context(ALICE).discoverNetwork(true).build();
        SecureChannelContext cr = context(BOB).acceptUnboundInitiators(true).build();
        connect(ci, cr);
        assertThat(tickets(cr).issuedCount()).isZero();
        assertThat(tickets(ci).heldCount(BOB.peerId())).isZero();
    }

    /** A verifier that refuses the peers in {@code refused}, as a ledger after a rotation. */
    static PeerVerifier refusing(Set<PeerId> refused) {
        return peer -> {
            if (refused.contains(peer.peerId())) {
                throw new PeerVerificationException(ErrorCode.KEY_CHANGED, "rotated");
            }
        };
    }

    @Test
    void identityRefusedSinceTheTicket_isRefusedOnResumption_inBothRoles() {
        Set<PeerId> refusedByAlice = ConcurrentHashMap.newKeySet();
        Set<PeerId> refusedByBob = ConcurrentHashMap.newKeySet();
        SecureChannelContext ci = context(ALICE).peerVerifier(refusing(refusedByAlice)).build();
        SecureChannelContext cr = context(BOB).peerVerifier(refusing(refusedByBob)).build();
        connect(ci, cr);
        connect(ci, cr); // and another ticket
        refusedByAlice.add(BOB.peerId());
        try (EmbeddedPair pair = new EmbeddedPair(ci, cr)) {
            assertThat(pair.handshake()).isEmpty();
            assertThat(pair.initiatorApp.failureCode()).hasValue(ErrorCode.KEY_CHANGED);
        }
        refusedByAlice.clear();
        refusedByBob.add(ALICE.peerId());
        try (EmbeddedPair pair = new EmbeddedPair(ci, cr)) {
            pair.handshake();
            assertThat(pair.responderApp.failureCode()).hasValue(ErrorCode.KEY_CHANGED);
            assertThat(SecureSession.of(pair.responder)).isEmpty();
        }
    }

    @Test
    void resumptionOff_onEitherSide_alwaysHandshakesFully_inBothRoles() {
        for (boolean initiatorOn : new boolean[] {true, false}) {
            SecureChannelContext ci = context(ALICE).resumption(initiatorOn).build();
            SecureChannelContext cr = context(BOB).resumption(!initiatorOn).build();
            for (int n = 0; n < 3; n++) {
                SecureSession[] s = connect(ci, cr);
                assertThat(s[0].resumed()).isFalse();
                assertThat(s[1].resumed()).isFalse();
                assertThat(s[0].peerId()).isEqualTo(BOB.peerId());
            }
            if (initiatorOn) {
                assertThat(tickets(ci).heldCount(BOB.peerId())).isZero();
            } else {
                assertThat(tickets(cr).issuedCount()).isZero();
            }
        }
    }

    static HelloMessage hello(ByteBuf frame) {
        byte[] payload = new byte[frame.readableBytes() - 9];
        frame.getBytes(frame.readerIndex() + 9, payload);
        try {
            return HelloMessage.parseFrom(payload);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
