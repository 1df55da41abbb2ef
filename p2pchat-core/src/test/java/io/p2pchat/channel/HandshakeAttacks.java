package io.p2pchat.channel;

import static io.p2pchat.channel.Bugs.Msg.AUTH;
import static io.p2pchat.channel.Bugs.Msg.IDENTITY;
import static io.p2pchat.channel.Bugs.Msg.INITIATOR_HELLO;
import static io.p2pchat.channel.Bugs.Msg.RESPONDER_HELLO;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.p2pchat.crypto.KeySchedule;
import io.p2pchat.crypto.TranscriptHash;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.proto.AuthMessage;
import io.p2pchat.proto.HelloMessage;
import io.p2pchat.proto.InitiatorHello;
import io.p2pchat.proto.ResponderHello;
import io.p2pchat.testing.ShapedRsaKeys;
import io.p2pchat.testing.TestIdentities;
import io.p2pchat.verify.PinnedKeysVerifier;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ATTACKS B2, handshake rows: the field tamper matrix, MITM, KCI, unknown
 * key-share, reflection, downgrade, wrong primitive, low-order shares
 * ML-KEM abuse, error uniformity, and the handshake state machine driven by
 * an evil peer (F-07, F-08). Runs in both arenas: {@link HandshakeAttacksEmbeddedTest} and {@link
 * HandshakeAttacksLoopbackTest}.
 */
abstract class HandshakeAttacks extends ArenaTest {
    private static final LocalIdentity ALICE = TestIdentities.get("alice");

    /**
     * One tamper case: what the evil peer does and the honest peer's exact local code. {@code mod}
     * is the field change of a one-field case (else null): {@link HandshakeAttackTest} applies the
     * same changes between two honest peers, so the hello ladder is written once, here.
     */
    record Case(String name, Supplier<Bugs> bugs, ErrorCode expected, FieldMod mod) {
        /** A case that is more than one field change. */
        Case(String name, Supplier<Bugs> bugs, ErrorCode expected) {
            this(name, bugs, expected, null);
        }

        @Override
        public String toString() {
            return name + " -> " + expected;
        }
    }

    private static Case c(String name, Bugs.Msg msg, FieldMod mod, ErrorCode expected) {
        return new Case(name, () -> Bugs.none().field(msg, mod), expected, mod);
    }

    /** The field change of the one-field initiator hello case {@code name} of the ladder. */
    static FieldMod initiatorHelloMod(String name) {
        return modOf(initiatorHelloCases(), name);
    }

    /** The field change of the one-field responder hello case {@code name} of the ladder. */
    static FieldMod responderHelloMod(String name) {
        return modOf(responderHelloCases(), name);
    }

    private static FieldMod modOf(Stream<Case> ladder, String name) {
        return ladder.filter(c -> c.name().equals(name) && c.mod() != null)
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no one-field case " + name))
                .mod();
    }

    private static List<Integer> range(int n) {
        return IntStream.range(0, n).boxed().toList();
    }

