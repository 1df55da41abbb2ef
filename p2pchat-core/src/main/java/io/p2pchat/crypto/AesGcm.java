package io.p2pchat.crypto;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.NoSuchProviderException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-GCM with a 96-bit nonce built from a static IV and a 64-bit sequence number, as TLS 1.3
 * builds it (RFC 8446 §5.3): {@code nonce = iv XOR (0^32 || uint64 seq)}.
 *
 * <p>This is the raw-nonce primitive under the record layer. It never picks a nonce itself and must
 * stay internal: callers guarantee that a (key, sequence number) pair is used at most once.
 *
 * <p>The JDK's SunJCE provider is used, with {@code byte[]} input and output: it runs AES-GCM with
 * AES-NI and carry-less multiplication intrinsics at about 5 GB/s per core here, against about 80
 * MB/s for Bouncy Castle's (docs/benchmarks.md). Other providers are only taken when SunJCE is
 * absent.
 *
 * <h2>Threading</h2>
 *
 * Not thread-safe: one instance per direction of one channel, used on its event loop.
 */
public final class AesGcm {
    /** Tag length in bytes. */
    public static final int TAG_LENGTH = 16;

    /** Nonce and IV length in bytes. */
    public static final int IV_LENGTH = 12;

    private final Cipher cipher;
    private final byte[] iv = new byte[IV_LENGTH];
    private final byte[] nonce = new byte[IV_LENGTH];
    private RawKey key;

    /** Creates a cipher with no key; call {@link #init} before use. */
    public AesGcm() {
        Cipher c;
        try {
            try {
                c = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
            } catch (NoSuchProviderException e) {
                c = Cipher.getInstance("AES/GCM/NoPadding");
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM/NoPadding unavailable", e);
        }
        this.cipher = c;
    }

    /**
     * Installs a key (16 or 32 bytes) and a 12-byte static IV, wiping the previous key. Copies
     * both; the caller still owns and must wipe its arrays.
     *
     * <p>The JDK's cipher keeps the last key it was initialised with (its raw bytes and the AES key
     * schedule) until it is initialised again. So that a retired epoch's key does not stay in
     * memory until the next record, which on an idle channel may be hours away, the cipher is
     * initialised with the new key at once (see {@link #forgetPreviousKey}).
     */
    public void init(byte[] keyBytes, byte[] ivBytes) {
        if (keyBytes.length != 16 && keyBytes.length != 32) {
            throw new IllegalArgumentException(
                    "key length: " + keyBytes.length + " (expected: 16 or 32)");
        }
        if (ivBytes.length != IV_LENGTH) {
            throw new IllegalArgumentException(
                    "iv length: " + ivBytes.length + " (expected: " + IV_LENGTH + ")");
        }
        destroyKey();
        key = new RawKey("AES", keyBytes.clone());
        System.arraycopy(ivBytes, 0, iv, 0, IV_LENGTH);
        forgetPreviousKey(key);
    }

    /**
     * Initialises the cipher with {@code replacement} so that it drops the key it held. SunJCE's
     * AES-GCM keeps the raw bytes and the expanded schedule of the last key, and in encrypt mode a
     * second copy of the raw bytes for its nonce-reuse check; an encrypt-mode initialisation
     * replaces (and zeroes) all three. Its nonce is the IV with the first byte changed: a record
     * nonce only ever differs from the IV in its last eight bytes (the sequence number), so this
     * nonce is never used to encrypt, and the reuse check never refuses a record's nonce later.
     */
    private void forgetPreviousKey(SecretKey replacement) {
        byte[] unused = iv.clone();
        unused[0] ^= (byte) 0x80;
        try {
            cipher.init(
                    Cipher.ENCRYPT_MODE, replacement, new GCMParameterSpec(TAG_LENGTH * 8, unused));
        } catch (InvalidAlgorithmParameterException e) {
            // "Cannot reuse iv": the cipher already holds exactly this key and nonce.
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM init failed", e);
        }
    }

    /** Whether a key is installed. */
    public boolean hasKey() {
        return key != null;
    }

    /**
     * Encrypts {@code in[inOff, inOff+len)} into {@code out} at {@code outOff}, appending the tag.
     *
     * @return the number of bytes written: {@code len + TAG_LENGTH}
     */
    public int seal(
            long seq,
            byte[] aad,
            int aadOff,
            int aadLen,
            byte[] in,
            int inOff,
            int len,
            byte[] out,
            int outOff) {
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, nonceSpec(seq));
            cipher.updateAAD(aad, aadOff, aadLen);
            return cipher.doFinal(in, inOff, len, out, outOff);
        } catch (GeneralSecurityException e) {
            // Only a programming error gets here (a reused nonce, a missing key).
            throw new IllegalStateException("AES-GCM seal failed", e);
        }
    }

    /**
     * Decrypts and authenticates {@code in[inOff, inOff+len)} (ciphertext then tag) into {@code
     * out} at {@code outOff}. Decrypting in place ({@code in == out}, same offset) is allowed. No
     * plaintext reaches {@code out} unless the tag verifies: JDK 17 leaves it untouched, later JDKs
     * zero the plaintext's place (WycheproofAesGcmTest checks both).
     *
     * @return the plaintext length: {@code len - TAG_LENGTH}
     * @throws AEADBadTagException if authentication fails or {@code len < TAG_LENGTH}
     */
    public int open(
            long seq,
            byte[] aad,
            int aadOff,
            int aadLen,
            byte[] in,
            int inOff,
            int len,
            byte[] out,
            int outOff)
            throws AEADBadTagException {
        if (len < TAG_LENGTH) {
            throw new AEADBadTagException("ciphertext shorter than the tag");
        }
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, nonceSpec(seq));
            cipher.updateAAD(aad, aadOff, aadLen);
            return cipher.doFinal(in, inOff, len, out, outOff);
        } catch (AEADBadTagException e) {
            Arrays.fill(out, outOff, Math.min(out.length, outOff + len - TAG_LENGTH), (byte) 0);
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM open failed", e);
        }
    }

    private GCMParameterSpec nonceSpec(long seq) {
        System.arraycopy(iv, 0, nonce, 0, IV_LENGTH);
        for (int i = 0; i < 8; i++) {
            nonce[IV_LENGTH - 1 - i] ^= (byte) (seq >>> (8 * i));
        }
        return new GCMParameterSpec(TAG_LENGTH * 8, nonce);
    }

    /** Computes the nonce of {@code seq}; for tests of the nonce construction. */
    public byte[] nonceForTesting(long seq) {
        nonceSpec(seq);
        return nonce.clone();
    }

    /**
     * Wipes the key and IV, and makes the JDK cipher forget the key too. The cipher can be given a
     * new key with {@link #init}.
     */
    public void destroy() {
        boolean hadKey = key != null;
        destroyKey();
        Arrays.fill(iv, (byte) 0);
        Arrays.fill(nonce, (byte) 0);
        if (hadKey) {
            forgetPreviousKey(new RawKey("AES", new byte[16]));
        }
    }

    private void destroyKey() {
        if (key != null) {
            key.destroy();
            key = null;
        }
    }

    @Override
    public String toString() {
        return "AesGcm[key redacted]";
    }
}
