package io.p2pchat.crypto;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.SecureRandomSpi;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import javax.crypto.SecretKey;
import javax.security.auth.DestroyFailedException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JDK's ML-KEM-768 (JDK 24 and later, {@code javax.crypto.KEM}), used by {@link MlKem768} when
 * the runtime has it: on the AMD EPYC (Zen 4) of docs/benchmarks.md, Java 25's key generation,
 * encapsulation and decapsulation cycle is about 1.7 times as fast as Bouncy Castle's pure-Java one
 * through the JDK's API alone, and each operation 1.3-1.4 times through this class (which adds an
 * X.509 decoding per encapsulation and a generator initialization per key pair).
 *
 * <p>No cryptography is written here. The library is compiled for Java 17, where {@code
 * javax.crypto.KEM} does not exist, so its four methods are bound through method handles once.
 *
 * <p>Keys come from the caller's randomness, never the JDK's: the seed {@code d || z} and the
 * encapsulation message {@code m} are drawn by {@link MlKem768} exactly as for Bouncy Castle, and
 * handed to the JDK through a one-shot {@link SecureRandom} that returns those bytes once. The same
 * randomness therefore gives the same keys and ciphertexts with either provider. {@link #load}
 * checks that before the JDK is used: a known-answer test against Bouncy Castle, which also covers
 * the order in which the JDK draws its bytes (an implementation detail of FIPS 203's {@code
 * KeyGen}: {@code d}, then {@code z}). If anything differs or fails, Bouncy Castle is used.
 *
 * <p>Encapsulation keys travel raw (1184 bytes); the JDK takes them as X.509 SubjectPublicKeyInfo,
 * a fixed 22-byte DER prefix (algorithm id-alg-ml-kem-768, OID 2.16.840.1.101.3.4.4.2) before the
 * raw key. The JDK applies the FIPS 203 §7.2 modulus check when it builds or uses the key ({@link
 * InvalidKeyException}).
 *
 * <p>Thread-safe: the {@code KEM} object is immutable and shared (its Javadoc allows concurrent
 * use); key-pair generators and key factories, which are not thread-safe, are kept per thread.
 */
final class JdkMlKem768 {
    private static final Logger log = LoggerFactory.getLogger(JdkMlKem768.class);

    /** SEQUENCE { SEQUENCE { OID 2.16.840.1.101.3.4.4.2 }, BIT STRING (1185 bytes) }. */
    private static final byte[] SPKI_PREFIX = {
        0x30,
        (byte) 0x82,
        0x04,
        (byte) 0xb2,
        0x30,
        0x0b,
        0x06,
        0x09,
        0x60,
        (byte) 0x86,
        0x48,
        0x01,
        0x65,
        0x03,
        0x04,
        0x04,
        0x02,
        0x03,
        (byte) 0x82,
        0x04,
        (byte) 0xa1,
        0x00
    };

    private static final AlgorithmParameterSpec ML_KEM_768 = new NamedParameterSpec("ML-KEM-768");

    private final Object kem;
    private final ThreadLocal<KeyPairGenerator> generators =
            ThreadLocal.withInitial(
                    () -> instance(() -> KeyPairGenerator.getInstance("ML-KEM-768")));
    private final ThreadLocal<KeyFactory> keyFactories =
            ThreadLocal.withInitial(() -> instance(() -> KeyFactory.getInstance("ML-KEM")));
    private final MethodHandle newEncapsulator;
    private final MethodHandle encapsulate;
    private final MethodHandle encapsulatedKey;
    private final MethodHandle encapsulation;
    private final MethodHandle newDecapsulator;
    private final MethodHandle decapsulate;

    private JdkMlKem768() throws ReflectiveOperationException {
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        Class<?> kemClass = Class.forName("javax.crypto.KEM");
        Class<?> encapsulator = Class.forName("javax.crypto.KEM$Encapsulator");
        Class<?> encapsulated = Class.forName("javax.crypto.KEM$Encapsulated");
        Class<?> decapsulator = Class.forName("javax.crypto.KEM$Decapsulator");
        MethodType toObject = MethodType.methodType(Object.class, Object.class);
        try {
            this.kem =
                    lookup.findStatic(
                                    kemClass,
                                    "getInstance",
                                    MethodType.methodType(kemClass, String.class))
                            .invoke("ML-KEM");
        } catch (ReflectiveOperationException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new ReflectiveOperationException("KEM.getInstance(\"ML-KEM\")", t);
        }
        newEncapsulator =
                lookup.findVirtual(
                                kemClass,
                                "newEncapsulator",
                                MethodType.methodType(
                                        encapsulator,
                                        PublicKey.class,
                                        AlgorithmParameterSpec.class,
                                        SecureRandom.class))
                        .asType(
                                MethodType.methodType(
                                        Object.class,
                                        Object.class,
                                        PublicKey.class,
                                        AlgorithmParameterSpec.class,
                                        SecureRandom.class));
        encapsulate =
                lookup.findVirtual(encapsulator, "encapsulate", MethodType.methodType(encapsulated))
                        .asType(toObject);
        encapsulatedKey =
                lookup.findVirtual(encapsulated, "key", MethodType.methodType(SecretKey.class))
                        .asType(MethodType.methodType(SecretKey.class, Object.class));
        encapsulation =
                lookup.findVirtual(
                                encapsulated, "encapsulation", MethodType.methodType(byte[].class))
                        .asType(MethodType.methodType(byte[].class, Object.class));
        newDecapsulator =
                lookup.findVirtual(
                                kemClass,
                                "newDecapsulator",
                                MethodType.methodType(decapsulator, PrivateKey.class))
                        .asType(
                                MethodType.methodType(
                                        Object.class, Object.class, PrivateKey.class));
        decapsulate =
                lookup.findVirtual(
                                decapsulator,
                                "decapsulate",
                                MethodType.methodType(SecretKey.class, byte[].class))
                        .asType(MethodType.methodType(SecretKey.class, Object.class, byte[].class));
    }