    /**
     * The initiator hello fields, tampered by the evil initiator; judged by the honest responder.
     */
    static Stream<Case> initiatorHelloCases() {
        String h = "initiator_hello.";
        Material m = Material.get();
        return Stream.of(
                c(
                        "versions cleared",
                        INITIATOR_HELLO,
                        FieldMod.clear(h + "versions"),
                        ErrorCode.UNSUPPORTED_VERSION),
                c(
                        "versions 17 entries",
                        INITIATOR_HELLO,
                        FieldMod.set(h + "versions", range(17)),
                        ErrorCode.MALFORMED),
                c(
                        "versions only 7",
                        INITIATOR_HELLO,
                        FieldMod.set(h + "versions", List.of(7)),
                        ErrorCode.UNSUPPORTED_VERSION),
                c(
                        "versions only 2",
                        INITIATOR_HELLO,
                        FieldMod.set(h + "versions", List.of(2)),
                        ErrorCode.UNSUPPORTED_VERSION),
                c(
                        "versions duplicated",
                        INITIATOR_HELLO,
                        FieldMod.duplicate(h + "versions"),
                        ErrorCode.BAD_RECORD_MAC),
                c(
                        "suites cleared",
                        INITIATOR_HELLO,
                        FieldMod.clear(h + "cipher_suites"),
                        ErrorCode.NO_COMMON_SUITE),
                c(
                        "suites 33 entries",
                        INITIATOR_HELLO,
                        FieldMod.set(h + "cipher_suites", range(33)),
                        ErrorCode.MALFORMED),
                c(
                        "suites 1000 more",
                        INITIATOR_HELLO,
                        FieldMod.edit(
                                h + "cipher_suites",
                                v -> {
                                    List<Object> suites = new ArrayList<>((List<?>) v);
                                    suites.addAll(
                                            IntStream.range(0x7000, 0x7000 + 1000)
                                                    .boxed()
                                                    .toList());
                                    return suites;
                                }),
                        ErrorCode.MALFORMED),
                c(
                        "suites unknown only",
                        INITIATOR_HELLO,
                        FieldMod.set(h + "cipher_suites", List.of(0x7777)),
                        ErrorCode.NO_COMMON_SUITE),
                c(
                        "suites reordered",
                        INITIATOR_HELLO,
                        FieldMod.reorder(h + "cipher_suites"),
                        ErrorCode.BAD_RECORD_MAC),
                c(
                        "random cleared",
                        INITIATOR_HELLO,
                        FieldMod.clear(h + "random"),
                        ErrorCode.MALFORMED),
                c(
                        "random 31 bytes",
                        INITIATOR_HELLO,
                        FieldMod.truncate(h + "random", 31),
                        ErrorCode.MALFORMED),
                c(
                        "random 64 bytes",
                        INITIATOR_HELLO,
                        FieldMod.duplicate(h + "random"),
                        ErrorCode.MALFORMED),
                c(
                        "random xored",
                        INITIATOR_HELLO,
                        FieldMod.xor(h + "random", 3, 0x40),
                        ErrorCode.BAD_RECORD_MAC),
                c(
                        "random from another session",
                        INITIATOR_HELLO,
                        FieldMod.replayFrom(h + "random", m.initiatorHello),
                        ErrorCode.BAD_RECORD_MAC),
                c(
                        "x25519 cleared",
                        INITIATOR_HELLO,
                        FieldMod.clear(h + "x25519_share"),
                        ErrorCode.BAD_KEY_SHARE),
                c(
                        "x25519 31 bytes",
                        INITIATOR_HELLO,
                        FieldMod.truncate(h + "x25519_share", 31),
                        ErrorCode.BAD_KEY_SHARE),
                c(
                        "x25519 64 bytes",
                        INITIATOR_HELLO,
                        FieldMod.duplicate(h + "x25519_share"),
                        ErrorCode.BAD_KEY_SHARE),
                c(
                        "x25519 all zero",
                        INITIATOR_HELLO,
                        FieldMod.set(h + "x25519_share", new byte[32]),
                        ErrorCode.BAD_KEY_SHARE),
                c(
                        "x25519 xored",
                        INITIATOR_HELLO,
                        FieldMod.xor(h + "x25519_share", 5, 0x01),
                        ErrorCode.BAD_RECORD_MAC),
                c(
                        "x25519 from another session",
                        INITIATOR_HELLO,
                        FieldMod.replayFrom(h + "x25519_share", m.initiatorHello),
                        ErrorCode.BAD_RECORD_MAC),
                c(
                        "mlkem ek cleared",
                        INITIATOR_HELLO,
                        FieldMod.clear(h + "mlkem768_encapsulation_key"),
                        ErrorCode.BAD_KEY_SHARE),
                c(
                        "mlkem ek 1183 bytes",
                        INITIATOR_HELLO,
                        FieldMod.truncate(h + "mlkem768_encapsulation_key", 1183),
                        ErrorCode.BAD_KEY_SHARE),
                c(
                        "mlkem ek doubled",
                        INITIATOR_HELLO,
                        FieldMod.duplicate(h + "mlkem768_encapsulation_key"),
                        ErrorCode.BAD_KEY_SHARE),
                c(
                        "mlkem ek not reduced",
                        INITIATOR_HELLO,
                        FieldMod.set(h + "mlkem768_encapsulation_key", Material.filled(1184, 0xFF)),
                        ErrorCode.BAD_KEY_SHARE),
                c(
                        "mlkem ek xored",
                        INITIATOR_HELLO,
                        // A bit of rho (the last 32 bytes): the key stays well formed whatever the
                        // coefficients are, so the change can only show in the transcript. (A bit
                        // of t may push a coefficient over q, which is BAD_KEY_SHARE instead.)
                        FieldMod.xor(h + "mlkem768_encapsulation_key", 1160, 0x01),
                        ErrorCode.BAD_RECORD_MAC),
                c(
                        "mlkem ek from another session",
                        INITIATOR_HELLO,
                        FieldMod.replayFrom(h + "mlkem768_encapsulation_key", m.initiatorHello),
                        ErrorCode.BAD_RECORD_MAC),
                c(
                        "listen address 256 chars",
                        INITIATOR_HELLO,
                        FieldMod.set(h + "listen_address", "a".repeat(256)),
                        ErrorCode.MALFORMED),
                c(
                        "listen address changed",
                        INITIATOR_HELLO,
                        FieldMod.set(h + "listen_address", "127.0.0.1:1"),
                        ErrorCode.BAD_RECORD_MAC),
                c(
                        "network id 31 bytes",
                        INITIATOR_HELLO,
                        FieldMod.set(h + "network_id", new byte[31]),
                        ErrorCode.MALFORMED),
                c(
                        "network id other",
                        INITIATOR_HELLO,
                        FieldMod.set(h + "network_id", Material.filled(32, 7)),
                        ErrorCode.WRONG_NETWORK),
                c(
                        "ratchet records 0",
                        INITIATOR_HELLO,
                        FieldMod.set(h + "ratchet_interval_records", 0),
                        ErrorCode.MALFORMED),
                c(
                        "ratchet records 2^24+1",
                        INITIATOR_HELLO,
                        FieldMod.set(h + "ratchet_interval_records", (1 << 24) + 1),
                        ErrorCode.MALFORMED),
                c(
                        "ratchet bytes 1023",
                        INITIATOR_HELLO,
                        FieldMod.set(h + "ratchet_interval_bytes", 1023L),
                        ErrorCode.MALFORMED),
                c(
                        "ratchet bytes 2^36+1",
                        INITIATOR_HELLO,
                        FieldMod.set(h + "ratchet_interval_bytes", (1L << 36) + 1),
                        ErrorCode.MALFORMED),
                c(
                        "max frame 16404",
                        INITIATOR_HELLO,
                        FieldMod.set(h + "max_frame_length", 16404),
                        ErrorCode.MALFORMED),
                c(
                        "max frame 2^24+1",
                        INITIATOR_HELLO,
                        FieldMod.set(h + "max_frame_length", (1 << 24) + 1),
                        ErrorCode.MALFORMED),
                c(
                        "body is a responder hello",
                        INITIATOR_HELLO,
                        FieldMod.set("responder_hello", ResponderHello.getDefaultInstance()),
                        ErrorCode.UNEXPECTED_MESSAGE),
                new Case(
                        "hello empty",
                        () -> Bugs.none().bytes(INITIATOR_HELLO, b -> new byte[0]),
                        ErrorCode.UNEXPECTED_MESSAGE),
                new Case(
                        "hello garbage",
                        () ->
                                Bugs.none()
                                        .bytes(
                                                INITIATOR_HELLO,
                                                b -> new byte[] {(byte) 0xFF, (byte) 0xFF}),
                        ErrorCode.MALFORMED),
                new Case(
                        "hello invalid wire type",
                        () ->
                                Bugs.none()
                                        .bytes(
                                                INITIATOR_HELLO,
                                                b -> concat(b, new byte[] {(byte) 0x0F, 1})),
                        ErrorCode.MALFORMED),
                new Case(
                        "listen address invalid UTF-8",
                        () ->
                                Bugs.none()
                                        .bytes(
                                                INITIATOR_HELLO,
                                                HandshakeAttacks::invalidUtf8ListenAddress),
                        ErrorCode.MALFORMED),
                new Case(
                        "unknown field nested past the recursion limit",
                        () -> Bugs.none().bytes(INITIATOR_HELLO, b -> concat(b, deepGroup(120))),
                        ErrorCode.MALFORMED),
                new Case(
                        "unknown field added",
                        () ->
                                Bugs.none()
                                        .bytes(
                                                INITIATOR_HELLO,
                                                b -> concat(b, new byte[] {(byte) 0xA0, 0x06, 1})),
                        ErrorCode.BAD_RECORD_MAC),
                new Case(
                        "14000 suites inside the frame limit",
                        () ->
                                Bugs.none()
                                        .field(
                                                INITIATOR_HELLO,
                                                FieldMod.set(
                                                        h + "cipher_suites",
                                                        java.util.Collections.nCopies(14_000, 0))),
                        ErrorCode.MALFORMED),
                new Case(
                        "16000 suites over the handshake frame limit",
                        () ->
                                Bugs.none()
                                        .field(
                                                INITIATOR_HELLO,
                                                FieldMod.set(h + "cipher_suites", range(16_000))),
                        ErrorCode.FRAME_TOO_LARGE));
    }

