package io.p2pchat.crypto;

import java.nio.charset.StandardCharsets;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * HKDF-SHA-256 (RFC 5869) from Bouncy Castle over the JDK's SHA-256 ({@link JdkSha256Digest}), and
 * the labelled expansion of p2pchat's key schedule (docs/protocol.md, "Key schedule"), which
 * follows TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1).
 *
 * <pre>
 * HKDF-Expand-Label(Secret, Label, Context, Length) =
 *     HKDF-Expand(Secret, HkdfLabel, Length)
 * HkdfLabel = uint16 Length || uint8 len(L) || L || uint8 len(Context) || Context
 *     where L = "p2pchat1 " || Label
 * </pre>
 */
public final class Hkdf {
    /** Output length of SHA-256, and the length of every secret in the schedule. */
    public static final int HASH_LENGTH = 32;

    /** Largest output HKDF-SHA-256 can produce: 255 blocks. */
    public static final int MAX_OUTPUT_LENGTH = 255 * HASH_LENGTH;

    /** Prefix of every label, which separates p2pchat's derivations from any other protocol's. */
    public static final String LABEL_PREFIX = "p2pchat1 ";

    private Hkdf() {}

    /** HKDF-Extract(salt, ikm). An empty salt means {@code HASH_LENGTH} zero bytes. */
    public static byte[] extract(byte[] salt, byte[] ikm) {
        HKDFBytesGenerator generator = new HKDFBytesGenerator(new JdkSha256Digest());
        return generator.extractPRK(salt.length == 0 ? new byte[HASH_LENGTH] : salt, ikm);
    }

    /**
     * HKDF-Expand(prk, info, length).
     *
     * @throws IllegalArgumentException if {@code length} is outside 0..{@value #MAX_OUTPUT_LENGTH}
     *     or {@code prk} is shorter than {@value #HASH_LENGTH} bytes
     */
    public static byte[] expand(byte[] prk, byte[] info, int length) {
        if (length < 0 || length > MAX_OUTPUT_LENGTH) {
            throw new IllegalArgumentException(
                    "length: " + length + " (expected: 0.." + MAX_OUTPUT_LENGTH + ")");
        }
        if (prk.length < HASH_LENGTH) {
            throw new IllegalArgumentException(
                    "prk length: " + prk.length + " (expected: >= " + HASH_LENGTH + ")");
        }
        byte[] out = new byte[length];
        if (length == 0) {
            return out;
        }
        HKDFBytesGenerator generator = new HKDFBytesGenerator(new JdkSha256Digest());
        generator.init(HKDFParameters.skipExtractParameters(prk, info));
        generator.generateBytes(out, 0, length);
        return out;
    }

    /** HKDF-Extract then HKDF-Expand, as RFC 5869 defines HKDF. */
    public static byte[] derive(byte[] salt, byte[] ikm, byte[] info, int length) {
        byte[] prk = extract(salt, ikm);
        try {
            return expand(prk, info, length);
        } finally {
            Secret.wipe(prk);
        }
    }

    /** HKDF-Expand-Label, see the class comment. */
    public static byte[] expandLabel(byte[] secret, String label, byte[] context, int length) {
        return expand(secret, hkdfLabel(label, context, length), length);
    }

    /** The HkdfLabel structure; exposed for the specification's test vectors. */
    public static byte[] hkdfLabel(String label, byte[] context, int length) {
        byte[] fullLabel = (LABEL_PREFIX + label).getBytes(StandardCharsets.US_ASCII);
        if (fullLabel.length > 255) {
            throw new IllegalArgumentException(
                    "label length: " + fullLabel.length + " (expected: <= 255 with prefix)");
        }
        if (context.length > 255) {
            throw new IllegalArgumentException(
                    "context length: " + context.length + " (expected: <= 255)");
        }
        if (length < 0 || length > 0xFFFF) {
            throw new IllegalArgumentException("length: " + length + " (expected: 0..65535)");
        }
        byte[] info = new byte[2 + 1 + fullLabel.length + 1 + context.length];
        int i = 0;
        info[i++] = (byte) (length >>> 8);
        info[i++] = (byte) length;
        info[i++] = (byte) fullLabel.length;
        System.arraycopy(fullLabel, 0, info, i, fullLabel.length);
        i += fullLabel.length;
        info[i++] = (byte) context.length;
        System.arraycopy(context, 0, info, i, context.length);
        return info;
    }
}
