package io.p2pchat.ledger.testing;

import io.p2pchat.identity.LocalIdentity;
import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Many distinct 2048-bit identities without many key generations: one modulus, different public
 * exponents (65537, 65539, ...), so each has its own SubjectPublicKeyInfo and PeerId. Test data
 * only: whoever holds one of these keys can factor the modulus and derive all the others.
 */
public final class CheapIdentities {
    private final BigInteger p;
    private final BigInteger q;
    private final BigInteger n;
    private final BigInteger phi;
    private BigInteger nextE = BigInteger.valueOf(65537);

    public CheapIdentities() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048, new SecureRandom());
            KeyPair kp = g.generateKeyPair();
            RSAPrivateCrtKey k = (RSAPrivateCrtKey) kp.getPrivate();
            this.p = k.getPrimeP();
            this.q = k.getPrimeQ();
            this.n = k.getModulus();
            this.phi = p.subtract(BigInteger.ONE).multiply(q.subtract(BigInteger.ONE));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The next identity. */
    public synchronized LocalIdentity next() {
        BigInteger e = nextE;
        while (!e.gcd(phi).equals(BigInteger.ONE)) {
            e = e.add(BigInteger.TWO);
        }
        nextE = e.add(BigInteger.TWO);
        try {
            BigInteger d = e.modInverse(phi);
            KeyFactory f = KeyFactory.getInstance("RSA");
            RSAPrivateCrtKeySpec priv =
                    new RSAPrivateCrtKeySpec(
                            n,
                            e,
                            d,
                            p,
                            q,
                            d.mod(p.subtract(BigInteger.ONE)),
                            d.mod(q.subtract(BigInteger.ONE)),
                            q.modInverse(p));
            return LocalIdentity.of(
                    new KeyPair(
                            f.generatePublic(new RSAPublicKeySpec(n, e)), f.generatePrivate(priv)));
        } catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** {@code count} identities. */
    public List<LocalIdentity> next(int count) {
        List<LocalIdentity> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(next());
        }
        return out;
    }
}