    /**
     * The responder hello fields, tampered by the evil responder; judged by the honest initiator.
     */
    static Stream<Case> responderHelloCases() {
        String h = "responder_hello.";
        Material m = Material.get();
        return Stream.of(
                c(
                        "version 0",
                        RESPONDER_HELLO,
                        FieldMod.set(h + "version", 0),
                        ErrorCode.UNSUPPORTED_VERSION),
                c(
                        "version 2",
                        RESPONDER_HELLO,
                        FieldMod.set(h + "version", 2),
                        ErrorCode.UNSUPPORTED_VERSION),
                c(
                        "suite unknown",
                        RESPONDER_HELLO,
                        FieldMod.set(h + "cipher_suite", 0x7777),
                        ErrorCode.NO_COMMON_SUITE),
                c(
                        "suite classical with a KEM ciphertext",
                        RESPONDER_HELLO,
                        FieldMod.set(h + "cipher_suite", 0x0001),
                        ErrorCode.MALFORMED),
                c(
                        "random cleared",
                        RESPONDER_HELLO,
                        FieldMod.clear(h + "random"),
                        ErrorCode.MALFORMED),
                c(
                        "random xored",
                        RESPONDER_HELLO,
                        FieldMod.xor(h + "random", 0, 1),
                        ErrorCode.BAD_RECORD_MAC),
                c(
                        "random from another session",
                        RESPONDER_HELLO,
                        FieldMod.replayFrom(h + "random", m.responderHello),
                        ErrorCode.BAD_RECORD_MAC),
                c(
                        "x25519 cleared",
                        RESPONDER_HELLO,
                        FieldMod.clear(h + "x25519_share"),
                        ErrorCode.BAD_KEY_SHARE),
                c(
                        "x25519 33 bytes",
                        RESPONDER_HELLO,
                        FieldMod.set(h + "x25519_share", new byte[33]),
                        ErrorCode.BAD_KEY_SHARE),
                c(
                        "x25519 all zero",
                        RESPONDER_HELLO,
                        FieldMod.set(h + "x25519_share", new byte[32]),
                        ErrorCode.BAD_KEY_SHARE),
                c(
                        "x25519 xored",
                        RESPONDER_HELLO,
                        FieldMod.xor(h + "x25519_share", 9, 4),
                        ErrorCode.BAD_RECORD_MAC),
                c(
                        "x25519 from another session",
                        RESPONDER_HELLO,
                        FieldMod.replayFrom(h + "x25519_share", m.responderHello),
                        ErrorCode.BAD_RECORD_MAC),
                c(
                        "mlkem ct cleared",
                        RESPONDER_HELLO,
                        FieldMod.clear(h + "mlkem768_ciphertext"),
                        ErrorCode.BAD_KEY_SHARE),
                c(
                        "mlkem ct 1087 bytes",
                        RESPONDER_HELLO,
                        FieldMod.truncate(h + "mlkem768_ciphertext", 1087),
                        ErrorCode.BAD_KEY_SHARE),
                c(
                        "mlkem ct doubled",
                        RESPONDER_HELLO,
                        FieldMod.duplicate(h + "mlkem768_ciphertext"),
                        ErrorCode.BAD_KEY_SHARE),
                c(
                        "mlkem ct random",
                        RESPONDER_HELLO,
                        FieldMod.randomize(h + "mlkem768_ciphertext", 1088, 42),
                        ErrorCode.BAD_RECORD_MAC),
                c(
                        "mlkem ct from another session",
                        RESPONDER_HELLO,
                        FieldMod.replayFrom(h + "mlkem768_ciphertext", m.responderHello),
                        ErrorCode.BAD_RECORD_MAC),
                c(
                        "network id other",
                        RESPONDER_HELLO,
                        FieldMod.set(h + "network_id", Material.filled(32, 9)),
                        ErrorCode.WRONG_NETWORK),
                c(
                        "network id 5 bytes",
                        RESPONDER_HELLO,
                        FieldMod.set(h + "network_id", new byte[5]),
                        ErrorCode.MALFORMED),
                c(
                        "ratchet records 0",
                        RESPONDER_HELLO,
                        FieldMod.set(h + "ratchet_interval_records", 0),
                        ErrorCode.MALFORMED),
                c(
                        "ratchet bytes 0",
                        RESPONDER_HELLO,
                        FieldMod.set(h + "ratchet_interval_bytes", 0L),
                        ErrorCode.MALFORMED),
                c(
                        "max frame 0",
                        RESPONDER_HELLO,
                        FieldMod.set(h + "max_frame_length", 0),
                        ErrorCode.MALFORMED),
                c(
                        "body is an initiator hello",
                        RESPONDER_HELLO,
                        FieldMod.set("initiator_hello", InitiatorHello.getDefaultInstance()),
                        ErrorCode.UNEXPECTED_MESSAGE),
                new Case(
                        "hello garbage",
                        () -> Bugs.none().bytes(RESPONDER_HELLO, b -> new byte[] {0x12, 0x7F}),
                        ErrorCode.MALFORMED));
    }

