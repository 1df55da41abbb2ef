package io.p2pchat.identity;

import io.p2pchat.crypto.RsaPss;
import io.p2pchat.identity.IdentityStoreException.Reason;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;

/**
 * The checks a decrypted identity key passes before {@link IdentityStore} hands it out: a size
 * p2pchat peers accept, a consistent RSA CRT key matching the stored public key, and a pairwise
 * sign/verify. AES-256-CBC does not authenticate, and a signature made with a damaged CRT parameter
 * can reveal the factors of the modulus.
 *
 * <p>Threading: stateless.
 */
final class KeyPairChecks {
    private static final byte[] CHECK_MESSAGE =
            "p2pchat identity file pairwise consistency check".getBytes(StandardCharsets.US_ASCII);

    private KeyPairChecks() {}

    static void checkKeySize(int bits, Path file) throws IdentityStoreException {
        if (bits < RsaKeySizes.minimumBits()) {
            throw new IdentityStoreException(
                    Reason.KEY_TOO_SMALL,
                    file
                            + " holds a "
                            + bits
                            + "-bit RSA key (expected: at least "
                            + RsaKeySizes.minimumBits()
                            + " bits); generate a new identity");
        }
        if (!RsaKeySizes.isAllowed(bits)) {
            // Only a key saved by hand (or by a library call with another size) gets here: no
            // peer would accept it in a handshake, and the ledger would not register it.
            throw IdentityFileErrors.unsupported(
                    file,
                    "a "
                            + bits
                            + "-bit RSA key, which no p2pchat peer accepts (expected: "
                            + RsaKeySizes.describe()
                            + " bits); generate a new identity");
        }
    }

    /**
     * Checks that the private key is a consistent RSA CRT key for the stored public key, then a
     * pairwise sign/verify. A damaged CRT parameter would otherwise produce faulty signatures that
     * leak the factorization of the modulus.
     */
    static void checkKeyPair(RSAPrivateCrtKey key, RSAPublicKey publicKey, Path file)
            throws IdentityStoreException {
        BigInteger n = key.getModulus();
        BigInteger e = key.getPublicExponent();
        BigInteger p = key.getPrimeP();
        BigInteger q = key.getPrimeQ();
        boolean consistent =
                n.equals(publicKey.getModulus())
                        && e.equals(publicKey.getPublicExponent())
                        && p.compareTo(BigInteger.ONE) > 0
                        && q.compareTo(BigInteger.ONE) > 0
                        && p.multiply(q).equals(n)
                        && crtConsistent(key, p, q, e);
        if (!consistent) {
            throw IdentityFileErrors.wrongPassphraseOrTampered(
                    file, "the decrypted key does not match the public key stored with it");
        }
        byte[] signature;
        try {
            signature = RsaPss.sign(key, CHECK_MESSAGE, new SecureRandom());
        } catch (GeneralSecurityException ex) {
            throw IdentityFileErrors.wrongPassphraseOrTampered(
                    file, "the decrypted key cannot sign");
        }
        if (!RsaPss.verify(publicKey, CHECK_MESSAGE, signature)) {
            throw IdentityFileErrors.wrongPassphraseOrTampered(
                    file, "the decrypted key's signature does not verify under the public key");
        }
    }

    private static boolean crtConsistent(
            RSAPrivateCrtKey key, BigInteger p, BigInteger q, BigInteger e) {
        BigInteger d = key.getPrivateExponent();
        BigInteger pMinus1 = p.subtract(BigInteger.ONE);
        BigInteger qMinus1 = q.subtract(BigInteger.ONE);
        BigInteger dP = key.getPrimeExponentP();
        BigInteger dQ = key.getPrimeExponentQ();
        return dP.equals(d.mod(pMinus1))
                && dQ.equals(d.mod(qMinus1))
                && e.multiply(dP).mod(pMinus1).equals(BigInteger.ONE)
                && e.multiply(dQ).mod(qMinus1).equals(BigInteger.ONE)
                && key.getCrtCoefficient().multiply(q).mod(p).equals(BigInteger.ONE);
    }
}
