package io.p2pchat.crypto;

import java.security.GeneralSecurityException;
import java.security.NoSuchProviderException;
import java.util.Arrays;
import javax.crypto.Mac;

/**
 * The three derivations from one direction's traffic secret (docs/protocol.md, "Key schedule"): the
 * AES key, the static IV and the next secret of the symmetric ratchet, byte for byte what {@link
 * KeySchedule#trafficKey}, {@link KeySchedule#trafficIv} and {@link KeySchedule#nextTrafficSecret}
 * return (TrafficKdfTest compares them on random secrets; the ratchet vectors of protocol.md §8 run
 * through it), at a fraction of their cost.
 *
 * <p>Each derivation is HKDF-Expand-Label with an empty context and at most {@value
 * Hkdf#HASH_LENGTH} bytes of output, for which HKDF-Expand produces a single block, {@code T(1) =
 * HMAC(secret, HkdfLabel || 0x01)}, truncated (RFC 5869 §2.3). The {@code HkdfLabel || 0x01}
 * strings are constants, built once by {@link Hkdf#hkdfLabel}. The HMAC is the JDK's {@code
 * HmacSHA256} (SunJCE, on the SHA-256 intrinsics), keyed once per secret, where {@link
 * Hkdf#expandLabel} builds a new HKDF generator, HMAC and digest for each expansion. Bouncy
 * Castle's HMAC with its pad states precomputed measured the same (docs/benchmarks.md); the JDK's
 * was taken because it overwrites its key pads in place, so they can be wiped.
 *
 * <h2>Key material and memory</h2>
 *
 * One {@code Mac} per thread, not per channel: with a keyed JDK HMAC per direction, an idle session
 * took 7.4 KB of heap instead of 6.3 KB (docs/benchmarks.md, "Changes made for performance", item
 * 10). Each call keys the thread's HMAC with the secret, derives, and keys it again with a zero key
 * before it returns, so no secret's pads ({@code secret XOR ipad}, {@code secret XOR opad}) stay in
 * it between calls; the JDK's HMAC keeps no hash state between MACs. The secret reaches the JDK in
 * a {@code RawKey} destroyed after each keying (the copy the JDK takes from it, it wipes itself),
 * and each MAC's output array is wiped once copied into the caller's.
 *
 * <p>Thread-safe: the methods are static and each thread has its own HMAC.
 */
public final class TrafficKdf {
    private static final byte[] EMPTY = new byte[0];
    private static final byte[] KEY_16_INFO = info(KeySchedule.KEY_LABEL, 16);
    private static final byte[] KEY_32_INFO = info(KeySchedule.KEY_LABEL, 32);
    private static final byte[] IV_INFO = info(KeySchedule.IV_LABEL, AesGcm.IV_LENGTH);
    private static final byte[] NEXT_INFO =
            info(KeySchedule.TRAFFIC_UPDATE_LABEL, Hkdf.HASH_LENGTH);

    private static final ThreadLocal<Mac> MAC = ThreadLocal.withInitial(TrafficKdf::newMac);

    private TrafficKdf() {}

    private static Mac newMac() {
        try {
            try {
                return Mac.getInstance("HmacSHA256", "SunJCE");
            } catch (NoSuchProviderException e) {
                return Mac.getInstance("HmacSHA256");
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** {@code HkdfLabel(label, "", length) || 0x01}: the input of T(1). */
    private static byte[] info(String label, int length) {
        byte[] hkdfLabel = Hkdf.hkdfLabel(label, EMPTY, length);
        byte[] info = Arrays.copyOf(hkdfLabel, hkdfLabel.length + 1);
        info[hkdfLabel.length] = 1;
        return info;
    }

    /**
     * Writes the AES key of {@code trafficSecret} into {@code key} (16 or 32 bytes, which selects
     * the key length) and its static IV into {@code iv} ({@value AesGcm#IV_LENGTH} bytes). Does not
     * keep or change {@code trafficSecret}. On failure {@code key} and {@code iv} are zeroed.
     */
    public static void keyAndIv(byte[] trafficSecret, byte[] key, byte[] iv) {
        byte[] keyInfo = keyInfo(key);
        checkIv(iv);
        Mac mac = keyed(trafficSecret);
        try {
            derive(mac, keyInfo, key);
            derive(mac, IV_INFO, iv);
        } catch (RuntimeException e) {
            Secret.wipe(key, iv);
            throw e;
        } finally {
            unkey(mac);
        }
    }

    /**
     * One step of the symmetric ratchet: returns the secret that follows {@code trafficSecret} (the
     * caller owns the array) and writes that next secret's AES key into {@code key} and its static
     * IV into {@code iv}, as {@link #keyAndIv} would. Does not keep or change {@code
     * trafficSecret}. On failure nothing derived is left: the outputs are zeroed.
     */
    public static byte[] ratchet(byte[] trafficSecret, byte[] key, byte[] iv) {
        byte[] keyInfo = keyInfo(key);
        checkIv(iv);
        byte[] next = new byte[Hkdf.HASH_LENGTH];
        Mac mac = keyed(trafficSecret);
        try {
            derive(mac, NEXT_INFO, next);
            key(mac, next);
            derive(mac, keyInfo, key);
            derive(mac, IV_INFO, iv);
            return next;
        } catch (RuntimeException e) {
            Secret.wipe(next, key, iv);
            throw e;
        } finally {
            unkey(mac);
        }
    }

    private static byte[] keyInfo(byte[] key) {
        if (key.length == 16) {
            return KEY_16_INFO;
        }
        if (key.length == 32) {
            return KEY_32_INFO;
        }
        throw new IllegalArgumentException("key length: " + key.length + " (expected: 16 or 32)");
    }

    private static void checkIv(byte[] iv) {
        if (iv.length != AesGcm.IV_LENGTH) {
            throw new IllegalArgumentException(
                    "iv length: " + iv.length + " (expected: " + AesGcm.IV_LENGTH + ")");
        }
    }

    /**
     * The thread's HMAC, keyed with {@code secret} ({@value Hkdf#HASH_LENGTH} bytes);
     * package-private for the test that checks a call leaves no secret in it.
     */
    static Mac keyed(byte[] secret) {
        if (secret.length != Hkdf.HASH_LENGTH) {
            throw new IllegalArgumentException(
                    "secret length: " + secret.length + " (expected: " + Hkdf.HASH_LENGTH + ")");
        }
        Mac mac = MAC.get();
        key(mac, secret);
        return mac;
    }

    private static void key(Mac mac, byte[] secret) {
        RawKey k = new RawKey("HmacSHA256", secret.clone());
        try {
            mac.init(k);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 init failed", e);
        } finally {
            k.destroy();
        }
    }

    /** Overwrites the HMAC's key pads with a zero key's. */
    private static void unkey(Mac mac) {
        key(mac, new byte[Hkdf.HASH_LENGTH]);
    }

    private static void derive(Mac mac, byte[] info, byte[] out) {
        mac.update(info);
        byte[] t = mac.doFinal();
        System.arraycopy(t, 0, out, 0, out.length);
        Arrays.fill(t, (byte) 0);
    }
}