    /** AuthMessage fields, tampered by the sender and encrypted correctly; judged by its peer. */
    static Stream<Case> authCases(AuthMessage other) {
        Material m = Material.get();
        return Stream.of(
                c("identity cleared", AUTH, FieldMod.clear("identity"), ErrorCode.MALFORMED),
                c(
                        "identity garbage",
                        AUTH,
                        FieldMod.set("identity", new byte[] {(byte) 0xFF, 1, 2}),
                        ErrorCode.MALFORMED),
                c(
                        "identity of another peer",
                        AUTH,
                        FieldMod.set("identity", Material.identityOf(ALICE)),
                        ErrorCode.BAD_SIGNATURE),
                c(
                        "identity from another session",
                        AUTH,
                        FieldMod.replayFrom("identity", other),
                        ErrorCode.BAD_SIGNATURE),
                c(
                        "public key EC, not rsaEncryption (protocol.md 5.6 step 2)",
                        IDENTITY,
                        FieldMod.set("public_key", m.ecSpki),
                        ErrorCode.MALFORMED),
                c(
                        "public key RSA-1024",
                        IDENTITY,
                        FieldMod.set("public_key", m.rsa1024Spki),
                        ErrorCode.BAD_KEY_SIZE),
                c(
                        "public key RSA-3000, between the allowed sizes",
                        IDENTITY,
                        FieldMod.set("public_key", ShapedRsaKeys.spki(3000)),
                        ErrorCode.BAD_KEY_SIZE),
                c(
                        "public key RSA-8192, above the allowed sizes",
                        IDENTITY,
                        FieldMod.set("public_key", ShapedRsaKeys.spki(8192)),
                        ErrorCode.BAD_KEY_SIZE),
                c(
                        "public key non-canonical DER",
                        IDENTITY,
                        FieldMod.set("public_key", m.nonCanonicalSpki),
                        ErrorCode.MALFORMED),
                c(
                        "public key truncated",
                        IDENTITY,
                        FieldMod.truncate("public_key", 100),
                        ErrorCode.MALFORMED),
                c(
                        "public key is the verifier's own",
                        IDENTITY,
                        FieldMod.set("public_key", Arena.HONEST.subjectPublicKeyInfo()),
                        ErrorCode.REFLECTION_DETECTED),
                c(
                        "certificate changed",
                        IDENTITY,
                        FieldMod.set("certificate", new byte[] {1, 2, 3}),
                        ErrorCode.BAD_SIGNATURE),
                c("signature cleared", AUTH, FieldMod.clear("signature"), ErrorCode.BAD_SIGNATURE),
                c(
                        "signature xored",
                        AUTH,
                        FieldMod.xor("signature", 100, 0x10),
                        ErrorCode.BAD_SIGNATURE),
                c(
                        "signature truncated",
                        AUTH,
                        FieldMod.truncate("signature", 128),
                        ErrorCode.BAD_SIGNATURE),
                c(
                        "signature doubled",
                        AUTH,
                        FieldMod.duplicate("signature"),
                        ErrorCode.BAD_SIGNATURE),
                c(
                        "signature from another session",
                        AUTH,
                        FieldMod.replayFrom("signature", other),
                        ErrorCode.BAD_SIGNATURE),
                c("finished cleared", AUTH, FieldMod.clear("finished"), ErrorCode.BAD_FINISHED),
                c(
                        "finished xored",
                        AUTH,
                        FieldMod.xor("finished", 31, 0x80),
                        ErrorCode.BAD_FINISHED),
                c("finished doubled", AUTH, FieldMod.duplicate("finished"), ErrorCode.BAD_FINISHED),
                c(
                        "finished from another session",
                        AUTH,
                        FieldMod.replayFrom("finished", other),
                        ErrorCode.BAD_FINISHED),
                new Case(
                        "auth garbage",
                        () -> Bugs.none().bytes(AUTH, b -> new byte[] {(byte) 0xFF}),
                        ErrorCode.MALFORMED),
                new Case(
                        "auth empty",
                        () -> Bugs.none().bytes(AUTH, b -> new byte[0]),
                        ErrorCode.MALFORMED));
    }

    static Stream<Case> initiatorAuthCases() {
        return authCases(Material.get().initiatorAuth);
    }

    static Stream<Case> responderAuthCases() {
        // Alice's: the honest initiator is Bob, whose own identity would be a reflection.
        return authCases(Material.get().initiatorAuth);
    }

