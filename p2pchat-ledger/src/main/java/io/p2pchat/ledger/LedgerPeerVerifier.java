package io.p2pchat.ledger;

import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.PeerCredentials;
import io.p2pchat.channel.PeerVerificationException;
import io.p2pchat.channel.PeerVerifier;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.chain.SignatureCache;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.ledger.model.RegisteredAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The ledger certificate authority's trust decision: accepts a handshake peer only if its key is
 * the current key of an unrevoked identity, installed by a block on this ledger's best chain with
 * enough confirmations, and, with address binding, the connection comes from a registered address.
 *
 * <h2>Checks, in order</h2>
 *
 * <ol>
 *   <li>A stapled {@link LedgerCertificate}, if any, decodes ({@code BAD_CERTIFICATE}), is of this
 *       network ({@code WRONG_NETWORK}), proves its transaction in its block ({@code
 *       BAD_INCLUSION_PROOF}) and installs the presented key ({@code IDENTITY_KEY_MISMATCH}).
 *   <li>The presented key belongs to an identity on the best chain ({@code UNKNOWN_IDENTITY};
 *       {@code NOT_ON_BEST_CHAIN} when the certificate's block is not on it).
 *   <li>The identity is not revoked ({@code IDENTITY_REVOKED}).
 *   <li>The presented key is its current key, not one rotated away ({@code IDENTITY_KEY_MISMATCH}).
 *   <li>The block that installed the key is the certificate's, on the best chain ({@code
 *       NOT_ON_BEST_CHAIN}), with at least k confirmations ({@code INSUFFICIENT_CONFIRMATIONS}).
 *   <li>With address binding on, the remote IP equals the host of one of the identity's unexpired
 *       registered addresses ({@code ADDRESS_NOT_BOUND}). Only IP literals match: registered DNS
 *       names never do, because the verifier does no DNS lookup.
 * </ol>
 *
 * A full node checks against its own state whether or not a certificate is stapled; the certificate
 * matters for peers that are behind, and for light clients ({@link LedgerCertificate#verifyLight}).
 *
 * <h2>Bootstrap mode</h2>
 *
 * With {@link Builder#allowSyncOnly(boolean)}, peers that fail only because they are unknown,
 * unconfirmed, on a branch we do not have, or at an unbound address are accepted, authenticated by
 * their self-certifying PeerId alone; {@link #access} then reports {@link PeerAccess#SYNC_ONLY} and
 * the node lets them replicate the ledger only. Revoked keys, rotated-away keys and bad
 * certificates are refused in every mode.
 *
 * <h2>Warning</h2>
 *
 * Proof of work on a small network is cheap to outpace: see {@code docs/trust-model.md} before
 * choosing k.
 *
 * <p>Thread-safe; lookups read the ledger's current best chain without blocking. The one mutable
 * part is a bounded cache of certificate signatures that verified.
 */
public final class LedgerPeerVerifier implements PeerVerifier {
    /** Certificate transaction signatures remembered as verified. */
    static final int SIGNATURE_CACHE_ENTRIES = 1024;

    private static final Set<ErrorCode> SYNC_ONLY_CODES =
            EnumSet.of(
                    ErrorCode.UNKNOWN_IDENTITY,
                    ErrorCode.NOT_ON_BEST_CHAIN,
                    ErrorCode.INSUFFICIENT_CONFIRMATIONS,
                    ErrorCode.ADDRESS_NOT_BOUND);

    private final Ledger ledger;
    private final int confirmations;
    private final boolean addressBinding;
    private final boolean allowSyncOnly;

    /**
     * Signatures of stapled certificates' transactions that verified. Every handshake with a peer
     * staples the same certificate; without this its RSA signature was verified again each time, a
     * tenth of a resumed handshake's CPU (docs/benchmarks.md, "Resumed handshakes: where the time
     * goes"). Every check against the ledger's state still runs at each handshake.
     */
    private final SignatureCache certificateSignatures =
            new SignatureCache(SIGNATURE_CACHE_ENTRIES);

    private LedgerPeerVerifier(Builder b) {
        this.ledger = b.ledger;
        this.confirmations = b.confirmations;
        this.addressBinding = b.addressBinding;
        this.allowSyncOnly = b.allowSyncOnly;
    }

    /** A builder for a verifier over {@code ledger}. */
    public static Builder builder(Ledger ledger) {
        return new Builder(ledger);
    }

    /**
     * True: lookups read the best chain in memory; a stapled certificate costs at most one RSA
     * verification, then it is cached.
     */
    @Override
    public boolean isNonBlocking() {
        return true;
    }

    @Override
    public void verify(PeerCredentials peer) throws PeerVerificationException {
        try {
            verifyFull(peer);
        } catch (PeerVerificationException e) {
            if (allowSyncOnly && SYNC_ONLY_CODES.contains(e.errorCode())) {
                return;
            }
            throw e;
        }
    }

    /** What {@code peer} may do now: re-evaluated against the current best chain at each call. */
    public PeerAccess access(PeerCredentials peer) {
        try {
            verifyFull(peer);
            return PeerAccess.FULL;
        } catch (PeerVerificationException e) {
            return PeerAccess.SYNC_ONLY;
        }
    }

    /**
     * The full check, ignoring bootstrap mode.
     *
     * @throws PeerVerificationException with the precise code when {@code peer} is not a confirmed
     *     identity here
     */
    public void verifyFull(PeerCredentials peer) throws PeerVerificationException {
        NetworkParameters params = ledger.parameters();
        PeerId keyId = peer.peerId();
        if (!keyId.matches(peer.publicKey())) {
            // The handshake guarantees this; checked again because every lookup below rests on it
            // (ATTACKS A-22), as PinnedKeysVerifier and TofuVerifier do.
            throw new PeerVerificationException(
                    ErrorCode.ID_KEY_MISMATCH,
                    "peer " + keyId.shortId() + " is not the SHA-256 of the key it presented");
        }
        byte[] certBytes = peer.certificate();
        LedgerCertificate cert = null;
        PeerId certIdentity = null;
        if (certBytes.length > 0) {
            cert = LedgerCertificate.decode(certBytes);
            certIdentity = cert.verifyInclusion(params, keyId, certificateSignatures);
        }
        Optional<IdentityRecord> found = ledger.identityByKey(keyId);
        if (found.isEmpty()) {
            if (cert != null && ledger.confirmations(cert.blockHash()) == 0) {
                throw new PeerVerificationException(
                        ErrorCode.NOT_ON_BEST_CHAIN,
                        "peer "
                                + keyId.shortId()
                                + ": certificate block "
                                + cert.blockHash().shortHex()
                                + " is not on our best chain");
            }
            throw new PeerVerificationException(
                    ErrorCode.UNKNOWN_IDENTITY,
                    "peer " + keyId.shortId() + " is not registered on our best chain");
        }
        IdentityRecord rec = found.get();
        if (rec.revoked()) {
            throw new PeerVerificationException(
                    ErrorCode.IDENTITY_REVOKED,
                    "peer "
                            + keyId.shortId()
                            + ": identity "
                            + rec.id().shortId()
                            + " was revoked at height "
                            + rec.revokedAtHeight().getAsLong());
        }
        if (!rec.currentKeyId().equals(keyId)) {
            throw new PeerVerificationException(
                    ErrorCode.IDENTITY_KEY_MISMATCH,
                    "peer "
                            + keyId.shortId()
                            + ": key was rotated away; identity "
                            + rec.id().shortId()
                            + " now uses "
                            + rec.currentKeyId().shortId());
        }
        IdentityRecord.KeyRecord installed = rec.currentKeyRecord();
        if (cert != null) {
            if (!certIdentity.equals(rec.id())) {
                throw new PeerVerificationException(
                        ErrorCode.IDENTITY_KEY_MISMATCH,
                        "peer " + keyId.shortId() + ": certificate names another identity");
            }
            if (!cert.blockHash().equals(installed.block())
                    && ledger.confirmations(cert.blockHash()) > 0) {
                // A certificate from a block our best chain no longer holds is stale (the peer
                // mined or followed the other side of a split that both sides' chains resolved
                // since): our own state decides, as without a certificate (ledger.md §12.2, 9).
                // One from a block on our best chain that did not install the key is a lie.
                throw new PeerVerificationException(
                        ErrorCode.NOT_ON_BEST_CHAIN,
                        "peer "
                                + keyId.shortId()
                                + ": certificate block "
                                + cert.blockHash().shortHex()
                                + " is not where our best chain installed the key");
            }
        }
        long conf = ledger.confirmations(installed.block());
        if (conf == 0) {
            throw new PeerVerificationException(
                    ErrorCode.NOT_ON_BEST_CHAIN,
                    "peer " + keyId.shortId() + ": key block is not on the best chain");
        }
        if (conf < confirmations) {
            throw new PeerVerificationException(
                    ErrorCode.INSUFFICIENT_CONFIRMATIONS,
                    "peer "
                            + keyId.shortId()
                            + ": key confirmed by "
                            + conf
                            + " blocks (required "
                            + confirmations
                            + ")");
        }
        if (addressBinding) {
            checkAddress(rec, peer.remoteAddress());
        }
    }

    private void checkAddress(IdentityRecord rec, Optional<SocketAddress> remote)
            throws PeerVerificationException {
        if (remote.isEmpty() || !(remote.get() instanceof InetSocketAddress)) {
            throw new PeerVerificationException(
                    ErrorCode.ADDRESS_NOT_BOUND, "remote address unknown");
        }
        InetAddress ip = ((InetSocketAddress) remote.get()).getAddress();
        long now = ledger.clock().millis();
        for (RegisteredAddress a : rec.validAddresses(now)) {
            InetAddress registered = literal(a.host());
            if (registered != null && registered.equals(ip)) {
                return;
            }
        }
        throw new PeerVerificationException(
                ErrorCode.ADDRESS_NOT_BOUND,
                "peer "
                        + rec.id().shortId()
                        + " connects from "
                        + (ip == null ? "?" : ip.getHostAddress())
                        + ", not a registered address");
    }

    /** Parses an IP literal without any DNS lookup; null for anything else. */
    static InetAddress literal(String host) {
        boolean v4 = host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
        boolean v6 = host.indexOf(':') >= 0 && host.matches("[0-9A-Fa-f:.]+");
        if (!v4 && !v6) {
            return null;
        }
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** The cache of certificate signatures that verified; for tests. */
    SignatureCache certificateSignaturesForTesting() {
        return certificateSignatures;
    }

    /** The confirmations required. */
    public int confirmations() {
        return confirmations;
    }

    @Override
    public String toString() {
        return "LedgerPeerVerifier[k="
                + confirmations
                + (addressBinding ? ", address binding" : "")
                + (allowSyncOnly ? ", bootstrap" : "")
                + "]";
    }

    /** Builds {@link LedgerPeerVerifier}s. */
    public static final class Builder {
        private final Ledger ledger;
        private int confirmations;
        private boolean addressBinding;
        private boolean allowSyncOnly;

        private Builder(Ledger ledger) {
            this.ledger = Objects.requireNonNull(ledger, "ledger");
            this.confirmations = ledger.parameters().confirmations();
        }

        /**
         * Confirmations required of the block that installed a key, 1..1000 (default: the
         * network's).
         */
        public Builder confirmations(int k) {
            this.confirmations = NetworkParameters.checkConfirmations(k);
            return this;
        }

        /** Require connections to come from a registered IP address (default off). */
        public Builder addressBinding(boolean on) {
            this.addressBinding = on;
            return this;
        }

        /**
         * Bootstrap mode: accept peers that are not (yet) confirmed identities, for ledger sync
         * only (default off).
         *
         * <h4>Warning</h4>
         *
         * Such peers are authenticated only as holders of their key: the application must check
         * {@link LedgerPeerVerifier#access} before trusting them with anything but public ledger
         * data. {@link io.p2pchat.node.Node} does.
         */
        public Builder allowSyncOnly(boolean on) {
            this.allowSyncOnly = on;
            return this;
        }

        /** Builds the verifier. */
        public LedgerPeerVerifier build() {
            return new LedgerPeerVerifier(this);
        }
    }
}
