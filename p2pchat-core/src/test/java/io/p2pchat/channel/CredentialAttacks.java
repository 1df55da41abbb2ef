package io.p2pchat.channel;

import static io.p2pchat.channel.Bugs.Msg.AUTH;
import static io.p2pchat.channel.Bugs.Msg.IDENTITY;

import io.p2pchat.crypto.Ed25519;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.testing.TestIdentities;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Delegated credentials under attack (docs/protocol.md 5.10): an evil peer presents a credential
 * that is expired, not yet valid, too long-lived, another identity's, another network's, not signed
 * by its identity key, or signs the transcript badly, or offers a credential that was not
 * negotiated or leaves out one that was. The honest peer refuses each with its own code, in both
 * roles, and closes. Runs in both arenas: {@link CredentialAttacksEmbeddedTest} and {@link
 * CredentialAttacksLoopbackTest}.
 */
abstract class CredentialAttacks extends ArenaTest {
    private static final LocalIdentity ALICE = TestIdentities.get("alice");
    private static final Clock CLOCK = Clock.systemUTC();
    private static final long DAY = Duration.ofDays(1).toMillis();

    /** What the evil peer presents and the honest peer's exact local code. */
    record Case(String name, boolean honestOffers, Evil evil, Bugs bugs, ErrorCode expected) {
        @Override
        public String toString() {
            return name + " -> " + expected;
        }
    }

    /** Builds the evil peer's context. */
    @FunctionalInterface
    interface Evil {
        SecureChannelContext build(Arena arena) throws GeneralSecurityException;
    }

    /**
     * A credential for a fresh Ed25519 key signed by {@code signer}, for network {@code network},
     * valid from now + {@code from} to now + {@code to} milliseconds.
     */
    private static CredentialKeeper.Own mint(
            LocalIdentity signer, byte[] network, long from, long to)
            throws GeneralSecurityException {
        long now = CLOCK.millis();
        Ed25519.KeyPair key = Ed25519.generate(new SecureRandom());
        DelegatedCredential c =
                DelegatedCredential.mint(
                        signer, key.publicKey(), network, now + from, now + to, new SecureRandom());
        return new CredentialKeeper.Own(c, key, c.encoded());
    }

    /** An evil Mallory presenting {@link #mint}'s credential. */
    private static Evil presenting(LocalIdentity signer, byte[] network, long from, long to) {
        return arena -> withCredential(arena, mint(signer, network, from, to));
    }

    private static SecureChannelContext withCredential(Arena arena, CredentialKeeper.Own own) {
        return arena.context(Arena.EVIL)
                .delegatedCredentials(true)
                .credentialKeeperForTesting(
                        CredentialKeeper.fixedForTesting(Arena.EVIL, own, CLOCK))
                .build();
    }

    /** A credential with its RSA signature's last byte flipped. */
    private static Evil badRsaSignature() {
        return arena -> {
            CredentialKeeper.Own own = mint(Arena.EVIL, new byte[0], 0, DAY);
            byte[] encoded = own.encoded().clone();
            encoded[encoded.length - 1] ^= 1;
            DelegatedCredential c =
                    DelegatedCredential.decode(encoded, DelegatedCredential.SCHEME_ED25519);
            return withCredential(arena, new CredentialKeeper.Own(c, own.key(), encoded));
        };
    }

    /** A valid credential, but the handshake is signed with another Ed25519 key. */
    private static Evil wrongSigningKey() {
        return arena -> {
            CredentialKeeper.Own own = mint(Arena.EVIL, new byte[0], 0, DAY);
            Ed25519.KeyPair other = Ed25519.generate(new SecureRandom());
            return withCredential(
                    arena, new CredentialKeeper.Own(own.credential(), other, own.encoded()));
        };
    }

    private static Evil honest(boolean credentials) {
        return arena -> arena.context(Arena.EVIL).delegatedCredentials(credentials).build();
    }

    static Stream<Case> cases() throws GeneralSecurityException {
        byte[] validCredential =
                new CredentialKeeper(
                                Arena.EVIL,
                                new byte[0],
                                Duration.ofDays(1),
                                CLOCK,
                                new SecureRandom(),
                                Runnable::run,
                                null)
                        .usable()
                        .encoded();
        return Stream.of(
                new Case(
                        "expired yesterday",
                        true,
                        presenting(Arena.EVIL, new byte[0], -2 * DAY, -DAY),
                        Bugs.none(),
                        ErrorCode.CREDENTIAL_EXPIRED),
                new Case(
                        "not valid for 10 more minutes",
                        true,
                        presenting(Arena.EVIL, new byte[0], 600_000, DAY),
                        Bugs.none(),
                        ErrorCode.CREDENTIAL_EXPIRED),
                new Case(
                        "valid 7 days and 1 ms",
                        true,
                        presenting(Arena.EVIL, new byte[0], 0, 7 * DAY + 1),
                        Bugs.none(),
                        ErrorCode.BAD_CREDENTIAL),
                new Case(
                        "another identity's credential (Alice's key id)",
                        true,
                        presenting(ALICE, new byte[0], 0, DAY),
                        Bugs.none(),
                        ErrorCode.ID_KEY_MISMATCH),
                new Case(
                        "another network's credential",
                        true,
                        presenting(Arena.EVIL, filled(32, 7), 0, DAY),
                        Bugs.none(),
                        ErrorCode.WRONG_NETWORK),
                new Case(
                        "credential's RSA signature flipped",
                        true,
                        badRsaSignature(),
                        Bugs.none(),
                        ErrorCode.BAD_CREDENTIAL),
                new Case(
                        "handshake signed by another Ed25519 key",
                        true,
                        wrongSigningKey(),
                        Bugs.none(),
                        ErrorCode.BAD_SIGNATURE),
                new Case(
                        "Ed25519 handshake signature flipped",
                        true,
                        honest(true),
                        Bugs.none().field(AUTH, FieldMod.xor("signature", 7, 1)),
                        ErrorCode.BAD_SIGNATURE),
                new Case(
                        "credential sent although not negotiated",
                        false,
                        honest(true),
                        Bugs.none()
                                .field(
                                        IDENTITY,
                                        FieldMod.set("delegated_credential", validCredential)),
                        ErrorCode.UNEXPECTED_MESSAGE),
                new Case(
                        "negotiated credential left out",
                        true,
                        honest(true),
                        Bugs.none().field(IDENTITY, FieldMod.clear("delegated_credential")),
                        ErrorCode.BAD_CREDENTIAL));
    }

    private static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        java.util.Arrays.fill(b, (byte) value);
        return b;
    }

    private SecureChannelContext honestContext(Case c) {
        return arena.context(Arena.HONEST).delegatedCredentials(c.honestOffers()).build();
    }

    private void refused(Arena.Duel d, ErrorCode expected) {
        Optional<EvilPeer.AlertSeen> alert = d.evil.attemptHandshake();
        d.assertClosed(expected);
        d.assertNoSession();
        assertAlertFor(alert, expected);
    }

    /** The evil initiator's flight 3 at an honest responder. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void evilInitiator_badCredential_isRefusedWithItsCode(Case c) throws Exception {
        try (Arena.Duel d =
                arena.evilInitiator(honestContext(c), c.evil().build(arena), c.bugs())) {
            refused(d, c.expected());
        }
    }

    /** The evil responder's flight 2b at an honest initiator. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void evilResponder_badCredential_isRefusedWithItsCode(Case c) throws Exception {
        try (Arena.Duel d =
                arena.evilResponder(honestContext(c), c.evil().build(arena), c.bugs())) {
            refused(d, c.expected());
        }
    }
}
