package io.p2pchat.crypto;

import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.util.Locale;
import org.bouncycastle.crypto.SecretWithEncapsulation;
import org.bouncycastle.crypto.kems.MLKEMExtractor;
import org.bouncycastle.crypto.kems.MLKEMGenerator;
import org.bouncycastle.crypto.params.MLKEMParameters;
import org.bouncycastle.crypto.params.MLKEMPrivateKeyParameters;
import org.bouncycastle.crypto.params.MLKEMPublicKeyParameters;
import org.jspecify.annotations.Nullable;

/**
 * ML-KEM-768 (FIPS 203): the JDK's where the runtime has one (JDK 24 and later) that passes a
 * known-answer test against Bouncy Castle's, Bouncy Castle's lightweight API otherwise. Chosen by
 * measurement (docs/decisions.md): on Java 25 here each operation is 1.3-1.4 times as fast as
 * Bouncy Castle's through this class (the bench's ceilings). The system property {@value
 * #PROVIDER_PROPERTY} ({@code auto}, the default; {@code bc}; {@code jdk}, which fails if the JDK
 * has none) overrides the choice, for measurements.
 *
 * <p>Both draw the same randomness in the same order (the seed {@code d || z}, the message {@code
 * m}), so the same random bytes give the same keys, ciphertexts and secrets with either provider,
 * on the wire and in the vectors.
 *
 * <p>Encapsulation keys are length-checked and then checked by the provider for the FIPS 203 §7.2
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

    /** The system property that overrides the choice of provider: auto, bc or jdk. */
    public static final String PROVIDER_PROPERTY = "p2pchat.mlkem.provider";

    private static final MLKEMParameters PARAMS = MLKEMParameters.ml_kem_768;

    /** The JDK's implementation in use, or null for Bouncy Castle's. */
    private static final @Nullable JdkMlKem768 JDK = select(System.getProperty(PROVIDER_PROPERTY));

    private MlKem768() {}

    static @Nullable JdkMlKem768 select(@Nullable String property) {
        String choice = property == null ? "auto" : property.trim().toLowerCase(Locale.ROOT);
        switch (choice) {
            case "bc":
                return null;
            case "auto":
                return JdkMlKem768.load();
            case "jdk":
                JdkMlKem768 jdk = JdkMlKem768.load();
                if (jdk == null) {
                    throw new IllegalStateException(
                            PROVIDER_PROPERTY + "=jdk, but this JDK has no usable ML-KEM-768");
                }
                return jdk;
            default:
                throw new IllegalStateException(
                        PROVIDER_PROPERTY + ": expected auto, bc or jdk, not " + property);
        }
    }

    /** The JDK's implementation in use, or null when Bouncy Castle's is. */
    static @Nullable JdkMlKem768 inUse() {
        return JDK;
    }

    /** The provider in use: {@code "JDK"} or {@code "Bouncy Castle"}. */
    public static String provider() {
        return JDK != null ? "JDK" : "Bouncy Castle";
    }

    /** A decapsulation key with its encapsulation key. */
    public static final class KeyPair {
        private final @Nullable MLKEMPrivateKeyParameters bcKey;
        private final JdkMlKem768.@Nullable DecapsulationKey jdkKey;
        private final byte[] seed;

        private KeyPair(byte[] seed, @Nullable JdkMlKem768 jdk) {
            this.seed = seed;
            if (jdk != null) {
                this.jdkKey = jdk.fromSeed(seed);
                this.bcKey = null;
            } else {
                this.jdkKey = null;
                this.bcKey = new MLKEMPrivateKeyParameters(PARAMS, seed);
            }
        }

        /** The 1184-byte encapsulation key. */
        public byte[] encapsulationKey() {
            return jdkKey != null ? jdkKey.encapsulationKey().clone() : bcKey().getPublicKey();
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
            if (jdkKey != null) {
                byte[] secret = new byte[SHARED_SECRET_LENGTH];
                jdkKey.decapsulate(ciphertext, secret);
                return secret;
            }
            return new MLKEMExtractor(bcKey()).extractSecret(ciphertext);
        }

        private MLKEMPrivateKeyParameters bcKey() {
            if (bcKey == null) {
                throw new IllegalStateException("no Bouncy Castle key");
            }
            return bcKey;
        }

        /** Wipes the private key and seed. */
        public void destroy() {
            if (bcKey != null) {
                bcKey.destroy();
            }
            if (jdkKey != null) {
                jdkKey.destroy();
            }
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
        return fromSeed(seed, JDK);
    }

    /** {@link #fromSeed(byte[])} with the given provider (null: Bouncy Castle). */
    static KeyPair fromSeed(byte[] seed, @Nullable JdkMlKem768 jdk) {
        if (seed.length != SEED_LENGTH) {
            throw new IllegalArgumentException(
                    "seed length: " + seed.length + " (expected: " + SEED_LENGTH + ")");
        }
        return new KeyPair(seed, jdk);
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
        return encapsulate(encapsulationKey, m, JDK);
    }

    /** {@link #encapsulate(byte[], byte[])} with the given provider (null: Bouncy Castle). */
    static Encapsulation encapsulate(byte[] encapsulationKey, byte[] m, @Nullable JdkMlKem768 jdk)
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
        if (jdk != null) {
            byte[] secret = new byte[SHARED_SECRET_LENGTH];
            byte[] ciphertext = jdk.encapsulate(encapsulationKey, m, secret);
            return new Encapsulation(secret, ciphertext);
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
