package io.p2pchat.crypto;

import java.security.MessageDigest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * HMAC-SHA-256 (RFC 2104) from Bouncy Castle over the JDK's SHA-256, used for the handshake's
 * Finished values.
 *
 * <p>Bouncy Castle's, because the JDK's {@code SecretKeySpec} refuses an empty key, which RFC 2104
 * allows; speed does not matter for two MACs per handshake. Verification compares in constant time
 * ({@link MessageDigest#isEqual}).
 */
public final class HmacSha256 {
    /** Tag length in bytes. */
    public static final int TAG_LENGTH = 32;

    private HmacSha256() {}

    /** HMAC-SHA-256(key, data). */
    public static byte[] mac(byte[] key, byte[] data) {
        HMac mac = new HMac(new JdkSha256Digest());
        mac.init(new KeyParameter(key));
        mac.update(data, 0, data.length);
        byte[] out = new byte[TAG_LENGTH];
        mac.doFinal(out, 0);
        return out;
    }

    /**
     * Checks {@code tag} against HMAC-SHA-256(key, data) in constant time. A tag of another length
     * (such as a truncated tag) never verifies.
     */
    public static boolean verify(byte[] key, byte[] data, byte[] tag) {
        byte[] expected = mac(key, data);
        return MessageDigest.isEqual(expected, tag);
    }
}
