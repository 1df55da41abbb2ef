package io.p2pchat.identity;

import io.p2pchat.internal.crypto.TranscriptHash;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The id of a peer: SHA-256 of the DER-encoded X.509 SubjectPublicKeyInfo of its RSA identity key.
 *
 * <p>Ids are self-certifying: whoever presents a key can be checked against an id without any third
 * party. The canonical text form is 64 lowercase hex digits; {@link #fingerprint()} is the same
 * value grouped for people to read aloud, and {@link #shortId()} the first 8 bytes for display.
 *
 * <p>Immutable and thread-safe. Ordered by unsigned byte comparison.
 */
public final class PeerId implements Comparable<PeerId> {
    /** Length of an id in bytes. */
    public static final int LENGTH = 32;

    private static final HexFormat HEX = HexFormat.of();

    private final byte[] bytes;

    private PeerId(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * Wraps 32 id bytes (copied).
     *
     * @throws IllegalArgumentException if {@code bytes} is not 32 bytes long
     */
    public static PeerId of(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException(
                    "PeerId length: " + bytes.length + " (expected: " + LENGTH + ")");
        }
        return new PeerId(bytes.clone());
    }

    /** The id of a public key: SHA-256 of its SubjectPublicKeyInfo encoding. */
    public static PeerId ofPublicKey(PublicKey key) {
        return ofSubjectPublicKeyInfo(key.getEncoded());
    }

    /** The id of a DER-encoded SubjectPublicKeyInfo. */
    public static PeerId ofSubjectPublicKeyInfo(byte[] spki) {
        return new PeerId(TranscriptHash.sha256(spki));
    }

    /**
     * Parses 64 hex digits, ignoring spaces and colons and case.
     *
     * @throws IllegalArgumentException if the text is not 32 bytes of hex
     */
    public static PeerId fromHex(String hex) {
        String clean = hex.replace(" ", "").replace(":", "").toLowerCase(Locale.ROOT);
        if (clean.length() != 2 * LENGTH) {
            throw new IllegalArgumentException(
                    "PeerId hex length: " + clean.length() + " (expected: " + 2 * LENGTH + ")");
        }
        return new PeerId(HEX.parseHex(clean));
    }

    /** The 32 id bytes (a copy). */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /** 64 lowercase hex digits. */
    public String toHex() {
        return HEX.formatHex(bytes);
    }

    /** The first 8 bytes as 16 hex digits, for display where space is short. */
    public String shortId() {
        return HEX.formatHex(bytes, 0, 8);
    }

    /** The id as 16 groups of 4 hex digits, for comparing out of band. */
    public String fingerprint() {
        String hex = toHex();
        StringBuilder sb = new StringBuilder(80);
        for (int i = 0; i < hex.length(); i += 4) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(hex, i, i + 4);
        }
        return sb.toString();
    }

    /** Whether {@code key} hashes to this id. */
    public boolean matches(PublicKey key) {
        return equals(ofPublicKey(key));
    }

    @Override
    public int compareTo(PeerId other) {
        return Arrays.compareUnsigned(bytes, other.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PeerId && Arrays.equals(bytes, ((PeerId) o).bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** The hex form, as {@link #toHex()}. */
    @Override
    public String toString() {
        return toHex();
    }
}