    private void evilInitiatorIsRefused(Case c) {
        try (Arena.Duel d = arena.evilInitiator(c.bugs().get())) {
            Optional<EvilPeer.AlertSeen> alert = d.evil.attemptHandshake();
            d.assertClosed(c.expected());
            d.assertNoSession();
            assertAlertFor(alert, c.expected());
        }
    }

    private void evilResponderIsRefused(Case c) {
        try (Arena.Duel d = arena.evilResponder(c.bugs().get())) {
            Optional<EvilPeer.AlertSeen> alert = d.evil.attemptHandshake();
            d.assertClosed(c.expected());
            d.assertNoSession();
            assertAlertFor(alert, c.expected());
        }
    }

    /** A-06, F-06, F-08: every initiator hello field at an honest responder. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("initiatorHelloCases")
    void initiatorHello_tamperedField_isRefusedWithItsCode(Case c) {
        evilInitiatorIsRefused(c);
    }

    /** A-06, F-08: every responder hello field at an honest initiator. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("responderHelloCases")
    void responderHello_tamperedField_isRefusedWithItsCode(Case c) {
        evilResponderIsRefused(c);
    }

    /** A-06, A-09a, A-12: every field of the initiator's AuthMessage (flight 3). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("initiatorAuthCases")
    void initiatorAuth_tamperedField_isRefusedWithItsCode(Case c) {
        evilInitiatorIsRefused(c);
    }

    /** A-06, A-09a: every field of the responder's AuthMessage (flight 2b). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("responderAuthCases")
    void responderAuth_tamperedField_isRefusedWithItsCode(Case c) {
        evilResponderIsRefused(c);
    }

    /** a PKCS#1 v1.5 or differently parameterised PSS signature over the right input. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("wrongPrimitives")
    void responderSignature_wrongPrimitive_isBadSignature(String name) throws Exception {
        EvilPeer[] self = new EvilPeer[1];
        Bugs bugs =
                Bugs.none()
                        .bytes(
                                AUTH,
                                auth -> {
                                    try {
                                        AuthMessage a = AuthMessage.parseFrom(auth);
                                        TranscriptHash th = new TranscriptHash();
                                        th.add(EvilPeer.payload(self[0].received.get(0)));
                                        th.add(self[0].built.get(RESPONDER_HELLO));
                                        th.add(a.getIdentity().toByteArray());
                                        byte[] input =
                                                KeySchedule.signatureInput(false, th.current());
                                        Signature s = signer(name);
                                        s.initSign(Arena.EVIL.privateKey());
                                        s.update(input);
                                        return a.toBuilder()
                                                .setSignature(ByteString.copyFrom(s.sign()))
                                                .build()
                                                .toByteArray();
                                    } catch (Exception e) {
                                        throw new AssertionError(e);
                                    }
                                });
        try (Arena.Duel d = arena.evilResponder(bugs)) {
            self[0] = d.evil;
            Optional<EvilPeer.AlertSeen> alert = d.evil.attemptHandshake();
            d.assertClosed(ErrorCode.BAD_SIGNATURE);
            assertAlertFor(alert, ErrorCode.BAD_SIGNATURE);
        }
    }

    static Stream<String> wrongPrimitives() {
        return Stream.of(
                "PKCS1v15-SHA256",
                "PSS-SHA256-salt0",
                "PSS-SHA256-salt64",
                "PSS-SHA384-salt32",
                "PSS-SHA1-salt20");
    }

    private static Signature signer(String name) throws Exception {
        if (name.equals("PKCS1v15-SHA256")) {
            return Signature.getInstance("SHA256withRSA");
        }
        String[] p = name.split("-");
        String hash = p[1].equals("SHA1") ? "SHA-1" : "SHA-" + p[1].substring(3);
        int salt = Integer.parseInt(p[2].substring(4));
        Signature s = Signature.getInstance("RSASSA-PSS");
        s.setParameter(new PSSParameterSpec(hash, "MGF1", new MGF1ParameterSpec(hash), salt, 1));
        return s;
    }

    /** A-07a: an interposer authenticating with its own key is refused by a pinned verifier. */
    @Test
    void mitm_ownKeyAgainstPinnedVerifier_isUnknownIdentity() {
        SecureChannelContext alice =
                arena.context(ALICE)
                        .peerVerifier(PinnedKeysVerifier.of(Arena.HONEST.peerId()))
                        .build();
        try (Arena.Duel d =
                arena.evilResponder(alice, arena.context(Arena.EVIL).build(), Bugs.none())) {
            Optional<EvilPeer.AlertSeen> alert = d.evil.attemptHandshake();
            d.assertClosed(ErrorCode.UNKNOWN_IDENTITY);
            assertAlertFor(alert, ErrorCode.UNKNOWN_IDENTITY);
        }
    }

    /**
     * A-07b: the interposer relays Bob's identity and signature (from Bob's session) but runs its
     * own ephemeral exchange with Alice: the signature does not cover this transcript.
     */
    @Test
    void mitm_relaysPeerSignatureWithOwnEphemeral_isBadSignature() {
        AuthMessage bob = Material.get().responderAuth;
        SecureChannelContext alice =
                arena.context(ALICE)
                        .peerVerifier(PinnedKeysVerifier.of(Arena.HONEST.peerId()))
                        .build();
        Bugs relay =
                Bugs.none()
                        .field(
                                AUTH,
                                FieldMod.replayFrom("identity", bob),
                                FieldMod.replayFrom("signature", bob));
        try (Arena.Duel d = arena.evilResponder(alice, arena.context(Arena.EVIL).build(), relay)) {
            Optional<EvilPeer.AlertSeen> alert = d.evil.attemptHandshake();
            d.assertClosed(ErrorCode.BAD_SIGNATURE);
            assertAlertFor(alert, ErrorCode.BAD_SIGNATURE);
        }
    }