    /**
     * The JDK's ML-KEM-768 if this runtime has it and it passes the known-answer test against
     * Bouncy Castle; null otherwise (logged at debug, with the reason).
     */
    static @Nullable JdkMlKem768 load() {
        try {
            KeyPairGenerator.getInstance("ML-KEM-768");
        } catch (GeneralSecurityException e) {
            log.debug("ML-KEM-768: this JDK has none ({}); using Bouncy Castle", e.toString());
            return null;
        }
        try {
            JdkMlKem768 jdk = new JdkMlKem768();
            jdk.knownAnswerTest();
            return jdk;
        } catch (ReflectiveOperationException | GeneralSecurityException | RuntimeException e) {
            log.warn(
                    "ML-KEM-768: the JDK's implementation failed its self-test against Bouncy"
                            + " Castle ({}); using Bouncy Castle",
                    e.toString());
            return null;
        }
    }

    /** A JDK decapsulation key with its raw encapsulation key. */
    final class DecapsulationKey {
        private final PrivateKey privateKey;
        private final byte[] encapsulationKey;

        private DecapsulationKey(PrivateKey privateKey, byte[] encapsulationKey) {
            this.privateKey = privateKey;
            this.encapsulationKey = encapsulationKey;
        }

        /** The raw 1184-byte encapsulation key, not a copy. */
        byte[] encapsulationKey() {
            return encapsulationKey;
        }

        /** Decapsulates {@code ciphertext} (already length-checked) into {@code secretOut}. */
        void decapsulate(byte[] ciphertext, byte[] secretOut) {
            try {
                Object decapsulator = newDecapsulator.invokeExact(kem, privateKey);
                SecretKey secret = (SecretKey) decapsulate.invokeExact(decapsulator, ciphertext);
                copySecret(secret, secretOut);
            } catch (Throwable t) {
                throw unexpected(t);
            }
        }

        /** Destroys the JDK's private key (the JDK wipes its encoding). */
        void destroy() {
            destroyQuietly(privateKey);
        }
    }

    /** The key pair of {@code seed} ({@code d || z}, 64 bytes; not kept). */
    DecapsulationKey fromSeed(byte[] seed) {
        try {
            KeyPairGenerator g = generators.get();
            g.initialize(ML_KEM_768, new OneShotRandom(seed));
            KeyPair kp = g.generateKeyPair();
            byte[] spki = kp.getPublic().getEncoded();
            return new DecapsulationKey(
                    kp.getPrivate(), Arrays.copyOfRange(spki, SPKI_PREFIX.length, spki.length));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ML-KEM-768 key generation failed", e);
        }
    }

