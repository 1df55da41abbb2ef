package io.p2pchat.ledger;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.PeerVerificationException;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.chain.SignatureCache;
import io.p2pchat.ledger.chain.Tx;
import io.p2pchat.ledger.chain.TxRules;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.LedgerHashes;
import io.p2pchat.ledger.model.Merkle;
import io.p2pchat.ledger.model.NetworkParameters;
import java.util.ArrayList;
import java.util.List;

/**
 * A ledger certificate: the transaction that installed a peer's current key (its registration or
 * last key rotation), a Merkle inclusion proof, and the header of the block that holds it. Stapled
 * into the handshake ({@code PeerIdentity.certificate}) by a {@link LedgerCertificateSource}.
 *
 * <h2>Verification</h2>
 *
 * {@link #verifyInclusion} checks what the certificate proves by itself: the network, the proof
 * (the transaction is leaf {@code txIndex} of a tree of {@code txCount} leaves under the header's
 * Merkle root), the transaction's own signatures (the key's proof of possession) and that it
 * installs the presented key. {@link #verifyLight} adds a header chain: the block must be on it
 * with enough confirmations. This is the light path: headers and the proof suffice; it cannot see
 * revocations, which only a full ledger ({@link LedgerPeerVerifier}) can.
 *
 * <p>Immutable and thread-safe.
 */
public final class LedgerCertificate {
    /** Largest encoded certificate accepted. */
    public static final int MAX_ENCODED_LENGTH = 16 * 1024;

    private final io.p2pchat.proto.LedgerCertificate proto;
    private final BlockHeader header;

    private LedgerCertificate(io.p2pchat.proto.LedgerCertificate proto, BlockHeader header) {
        this.proto = proto;
        this.header = header;
    }

    /** Builds a certificate; applications get theirs from {@link Ledger#certificate}. */
    static LedgerCertificate of(
            byte[] networkId,
            BlockHeader header,
            byte[] transaction,
            int txIndex,
            int txCount,
            List<byte[]> proof) {
        io.p2pchat.proto.LedgerCertificate.Builder b =
                io.p2pchat.proto.LedgerCertificate.newBuilder()
                        .setNetworkId(ByteString.copyFrom(networkId))
                        .setBlockHeader(ByteString.copyFrom(header.encodedUnsafe()))
                        .setTransaction(ByteString.copyFrom(transaction))
                        .setTxIndex(txIndex)
                        .setTxCount(txCount);
        for (byte[] p : proof) {
            b.addProof(ByteString.copyFrom(p));
        }
        return new LedgerCertificate(b.build(), header);
    }

    /**
     * Decodes a certificate.
     *
     * @throws PeerVerificationException {@code BAD_CERTIFICATE} if it does not decode or is too
     *     large
     */
    public static LedgerCertificate decode(byte[] bytes) throws PeerVerificationException {
        if (bytes.length > MAX_ENCODED_LENGTH) {
            throw new PeerVerificationException(
                    ErrorCode.BAD_CERTIFICATE,
                    "certificate of " + bytes.length + " bytes (limit " + MAX_ENCODED_LENGTH + ")");
        }
        try {
            io.p2pchat.proto.LedgerCertificate p =
                    io.p2pchat.proto.LedgerCertificate.parseFrom(bytes);
            BlockHeader h = BlockHeader.decode(p.getBlockHeader().toByteArray());
            return new LedgerCertificate(p, h);
        } catch (InvalidProtocolBufferException | InvalidBlockException e) {
            throw new PeerVerificationException(
                    ErrorCode.BAD_CERTIFICATE, "undecodable ledger certificate");
        }
    }

    /** The encoding. */
    public byte[] encode() {
        return proto.toByteArray();
    }

    /** The header of the block holding the transaction. */
    public BlockHeader blockHeader() {
        return header;
    }

    /** The block's hash. */
    public BlockHash blockHash() {
        return header.hash();
    }

    /** The transaction's envelope bytes (a copy). */
    public byte[] transaction() {
        return proto.getTransaction().toByteArray();
    }

    /** The transaction's index in its block. */
    public int txIndex() {
        return proto.getTxIndex();
    }

    /** The number of transactions in the block. */
    public int txCount() {
        return proto.getTxCount();
    }

