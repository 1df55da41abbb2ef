package io.p2pchat.bench;

import io.p2pchat.crypto.Ed25519;
import io.p2pchat.crypto.MlKem768;
import io.p2pchat.crypto.RsaPss;
import io.p2pchat.crypto.X25519;
import io.p2pchat.identity.LocalIdentity;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The raw ceilings of the primitives p2pchat is built on, single-threaded, in operations per
 * second: JDK AES-GCM at 16 KiB ({@code byte[]} and direct buffers), RSA-3072 PSS sign and verify,
 * X25519 (Bouncy Castle and JDK), ML-KEM-768, Ed25519 (Bouncy Castle and JDK).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CryptoBenchmarks {
    /** Size of the AES-GCM benchmark's message. */
    public static final int AES_SIZE = 16 * 1024;

    /** AES-GCM state: one SunJCE cipher, a fresh nonce per operation. */
    @State(Scope.Thread)
    public static class Aes {
        Cipher cipher;
        SecretKeySpec key;
        byte[] nonce = new byte[12];
        long counter;
        byte[] plain = new byte[AES_SIZE];
        byte[] sealed = new byte[AES_SIZE + 16];
        byte[] out = new byte[AES_SIZE + 16];
        byte[] sealedNonce = new byte[12];
        ByteBuffer directIn = ByteBuffer.allocateDirect(AES_SIZE);
        ByteBuffer directOut = ByteBuffer.allocateDirect(AES_SIZE + 16);

        @Setup
        public void setup() throws GeneralSecurityException {
            SecureRandom r = new SecureRandom();
            byte[] k = new byte[16];
            r.nextBytes(k);
            r.nextBytes(plain);
            key = new SecretKeySpec(k, "AES");
            cipher = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
            r.nextBytes(sealedNonce);
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, sealedNonce));
            cipher.doFinal(plain, 0, AES_SIZE, sealed, 0);
            directIn.put(plain).flip();
        }

        GCMParameterSpec nextNonce() {
            long c = ++counter;
            for (int i = 0; i < 8; i++) {
                nonce[4 + i] = (byte) (c >>> (56 - 8 * i));
            }
            return new GCMParameterSpec(128, nonce);
        }
    }

    /** AES-128-GCM encryption of 16 KiB, {@code byte[]} to {@code byte[]}. */
    @Benchmark
    public int aes128GcmSeal16k(Aes s) throws GeneralSecurityException {
        s.cipher.init(Cipher.ENCRYPT_MODE, s.key, s.nextNonce());
        return s.cipher.doFinal(s.plain, 0, AES_SIZE, s.out, 0);
    }

    /** AES-128-GCM decryption and verification of 16 KiB, {@code byte[]} to {@code byte[]}. */
    @Benchmark
    public int aes128GcmOpen16k(Aes s) throws GeneralSecurityException {
        s.cipher.init(Cipher.DECRYPT_MODE, s.key, new GCMParameterSpec(128, s.sealedNonce));
        return s.cipher.doFinal(s.sealed, 0, s.sealed.length, s.out, 0);
    }

    /** AES-128-GCM encryption of 16 KiB between direct {@code ByteBuffer}s. */
    @Benchmark
    public int aes128GcmSeal16kDirect(Aes s) throws GeneralSecurityException {
        s.cipher.init(Cipher.ENCRYPT_MODE, s.key, s.nextNonce());
        s.directIn.clear();
        s.directOut.clear();
        return s.cipher.doFinal(s.directIn, s.directOut);
    }

    /** RSA-3072 state. */
    @State(Scope.Benchmark)
    public static class Rsa {
        LocalIdentity identity;
        byte[] message = new byte[32];
        byte[] signature;
        SecureRandom random = new SecureRandom();

        @Setup(Level.Trial)
        public void setup() throws GeneralSecurityException {
            identity = LocalIdentity.generate(3072, random);
            random.nextBytes(message);
            signature = RsaPss.sign(identity.privateKey(), message, random);
        }
    }

    /** RSASSA-PSS-SHA-256 signature with a 3072-bit key (JDK). */
    @Benchmark
    public byte[] rsa3072PssSign(Rsa s) throws GeneralSecurityException {
        return RsaPss.sign(s.identity.privateKey(), s.message, s.random);
    }

    /** RSASSA-PSS-SHA-256 verification with a 3072-bit key (JDK). */
    @Benchmark
    public boolean rsa3072PssVerify(Rsa s) {
        return RsaPss.verify(s.identity.publicKey(), s.message, s.signature);
    }

    /** Key-agreement state: X25519 key pairs and an ML-KEM-768 key pair. */
    @State(Scope.Thread)
    public static class Kex {
        SecureRandom random = new SecureRandom();
        X25519.KeyPair bcMine;
        byte[] bcPeer;
        KeyPair jdkMine;
        KeyPair jdkPeer;
        KeyAgreement jdkAgreement;
        MlKem768.KeyPair kem;
        byte[] kemCiphertext;

        @Setup
        public void setup() throws GeneralSecurityException {
            bcMine = X25519.generate(random);
            bcPeer = X25519.generate(random).publicKey();
            KeyPairGenerator g = KeyPairGenerator.getInstance("X25519");
            jdkMine = g.generateKeyPair();
            jdkPeer = g.generateKeyPair();
            jdkAgreement = KeyAgreement.getInstance("X25519");
            kem = MlKem768.generate(random);
            kemCiphertext = MlKem768.encapsulate(kem.encapsulationKey(), random).ciphertext();
        }
    }

    /** X25519 shared-secret computation, Bouncy Castle (what p2pchat uses). */
    @Benchmark
    public byte[] x25519AgreeBc(Kex s) throws GeneralSecurityException {
        return s.bcMine.agree(s.bcPeer);
    }

    /** X25519 shared-secret computation, JDK (SunEC). */
    @Benchmark
    public byte[] x25519AgreeJdk(Kex s) throws GeneralSecurityException {
        s.jdkAgreement.init(s.jdkMine.getPrivate());
        s.jdkAgreement.doPhase(s.jdkPeer.getPublic(), true);
        return s.jdkAgreement.generateSecret();
    }

    /** X25519 key-pair generation, Bouncy Castle. */
    @Benchmark
    public X25519.KeyPair x25519KeygenBc(Kex s) {
        return X25519.generate(s.random);
    }

    /** ML-KEM-768 key-pair generation (the provider {@link MlKem768#provider()} names). */
    @Benchmark
    public MlKem768.KeyPair mlkem768Keygen(Kex s) {
        return MlKem768.generate(s.random);
    }

    /** ML-KEM-768 encapsulation (the provider {@link MlKem768#provider()} names). */
    @Benchmark
    public MlKem768.Encapsulation mlkem768Encaps(Kex s) throws GeneralSecurityException {
        return MlKem768.encapsulate(s.kem.encapsulationKey(), s.random);
    }

    /** ML-KEM-768 decapsulation (the provider {@link MlKem768#provider()} names). */
    @Benchmark
    public byte[] mlkem768Decaps(Kex s) throws GeneralSecurityException {
        return s.kem.decapsulate(s.kemCiphertext);
    }

    /** Ed25519 state: a key pair from each provider, a 134-byte message (a signature input). */
    @State(Scope.Thread)
    public static class Ed {
        byte[] message = new byte[134];
        Ed25519.KeyPair bc;
        byte[] bcSignature;
        KeyPair jdk;
        byte[] jdkSignature;

        @Setup
        public void setup() throws GeneralSecurityException {
            SecureRandom random = new SecureRandom();
            random.nextBytes(message);
            bc = Ed25519.generate(random);
            bcSignature = bc.sign(message);
            jdk = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(jdk.getPrivate());
            s.update(message);
            jdkSignature = s.sign();
        }
    }

    /** Ed25519 signature, Bouncy Castle (what p2pchat uses for delegated credentials). */
    @Benchmark
    public byte[] ed25519SignBc(Ed s) {
        return s.bc.sign(s.message);
    }

    /** Ed25519 verification, Bouncy Castle. */
    @Benchmark
    public boolean ed25519VerifyBc(Ed s) {
        return Ed25519.verify(s.bc.publicKey(), s.message, s.bcSignature);
    }

    /** Ed25519 signature, JDK (SunEC). */
    @Benchmark
    public byte[] ed25519SignJdk(Ed s) throws GeneralSecurityException {
        Signature sig = Signature.getInstance("Ed25519");
        sig.initSign(s.jdk.getPrivate());
        sig.update(s.message);
        return sig.sign();
    }

    /** Ed25519 verification, JDK (SunEC). */
    @Benchmark
    public boolean ed25519VerifyJdk(Ed s) throws GeneralSecurityException {
        Signature sig = Signature.getInstance("Ed25519");
        sig.initVerify(s.jdk.getPublic());
        sig.update(s.message);
        return sig.verify(s.jdkSignature);
    }
}
