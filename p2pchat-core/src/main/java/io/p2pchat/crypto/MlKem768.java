package io.p2pchat.crypto;

import java.security.InvalidKeyException;
import java.security.SecureRandom;
import org.bouncycastle.crypto.SecretWithEncapsulation;
import org.bouncycastle.crypto.kems.MLKEMExtractor;
import org.bouncycastle.crypto.kems.MLKEMGenerator;
import org.bouncycastle.crypto.params.MLKEMParameters;
import org.bouncycastle.crypto.params.MLKEMPrivateKeyParameters;
import org.bouncycastle.crypto.params.MLKEMPublicKeyParameters;

/**
 * ML-KEM-768 (FIPS 203) from Bouncy Castle's lightweight API.
 *
 * <p>Encapsulation keys are length-checked and then checked by Bouncy Castle for the FIPS 203 §7.2
 * modulus condition; ciphertexts are length-checked. A ciphertext of the right length that was
 * tampered with does not fail here: decapsulation returns FIPS 203's implicit-rejection key, and
 * the handshake then fails at key confirmation exactly as for any other authentication failure.
 */
public final class MlKem768 {
    /** Encapsulation (public) key length. */
    public static final int ENCAPSULATION_KEY_LENGTH = 1184;

    /** Ciphertext length. */
    public static final int CIPHERTEXT_LENGTH = 1088;

    /** Shared secret length. */
    public static final int SHARED_SECRET_LENGTH = 32;

    /** Key-generation seed length (d || z). */
    public static final int SEED_LENGTH = 64;

    /** Encapsulation randomness length (m). */
    public static final int MESSAGE_LENGTH = 32;

    private static final MLKEMParameters PARAMS = MLKEMParameters.ml_kem_768;

    private MlKem768() {}

    /** A decapsulation key with its encapsulation key. */
    public static final class KeyPair {
        private final MLKEMPrivateKeyParameters privateKey;
        private final byte[] seed;

        private KeyPair(MLKEMPrivateKeyParameters privateKey, byte[] seed) {
            this.privateKey = privateKey;
            this.seed = seed;
        }

        /** The 1184-byte encapsulation key. */
        public byte[] encapsulationKey() {
            return privateKey.getPublicKey();
        }

        /** The 64-byte seed, not a copy; for test vectors only. */
        public byte[] seedForTesting() {
            return seed;
        }

        /**
         * Decapsulates {@code ciphertext}.
         *
         * @throws InvalidKeyException if the ciphertext is not {@value #CIPHERTEXT_LENGTH} bytes
         */
        public byte[] decapsulate(byte[] ciphertext) throws InvalidKeyException {
            if (ciphertext == null || ciphertext.length != CIPHERTEXT_LENGTH) {
                throw new InvalidKeyException(
                        "ML-KEM-768 ciphertext length: "
                                + (ciphertext == null ? "null" : ciphertext.length)
                                + " (expected: "
                                + CIPHERTEXT_LENGTH
                                + ")");
            }
            return new MLKEMExtractor(privateKey).extractSecret(ciphertext);
        }

        /** Wipes the private key and seed. */
        public void destroy() {
            privateKey.destroy();
            Secret.wipe(seed);
        }

        @Override
        public String toString() {
            return "MlKem768.KeyPair[private redacted]";
        }
    }

    /** The result of an encapsulation. */
    public static final class Encapsulation {
        private final byte[] sharedSecret;
        private final byte[] ciphertext;

        Encapsulation(byte[] sharedSecret, byte[] ciphertext) {
            this.sharedSecret = sharedSecret;
            this.ciphertext = ciphertext;
        }

        /** The 32-byte shared secret, which the caller owns and must wipe. */
        public byte[] sharedSecret() {
            return sharedSecret;
        }

        /** The 1088-byte ciphertext. */
        public byte[] ciphertext() {
            return ciphertext;
        }

        @Override
        public String toString() {
            return "MlKem768.Encapsulation[secret redacted]";
        }
    }

    /** Generates a key pair from 64 bytes of {@code random}. */
    public static KeyPair generate(SecureRandom random) {
        byte[] seed = new byte[SEED_LENGTH];
        random.nextBytes(seed);
        return fromSeed(seed);
    }

    /** Derives the key pair of a 64-byte seed (d || z), taking ownership of the array. */
    public static KeyPair fromSeed(byte[] seed) {
        if (seed.length != SEED_LENGTH) {
            throw new IllegalArgumentException(
                    "seed length: " + seed.length + " (expected: " + SEED_LENGTH + ")");
        }
        return new KeyPair(new MLKEMPrivateKeyParameters(PARAMS, seed), seed);
    }

    /** Encapsulates to {@code encapsulationKey} with 32 bytes of {@code random}. */
    public static Encapsulation encapsulate(byte[] encapsulationKey, SecureRandom random)
            throws InvalidKeyException {
        byte[] m = new byte[MESSAGE_LENGTH];
        random.nextBytes(m);
        try {
            return encapsulate(encapsulationKey, m);
        } finally {
            Secret.wipe(m);
        }
    }

    /**
     * Encapsulates with explicit randomness {@code m} (FIPS 203 ML-KEM.Encaps_internal).
     *
     * @throws InvalidKeyException if the key has the wrong length or fails the modulus check
     */
    public static Encapsulation encapsulate(byte[] encapsulationKey, byte[] m)
            throws InvalidKeyException {
        if (encapsulationKey == null || encapsulationKey.length != ENCAPSULATION_KEY_LENGTH) {
            throw new InvalidKeyException(
                    "ML-KEM-768 encapsulation key length: "
                            + (encapsulationKey == null ? "null" : encapsulationKey.length)
                            + " (expected: "
                            + ENCAPSULATION_KEY_LENGTH
                            + ")");
        }
        if (m.length != MESSAGE_LENGTH) {
            throw new IllegalArgumentException(
                    "m length: " + m.length + " (expected: " + MESSAGE_LENGTH + ")");
        }
        SecretWithEncapsulation result;
        try {
            MLKEMPublicKeyParameters key = new MLKEMPublicKeyParameters(PARAMS, encapsulationKey);
            result = MLKEMGenerator.internalGenerateEncapsulated(key, m);
        } catch (RuntimeException e) {
            // Bouncy Castle signals the FIPS 203 §7.2 modulus check with an unchecked exception.
            throw new InvalidKeyException("ML-KEM-768 encapsulation key rejected");
        }
        return new Encapsulation(result.getSecret(), result.getEncapsulation());
    }
}