    /** holding Alice's private key does not let the attacker pass as Bob to Alice. */
    @Test
    void kci_attackerWithAlicesKeyPresentsBobsKey_isBadSignature() {
        SecureChannelContext alice =
                arena.context(ALICE)
                        .peerVerifier(PinnedKeysVerifier.of(Arena.HONEST.peerId()))
                        .build();
        Bugs claimBob =
                Bugs.none()
                        .field(
                                IDENTITY,
                                FieldMod.set("public_key", Arena.HONEST.subjectPublicKeyInfo()));
        try (Arena.Duel d = arena.evilResponder(alice, arena.context(ALICE).build(), claimBob)) {
            Optional<EvilPeer.AlertSeen> alert = d.evil.attemptHandshake();
            d.assertClosed(ErrorCode.BAD_SIGNATURE);
            assertAlertFor(alert, ErrorCode.BAD_SIGNATURE);
        }
    }

    /** with Alice's key the attacker can only present Alice herself: reflection. */
    @Test
    void kci_attackerPresentsAlicesOwnIdentityToAlice_isReflection() {
        SecureChannelContext alice = arena.context(ALICE).build();
        try (Arena.Duel d = arena.evilResponder(alice, arena.context(ALICE).build(), Bugs.none())) {
            Optional<EvilPeer.AlertSeen> alert = d.evil.attemptHandshake();
            d.assertClosed(ErrorCode.REFLECTION_DETECTED);
            assertAlertFor(alert, ErrorCode.REFLECTION_DETECTED);
        }
    }

    /** A-09a: a network attacker rewriting any byte of the encrypted identity flight. */
    @Test
    void unknownKeyShare_identityRewrittenInTransit_isBadRecordMac() {
        Bugs inTransit =
                Bugs.none()
                        .frame(
                                FrameOp.Selector.type(ContentType.HANDSHAKE, 0),
                                FrameOp.xor(40, 0x01));
        try (Arena.Duel d = arena.evilResponder(inTransit)) {
            Optional<EvilPeer.AlertSeen> alert = d.evil.attemptHandshake();
            d.assertClosed(ErrorCode.BAD_RECORD_MAC);
            assertAlertFor(alert, ErrorCode.BAD_RECORD_MAC);
        }
    }

    /**
     * A-09c: an interposer that terminates both sides is seen as itself by both, and it cannot make
     * the two session fingerprints equal.
     */
    @Test
    void unknownKeyShare_interposerTerminatingBothSides_isSeenAsItselfByBoth() throws Exception {
        SecureChannelContext alice = arena.context(ALICE).build();
        SecureChannelContext mallory = arena.context(Arena.EVIL).build();
        try (Arena.Duel toAlice = arena.evilResponder(alice, mallory, Bugs.none());
                Arena.Duel toBob =
                        arena.evilInitiator(
                                arena.context(Arena.HONEST).build(), mallory, Bugs.none())) {
            toAlice.evil.handshake();
            toBob.evil.handshake();
            toBob.evil.sendApplication(new byte[] {1});
            toBob.evil.receiveApplication();
            SecureSession aliceView =
                    org.awaitility.Awaitility.await()
                            .until(
                                    () -> {
                                        toAlice.settle();
                                        return toAlice.honest.session();
                                    },
                                    Optional::isPresent)
                            .orElseThrow();
            SecureSession bobView = toBob.honest.session().orElseThrow();
            assertThat(aliceView.peerId()).isEqualTo(Arena.EVIL.peerId());
            assertThat(bobView.peerId()).isEqualTo(Arena.EVIL.peerId());
            assertThat(aliceView.sessionFingerprint()).isNotEqualTo(bobView.sessionFingerprint());
        }
    }

    /** a responder hello that echoes the initiator's random or share. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("reflectedFields")
    void reflection_responderHelloEchoesInitiatorField_isReflectionDetected(String field) {
        EvilPeer[] self = new EvilPeer[1];
        Bugs echo =
                Bugs.none()
                        .bytes(
                                RESPONDER_HELLO,
                                b -> {
                                    HelloMessage theirs =
                                            Material.hello(
                                                    EvilPeer.payload(self[0].received.get(0)));
                                    return FieldMod.set(
                                                    "responder_hello." + field,
                                                    theirs.getInitiatorHello()
                                                            .getField(
                                                                    InitiatorHello.getDescriptor()
                                                                            .findFieldByName(
                                                                                    field)))
                                            .apply(Material.hello(b))
                                            .toByteArray();
                                });
        try (Arena.Duel d = arena.evilResponder(echo)) {
            self[0] = d.evil;
            Optional<EvilPeer.AlertSeen> alert = d.evil.attemptHandshake();
            d.assertClosed(ErrorCode.REFLECTION_DETECTED);
            assertAlertFor(alert, ErrorCode.REFLECTION_DETECTED);
        }
    }

    static Stream<String> reflectedFields() {
        return Stream.of("random", "x25519_share");
    }

    /** the initiator's own hello sent back to it. */
    @Test
    void reflection_initiatorHelloEchoedBack_isUnexpectedMessage() {
        try (Arena.Duel d = arena.evilResponder(Bugs.none())) {
            byte[] hello = d.evil.expect(ContentType.HELLO);
            d.evil.writeRaw(hello);
            d.assertClosed(ErrorCode.UNEXPECTED_MESSAGE);
            assertAlertFor(d.evil.awaitAlert(), ErrorCode.UNEXPECTED_MESSAGE);
        }
    }

