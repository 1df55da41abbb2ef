package io.p2pchat.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.HandshakeCompletionEvent;
import io.p2pchat.channel.PeerCredentials;
import io.p2pchat.channel.PeerVerificationException;
import io.p2pchat.channel.PeerVerifier;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.SecureChannelContext;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.chain.Tx;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.LedgerHashes;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.ledger.testing.TxFactory;
import io.p2pchat.testing.SettableClock;
import io.p2pchat.testing.TestIdentities;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Handshakes verified against the ledger certificate authority, over real loopback sockets: each
 * rejection with its code, and key rotation (ATTACKS L-17, L-19, A-20).
 */
class LedgerCaHandshakeTest {
    static final NetworkParameters PARAMS =
            NetworkParameters.builder().name("ca").trivialDifficulty().confirmations(3).build();
    static final SettableClock CLOCK = new SettableClock(PARAMS.genesisTimeMillis() + 3_600_000);
    static final LocalIdentity ALICE = TestIdentities.get("alice");
    static final LocalIdentity GRACE = TestIdentities.get("grace");
    static final LocalIdentity GRACE_NEW = TestIdentities.get("grace-rotated");
    static final LocalIdentity BOB = TestIdentities.get("bob");
    static final LocalIdentity CAROL = TestIdentities.get("carol");
    static final LocalIdentity DAVE = TestIdentities.get("dave");
    static final LocalIdentity ERIN = TestIdentities.get("erin");
    static final LocalIdentity FRANK = TestIdentities.get("frank");

    static EventLoopGroup group;
    static Ledger ledger;
    static TxFactory txs;

