package io.p2pchat.channel;

import io.p2pchat.crypto.Ed25519;
import io.p2pchat.crypto.KeySchedule;
import io.p2pchat.crypto.RsaPss;
import io.p2pchat.crypto.TranscriptHash;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;

/**
 * A delegated credential (docs/protocol.md 5.10): a short-lived Ed25519 key that the RSA identity
 * key signs once, so that each handshake signs with Ed25519 instead of RSA.
 *
 * <pre>
 *  0        1       3                35               67               99          107         115
 * +--------+-------+----------------+----------------+----------------+-----------+-----------+
 * | ver=1  | scheme| Ed25519 public | identity key id| network id     | not_before| not_after |
 * | u8     | u16=1 | key (32)       | H(RSA SPKI) 32 | 32, 0s if none | u64 ms    | u64 ms    |
 * +--------+-------+----------------+----------------+----------------+-----------+-----------+
 * on the wire (PeerIdentity.delegated_credential): credential (115) || u16 len(sig) || sig
 * sig = RSASSA-PSS(identity key, 0x20*64 || "p2pchat/1, delegated credential" || 0x00 || credential)
 * </pre>
 *
 * Immutable.
 */
final class DelegatedCredential {
    /** The only version of the layout. */
    static final int VERSION = 1;

    /** Credential scheme 1: an Ed25519 key. */
    static final int SCHEME_ED25519 = 1;

    /** Length of the credential without its signature. */
    static final int LENGTH = 1 + 2 + Ed25519.KEY_LENGTH + 32 + 32 + 8 + 8;

    /** The longest validity a credential may have. */
    static final Duration MAX_VALIDITY = Duration.ofDays(7);

    /** How far ahead of a verifier's clock a credential's not_before may lie. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

    /** The largest RSA signature (4096 bits). */
    private static final int MAX_SIGNATURE_LENGTH = 512;

    private final byte[] credential;
    private final byte[] signature;
    private final byte[] publicKey;
    private final byte[] keyId;
    private final byte[] networkId;
    private final long notBeforeMillis;
    private final long notAfterMillis;

    private DelegatedCredential(byte[] credential, byte[] signature) {
        this.credential = credential;
        this.signature = signature;
        ByteBuffer b = ByteBuffer.wrap(credential);
        b.position(3);
        publicKey = new byte[Ed25519.KEY_LENGTH];
        b.get(publicKey);
        keyId = new byte[32];
        b.get(keyId);
        networkId = new byte[32];
        b.get(networkId);
        notBeforeMillis = b.getLong();
        notAfterMillis = b.getLong();
    }

    /**
     * Signs a credential for {@code key} with {@code identity}, bound to {@code networkId} (empty:
     * none), valid from {@code notBeforeMillis} to {@code notAfterMillis}; {@code random} supplies
     * the PSS salt.
     */
    static DelegatedCredential mint(
            LocalIdentity identity,
            byte[] ed25519PublicKey,
            byte[] networkId,
            long notBeforeMillis,
            long notAfterMillis,
            SecureRandom random)
            throws GeneralSecurityException {
        ByteBuffer b = ByteBuffer.allocate(LENGTH);
        b.put((byte) VERSION);
        b.putShort((short) SCHEME_ED25519);
        b.put(ed25519PublicKey);
        b.put(identity.peerId().toBytes());
        b.put(networkId.length == 0 ? new byte[32] : networkId);
        b.putLong(notBeforeMillis);
        b.putLong(notAfterMillis);
        byte[] credential = b.array();
        byte[] sig = identity.sign(signedContent(credential), random);
        return new DelegatedCredential(credential, sig);
    }

    /**
     * Decodes {@code credential || u16 len || sig}; the layout only, no signature or time check.
     *
     * @throws HandshakeException {@code BAD_CREDENTIAL} if the encoding, version or scheme is wrong
     */
    static DelegatedCredential decode(byte[] encoded, int expectedScheme)
            throws HandshakeException {
        if (encoded.length < LENGTH + 2) {
            throw bad();
        }
        ByteBuffer b = ByteBuffer.wrap(encoded);
        int version = b.get() & 0xff;
        int scheme = b.getShort() & 0xffff;
        if (version != VERSION || scheme != expectedScheme) {
            throw bad();
        }
        int sigLength = b.getShort(LENGTH) & 0xffff;
        if (sigLength == 0
                || sigLength > MAX_SIGNATURE_LENGTH
                || encoded.length != LENGTH + 2 + sigLength) {
            throw bad();
        }
        byte[] credential = java.util.Arrays.copyOfRange(encoded, 0, LENGTH);
        byte[] sig = java.util.Arrays.copyOfRange(encoded, LENGTH + 2, encoded.length);
        return new DelegatedCredential(credential, sig);
    }

    /** {@code credential || u16 len(sig) || sig}, as carried in {@code PeerIdentity}. */
    byte[] encoded() {
        return ByteBuffer.allocate(LENGTH + 2 + signature.length)
                .put(credential)
                .putShort((short) signature.length)
                .put(signature)
                .array();
    }

    /**
     * The checks that need no public-key operation, in the order of docs/protocol.md 5.10: the key
     * id, the network, the length of the validity, the validity at {@code nowMillis}.
     *
     * @param peerId the id of the RSA identity key presented with the credential
     * @param peerNetworkId the network id the peer announced in its hello (empty: none)
     */
    void checkClaims(PeerId peerId, byte[] peerNetworkId, long nowMillis)
            throws HandshakeException {
        if (!MessageDigest.isEqual(keyId, peerId.toBytes())) {
            throw HandshakeException.authenticationFailed(ErrorCode.ID_KEY_MISMATCH);
        }
        byte[] expectedNetwork = peerNetworkId.length == 0 ? new byte[32] : peerNetworkId;
        if (!MessageDigest.isEqual(networkId, expectedNetwork)) {
            throw new HandshakeException(
                    ErrorCode.WRONG_NETWORK, "delegated credential of another network");
        }
        if (notBeforeMillis < 0
                || notAfterMillis < notBeforeMillis
                || notAfterMillis - notBeforeMillis > MAX_VALIDITY.toMillis()) {
            throw bad();
        }
        if (nowMillis < notBeforeMillis - CLOCK_SKEW.toMillis() || nowMillis > notAfterMillis) {
            throw HandshakeException.authenticationFailed(ErrorCode.CREDENTIAL_EXPIRED);
        }
    }

    /** Whether the identity key's signature over the credential verifies. */
    boolean signatureValid(RSAPublicKey identityKey) {
        return RsaPss.verify(identityKey, signedContent(credential), signature);
    }

    /** SHA-256 of the encoding: the key of the verified-credential cache. */
    byte[] digest() {
        return TranscriptHash.sha256(credential, signature);
    }

    /** The Ed25519 public key (a copy). */
    byte[] publicKey() {
        return publicKey.clone();
    }

    /** The start of the validity, in milliseconds since the epoch. */
    long notBeforeMillis() {
        return notBeforeMillis;
    }

    /** The end of the validity, in milliseconds since the epoch. */
    long notAfterMillis() {
        return notAfterMillis;
    }

    private static byte[] signedContent(byte[] credential) {
        return KeySchedule.signedContent(KeySchedule.DELEGATED_CREDENTIAL_CONTEXT, credential);
    }

    private static HandshakeException bad() {
        return HandshakeException.authenticationFailed(ErrorCode.BAD_CREDENTIAL);
    }

    @Override
    public String toString() {
        return "DelegatedCredential[" + notBeforeMillis + ".." + notAfterMillis + "]";
    }
}
