package io.p2pchat.ledger.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The ledger's SHA-256 constructions and their domain-separation tags ({@code docs/ledger.md},
 * "Hashing"). Every hash input that is not a block header starts with an ASCII tag and a 0x00 byte,
 * or with the RFC 6962 leaf/node prefix, so that no two constructions share inputs.
 *
 * <p>Thread-safe: one digest per thread.
 */
public final class LedgerHashes {
    /** Tag of the transaction signature input. */
    public static final byte[] TX_SIGNATURE_TAG = tag("p2pchat/1 ledger tx");

    /** Tag of the registration stamp hash. */
    public static final byte[] STAMP_TAG = tag("p2pchat/1 ledger stamp");

    /** Tag of the display-name commitment. */
    public static final byte[] NAME_TAG = tag("p2pchat/1 ledger name");

    /** Tag of the network id. */
    public static final byte[] NETWORK_TAG = tag("p2pchat/1 network");

    /** RFC 6962 prefix of a Merkle leaf. */
    public static final byte LEAF_PREFIX = 0x00;

    /** RFC 6962 prefix of a Merkle inner node. */
    public static final byte NODE_PREFIX = 0x01;

    private static final ThreadLocal<MessageDigest> DIGEST =
            ThreadLocal.withInitial(() -> newSha256());

    private LedgerHashes() {}

    /** ASCII {@code text} followed by one 0x00 byte. */
    private static byte[] tag(String text) {
        byte[] ascii = text.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[ascii.length + 1];
        System.arraycopy(ascii, 0, out, 0, ascii.length);
        return out;
    }

    /** A new SHA-256 digest. */
    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /** This thread's digest, reset. */
    public static MessageDigest sha256() {
        MessageDigest md = DIGEST.get();
        md.reset();
        return md;
    }

    /** SHA-256 of the concatenation of {@code parts}. */
    public static byte[] sha256(byte[]... parts) {
        MessageDigest md = sha256();
        for (byte[] p : parts) {
            md.update(p);
        }
        return md.digest();
    }

    /** SHA-256 of {@code length} bytes of {@code data} from {@code offset}. */
    public static byte[] sha256(byte[] data, int offset, int length) {
        MessageDigest md = sha256();
        md.update(data, offset, length);
        return md.digest();
    }

    /** The exact bytes a transaction signature covers: tag || body. */
    public static byte[] txSigningInput(byte[] body) {
        byte[] out = new byte[TX_SIGNATURE_TAG.length + body.length];
        System.arraycopy(TX_SIGNATURE_TAG, 0, out, 0, TX_SIGNATURE_TAG.length);
        System.arraycopy(body, 0, out, TX_SIGNATURE_TAG.length, body.length);
        return out;
    }

    /** The stamp hash of a registration body. */
    public static byte[] stampHash(byte[] body) {
        return sha256(STAMP_TAG, body);
    }

    /** The number of leading zero bits of {@code hash}. */
    public static int leadingZeroBits(byte[] hash) {
        int bits = 0;
        for (byte b : hash) {
            if (b == 0) {
                bits += 8;
                continue;
            }
            return bits + Integer.numberOfLeadingZeros(b & 0xFF) - 24;
        }
        return bits;
    }

    /** A Merkle leaf hash: SHA-256(0x00 || data). */
    public static byte[] leafHash(byte[] data) {
        MessageDigest md = sha256();
        md.update(LEAF_PREFIX);
        md.update(data);
        return md.digest();
    }

    /** A Merkle leaf hash of {@code length} bytes of {@code data} from {@code offset}. */
    public static byte[] leafHash(byte[] data, int offset, int length) {
        MessageDigest md = sha256();
        md.update(LEAF_PREFIX);
        md.update(data, offset, length);
        return md.digest();
    }

    /** A Merkle inner node hash: SHA-256(0x01 || left || right). */
    public static byte[] nodeHash(byte[] left, byte[] right) {
        MessageDigest md = sha256();
        md.update(NODE_PREFIX);
        md.update(left);
        md.update(right);
        return md.digest();
    }

    /**
     * A display-name commitment: SHA-256(tag || identity id (32) || uint8 name length || name
     * (ASCII) || salt (32)).
     */
    public static byte[] nameCommitment(byte[] identityId, String name, byte[] salt) {
        byte[] ascii = name.getBytes(StandardCharsets.US_ASCII);
        MessageDigest md = sha256();
        md.update(NAME_TAG);
        md.update(identityId);
        md.update((byte) ascii.length);
        md.update(ascii);
        md.update(salt);
        return md.digest();
    }
}
