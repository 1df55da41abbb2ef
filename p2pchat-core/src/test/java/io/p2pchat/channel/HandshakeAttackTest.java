package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.proto.HelloMessage;
import io.p2pchat.testing.EmbeddedPair;
import io.p2pchat.testing.TestIdentities;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Active attacks on the handshake between two honest peers with a tap in between: substitution,
 * MITM, replay, malformed and low-order input. The hello changes are taken by name from the ladder
 * of {@link HandshakeAttacks}, which runs them against an evil peer.
 */
class HandshakeAttackTest {
    private static final LocalIdentity ALICE = TestIdentities.get("alice");
    private static final LocalIdentity BOB = TestIdentities.get("bob");
    private static final LocalIdentity MALLORY = TestIdentities.get("mallory");

    /** A verifier that only accepts {@code id}. */
    private static PeerVerifier only(LocalIdentity id) {
        return peer -> {
            if (!peer.peerId().equals(id.peerId())) {
                throw new PeerVerificationException(ErrorCode.UNKNOWN_IDENTITY, "not pinned");
            }
        };
    }

    /** Applies the ladder's initiator hello change {@code name} to Alice's first flight. */
    private static EmbeddedPair.Tap initiatorHello(String name) {
        return rewriteHello(EmbeddedPair.Dir.I_TO_R, 0, HandshakeAttacks.initiatorHelloMod(name));
    }

    /** Applies the ladder's responder hello change {@code name} to Bob's hello. */
    private static EmbeddedPair.Tap responderHello(String name) {
        return rewriteHello(EmbeddedPair.Dir.R_TO_I, 0, HandshakeAttacks.responderHelloMod(name));
    }

    /**
     * Runs Alice against Bob with {@code tap} between them: no session, and {@code side} (the
     * pair's initiator or responder recorder) closed with {@code expected}.
     */
    private static void assertRefused(
            EmbeddedPair.Tap tap,
            Function<EmbeddedPair, EmbeddedPair.Recorder> side,
            ErrorCode expected) {
        try (EmbeddedPair pair = EmbeddedPair.of("alice", "bob")) {
            pair.tap(tap);
            assertThat(pair.handshake()).isEmpty();
            assertThat(side.apply(pair).failureCode()).contains(expected);
        }
    }