    @BeforeAll
    static void setUp() throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        ledger = Ledger.builder(PARAMS).clock(CLOCK).open();
        txs = new TxFactory(PARAMS);
        for (LocalIdentity id : List.of(ALICE, BOB, DAVE, FRANK, GRACE)) {
            accept(txs.register(id, "127.0.0.1"));
        }
        mine(1);
        accept(txs.revoke(DAVE, DAVE.peerId(), 1));
        mine(3);
    }

    @AfterAll
    static void tearDown() {
        ledger.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    static void accept(LedgerTransaction tx) throws Exception {
        TxResult r = ledger.submitTransaction(tx).get(10, TimeUnit.SECONDS);
        assertThat(r.status()).as(r.message()).isEqualTo(TxResult.Status.ACCEPTED);
    }

    static void mine(int n) throws Exception {
        ledger.miner().mineBlocks(n).get(30, TimeUnit.SECONDS);
    }

    static SecureChannelContext context(LocalIdentity id, PeerVerifier verifier, byte[] networkId) {
        return SecureChannelContext.builder(id)
                .networkId(networkId)
                .certificateSource(LedgerCertificateSource.of(ledger, id.peerId()))
                .peerVerifier(verifier)
                .build();
    }

    static SecureChannelContext context(LocalIdentity id, PeerVerifier verifier) {
        return context(id, verifier, PARAMS.networkId());
    }

    static LedgerPeerVerifier strict() {
        return LedgerPeerVerifier.builder(ledger).build();
    }

    /** Both sides' outcomes: null for success, else the local error code. */
    record Outcome(
            ErrorCode initiator, ErrorCode responder, Optional<byte[]> responderSawCertificate) {}

    static final class Watcher extends ChannelInboundHandlerAdapter {
        final CompletableFuture<HandshakeCompletionEvent> done = new CompletableFuture<>();

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof HandshakeCompletionEvent) {
                done.complete((HandshakeCompletionEvent) evt);
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // outcome is read from the completion event
        }

        ErrorCode code() throws Exception {
            HandshakeCompletionEvent e = done.get(15, TimeUnit.SECONDS);
            return e.isSuccess() ? null : ErrorCode.of(e.cause().orElseThrow());
        }
    }

    static Outcome handshake(
            SecureChannelContext server, SecureChannelContext client, String clientHost)
            throws Exception {
        Watcher serverWatcher = new Watcher();
        Watcher clientWatcher = new Watcher();
        Channel listener =
                new ServerBootstrap()
                        .group(group)
                        .channel(NioServerSocketChannel.class)
                        .childHandler(
                                server.initializer(Role.RESPONDER, p -> p.addLast(serverWatcher)))
                        .bind(new InetSocketAddress("127.0.0.1", 0))
                        .sync()
                        .channel();
        try {
            Channel ch =
                    new Bootstrap()
                            .group(group)
                            .channel(NioSocketChannel.class)
                            .handler(
                                    client.initializer(
                                            Role.INITIATOR, p -> p.addLast(clientWatcher)))
                            .localAddress(new InetSocketAddress(clientHost, 0))
                            .connect(listener.localAddress())
                            .sync()
                            .channel();
            ErrorCode ic = clientWatcher.code();
            ErrorCode rc = serverWatcher.code();
            Optional<byte[]> cert =
                    serverWatcher.done.get().session().map(s -> s.peerCertificate());
            ch.close().sync();
            return new Outcome(ic, rc, cert);
        } finally {
            listener.close().sync();
        }
    }

    @Test
    void registeredPeers_areAccepted_andStapleTheirCertificates() throws Exception {
        Outcome o = handshake(context(BOB, strict()), context(ALICE, strict()), "127.0.0.1");
        assertThat(o.initiator()).isNull();
        assertThat(o.responder()).isNull();
        LedgerCertificate cert =
                LedgerCertificate.decode(o.responderSawCertificate().orElseThrow());
        assertThat(cert.verifyInclusion(PARAMS, ALICE.peerId())).isEqualTo(ALICE.peerId());
    }

    @Test
    void unregisteredPeer_isRejected_unknownIdentity() throws Exception {
        Outcome o = handshake(context(BOB, strict()), context(CAROL, strict()), "127.0.0.1");
        assertThat(o.responder()).isEqualTo(ErrorCode.UNKNOWN_IDENTITY);
    }

    @Test
    void revokedPeer_isRejected_identityRevoked_evenInBootstrapMode() throws Exception {
        Outcome o = handshake(context(BOB, strict()), context(DAVE, strict()), "127.0.0.1");
        assertThat(o.responder()).isEqualTo(ErrorCode.IDENTITY_REVOKED);
        LedgerPeerVerifier bootstrap =
                LedgerPeerVerifier.builder(ledger).allowSyncOnly(true).build();
        Outcome b = handshake(context(BOB, bootstrap), context(DAVE, strict()), "127.0.0.1");
        assertThat(b.responder()).isEqualTo(ErrorCode.IDENTITY_REVOKED);
    }

    @Test
    void wrongAddress_withBindingOn_isRejected_addressNotBound() throws Exception {
        LedgerPeerVerifier bound = LedgerPeerVerifier.builder(ledger).addressBinding(true).build();
        Outcome wrong = handshake(context(BOB, bound), context(FRANK, strict()), "127.0.0.2");
        assertThat(wrong.responder()).isEqualTo(ErrorCode.ADDRESS_NOT_BOUND);
        Outcome right = handshake(context(BOB, bound), context(FRANK, strict()), "127.0.0.1");
        assertThat(right.responder()).isNull();
        Outcome unbound = handshake(context(BOB, strict()), context(FRANK, strict()), "127.0.0.2");
        assertThat(unbound.responder()).isNull();
    }

    @Test
    void notYetConfirmedPeer_isRejected_insufficientConfirmations_thenAccepted() throws Exception {
        accept(txs.register(ERIN, "127.0.0.1"));
        mine(1);
        Outcome early = handshake(context(BOB, strict()), context(ERIN, strict()), "127.0.0.1");
        assertThat(early.responder()).isEqualTo(ErrorCode.INSUFFICIENT_CONFIRMATIONS);
        LedgerPeerVerifier bootstrap =
                LedgerPeerVerifier.builder(ledger).allowSyncOnly(true).build();
        assertThat(
                        handshake(context(BOB, bootstrap), context(ERIN, strict()), "127.0.0.1")
                                .responder())
                .isNull();
        mine(2);
        Outcome later = handshake(context(BOB, strict()), context(ERIN, strict()), "127.0.0.1");
        assertThat(later.responder()).isNull();
    }

    @Test
    void afterKeyRotation_newKeyAccepted_oldKeyRefused() throws Exception {
        long seq = ledger.nextSequence(GRACE.peerId()).get();
        accept(txs.rotate(GRACE, GRACE_NEW, GRACE.peerId(), seq));
        mine(3);
        Outcome fresh =
                handshake(context(BOB, strict()), context(GRACE_NEW, strict()), "127.0.0.1");
        assertThat(fresh.responder()).isNull();
        IdentityRecord rec = ledger.identityByKey(GRACE_NEW.peerId()).orElseThrow();
        assertThat(rec.id()).isEqualTo(GRACE.peerId());
        assertThat(rec.rotatedWithContinuity()).isTrue();
        Outcome old = handshake(context(BOB, strict()), context(GRACE, strict()), "127.0.0.1");
        assertThat(old.responder()).isEqualTo(ErrorCode.IDENTITY_KEY_MISMATCH);
    }

    @Test
    void peerOfAnotherNetwork_isRefusedAtHandshake_wrongNetwork() throws Exception {
        byte[] other =
                NetworkParameters.builder().name("other").trivialDifficulty().build().networkId();
        Outcome o = handshake(context(BOB, strict()), context(FRANK, strict(), other), "127.0.0.1");
        // The responder detects it on the first flight; the initiator only hears a coarse alert.
        assertThat(o.responder()).isEqualTo(ErrorCode.WRONG_NETWORK);
        assertThat(o.initiator()).isIn(ErrorCode.PEER_ALERT, ErrorCode.WRONG_NETWORK);
        Outcome reverse =
                handshake(context(BOB, strict(), other), context(FRANK, strict()), "127.0.0.1");
        assertThat(reverse.responder()).isEqualTo(ErrorCode.WRONG_NETWORK);
    }

    // ------------------------------------------------------------------ certificates, no sockets

    static PeerCredentials credentials(LocalIdentity id, byte[] cert) {
        return new PeerCredentials(
                id.peerId(),
                id.publicKey(),
                cert,
                Optional.of(new InetSocketAddress("127.0.0.1", 1234)),
                Optional.empty(),
                Role.INITIATOR);
    }

    static byte[] certOf(LocalIdentity id) throws Exception {
        return ledger.certificate(id.peerId()).get().orElseThrow().encode();
    }

    @Test
    void tamperedProof_isBadInclusionProof_garbage_isBadCertificate() throws Exception {
        byte[] good = certOf(BOB);
        io.p2pchat.proto.LedgerCertificate p = io.p2pchat.proto.LedgerCertificate.parseFrom(good);
        byte[] hash = p.getProof(0).toByteArray();
        hash[0] ^= 1;
        byte[] tampered =
                p.toBuilder()
                        .setProof(0, com.google.protobuf.ByteString.copyFrom(hash))
                        .build()
                        .toByteArray();
        assertCode(credentials(BOB, tampered), ErrorCode.BAD_INCLUSION_PROOF);
        byte[] wrongIndex = p.toBuilder().setTxIndex(p.getTxIndex() ^ 1).build().toByteArray();
        assertCode(credentials(BOB, wrongIndex), ErrorCode.BAD_INCLUSION_PROOF);
        byte[] longProof =
                p.toBuilder()
                        .addAllProof(java.util.Collections.nCopies(40, p.getProof(0)))
                        .build()
                        .toByteArray();
        assertCode(credentials(BOB, longProof), ErrorCode.BAD_INCLUSION_PROOF);
        assertCode(credentials(BOB, new byte[] {1, 2, 3}), ErrorCode.BAD_CERTIFICATE);
        assertCode(credentials(FRANK, good), ErrorCode.IDENTITY_KEY_MISMATCH);
        strict().verify(credentials(BOB, good));
    }

    /**
     * A certificate's transaction signature verifies once per verifier (docs/benchmarks.md,
     * "Resumed handshakes: where the time goes"); what the certificate binds is checked every time.
     */
    @Test
    void certificateSource_answersOnTheEventLoopOnlyWhileTheTipHolds() throws Exception {
        LedgerCertificateSource source = LedgerCertificateSource.of(ledger, BOB.peerId());
        assertThat(source.currentCertificateIfReady()).isNull();

        byte[] built = source.currentCertificate();
        assertThat(LedgerCertificate.decode(built).verifyInclusion(PARAMS, BOB.peerId()))
                .isEqualTo(BOB.peerId());
        assertThat(source.currentCertificateIfReady()).isEqualTo(built);

        mine(1);
        assertThat(source.currentCertificateIfReady()).isNull();
        assertThat(source.currentCertificate()).isEqualTo(built);
        assertThat(source.currentCertificateIfReady()).isEqualTo(built);
    }

    @Test
    void certificateSignature_verifiesOnce_keyBindingCheckedEveryTime() throws Exception {
        LedgerPeerVerifier verifier = strict();
        byte[] good = certOf(BOB);
        Tx tx = Tx.decode(LedgerCertificate.decode(good).transaction(), PARAMS);
        assertThat(verifier.certificateSignaturesForTesting().contains(tx.id(), BOB.peerId(), 0))
                .isFalse();
        verifier.verify(credentials(BOB, good));
        assertThat(verifier.certificateSignaturesForTesting().contains(tx.id(), BOB.peerId(), 0))
                .isTrue();
        verifier.verify(credentials(BOB, good));
        assertThatThrownBy(() -> verifier.verify(credentials(FRANK, good)))
                .isInstanceOfSatisfying(
                        PeerVerificationException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.IDENTITY_KEY_MISMATCH));
    }

    @Test
    void innerNodeAsLeaf_neverVerifies() throws Exception {
        // Block 1 holds 5 registrations; bob's is leaf 1: proof [l0, n(2,3), l4], root
        // H(1|H(1|n(0,1)|n(2,3))|l4). Claiming the 64 bytes l0||l1 as leaf 0 of a 3-leaf tree with
        // path [n(2,3), l4] would reach that root if a leaf were hashed like an inner node; with
        // the
        // 0x00 leaf prefix it cannot.
        io.p2pchat.proto.LedgerCertificate p =
                io.p2pchat.proto.LedgerCertificate.parseFrom(certOf(BOB));
        assertThat(p.getTxCount()).isEqualTo(5);
        assertThat(p.getTxIndex()).isEqualTo(1);
        byte[] l0 = p.getProof(0).toByteArray();
        byte[] l1 = LedgerHashes.leafHash(p.getTransaction().toByteArray());
        byte[] inner = new byte[64];
        System.arraycopy(l0, 0, inner, 0, 32);
        System.arraycopy(l1, 0, inner, 32, 32);
        // Sanity: without domain separation the forgery would work.
        byte[] n01 = LedgerHashes.nodeHash(l0, l1);
        byte[] root =
                LedgerHashes.nodeHash(
                        LedgerHashes.nodeHash(n01, p.getProof(1).toByteArray()),
                        p.getProof(2).toByteArray());
        assertThat(root)
                .isEqualTo(LedgerCertificate.decode(certOf(BOB)).blockHeader().merkleRoot());
        byte[] forged =
                p.toBuilder()
                        .setTransaction(com.google.protobuf.ByteString.copyFrom(inner))
                        .setTxIndex(0)
                        .setTxCount(3)
                        .clearProof()
                        .addProof(p.getProof(1))
                        .addProof(p.getProof(2))
                        .build()
                        .toByteArray();
        assertCode(credentials(BOB, forged), ErrorCode.BAD_INCLUSION_PROOF);
    }

    @Test
    void certificateFromAnotherNetwork_isWrongNetwork() throws Exception {
        byte[] good = certOf(BOB);
        byte[] other = NetworkParameters.builder().trivialDifficulty().build().networkId();
        byte[] foreign =
                io.p2pchat.proto.LedgerCertificate.parseFrom(good).toBuilder()
                        .setNetworkId(com.google.protobuf.ByteString.copyFrom(other))
                        .build()
                        .toByteArray();
        assertCode(credentials(BOB, foreign), ErrorCode.WRONG_NETWORK);
    }

    @Test
    void lightPath_needsOnlyHeadersAndProof() throws Exception {
        LedgerCertificate cert = LedgerCertificate.decode(certOf(BOB));
        PeerId id = cert.verifyLight(PARAMS, BOB.peerId(), ledger::confirmations, 3);
        assertThat(id).isEqualTo(BOB.peerId());
        assertThatThrownBy(() -> cert.verifyLight(PARAMS, BOB.peerId(), h -> 0, 3))
                .isInstanceOfSatisfying(
                        PeerVerificationException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.NOT_ON_BEST_CHAIN));
        assertThatThrownBy(() -> cert.verifyLight(PARAMS, BOB.peerId(), h -> 2, 3))
                .isInstanceOfSatisfying(
                        PeerVerificationException.class,
                        e ->
                                assertThat(e.errorCode())
                                        .isEqualTo(ErrorCode.INSUFFICIENT_CONFIRMATIONS));
    }

    @Test
    void access_reportsSyncOnly_forUnknownPeers() throws Exception {
        LedgerPeerVerifier bootstrap =
                LedgerPeerVerifier.builder(ledger).allowSyncOnly(true).build();
        bootstrap.verify(credentials(CAROL, new byte[0]));
        assertThat(bootstrap.access(credentials(CAROL, new byte[0])))
                .isEqualTo(PeerAccess.SYNC_ONLY);
        assertThat(bootstrap.access(credentials(BOB, certOf(BOB)))).isEqualTo(PeerAccess.FULL);
    }

    static void assertCode(PeerCredentials c, ErrorCode code) {
        assertThatThrownBy(() -> strict().verify(c))
                .isInstanceOfSatisfying(
                        PeerVerificationException.class,
                        e -> assertThat(e.errorCode()).as(e.getMessage()).isEqualTo(code));
    }
}
