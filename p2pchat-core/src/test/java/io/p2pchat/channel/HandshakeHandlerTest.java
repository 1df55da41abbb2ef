package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.proto.HelloMessage;
import io.p2pchat.proto.InitiatorHello;
import io.p2pchat.testing.EmbeddedPair;
import io.p2pchat.testing.TestIdentities;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class HandshakeHandlerTest {
    private static final LocalIdentity ALICE = TestIdentities.get("alice");
    private static final LocalIdentity BOB = TestIdentities.get("bob");

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void handshake_everySuite_authenticatesBothSides(CipherSuite suite) {
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(ALICE).cipherSuites(suite).build(),
                        EmbeddedPair.context(BOB).build())) {
            SecureSession session = pair.handshake().orElseThrow();
            SecureSession bobSession = SecureSession.of(pair.responder).orElseThrow();
            assertThat(session.peerId()).isEqualTo(BOB.peerId());
            assertThat(bobSession.peerId()).isEqualTo(ALICE.peerId());
            assertThat(session.cipherSuite()).isEqualTo(suite);
            assertThat(bobSession.cipherSuite()).isEqualTo(suite);
            assertThat(session.sessionFingerprint()).isEqualTo(bobSession.sessionFingerprint());
            assertThat(pair.initiatorApp.completion().orElseThrow().isSuccess()).isTrue();
            assertThat(pair.responderApp.completion().orElseThrow().isSuccess()).isTrue();
            // The handshake handler removed itself on both sides.
            assertThat(pair.initiator.pipeline().get(HandshakeHandler.class)).isNull();
            assertThat(pair.responder.pipeline().get(HandshakeHandler.class)).isNull();
            pair.sendFromInitiator("ping".getBytes(StandardCharsets.UTF_8));
            pair.sendFromResponder("pong".getBytes(StandardCharsets.UTF_8));
            assertThat(pair.responderApp.messages)
                    .containsExactly("ping".getBytes(StandardCharsets.UTF_8));
            assertThat(pair.initiatorApp.messages)
                    .containsExactly("pong".getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void handshake_defaultContexts_negotiateHybridAes128() {
        try (EmbeddedPair pair = EmbeddedPair.of("alice", "bob")) {
            assertThat(pair.handshake().orElseThrow().cipherSuite())
                    .isEqualTo(CipherSuite.X25519_MLKEM768_AES_128_GCM_SHA256);
        }
    }

    @Test
    void handshake_listenAddress_reachesResponder() {
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(ALICE).listenAddress("127.0.0.1:4000").build(),
                        EmbeddedPair.context(BOB).build())) {
            pair.handshake().orElseThrow();
            assertThat(SecureSession.of(pair.responder).orElseThrow().peerListenAddress())
                    .contains("127.0.0.1:4000");
        }
    }

    @Test
    void handshake_verifierRejects_failsWithVerifierCodeOnThatSide() {
        PeerVerifier rejectAll =
                peer -> {
                    throw new PeerVerificationException(ErrorCode.UNKNOWN_IDENTITY, "not pinned");
                };
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(ALICE).peerVerifier(rejectAll).build(),
                        EmbeddedPair.context(BOB).build())) {
            assertThat(pair.handshake()).isEmpty();
            assertThat(pair.initiatorApp.failureCode()).contains(ErrorCode.UNKNOWN_IDENTITY);
            Throwable cause = pair.initiatorApp.completion().orElseThrow().cause().orElseThrow();
            assertThat(cause).hasMessageContaining(HandshakeException.AUTHENTICATION_FAILED);
            // The responder is told only the coarse alert.
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.PEER_ALERT);
            assertThat(pair.initiator.isActive()).isFalse();
            assertThat(pair.responder.isActive()).isFalse();
        }
    }

    @Test
    void handshake_responderVerifierRejects_initiatorDeliversNothing() {
        PeerVerifier rejectAll =
                peer -> {
                    throw new PeerVerificationException(ErrorCode.IDENTITY_REVOKED, "revoked");
                };
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(ALICE).build(),
                        EmbeddedPair.context(BOB).peerVerifier(rejectAll).build())) {
            pair.pump();
            pair.initiator.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
            pair.pump();
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.IDENTITY_REVOKED);
            assertThat(pair.responderApp.messages).isEmpty();
            assertThat(pair.responder.isActive()).isFalse();
        }
    }

    @Test
    void handshake_withSelf_isReflection() {
        try (EmbeddedPair pair = EmbeddedPair.of("alice", "alice")) {
            assertThat(pair.handshake()).isEmpty();
            assertThat(pair.initiatorApp.failureCode()).contains(ErrorCode.REFLECTION_DETECTED);
        }
    }

    @Test
    void handshake_initiatorHelloEchoedBack_isRejected() {
        try (EmbeddedPair pair = EmbeddedPair.of("alice", "bob")) {
            List<ByteBuf> captured = new ArrayList<>();
            pair.tap(
                    (dir, i, frame) -> {
                        if (dir == EmbeddedPair.Dir.I_TO_R && i == 0) {
                            captured.add(frame.retainedDuplicate());
                            return null; // the responder never sees it
                        }
                        return frame;
                    });
            pair.pump();
            pair.initiator.writeInbound(captured.get(0));
            pair.pump();
            assertThat(pair.initiatorApp.failureCode()).contains(ErrorCode.UNEXPECTED_MESSAGE);
            assertThat(pair.initiator.isActive()).isFalse();
        }
    }

    @Test
    void handshake_requirePostQuantum_refusesClassicalOnlyPeer() {
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(ALICE)
                                .cipherSuites(CipherSuite.X25519_AES_128_GCM_SHA256)
                                .build(),
                        EmbeddedPair.context(BOB).requirePostQuantum(true).build())) {
            assertThat(pair.handshake()).isEmpty();
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.POLICY_PQ_REQUIRED);
            assertThat(pair.initiatorApp.failureCode()).contains(ErrorCode.PEER_ALERT);
        }
    }

    @Test
    void handshake_requireAes256_refusesAes128OnlyPeer() {
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(ALICE)
                                .cipherSuites(CipherSuite.X25519_MLKEM768_AES_128_GCM_SHA256)
                                .build(),
                        EmbeddedPair.context(BOB).requireAes256(true).build())) {
            assertThat(pair.handshake()).isEmpty();
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.POLICY_AES256_REQUIRED);
        }
    }

    @Test
    void handshake_requireAes256_negotiatesAes256() {
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(ALICE).build(),
                        EmbeddedPair.context(BOB).requireAes256(true).build())) {
            assertThat(pair.handshake().orElseThrow().cipherSuite())
                    .isEqualTo(CipherSuite.X25519_MLKEM768_AES_256_GCM_SHA256);
        }
    }

    @Test
    void handshake_networkMismatch_isWrongNetwork() {
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        b[0] = 1;
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(ALICE).networkId(a).build(),
                        EmbeddedPair.context(BOB).networkId(b).build())) {
            assertThat(pair.handshake()).isEmpty();
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.WRONG_NETWORK);
        }
    }

    /** Strips every suite matching {@code strip} (and the ML-KEM key if no hybrid is left). */
    private static EmbeddedPair.Tap stripOffer(java.util.function.Predicate<CipherSuite> strip) {
        return (dir, i, frame) -> {
            if (dir != EmbeddedPair.Dir.I_TO_R || i != 0) {
                return frame;
            }
            try {
                byte[] payload = new byte[frame.readableBytes() - 9];
                frame.getBytes(frame.readerIndex() + 9, payload);
                InitiatorHello hello = HelloMessage.parseFrom(payload).getInitiatorHello();
                InitiatorHello.Builder b = hello.toBuilder().clearCipherSuites();
                boolean hybridLeft = false;
                for (int id : hello.getCipherSuitesList()) {
                    CipherSuite s = CipherSuite.fromId(id);
                    if (!strip.test(s)) {
                        b.addCipherSuites(id);
                        hybridLeft |= s.isHybrid();
                    }
                }
                if (!hybridLeft) {
                    b.clearMlkem768EncapsulationKey();
                }
                byte[] out = HelloMessage.newBuilder().setInitiatorHello(b).build().toByteArray();
                ByteBuf f = Unpooled.buffer();
                f.writeInt(5 + out.length).writeByte(ContentType.HELLO).writeInt(0).writeBytes(out);
                return f;
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        };
    }

    @Test
    void handshake_mlkemStrippedInTransit_isDetected() {
        try (EmbeddedPair pair = EmbeddedPair.of("alice", "bob")) {
            pair.tap(stripOffer(CipherSuite::isHybrid));
            assertThat(pair.handshake()).isEmpty();
            // The stripped hello changes the handshake keys: the responder's encrypted flight fails
            // authentication at the initiator before its signature is even checked.
            assertThat(pair.initiatorApp.failureCode()).contains(ErrorCode.BAD_RECORD_MAC);
            assertThat(SecureSession.of(pair.responder)).isEmpty();
        }
    }

    @Test
    void handshake_aes256StrippedInTransit_isDetected() {
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(ALICE)
                                .cipherSuites(
                                        CipherSuite.X25519_MLKEM768_AES_256_GCM_SHA256,
                                        CipherSuite.X25519_MLKEM768_AES_128_GCM_SHA256)
                                .build(),
                        EmbeddedPair.context(BOB).build())) {
            pair.tap(stripOffer(CipherSuite::isAes256));
            assertThat(pair.handshake()).isEmpty();
            assertThat(pair.initiatorApp.failureCode()).contains(ErrorCode.BAD_RECORD_MAC);
        }
    }

    @Test
    void handshake_stalledResponder_timesOut() {
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(ALICE)
                                .handshakeTimeout(java.time.Duration.ofSeconds(10))
                                .build(),
                        EmbeddedPair.context(BOB).build())) {
            pair.tap((dir, i, frame) -> null); // the responder never hears anything
            pair.pump();
            pair.initiator.advanceTimeBy(9, TimeUnit.SECONDS);
            pair.initiator.runScheduledPendingTasks();
            assertThat(pair.initiatorApp.completion()).isEmpty();
            pair.initiator.advanceTimeBy(2, TimeUnit.SECONDS);
            pair.initiator.runScheduledPendingTasks();
            assertThat(pair.initiatorApp.failureCode()).contains(ErrorCode.HANDSHAKE_TIMEOUT);
            assertThat(pair.initiatorFuture.cause()).isInstanceOf(HandshakeTimeoutException.class);
            assertThat(pair.initiator.isActive()).isFalse();
        }
    }
}