    /**
     * Encapsulates to the raw {@code encapsulationKey} with randomness {@code m}: fills {@code
     * secretOut} and returns the ciphertext.
     *
     * @throws InvalidKeyException if the JDK rejects the key (the modulus check)
     */
    byte[] encapsulate(byte[] encapsulationKey, byte[] m, byte[] secretOut)
            throws InvalidKeyException {
        byte[] spki = new byte[SPKI_PREFIX.length + encapsulationKey.length];
        System.arraycopy(SPKI_PREFIX, 0, spki, 0, SPKI_PREFIX.length);
        System.arraycopy(encapsulationKey, 0, spki, SPKI_PREFIX.length, encapsulationKey.length);
        PublicKey key;
        try {
            key = keyFactories.get().generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException e) {
            throw new InvalidKeyException("ML-KEM-768 encapsulation key rejected");
        }
        Object result;
        try {
            Object encapsulator =
                    newEncapsulator.invokeExact(
                            kem,
                            key,
                            (AlgorithmParameterSpec) null,
                            (SecureRandom) new OneShotRandom(m));
            result = encapsulate.invokeExact(encapsulator);
        } catch (InvalidKeyException e) {
            throw new InvalidKeyException("ML-KEM-768 encapsulation key rejected");
        } catch (Throwable t) {
            throw unexpected(t);
        }
        try {
            SecretKey secret = (SecretKey) encapsulatedKey.invokeExact(result);
            copySecret(secret, secretOut);
            return (byte[]) encapsulation.invokeExact(result);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * Checks the JDK against Bouncy Castle on fixed inputs: the encapsulation key of a seed, the
     * ciphertext and secret of an encapsulation, and the secret of its decapsulation.
     */
    private void knownAnswerTest() throws GeneralSecurityException {
        byte[] seed = new byte[MlKem768.SEED_LENGTH];
        byte[] m = new byte[MlKem768.MESSAGE_LENGTH];
        for (int i = 0; i < seed.length; i++) {
            seed[i] = (byte) (i * 7 + 1);
        }
        for (int i = 0; i < m.length; i++) {
            m[i] = (byte) (i * 13 + 5);
        }
        MlKem768.Encapsulation expected;
        byte[] expectedKey;
        MlKem768.KeyPair bc = MlKem768.fromSeed(seed.clone(), null);
        try {
            expectedKey = bc.encapsulationKey().clone();
            expected = MlKem768.encapsulate(expectedKey, m, null);
        } finally {
            bc.destroy();
        }
        DecapsulationKey jdk = fromSeed(seed);
        try {
            byte[] secret = new byte[MlKem768.SHARED_SECRET_LENGTH];
            byte[] ciphertext = encapsulate(jdk.encapsulationKey(), m, secret);
            byte[] decapsulated = new byte[MlKem768.SHARED_SECRET_LENGTH];
            jdk.decapsulate(ciphertext, decapsulated);
            if (!Arrays.equals(jdk.encapsulationKey(), expectedKey)
                    || !Arrays.equals(ciphertext, expected.ciphertext())
                    || !Arrays.equals(secret, expected.sharedSecret())
                    || !Arrays.equals(decapsulated, expected.sharedSecret())) {
                throw new GeneralSecurityException("known-answer test: results differ");
            }
        } finally {
            jdk.destroy();
            Secret.wipe(expected.sharedSecret());
        }
    }

    private static void copySecret(SecretKey secret, byte[] out) {
        byte[] encoded = secret.getEncoded();
        try {
            if (encoded == null || encoded.length != out.length) {
                throw new IllegalStateException("ML-KEM-768: unexpected shared secret length");
            }
            System.arraycopy(encoded, 0, out, 0, out.length);
        } finally {
            Secret.wipe(encoded);
            destroyQuietly(secret);
        }
    }

    private static void destroyQuietly(Key key) {
        if (key instanceof javax.security.auth.Destroyable) {
            try {
                ((javax.security.auth.Destroyable) key).destroy();
            } catch (DestroyFailedException e) {
                // Not destroyable in this JDK (SecretKeySpec before JDK 26): left to the GC.
            }
        }
    }

    /** A JDK factory method that cannot fail once {@link #load} found ML-KEM-768. */
    private interface Factory<T> {
        T create() throws GeneralSecurityException;
    }

    private static <T> T instance(Factory<T> factory) {
        try {
            return factory.create();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ML-KEM-768 (JDK) disappeared", e);
        }
    }

    private static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException) {
            return (RuntimeException) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
        return new IllegalStateException("ML-KEM-768 (JDK) failed: " + t.getClass().getName(), t);
    }

    /**
     * Returns its bytes once, in order, and fails if more are drawn: the JDK draws exactly the
     * bytes FIPS 203 names ({@code d} and {@code z}, or {@code m}). The caller owns and wipes the
     * array.
     */
    private static final class OneShotRandom extends SecureRandom {
        private static final long serialVersionUID = 1L;

        OneShotRandom(byte[] bytes) {
            super(new Spi(bytes), null);
        }

        private static final class Spi extends SecureRandomSpi {
            private static final long serialVersionUID = 1L;
            private final transient byte[] bytes;
            private int offset;

            Spi(byte[] bytes) {
                this.bytes = bytes;
            }

            @Override
            protected void engineSetSeed(byte[] seed) {
                throw new UnsupportedOperationException("one-shot randomness");
            }

            @Override
            protected void engineNextBytes(byte[] out) {
                if (out.length > bytes.length - offset) {
                    throw new IllegalStateException(
                            "ML-KEM-768 (JDK) drew more randomness than FIPS 203 names");
                }
                System.arraycopy(bytes, offset, out, 0, out.length);
                offset += out.length;
            }

            @Override
            protected byte[] engineGenerateSeed(int numBytes) {
                throw new UnsupportedOperationException("one-shot randomness");
            }
        }
    }
}