    /** the responder's own encrypted flight sent back to it as flight 3. */
    @Test
    void reflection_responderFlightEchoedBack_isBadRecordMac() throws Exception {
        try (Arena.Duel d = arena.evilInitiator(Bugs.none())) {
            d.evil.sendHello();
            d.evil.readResponderFlight();
            d.evil.writeRaw(d.evil.received.get(1));
            d.assertClosed(ErrorCode.BAD_RECORD_MAC);
            assertAlertFor(d.evil.awaitAlert(), ErrorCode.BAD_RECORD_MAC);
        }
    }

    /**
     * a man in the middle strips ML-KEM-768 from the honest initiator's offer before a real
     * responder: the handshake keys differ, and no classical session results.
     */
    @Test
    void downgrade_mlkemStrippedInTransit_givesNoSession() {
        Bugs strip =
                Bugs.none()
                        .field(
                                Bugs.Msg.PEER_HELLO,
                                FieldMod.set(
                                        "initiator_hello.cipher_suites", List.of(0x0001, 0x0002)),
                                FieldMod.clear("initiator_hello.mlkem768_encapsulation_key"));
        try (Arena.Duel d = arena.evilResponder(strip)) {
            Optional<EvilPeer.AlertSeen> alert = d.evil.attemptHandshake();
            d.assertClosed(ErrorCode.BAD_RECORD_MAC);
            d.assertNoSession();
            assertAlertFor(alert, ErrorCode.BAD_RECORD_MAC);
        }
    }

    /** the same strip against an initiator that requires post-quantum. */
    @Test
    void downgrade_mlkemStrippedUnderRequirePq_givesNoSession() {
        SecureChannelContext pq = arena.context(ALICE).requirePostQuantum(true).build();
        Bugs strip =
                Bugs.none()
                        .field(
                                Bugs.Msg.PEER_HELLO,
                                FieldMod.set("initiator_hello.cipher_suites", List.of(0x0001)),
                                FieldMod.clear("initiator_hello.mlkem768_encapsulation_key"));
        try (Arena.Duel d = arena.evilResponder(pq, arena.context(Arena.EVIL).build(), strip)) {
            Optional<EvilPeer.AlertSeen> alert = d.evil.attemptHandshake();
            // The responder picked a classical suite the initiator never offered.
            d.assertClosed(ErrorCode.NO_COMMON_SUITE);
            assertAlertFor(alert, ErrorCode.NO_COMMON_SUITE);
        }
    }

    /** "require PQ" refuses a classical-only peer. */
    @Test
    void downgrade_classicalOnlyPeerUnderRequirePq_isPolicyPqRequired() {
        SecureChannelContext pq = arena.context(Arena.HONEST).requirePostQuantum(true).build();
        SecureChannelContext classical =
                arena.context(Arena.EVIL)
                        .cipherSuites(CipherSuite.X25519_AES_128_GCM_SHA256)
                        .build();
        try (Arena.Duel d = arena.evilInitiator(pq, classical, Bugs.none())) {
            Optional<EvilPeer.AlertSeen> alert = d.evil.attemptHandshake();
            d.assertClosed(ErrorCode.POLICY_PQ_REQUIRED);
            assertAlertFor(alert, ErrorCode.POLICY_PQ_REQUIRED);
        }
    }

    /** small-order X25519 points from RFC 7748 / Wycheproof give an all-zero secret. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("smallOrderPoints")
    void lowOrderShare_atResponder_isBadKeyShare(String hex) {
        Bugs bugs =
                Bugs.none()
                        .field(
                                INITIATOR_HELLO,
                                FieldMod.set(
                                        "initiator_hello.x25519_share",
                                        java.util.HexFormat.of().parseHex(hex)));
        try (Arena.Duel d = arena.evilInitiator(bugs)) {
            Optional<EvilPeer.AlertSeen> alert = d.evil.attemptHandshake();
            d.assertClosed(ErrorCode.BAD_KEY_SHARE);
            assertAlertFor(alert, ErrorCode.BAD_KEY_SHARE);
        }
    }

    static Stream<String> smallOrderPoints() {
        return Stream.of(
                "0000000000000000000000000000000000000000000000000000000000000000",
                "0100000000000000000000000000000000000000000000000000000000000000",
                "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
                "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
                "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    }

    /**
     * a bad record tag, a bad signature and a bad ML-KEM ciphertext look the same to the
     * peer: one encrypted 1-byte alert (17-byte fragment), AUTH_FAILED where it can be read.
     */
    @Test
    void errorUniformity_badTagBadSignatureBadKem_lookTheSameToThePeer() {
        List<Bugs> attacks =
                List.of(
                        Bugs.none()
                                .frame(
                                        FrameOp.Selector.type(ContentType.HANDSHAKE, 0),
                                        FrameOp.xor(-1, 0x01)),
                        Bugs.none().field(AUTH, FieldMod.xor("signature", 0, 1)),
                        Bugs.none()
                                .field(
                                        RESPONDER_HELLO,
                                        FieldMod.randomize(
                                                "responder_hello.mlkem768_ciphertext", 1088, 7)));
        List<ErrorCode> local = new ArrayList<>();
        List<EvilPeer.AlertSeen> seen = new ArrayList<>();
        for (Bugs bugs : attacks) {
            try (Arena.Duel d = arena.evilResponder(bugs)) {
                seen.add(d.evil.attemptHandshake().orElseThrow());
                local.add(d.awaitFailure());
            }
        }
        assertThat(local)
                .containsExactly(
                        ErrorCode.BAD_RECORD_MAC,
                        ErrorCode.BAD_SIGNATURE,
                        ErrorCode.BAD_RECORD_MAC);
        assertThat(local).extracting(ErrorCode::alert).containsOnly(AlertCode.AUTH_FAILED);
        assertThat(seen)
                .allSatisfy(
                        a -> {
                            assertThat(a.encrypted()).isTrue();
                            assertThat(a.fragmentLength()).isEqualTo(17);
                            a.code()
                                    .ifPresent(
                                            code ->
                                                    assertThat(code)
                                                            .isEqualTo(AlertCode.AUTH_FAILED));
                        });
    }

