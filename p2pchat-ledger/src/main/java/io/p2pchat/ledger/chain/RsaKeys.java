package io.p2pchat.ledger.chain;

import io.p2pchat.identity.PeerId;
import io.p2pchat.identity.RsaKeySizes;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.RejectReason;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parses the RSA keys of identity records, with the ledger's rules: a DER SubjectPublicKeyInfo of
 * an RSA key whose modulus is exactly 2048, 3072 or 4096 bits ({@link RsaKeySizes}), whose public
 * exponent is odd and in 3 .. 2^32-1, and that re-encodes to the same bytes. Parsed keys are cached
 * by key id.
 *
 * <p>Thread-safe.
 */
public final class RsaKeys {
    private static final int CACHE_SIZE = 4096;
    private static final BigInteger MAX_EXPONENT = BigInteger.ONE.shiftLeft(32);

    private static final Map<PeerId, RSAPublicKey> CACHE =
            new LinkedHashMap<>(256, 0.75f, true) {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<PeerId, RSAPublicKey> eldest) {
                    return size() > CACHE_SIZE;
                }
            };

    private RsaKeys() {}

    /**
     * Parses and checks a key.
     *
     * @throws InvalidBlockException {@code BAD_KEY_SIZE} if it is not an acceptable RSA key
     */
    public static RSAPublicKey parse(byte[] spki) throws InvalidBlockException {
        PeerId keyId = PeerId.ofSubjectPublicKeyInfo(spki);
        synchronized (CACHE) {
            RSAPublicKey cached = CACHE.get(keyId);
            if (cached != null) {
                return cached;
            }
        }
        RSAPublicKey key = parseUncached(spki);
        synchronized (CACHE) {
            CACHE.put(keyId, key);
        }
        return key;
    }

    private static RSAPublicKey parseUncached(byte[] spki) throws InvalidBlockException {
        PublicKey key;
        try {
            key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new InvalidBlockException(
                    RejectReason.BAD_KEY_SIZE, "not an RSA SubjectPublicKeyInfo");
        }
        if (!(key instanceof RSAPublicKey) || !Arrays.equals(key.getEncoded(), spki)) {
            throw new InvalidBlockException(RejectReason.BAD_KEY_SIZE, "not a canonical RSA key");
        }
        RSAPublicKey rsa = (RSAPublicKey) key;
        int bits = rsa.getModulus().bitLength();
        if (!RsaKeySizes.isAllowed(bits)) {
            throw new InvalidBlockException(
                    RejectReason.BAD_KEY_SIZE,
                    "RSA key of " + bits + " bits (expected: " + RsaKeySizes.describe() + ")");
        }
        BigInteger e = rsa.getPublicExponent();
        if (!e.testBit(0)
                || e.compareTo(BigInteger.valueOf(3)) < 0
                || e.compareTo(MAX_EXPONENT) >= 0) {
            throw new InvalidBlockException(
                    RejectReason.BAD_KEY_SIZE,
                    "RSA public exponent out of range (expected: odd, 3..2^32-1)");
        }
        return rsa;
    }
}
