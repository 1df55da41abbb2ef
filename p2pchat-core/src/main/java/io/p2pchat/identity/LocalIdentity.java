package io.p2pchat.identity;

import io.p2pchat.crypto.RsaPss;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAKeyGenParameterSpec;

/**
 * This peer's identity: an RSA key pair and the {@link PeerId} it hashes to.
 *
 * <p>Keys are 3072 bits by default ({@link #DEFAULT_KEY_BITS}); only the sizes of {@link
 * RsaKeySizes} (2048, 3072 or 4096 bits) are accepted. Save and load identities with {@link
 * IdentityStore}.
 *
 * <h2>Security</h2>
 *
 * {@link #toString()} shows only the id. The private key never leaves this object except through
 * {@link #privateKey()}, which exists for the handshake and for {@link IdentityStore}.
 *
 * <p>Immutable and thread-safe.
 */
public final class LocalIdentity {
    /** Default RSA modulus size. */
    public static final int DEFAULT_KEY_BITS = RsaKeySizes.DEFAULT_BITS;

    private final RSAPrivateKey privateKey;
    private final RSAPublicKey publicKey;
    private final byte[] subjectPublicKeyInfo;
    private final PeerId peerId;

    private LocalIdentity(RSAPrivateKey privateKey, RSAPublicKey publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
        this.subjectPublicKeyInfo = publicKey.getEncoded();
        this.peerId = PeerId.ofSubjectPublicKeyInfo(subjectPublicKeyInfo);
    }

    /** Generates a new {@value #DEFAULT_KEY_BITS}-bit identity. Takes about a second. */
    public static LocalIdentity generate() {
        return generate(DEFAULT_KEY_BITS, new SecureRandom());
    }

    /**
     * Generates a new identity.
     *
     * @throws IllegalArgumentException if {@code bits} is not one of {@link
     *     RsaKeySizes#ALLOWED_BITS}
     */
    public static LocalIdentity generate(int bits, SecureRandom random) {
        checkBits(bits);
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(
                    new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4), random);
            return of(generator.generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA key generation unavailable", e);
        }
    }

    /**
     * Wraps an existing RSA key pair.
     *
     * @throws IllegalArgumentException if the pair is not RSA, its halves do not match, or its size
     *     is not one of {@link RsaKeySizes#ALLOWED_BITS}
     */
    public static LocalIdentity of(KeyPair keyPair) {
        if (!(keyPair.getPrivate() instanceof RSAPrivateKey)
                || !(keyPair.getPublic() instanceof RSAPublicKey)) {
            throw new IllegalArgumentException(
                    "keyPair: " + keyPair.getPublic().getAlgorithm() + " (expected: RSA)");
        }
        RSAPrivateKey priv = (RSAPrivateKey) keyPair.getPrivate();
        RSAPublicKey pub = (RSAPublicKey) keyPair.getPublic();
        checkBits(pub.getModulus().bitLength());
        if (!priv.getModulus().equals(pub.getModulus())) {
            throw new IllegalArgumentException("keyPair: private and public keys do not match");
        }
        return new LocalIdentity(priv, pub);
    }

    private static void checkBits(int bits) {
        if (!RsaKeySizes.isAllowed(bits)) {
            throw new IllegalArgumentException(
                    "RSA key size: " + bits + " bits (expected: " + RsaKeySizes.describe() + ")");
        }
    }

    /** The id of this identity. */
    public PeerId peerId() {
        return peerId;
    }

    /** The public key. */
    public RSAPublicKey publicKey() {
        return publicKey;
    }

    /** The DER-encoded SubjectPublicKeyInfo of the public key (a copy). */
    public byte[] subjectPublicKeyInfo() {
        return subjectPublicKeyInfo.clone();
    }

    /** The RSA modulus size in bits. */
    public int keyBits() {
        return publicKey.getModulus().bitLength();
    }

    /** The private key. Handle with care: never log it, never send it. */
    public PrivateKey privateKey() {
        return privateKey;
    }

    /** Signs {@code message} with RSASSA-PSS-SHA-256 (salt 32). */
    public byte[] sign(byte[] message, SecureRandom random) throws GeneralSecurityException {
        return RsaPss.sign(privateKey, message, random);
    }

    @Override
    public String toString() {
        return "LocalIdentity[" + peerId.shortId() + ", RSA-" + keyBits() + "]";
    }
}