    /**
     * Checks the certificate on its own, for a handshake that presented the key {@code keyId}.
     *
     * @return the identity id the transaction concerns
     * @throws PeerVerificationException {@code WRONG_NETWORK}, {@code BAD_CERTIFICATE} (the
     *     transaction is malformed or not a registration or rotation), {@code BAD_INCLUSION_PROOF},
     *     {@code IDENTITY_KEY_MISMATCH} (it installs another key)
     */
    public PeerId verifyInclusion(NetworkParameters params, PeerId keyId)
            throws PeerVerificationException {
        return verifyInclusion(params, keyId, new SignatureCache(4));
    }

    /**
     * {@link #verifyInclusion(NetworkParameters, PeerId)} with the transaction's signatures looked
     * up in, and added to, {@code signatures}: a verifier that sees the same certificate at every
     * handshake with a peer verifies its RSA signature once (a hit is as good as a verification:
     * {@link SignatureCache}).
     */
    PeerId verifyInclusion(NetworkParameters params, PeerId keyId, SignatureCache signatures)
            throws PeerVerificationException {
        if (!params.isNetwork(proto.getNetworkId().toByteArray())
                || !header.isOnNetwork(params.networkId())) {
            throw new PeerVerificationException(
                    ErrorCode.WRONG_NETWORK, "certificate of another network");
        }
        byte[] tx = proto.getTransaction().toByteArray();
        List<byte[]> path =
                new ArrayList<>(Math.min(proto.getProofCount(), Merkle.MAX_PROOF_LENGTH + 1));
        if (proto.getProofCount() > Merkle.MAX_PROOF_LENGTH) {
            throw new PeerVerificationException(
                    ErrorCode.BAD_INCLUSION_PROOF, "proof of " + proto.getProofCount() + " hashes");
        }
        for (ByteString p : proto.getProofList()) {
            path.add(p.toByteArray());
        }
        if (!Merkle.verify(
                LedgerHashes.leafHash(tx),
                Integer.toUnsignedLong(proto.getTxIndex()),
                Integer.toUnsignedLong(proto.getTxCount()),
                path,
                header.merkleRoot())) {
            throw new PeerVerificationException(
                    ErrorCode.BAD_INCLUSION_PROOF,
                    "the transaction is not proven in block " + header.hash().shortHex());
        }
        Tx decoded;
        try {
            decoded = Tx.decode(tx, params);
            TxRules.checkStateless(decoded, params, signatures);
        } catch (InvalidBlockException e) {
            throw new PeerVerificationException(
                    ErrorCode.BAD_CERTIFICATE, "certificate transaction invalid: " + e.reason());
        }
        if (decoded.kind() != Tx.Kind.REGISTER && decoded.kind() != Tx.Kind.ROTATE_KEY) {
            throw new PeerVerificationException(
                    ErrorCode.BAD_CERTIFICATE, "certificate transaction installs no key");
        }
        if (!PeerId.ofSubjectPublicKeyInfo(decoded.installedKey()).equals(keyId)) {
            throw new PeerVerificationException(
                    ErrorCode.IDENTITY_KEY_MISMATCH,
                    "the certificate is for another key than the one presented");
        }
        return decoded.identityId();
    }

    /** How a light client knows its header chain. */
    @FunctionalInterface
    public interface HeaderChain {
        /**
         * Confirmations of the block on the client's best header chain (1 for its tip), or 0 when
         * it is not on it.
         */
        long confirmations(BlockHash block);
    }

    /**
     * The light verification path: {@link #verifyInclusion}, then the block must be on {@code
     * headers} with at least {@code k} confirmations. Revocations are not checked.
     *
     * @return the identity id
     * @throws PeerVerificationException as {@link #verifyInclusion}, or {@code NOT_ON_BEST_CHAIN},
     *     {@code INSUFFICIENT_CONFIRMATIONS}
     */
    public PeerId verifyLight(NetworkParameters params, PeerId keyId, HeaderChain headers, int k)
            throws PeerVerificationException {
        PeerId id = verifyInclusion(params, keyId);
        long confirmations = headers.confirmations(header.hash());
        if (confirmations == 0) {
            throw new PeerVerificationException(
                    ErrorCode.NOT_ON_BEST_CHAIN,
                    "block " + header.hash().shortHex() + " is not on the best chain");
        }
        if (confirmations < k) {
            throw new PeerVerificationException(
                    ErrorCode.INSUFFICIENT_CONFIRMATIONS,
                    "block "
                            + header.hash().shortHex()
                            + " has "
                            + confirmations
                            + " confirmations (required "
                            + k
                            + ")");
        }
        return id;
    }

    @Override
    public String toString() {
        return "LedgerCertificate[block "
                + header.hash().shortHex()
                + ", tx "
                + proto.getTxIndex()
                + "/"
                + proto.getTxCount()
                + "]";
    }
}