    // ------------------------------------------------------------------ F-07 state machine

    /** F-07: the responder skips its hello and sends the encrypted flight first. */
    @Test
    void stateMachine_responderSkipsHello_isUnexpectedMessage() throws Exception {
        try (Arena.Duel d =
                arena.evilResponder(
                        Bugs.none()
                                .frame(
                                        FrameOp.Selector.type(ContentType.HELLO, 0),
                                        FrameOp.drop()))) {
            d.evil.readHello();
            d.evil.sendFlight2();
            d.assertClosed(ErrorCode.UNEXPECTED_MESSAGE);
            assertAlertFor(d.evil.awaitAlert(), ErrorCode.UNEXPECTED_MESSAGE);
        }
    }

    /** F-07: the responder sends its hello twice. */
    @Test
    void stateMachine_responderHelloDuplicated_isUnexpectedMessage() throws Exception {
        try (Arena.Duel d =
                arena.evilResponder(
                        Bugs.none()
                                .frame(
                                        FrameOp.Selector.type(ContentType.HELLO, 0),
                                        FrameOp.duplicate()))) {
            d.evil.readHello();
            d.evil.sendFlight2();
            d.assertClosed(ErrorCode.UNEXPECTED_MESSAGE);
        }
    }

    /** F-07: the initiator skips flight 3 and sends application data. */
    @Test
    void stateMachine_initiatorSkipsAuthAndSendsData_isUnexpectedMessage() throws Exception {
        try (Arena.Duel d =
                arena.evilInitiator(
                        Bugs.none()
                                .frame(
                                        FrameOp.Selector.type(ContentType.HANDSHAKE, 0),
                                        FrameOp.drop()))) {
            d.evil.sendHello();
            d.evil.readResponderFlight();
            d.evil.sendAuth();
            d.evil.sendApplication("too early".getBytes());
            d.assertClosed(ErrorCode.UNEXPECTED_MESSAGE);
            assertThat(d.honest.messages).isEmpty();
        }
    }

    /** F-07: flight 3 twice: the second arrives at the established record layer. */
    @Test
    void stateMachine_initiatorAuthDuplicated_isUnexpectedMessageAfterEstablishment()
            throws Exception {
        try (Arena.Duel d =
                arena.evilInitiator(
                        Bugs.none()
                                .frame(
                                        FrameOp.Selector.type(ContentType.HANDSHAKE, 0),
                                        FrameOp.duplicate()))) {
            d.evil.handshake();
            d.assertClosed(ErrorCode.UNEXPECTED_MESSAGE);
        }
    }

    /** F-07: a control record in the middle of the handshake. */
    @Test
    void stateMachine_controlDuringHandshake_isUnexpectedMessage() {
        try (Arena.Duel d = arena.evilInitiator(Bugs.none())) {
            d.evil.sendHello();
            d.evil.writeRaw(EvilPeer.rawFrame(5 + 20, ContentType.CONTROL, 1, new byte[20]));
            d.assertClosed(ErrorCode.UNEXPECTED_MESSAGE);
        }
    }

    /** F-07: unknown content types, before and after the handshake. */
    @ParameterizedTest(name = "type {0}")
    @MethodSource("unknownTypes")
    void stateMachine_unknownContentType_isUnexpectedMessage(int type) throws Exception {
        try (Arena.Duel d = arena.evilInitiator(Bugs.none())) {
            d.evil.writeRaw(EvilPeer.rawFrame(5 + 17, type, 0, new byte[17]));
            d.assertClosed(ErrorCode.UNEXPECTED_MESSAGE);
        }
        try (Arena.Duel d = arena.evilInitiator(Bugs.none())) {
            d.evil.handshake();
            d.evil.sendRaw(type, new byte[] {1});
            d.assertClosed(ErrorCode.UNEXPECTED_MESSAGE);
        }
    }

    static Stream<Integer> unknownTypes() {
        return Stream.of(0, 6, 9, 255);
    }

    /** F-07: a HELLO record after the handshake. */
    @Test
    void stateMachine_helloAfterEstablishment_isUnexpectedMessage() throws Exception {
        try (Arena.Duel d = arena.evilInitiator(Bugs.none())) {
            d.evil.handshake();
            d.evil.writeRaw(
                    EvilPeer.plaintextFrame(ContentType.HELLO, d.evil.built.get(INITIATOR_HELLO)));
            d.assertClosed(ErrorCode.UNEXPECTED_MESSAGE);
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** {@code depth} nested unknown groups (field 15): past Protobuf's recursion limit of 100. */
    static byte[] deepGroup(int depth) {
        byte[] out = new byte[depth * 2];
        for (int i = 0; i < depth; i++) {
            out[i] = (byte) ((15 << 3) | 3); // start group
            out[out.length - 1 - i] = (byte) ((15 << 3) | 4); // end group
        }
        return out;
    }

    /** An initiator hello whose listen address is not valid UTF-8. */
    static byte[] invalidUtf8ListenAddress(byte[] hello) {
        HelloMessage m = Material.hello(hello);
        InitiatorHello ih = m.getInitiatorHello().toBuilder().clearListenAddress().build();
        byte[] inner = concat(ih.toByteArray(), new byte[] {0x32, 2, (byte) 0xC3, (byte) 0x28});
        byte[] out = new byte[inner.length + 3];
        out[0] = 0x0A;
        out[1] = (byte) (0x80 | (inner.length & 0x7F));
        out[2] = (byte) (inner.length >>> 7);
        System.arraycopy(inner, 0, out, 3, inner.length);
        return out;
    }
}
