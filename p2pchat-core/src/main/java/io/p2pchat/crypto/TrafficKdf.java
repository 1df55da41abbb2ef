package io.p2pchat.crypto;

import java.security.GeneralSecurityException;
import java.security.NoSuchProviderException;
import java.util.Arrays;
import javax.crypto.Mac;

/**
 * The three derivations from one direction's traffic secret (docs/protocol.md, "Key schedule"),
 * with one HMAC keyed once per secret: the AES key, the static IV and the next secret of the
 * symmetric ratchet. Byte for byte what {@link KeySchedule#trafficKey}, {@link
 * KeySchedule#trafficIv} and {@link KeySchedule#nextTrafficSecret} return (TrafficKdfTest compares
 * them on random secrets; the ratchet vectors of protocol.md §8 run through it).
 *
 * <p>Each derivation is HKDF-Expand-Label with an empty context and at most {@value
 * Hkdf#HASH_LENGTH} bytes of output, for which HKDF-Expand produces a single block, {@code T(1) =
 * HMAC(secret, HkdfLabel || 0x01)}, truncated (RFC 5869 §2.3). The {@code HkdfLabel || 0x01}
 * strings are constants, built once by {@link Hkdf#hkdfLabel}. The HMAC is the JDK's {@code
 * HmacSHA256} (SunJCE, on the SHA-256 intrinsics), one {@code Mac} keyed once per secret: a ratchet
 * step costs one keying and three MACs, where {@link Hkdf#expandLabel} builds a new HKDF generator,
 * HMAC and digest for each of its three expansions. Bouncy Castle's HMAC with its pad states
 * precomputed ({@code JdkSha256Digest} is {@code Memoable}) measured the same (two compressions
 * fewer per MAC, two digest clones more; docs/benchmarks.md); the JDK's was taken because it
 * overwrites its key pads in place, so this class can wipe them.
 *
 * <h2>Key material</h2>
 *
 * The JDK's HMAC keeps the secret's pads ({@code secret XOR ipad}, {@code secret XOR opad}) in two
 * arrays of its own, which every keying overwrites in place, and no hash state between MACs. {@link
 * #init} therefore replaces the previous secret's pads with the new secret's, and {@link #destroy}
 * replaces them with a zero key's, after which the instance refuses to derive until {@link #init}
 * is called again. The secret reaches the JDK in a {@code RawKey} destroyed after each keying (the
 * copy the JDK takes from it, it wipes itself); each MAC's output array is wiped once copied into
 * the caller's.
 *
 * <h2>Threading</h2>
 *
 * Not thread-safe: one instance per direction of one channel, as {@link AesGcm}.
 */
public final class TrafficKdf {
    private static final byte[] EMPTY = new byte[0];
    private static final byte[] KEY_16_INFO = info(KeySchedule.KEY_LABEL, 16);
    private static final byte[] KEY_32_INFO = info(KeySchedule.KEY_LABEL, 32);
    private static final byte[] IV_INFO = info(KeySchedule.IV_LABEL, AesGcm.IV_LENGTH);
    private static final byte[] NEXT_INFO =
            info(KeySchedule.TRAFFIC_UPDATE_LABEL, Hkdf.HASH_LENGTH);

    private final int keyLength;
    private final byte[] keyInfo;
    private final Mac mac;
    private boolean keyed;

    /** Derives AES keys of {@code keyLength} bytes (16 or 32). */
    public TrafficKdf(int keyLength) {
        if (keyLength != 16 && keyLength != 32) {
            throw new IllegalArgumentException(
                    "key length: " + keyLength + " (expected: 16 or 32)");
        }
        this.keyLength = keyLength;
        this.keyInfo = keyLength == 16 ? KEY_16_INFO : KEY_32_INFO;
        Mac m;
        try {
            try {
                m = Mac.getInstance("HmacSHA256", "SunJCE");
            } catch (NoSuchProviderException e) {
                m = Mac.getInstance("HmacSHA256");
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
        this.mac = m;
    }

    /** {@code HkdfLabel(label, "", length) || 0x01}: the input of T(1). */
    private static byte[] info(String label, int length) {
        byte[] hkdfLabel = Hkdf.hkdfLabel(label, EMPTY, length);
        byte[] info = Arrays.copyOf(hkdfLabel, hkdfLabel.length + 1);
        info[hkdfLabel.length] = 1;
        return info;
    }

    /**
     * Keys the HMAC with {@code trafficSecret} ({@value Hkdf#HASH_LENGTH} bytes), overwriting the
     * previous secret's pads. Does not keep the array; the caller still owns it.
     */
    public void init(byte[] trafficSecret) {
        if (trafficSecret.length != Hkdf.HASH_LENGTH) {
            throw new IllegalArgumentException(
                    "secret length: "
                            + trafficSecret.length
                            + " (expected: "
                            + Hkdf.HASH_LENGTH
                            + ")");
        }
        keyed = false;
        key(trafficSecret);
        keyed = true;
    }

    private void key(byte[] secret) {
        RawKey k = new RawKey("HmacSHA256", secret.clone());
        try {
            mac.init(k);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 init failed", e);
        } finally {
            k.destroy();
        }
    }

    /** Writes the AES key of the current secret into {@code out}, of the key length. */
    public void trafficKey(byte[] out) {
        derive(keyInfo, out, keyLength);
    }

    /**
     * Writes the static IV of the current secret into {@code out}, of {@value AesGcm#IV_LENGTH}.
     */
    public void trafficIv(byte[] out) {
        derive(IV_INFO, out, AesGcm.IV_LENGTH);
    }

    /** The ratchet's next traffic secret; the caller owns the array. */
    public byte[] nextTrafficSecret() {
        byte[] out = new byte[Hkdf.HASH_LENGTH];
        derive(NEXT_INFO, out, Hkdf.HASH_LENGTH);
        return out;
    }

    private void derive(byte[] info, byte[] out, int length) {
        if (!keyed) {
            throw new IllegalStateException("no traffic secret");
        }
        if (out.length != length) {
            throw new IllegalArgumentException(
                    "output length: " + out.length + " (expected: " + length + ")");
        }
        mac.update(info);
        byte[] t = mac.doFinal();
        System.arraycopy(t, 0, out, 0, length);
        Arrays.fill(t, (byte) 0);
    }

    /** Overwrites the HMAC's key pads with a zero key's; {@link #init} keys it again. */
    public void destroy() {
        keyed = false;
        key(new byte[Hkdf.HASH_LENGTH]);
    }

    @Override
    public String toString() {
        return "TrafficKdf[key redacted]";
    }
}
