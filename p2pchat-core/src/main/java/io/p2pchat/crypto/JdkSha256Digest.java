package io.p2pchat.crypto;

import java.security.DigestException;
import java.security.MessageDigest;
import org.bouncycastle.crypto.ExtendedDigest;
import org.bouncycastle.util.Memoable;

/**
 * The JDK's SHA-256 behind Bouncy Castle's {@link ExtendedDigest} interface, so that Bouncy
 * Castle's HMAC and HKDF run on the JDK's SHA-256 intrinsics (SHA-NI here) instead of Bouncy
 * Castle's pure-Java compression function.
 *
 * <p>No cryptography is written here: HMAC and HKDF remain Bouncy Castle's, SHA-256 the JDK's. The
 * {@link Memoable} support lets Bouncy Castle's HMAC precompute its inner and outer pad states once
 * per key. The ratchet step's three HKDF expansions dropped from about 7 µs to about 2 µs with it
 * (docs/benchmarks.md; the ratchet now uses {@link TrafficKdf}); the Wycheproof HKDF and HMAC
 * vectors check the result.
 *
 * <p>Not thread-safe, like every {@code Digest}.
 */
final class JdkSha256Digest implements ExtendedDigest, Memoable {
    private MessageDigest md;

    JdkSha256Digest() {
        // A clone of a fresh digest: MessageDigest.getInstance would look the provider up each
        // time (a quarter of a ratchet step's cost once, docs/benchmarks.md).
        this(TranscriptHash.sha256());
    }

    private JdkSha256Digest(MessageDigest md) {
        this.md = md;
    }

    @Override
    public String getAlgorithmName() {
        return "SHA-256";
    }

    @Override
    public int getDigestSize() {
        return 32;
    }

    @Override
    public int getByteLength() {
        return 64;
    }

    @Override
    public void update(byte in) {
        md.update(in);
    }

    @Override
    public void update(byte[] in, int inOff, int len) {
        md.update(in, inOff, len);
    }

    @Override
    public int doFinal(byte[] out, int outOff) {
        try {
            return md.digest(out, outOff, 32);
        } catch (DigestException e) {
            throw new IllegalStateException("SHA-256 output does not fit", e);
        }
    }

    @Override
    public void reset() {
        md.reset();
    }

    @Override
    public Memoable copy() {
        return new JdkSha256Digest(cloneOf(md));
    }

    @Override
    public void reset(Memoable other) {
        md = cloneOf(((JdkSha256Digest) other).md);
    }

    private static MessageDigest cloneOf(MessageDigest m) {
        try {
            return (MessageDigest) m.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 digest not cloneable", e);
        }
    }
}
