package io.p2pchat.crypto;

import javax.crypto.SecretKey;

/**
 * A key for the JDK's ciphers and MACs whose bytes p2pchat can wipe: a {@link Secret} behind the
 * JDK's {@link SecretKey}. The JDK's {@code SecretKeySpec} cannot be destroyed on Java 17; the
 * provider copies {@link #getEncoded()} into its own state (an AES key schedule, an HMAC's pads)
 * and wipes that copy when it is done with it.
 */
final class RawKey implements SecretKey {
    private static final long serialVersionUID = 1L;
    private final String algorithm;
    private final transient Secret secret;

    /** Takes ownership of {@code bytes}, which {@link #destroy()} wipes. */
    RawKey(String algorithm, byte[] bytes) {
        this.algorithm = algorithm;
        this.secret = Secret.wrap(bytes);
    }

    @Override
    public String getAlgorithm() {
        return algorithm;
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    /** A copy of the key, which the caller owns; throws once destroyed. */
    @Override
    public byte[] getEncoded() {
        return secret.copy();
    }

    @Override
    public void destroy() {
        secret.destroy();
    }

    @Override
    public boolean isDestroyed() {
        return secret.isDestroyed();
    }

    @Override
    public String toString() {
        return "RawKey[" + algorithm + ", redacted]";
    }
}
