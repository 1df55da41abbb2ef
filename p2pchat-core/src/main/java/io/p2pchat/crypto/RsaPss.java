package io.p2pchat.crypto;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.RSAKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;

/**
 * RSASSA-PSS with SHA-256, MGF1-SHA-256, a 32-byte salt and trailer field 1 (RFC 8017), from the
 * JDK.
 *
 * <p>The verifier is pinned to exactly these parameters: a PKCS#1 v1.5 signature, or PSS with
 * another hash or salt length, never verifies.
 */
public final class RsaPss {
    /** Salt length in bytes. */
    public static final int SALT_LENGTH = 32;

    private static final PSSParameterSpec PARAMS =
            new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, SALT_LENGTH, 1);

    private RsaPss() {}

    /** Signs {@code message}; {@code random} supplies the salt. */
    public static byte[] sign(PrivateKey key, byte[] message, SecureRandom random)
            throws GeneralSecurityException {
        Signature signature = newSignature();
        signature.initSign(key, random);
        signature.update(message);
        return signature.sign();
    }

    /**
     * Verifies {@code sig} over {@code message}. Returns {@code false} for any invalid signature,
     * including one of the wrong length or encoding; never throws for bad input.
     */
    public static boolean verify(PublicKey key, byte[] message, byte[] sig) {
        try {
            Signature signature = newSignature();
            signature.initVerify(key);
            signature.update(message);
            return signature.verify(sig);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** Modulus size of an RSA key in bits, or -1 when {@code key} is not an RSA key. */
    public static int keyBits(Object key) {
        return key instanceof RSAKey ? ((RSAKey) key).getModulus().bitLength() : -1;
    }

    private static Signature newSignature() throws GeneralSecurityException {
        Signature signature = Signature.getInstance("RSASSA-PSS");
        try {
            signature.setParameter(PARAMS);
        } catch (InvalidAlgorithmParameterException e) {
            throw new IllegalStateException("RSASSA-PSS parameters refused", e);
        }
        return signature;
    }
}
