package io.p2pchat.adversarial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.p2pchat.channel.Arena;
import io.p2pchat.channel.ArenaTest;
import io.p2pchat.channel.Bugs;
import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.EvilPeer;
import io.p2pchat.channel.PeerCredentials;
import io.p2pchat.channel.PeerVerificationException;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.SecureChannelContext;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.LedgerCertificate;
import io.p2pchat.ledger.LedgerPeerVerifier;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.LedgerHashes;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.testing.ChainBuilder;
import io.p2pchat.ledger.testing.TxFactory;
import io.p2pchat.testing.SettableClock;
import io.p2pchat.testing.TestIdentities;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ATTACKS: ledger identities in the handshake, presented by an {@link EvilPeer}
 * initiator to an honest responder that verifies against the ledger CA. Each bad identity or
 * certificate gets its own local code, and the coarse AUTH_FAILED alert on the wire. The
 * certificate is the evil peer's own (its context's certificate source), so it is covered by its
 * handshake signature: the honest side judges the certificate, not a broken signature.
 *
 * <p>The ledger, built block by block with a {@link ChainBuilder}: {@code m1} registers good,
 * revoked, bound (address 127.0.0.9) and other; {@code m2} revokes revoked; branch {@code x3..x6}
 * registers reorged and is the best chain for a while (its certificate is taken then); branch
 * {@code m3..m8} then outgrows it; {@code m8} registers young (1 confirmation of the 3 required).
 */
abstract class LedgerIdentityAttacks extends ArenaTest {
    static final NetworkParameters PARAMS =
            NetworkParameters.builder()
                    .name("a20-a22")
                    .trivialDifficulty()
                    .confirmations(3)
                    .build();
    static final SettableClock CLOCK = new SettableClock(PARAMS.genesisTimeMillis() + 3_600_000);

    static final LocalIdentity GOOD = TestIdentities.get("a22-good");
    static final LocalIdentity OTHER = TestIdentities.get("a22-other");
    static final LocalIdentity REVOKED = TestIdentities.get("a20-revoked");
    static final LocalIdentity BOUND = TestIdentities.get("a22-bound");
    static final LocalIdentity REORGED = TestIdentities.get("a20-reorged");
    static final LocalIdentity YOUNG = TestIdentities.get("a22-young");

    /** Registered by the same transaction on the fork (x3) and on the best chain (m3). */
    static final LocalIdentity SPLIT = TestIdentities.get("a20-split");

    static final LocalIdentity UNKNOWN = Arena.EVIL;

    /** The ledger fixture, built once. */
    static final class Fixture {
        static final Ledger LEDGER;
        static final ChainBuilder CHAIN = new ChainBuilder(PARAMS);
        static final byte[] GOOD_CERT;
        static final byte[] REORGED_CERT;

        /** SPLIT's certificate from the fork's block x3, stale once m3 carries its registration. */
        static final byte[] SPLIT_STALE_CERT;

