package io.p2pchat.testing;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.security.spec.RSAPublicKeySpec;

/**
 * RSA key pairs of any modulus size, built in microseconds: the modulus is an odd number of exactly
 * the asked size, not a product of two primes, so the pair cannot sign. For the size checks that
 * come before any signature (generation, the identity store, the handshake, the ledger), where
 * generating a real 8192-bit key would take a minute.
 */
public final class ShapedRsaKeys {
    private static final BigInteger E = BigInteger.valueOf(65537);

    private ShapedRsaKeys() {}

    /** A pair whose modulus has exactly {@code bits} bits. */
    public static KeyPair ofBits(int bits) {
        BigInteger n = BigInteger.ONE.shiftLeft(bits - 1).add(BigInteger.valueOf(0x1234567));
        BigInteger p = BigInteger.ONE.shiftLeft(bits / 2 - 1).add(BigInteger.ONE);
        try {
            KeyFactory kf = KeyFactory.getInstance("RSA");
            return new KeyPair(
                    kf.generatePublic(new RSAPublicKeySpec(n, E)),
                    kf.generatePrivate(new RSAPrivateCrtKeySpec(n, E, E, p, p, E, E, E)));
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    /** The DER SubjectPublicKeyInfo of {@link #ofBits}'s public key. */
    public static byte[] spki(int bits) {
        return ofBits(bits).getPublic().getEncoded();
    }
}
