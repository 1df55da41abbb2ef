package io.p2pchat.identity;

import io.p2pchat.crypto.TranscriptHash;
import java.security.PublicKey;
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
public final class PeerId extends Sha256Id<PeerId> {
    /** Length of an id in bytes. */
    public static final int LENGTH = Sha256Id.LENGTH;

    private PeerId(byte[] bytes) {
        super(bytes);
    }

    /**
     * Wraps 32 id bytes (copied).
     *
     * @throws IllegalArgumentException if {@code bytes} is not 32 bytes long
     */
    public static PeerId of(byte[] bytes) {
        return new PeerId(bytes);
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
        return new PeerId(parseHex(clean, "PeerId"));
    }

    /** The first 8 bytes as 16 hex digits, as {@link #shortHex()}. */
    public String shortId() {
        return shortHex();
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
}