    /** Rewrites the HELLO at frame {@code index} of direction {@code dir}. */
    private static EmbeddedPair.Tap rewriteHello(
            EmbeddedPair.Dir dir, int index, FieldMod rewrite) {
        return (d, i, frame) -> {
            if (d != dir || i != index) {
                return frame;
            }
            try {
                byte[] payload = new byte[frame.readableBytes() - 9];
                frame.getBytes(frame.readerIndex() + 9, payload);
                byte[] out = rewrite.apply(HelloMessage.parseFrom(payload)).toByteArray();
                return Unpooled.buffer()
                        .writeInt(5 + out.length)
                        .writeByte(ContentType.HELLO)
                        .writeInt(0)
                        .writeBytes(out);
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        };
    }

    @Test
    void mitm_withOwnIdentity_isRefusedByPinnedVerifier() {
        // Mallory terminates Alice's handshake with her own key, claiming to be Bob.
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(ALICE).peerVerifier(only(BOB)).build(),
                        EmbeddedPair.context(MALLORY).build())) {
            assertThat(pair.handshake()).isEmpty();
            assertThat(pair.initiatorApp.failureCode()).contains(ErrorCode.UNKNOWN_IDENTITY);
        }
    }

    @Test
    void mitm_substitutingInitiatorShare_failsHandshake() {
        // A share of another session, as Mallory substitutes her own.
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(ALICE).peerVerifier(only(BOB)).build(),
                        EmbeddedPair.context(BOB).peerVerifier(only(ALICE)).build())) {
            pair.tap(initiatorHello("x25519 from another session"));
            assertThat(pair.handshake()).isEmpty();
            assertThat(pair.initiatorApp.failureCode()).contains(ErrorCode.BAD_RECORD_MAC);
            assertThat(SecureSession.of(pair.responder)).isEmpty();
        }
    }

    @Test
    void mitm_substitutingResponderShare_failsHandshake() {
        assertRefused(
                responderHello("x25519 from another session"),
                p -> p.initiatorApp,
                ErrorCode.BAD_RECORD_MAC);
    }

    @Test
    void replay_ofRecordedInitiatorFlights_toFreshResponder_givesNoSession() {
        List<ByteBuf> recorded = new ArrayList<>();
        try (EmbeddedPair first = EmbeddedPair.of("alice", "bob")) {
            first.tap(
                    (dir, i, frame) -> {
                        if (dir == EmbeddedPair.Dir.I_TO_R) {
                            recorded.add(Unpooled.copiedBuffer(frame));
                        }
                        return frame;
                    });
            first.handshake().orElseThrow();
            first.sendFromInitiator("secret".getBytes());
        }
        try (EmbeddedPair second = EmbeddedPair.of("mallory", "bob")) {
            // Mallory's own initiator never speaks; she replays Alice's recorded bytes instead.
            second.tap((dir, i, frame) -> dir == EmbeddedPair.Dir.I_TO_R ? null : frame);
            for (ByteBuf frame : recorded) {
                EmbeddedPair.deliver(second.responder, frame);
                second.pump();
            }
            assertThat(SecureSession.of(second.responder)).isEmpty();
            assertThat(second.responderApp.messages).isEmpty();
            assertThat(second.responderApp.failureCode()).contains(ErrorCode.BAD_RECORD_MAC);
        }
    }

    @Test
    void lowOrderX25519Share_isBadKeyShare() {
        // u = 0: a small-order point, the shared secret is all zeros
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(ALICE)
                                .cipherSuites(CipherSuite.X25519_AES_128_GCM_SHA256)
                                .build(),
                        EmbeddedPair.context(BOB).build())) {
            pair.tap(initiatorHello("x25519 all zero"));
            assertThat(pair.handshake()).isEmpty();
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.BAD_KEY_SHARE);
            assertThat(pair.initiatorApp.failureCode()).contains(ErrorCode.PEER_ALERT);
        }
    }

    @Test
    void shortX25519Share_isBadKeyShareBeforeAnyMath() {
        assertRefused(
                initiatorHello("x25519 31 bytes"), p -> p.responderApp, ErrorCode.BAD_KEY_SHARE);
    }

    @Test
    void randomMlKemCiphertext_failsLikeAnyAuthenticationFailure() {
        // Implicit rejection gives a pseudorandom key: the encrypted flight then fails, exactly
        // as for a substituted share (no distinguishable oracle).
        assertRefused(
                responderHello("mlkem ct random"), p -> p.initiatorApp, ErrorCode.BAD_RECORD_MAC);
    }

    @Test
    void wrongLengthMlKemKey_isBadKeyShare() {
        assertRefused(
                initiatorHello("mlkem ek 1183 bytes"),
                p -> p.responderApp,
                ErrorCode.BAD_KEY_SHARE);
    }

    @Test
    void unsupportedVersionOnly_isRefused() {
        assertRefused(
                initiatorHello("versions only 2"),
                p -> p.responderApp,
                ErrorCode.UNSUPPORTED_VERSION);
    }

    @Test
    void unknownSuitesOnly_isNoCommonSuite() {
        assertRefused(
                initiatorHello("suites unknown only"),
                p -> p.responderApp,
                ErrorCode.NO_COMMON_SUITE);
    }

    @Test
    void responderChoosesUnofferedSuite_isRefusedByInitiator() {
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(ALICE)
                                .cipherSuites(CipherSuite.X25519_MLKEM768_AES_128_GCM_SHA256)
                                .build(),
                        EmbeddedPair.context(BOB).build())) {
            pair.tap(
                    rewriteHello(
                            EmbeddedPair.Dir.R_TO_I,
                            0,
                            FieldMod.set("responder_hello.cipher_suite", 0x0002)));
            assertThat(pair.handshake()).isEmpty();
            assertThat(pair.initiatorApp.failureCode()).contains(ErrorCode.NO_COMMON_SUITE);
        }
    }

    @Test
    void garbageHello_isMalformed() {
        try (EmbeddedPair pair = EmbeddedPair.of("alice", "bob")) {
            pair.tap(
                    (dir, i, frame) -> {
                        if (dir == EmbeddedPair.Dir.I_TO_R && i == 0) {
                            return Unpooled.buffer()
                                    .writeInt(5 + 4)
                                    .writeByte(ContentType.HELLO)
                                    .writeInt(0)
                                    .writeInt(0xFFFFFFFF);
                        }
                        return frame;
                    });
            assertThat(pair.handshake()).isEmpty();
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.MALFORMED);
        }
    }

    @Test
    void helloWithHugeRepeatedField_isMalformed() {
        assertRefused(initiatorHello("suites 1000 more"), p -> p.responderApp, ErrorCode.MALFORMED);
    }

    @Test
    void applicationDataBeforeHandshake_isUnexpected() {
        try (EmbeddedPair pair = EmbeddedPair.of("alice", "bob")) {
            pair.tap(
                    (dir, i, frame) -> {
                        if (dir == EmbeddedPair.Dir.I_TO_R && i == 0) {
                            return Unpooled.buffer()
                                    .writeInt(5 + 20)
                                    .writeByte(ContentType.APPLICATION_DATA)
                                    .writeInt(1)
                                    .writeZero(20);
                        }
                        return frame;
                    });
            assertThat(pair.handshake()).isEmpty();
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.UNEXPECTED_MESSAGE);
            assertThat(pair.responderApp.messages).isEmpty();
        }
    }

    @Test
    void duplicatedHello_isUnexpected() {
        try (EmbeddedPair pair = EmbeddedPair.of("alice", "bob")) {
            List<ByteBuf> dup = new ArrayList<>();
            pair.tap(
                    (dir, i, frame) -> {
                        if (dir == EmbeddedPair.Dir.I_TO_R && i == 0) {
                            dup.add(frame.retainedDuplicate());
                        }
                        return frame;
                    });
            pair.pump();
            EmbeddedPair.deliver(pair.responder, dup.get(0));
            pair.pump();
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.UNEXPECTED_MESSAGE);
        }
    }

    @Test
    void wholeSessionFedOneByteAtATime_givesSameResult() {
        try (EmbeddedPair pair = EmbeddedPair.of("alice", "bob")) {
            pair.tap(
                    (dir, i, frame) -> {
                        // Deliver every frame as single bytes to the other side.
                        io.netty.channel.embedded.EmbeddedChannel to =
                                dir == EmbeddedPair.Dir.I_TO_R ? pair.responder : pair.initiator;
                        for (int k = frame.readerIndex(); k < frame.writerIndex(); k++) {
                            EmbeddedPair.deliver(
                                    to, Unpooled.wrappedBuffer(new byte[] {frame.getByte(k)}));
                        }
                        return null;
                    });
            SecureSession s = pair.handshake().orElseThrow();
            pair.sendFromInitiator("one byte at a time".getBytes());
            assertThat(pair.responderApp.messages).containsExactly("one byte at a time".getBytes());
            assertThat(s.peerId()).isEqualTo(BOB.peerId());
        }
    }

    @Test
    void handshakeMessagesCoalesced_areAllProcessed() {
        try (EmbeddedPair pair = EmbeddedPair.of("alice", "bob")) {
            List<ByteBuf> held = new ArrayList<>();
            pair.tap(
                    (dir, i, frame) -> {
                        if (dir == EmbeddedPair.Dir.R_TO_I && held.size() < 1) {
                            held.add(frame.retain());
                            return null; // hold the responder hello ...
                        }
                        if (dir == EmbeddedPair.Dir.R_TO_I && !held.isEmpty()) {
                            // ... and deliver it coalesced with the encrypted flight in one buffer.
                            ByteBuf both = Unpooled.wrappedBuffer(held.remove(0), frame.retain());
                            held.add(Unpooled.EMPTY_BUFFER);
                            return both;
                        }
                        return frame;
                    });
            assertThat(pair.handshake()).isPresent();
        }
    }

    @SuppressWarnings("unused")
    private static byte[] bytes(ByteBuf b) {
        return ByteBufUtil.getBytes(b);
    }
}