        static {
            try {
                LEDGER = Ledger.builder(PARAMS).clock(CLOCK).open();
                TxFactory f = new TxFactory(PARAMS);
                ChainBuilder c = CHAIN;
                submit(
                        c.block("m1")
                                .tx(
                                        f.register(GOOD),
                                        f.register(REVOKED),
                                        f.register(BOUND, "127.0.0.9"),
                                        f.register(OTHER))
                                .build());
                submit(c.block("m2").on("m1").tx(f.revoke(REVOKED, REVOKED.peerId(), 1)).build());
                long t = c.header("m2").timestampMillis();
                LedgerTransaction splitRegistration = f.register(SPLIT);
                submit(
                        c.block("x3")
                                .on("m2")
                                .timestamp(t + 1)
                                .tx(f.register(REORGED), splitRegistration)
                                .build());
                for (String x : List.of("x4", "x5", "x6")) {
                    submit(c.block(x).on("x" + (Integer.parseInt(x.substring(1)) - 1)).build());
                }
                REORGED_CERT = LEDGER.certificate(REORGED.peerId()).get().orElseThrow().encode();
                SPLIT_STALE_CERT = LEDGER.certificate(SPLIT.peerId()).get().orElseThrow().encode();
                String p = "m2";
                for (int i = 3; i <= 8; i++) {
                    ChainBuilder.Spec s = c.block("m" + i).on(p);
                    if (i == 3) {
                        s.tx(splitRegistration);
                    }
                    if (i == 8) {
                        s.tx(f.register(YOUNG));
                    }
                    submit(s.build());
                    p = "m" + i;
                }
                if (!LEDGER.tip().hash().equals(c.get("m8").hash())) {
                    throw new IllegalStateException("fixture: m8 is not the tip");
                }
                GOOD_CERT = LEDGER.certificate(GOOD.peerId()).get().orElseThrow().encode();
            } catch (Exception e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        static void submit(BlockData b) throws Exception {
            BlockResult r = LEDGER.submitBlock(b.toProto().toByteArray()).get(30, TimeUnit.SECONDS);
            if (r.status() != BlockResult.Status.CONNECTED
                    && r.status() != BlockResult.Status.STORED) {
                throw new IllegalStateException(r.message());
            }
        }
    }

    /** One case: who the evil initiator is, what certificate it staples, the expected code. */
    record Case(
            String name,
            LocalIdentity identity,
            Function<byte[], byte[]> certificate,
            boolean addressBinding,
            ErrorCode expected) {
        @Override
        public String toString() {
            return name + " -> " + expected;
        }
    }

    static io.p2pchat.proto.LedgerCertificate parse(byte[] cert) {
        try {
            return io.p2pchat.proto.LedgerCertificate.parseFrom(cert);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The good certificate with its proof rewritten. */
    static byte[] withProof(byte[] good, Function<List<ByteString>, List<ByteString>> f) {
        io.p2pchat.proto.LedgerCertificate p = parse(good);
        return p.toBuilder()
                .clearProof()
                .addAllProof(f.apply(p.getProofList()))
                .build()
                .toByteArray();
    }

    /**
     * In m1 = [good, revoked, bound, other], good is leaf 0: proof [l1, n(l2, l3)]. The 64 bytes l0
     * || l1 presented as the transaction at index 0 of 2 leaves with proof [n(l2, l3)] would reach
     * the root if leaves were hashed like inner nodes; with the 0x00 leaf prefix it cannot.
     */
    static byte[] innerNodeAsLeaf(byte[] good) {
        io.p2pchat.proto.LedgerCertificate p = parse(good);
        byte[] l0 = LedgerHashes.leafHash(p.getTransaction().toByteArray());
        byte[] l1 = p.getProof(0).toByteArray();
        byte[] n23 = p.getProof(1).toByteArray();
        byte[] root;
        try {
            root = LedgerCertificate.decode(good).blockHeader().merkleRoot();
        } catch (PeerVerificationException e) {
            throw new IllegalStateException(e);
        }
        if (!java.util.Arrays.equals(
                LedgerHashes.nodeHash(LedgerHashes.nodeHash(l0, l1), n23), root)) {
            throw new IllegalStateException("fixture: unexpected tree shape");
        }
        byte[] inner = new byte[64];
        System.arraycopy(l0, 0, inner, 0, 32);
        System.arraycopy(l1, 0, inner, 32, 32);
        return p.toBuilder()
                .setTransaction(ByteString.copyFrom(inner))
                .setTxIndex(0)
                .setTxCount(2)
                .clearProof()
                .addProof(ByteString.copyFrom(n23))
                .build()
                .toByteArray();
    }

    static Stream<Case> cases() {
        Function<byte[], byte[]> none = g -> new byte[0];
        Function<byte[], byte[]> own = g -> g;
        return Stream.of(
                new Case("A-20 unknown identity", UNKNOWN, none, false, ErrorCode.UNKNOWN_IDENTITY),
                new Case("A-20 revoked identity", REVOKED, none, false, ErrorCode.IDENTITY_REVOKED),
                new Case(
                        "A-20 identity only on a reorged-out fork, its old certificate",
                        REORGED,
                        g -> Fixture.REORGED_CERT,
                        false,
                        ErrorCode.NOT_ON_BEST_CHAIN),
                new Case(
                        "A-20 identity only on a reorged-out fork, no certificate",
                        REORGED,
                        none,
                        false,
                        ErrorCode.UNKNOWN_IDENTITY),
                new Case(
                        "A-22 proof hash flipped",
                        GOOD,
                        g ->
                                withProof(
                                        g,
                                        l -> {
                                            byte[] h = l.get(0).toByteArray();
                                            h[5] ^= 1;
                                            return List.of(ByteString.copyFrom(h), l.get(1));
                                        }),
                        false,
                        ErrorCode.BAD_INCLUSION_PROOF),
                new Case(
                        "A-22 proof of absurd length (33 entries, capped before hashing)",
                        GOOD,
                        g -> withProof(g, l -> Collections.nCopies(33, l.get(0))),
                        false,
                        ErrorCode.BAD_INCLUSION_PROOF),
                new Case(
                        "A-22 64-byte inner node presented as the leaf",
                        GOOD,
                        LedgerIdentityAttacks::innerNodeAsLeaf,
                        false,
                        ErrorCode.BAD_INCLUSION_PROOF),
                new Case(
                        "A-22 proof to a block not on the best chain",
                        REORGED,
                        g -> Fixture.REORGED_CERT,
                        false,
                        ErrorCode.NOT_ON_BEST_CHAIN),
                new Case(
                        "A-22 fewer confirmations than configured",
                        YOUNG,
                        none,
                        false,
                        ErrorCode.INSUFFICIENT_CONFIRMATIONS),
                new Case(
                        "A-22 another identity's certificate",
                        OTHER,
                        own,
                        false,
                        ErrorCode.IDENTITY_KEY_MISMATCH),
                new Case(
                        "A-22 certificate of another network",
                        GOOD,
                        g ->
                                parse(g).toBuilder()
                                        .setNetworkId(ByteString.copyFrom(new byte[32]))
                                        .build()
                                        .toByteArray(),
                        false,
                        ErrorCode.WRONG_NETWORK),
                new Case(
                        "A-22 certificate garbage",
                        GOOD,
                        g -> new byte[] {8, 1, 2},
                        false,
                        ErrorCode.BAD_CERTIFICATE),
                new Case(
                        "A-22 address binding: connects from 127.0.0.1, registered 127.0.0.9",
                        BOUND,
                        none,
                        true,
                        ErrorCode.ADDRESS_NOT_BOUND));
    }

    SecureChannelContext honest(boolean binding) {
        return arena.context(Arena.HONEST)
                .networkId(PARAMS.networkId())
                .peerVerifier(
                        LedgerPeerVerifier.builder(Fixture.LEDGER).addressBinding(binding).build())
                .build();
    }

    SecureChannelContext evil(LocalIdentity id, byte[] certificate) {
        return arena.context(id)
                .networkId(PARAMS.networkId())
                .certificateSource(() -> certificate)
                .build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void ledgerIdentity_badIdentityOrCertificate_isRefusedWithItsCode(Case c) {
        byte[] cert = c.certificate().apply(Fixture.GOOD_CERT);
        try (Arena.Duel d =
                arena.evilInitiator(
                        honest(c.addressBinding()), evil(c.identity(), cert), Bugs.none())) {
            Optional<EvilPeer.AlertSeen> alert = d.evil.attemptHandshake();
            d.assertClosed(c.expected());
            d.assertNoSession();
            assertAlertFor(alert, c.expected());
        }
    }

    /** The control case: a registered, confirmed identity with its own certificate gets in. */
    @Test
    void ledgerIdentity_confirmedWithOwnCertificate_isAccepted() throws Exception {
        try (Arena.Duel d =
                arena.evilInitiator(honest(false), evil(GOOD, Fixture.GOOD_CERT), Bugs.none())) {
            d.evil.handshake();
            assertThat(d.awaitSession().peerId()).isEqualTo(GOOD.peerId());
        }
    }

    /**
     * Regression (found chatting through a key rotation): both nodes mined the rotation, each in
     * its own block at the same height; the peer whose block lost kept stapling the certificate
     * from it, and its session stayed sync-only for good although our best chain had installed the
     * key with k confirmations. A certificate from a block our best chain does not hold is stale:
     * our own state decides, in the handshake and when access is re-evaluated.
     */
    @Test
    void ledgerIdentity_certificateFromTheLosingSideOfASplit_isStale_ownStateDecides()
            throws Exception {
        assertThat(
                        Fixture.LEDGER.confirmations(
                                LedgerCertificate.decode(Fixture.SPLIT_STALE_CERT).blockHash()))
                .isZero();
        try (Arena.Duel d =
                arena.evilInitiator(
                        honest(false), evil(SPLIT, Fixture.SPLIT_STALE_CERT), Bugs.none())) {
            d.evil.handshake();
            assertThat(d.awaitSession().peerId()).isEqualTo(SPLIT.peerId());
        }
        PeerCredentials stale =
                new PeerCredentials(
                        SPLIT.peerId(),
                        SPLIT.publicKey(),
                        Fixture.SPLIT_STALE_CERT,
                        Optional.of(new InetSocketAddress("127.0.0.1", 1)),
                        Optional.empty(),
                        Role.INITIATOR);
        LedgerPeerVerifier bootstrap =
                LedgerPeerVerifier.builder(Fixture.LEDGER).allowSyncOnly(true).build();
        assertThat(bootstrap.access(stale)).isEqualTo(PeerAccess.FULL);
    }

    /**
     * Regression: credentials whose id is not SHA-256 of their key (impossible through the
     * handshake, possible through the API) were judged by the id alone, so a caller could have
     * Bob's identity accepted with Mallory's key and Bob's certificate.
     */
    @Test
    void verifier_idNotHashOfPresentedKey_isIdKeyMismatch() {
        PeerCredentials forged =
                new PeerCredentials(
                        GOOD.peerId(),
                        UNKNOWN.publicKey(),
                        Fixture.GOOD_CERT,
                        Optional.of(new InetSocketAddress("127.0.0.1", 1)),
                        Optional.empty(),
                        Role.INITIATOR);
        assertThatThrownBy(() -> LedgerPeerVerifier.builder(Fixture.LEDGER).build().verify(forged))
                .isInstanceOfSatisfying(
                        PeerVerificationException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.ID_KEY_MISMATCH));
    }
}
