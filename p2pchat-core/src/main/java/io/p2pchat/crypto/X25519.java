package io.p2pchat.crypto;

import java.security.InvalidKeyException;
import java.security.SecureRandom;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;

/**
 * X25519 (RFC 7748) key agreement from Bouncy Castle's lightweight API, about twice as fast here as
 * the JDK's.
 *
 * <p>Policy (docs/protocol.md, "Key shares"): public keys are exactly 32 bytes, checked before any
 * arithmetic; non-canonical u-coordinates (at or above 2^255 - 19, or with the top bit set) are
 * accepted and reduced as RFC 7748 §5 prescribes; an all-zero shared secret, which a small-order
 * public key gives, is rejected (RFC 7748 §6.1).
 */
public final class X25519 {
    /** Length of public keys, private keys and shared secrets. */
    public static final int KEY_LENGTH = 32;

    private X25519() {}

    /** An ephemeral X25519 key pair. The private half is wiped by {@link #destroy()}. */
    public static final class KeyPair {
        private final byte[] privateKey;
        private final byte[] publicKey;

        private KeyPair(byte[] privateKey, byte[] publicKey) {
            this.privateKey = privateKey;
            this.publicKey = publicKey;
        }

        /** The 32-byte public key (a copy). */
        public byte[] publicKey() {
            return publicKey.clone();
        }

        /** The 32-byte private key, not a copy; for test vectors only. */
        public byte[] privateKeyForTesting() {
            return privateKey;
        }

        /** Computes X25519(private, peerPublic); see {@link X25519#agree}. */
        public byte[] agree(byte[] peerPublic) throws InvalidKeyException {
            return X25519.agree(privateKey, peerPublic);
        }

        /** Wipes the private key. */
        public void destroy() {
            Secret.wipe(privateKey);
        }

        @Override
        public String toString() {
            return "X25519.KeyPair[private redacted]";
        }
    }

    /** Generates a key pair from 32 bytes of {@code random}. */
    public static KeyPair generate(SecureRandom random) {
        byte[] priv = new byte[KEY_LENGTH];
        random.nextBytes(priv);
        return fromPrivate(priv);
    }

    /** Builds the key pair of a given private key, taking ownership of the array. */
    public static KeyPair fromPrivate(byte[] privateKey) {
        if (privateKey.length != KEY_LENGTH) {
            throw new IllegalArgumentException(
                    "private key length: " + privateKey.length + " (expected: " + KEY_LENGTH + ")");
        }
        X25519PrivateKeyParameters params = new X25519PrivateKeyParameters(privateKey, 0);
        return new KeyPair(privateKey, params.generatePublicKey().getEncoded());
    }

    /**
     * X25519(privateKey, peerPublic).
     *
     * @throws InvalidKeyException if {@code peerPublic} is not 32 bytes or the shared secret is all
     *     zeros (a small-order point)
     */
    public static byte[] agree(byte[] privateKey, byte[] peerPublic) throws InvalidKeyException {
        if (peerPublic == null || peerPublic.length != KEY_LENGTH) {
            throw new InvalidKeyException(
                    "X25519 public key length: "
                            + (peerPublic == null ? "null" : peerPublic.length)
                            + " (expected: "
                            + KEY_LENGTH
                            + ")");
        }
        X25519PrivateKeyParameters priv = new X25519PrivateKeyParameters(privateKey, 0);
        X25519PublicKeyParameters pub = new X25519PublicKeyParameters(peerPublic, 0);
        byte[] shared = new byte[KEY_LENGTH];
        try {
            // Bouncy Castle checks for the all-zero result (RFC 7748 §6.1) and throws.
            priv.generateSecret(pub, shared, 0);
        } catch (IllegalStateException e) {
            throw new InvalidKeyException("X25519 shared secret is all zeros");
        }
        return shared;
    }
}
