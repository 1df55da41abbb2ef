package io.p2pchat.crypto;

import java.security.MessageDigest;
import java.util.Arrays;
import javax.security.auth.Destroyable;

/**
 * Secret bytes that p2pchat owns: a traffic secret, a handshake secret, a shared secret.
 *
 * <p>{@link #toString()} never shows the bytes, {@link #equals} is not overridden, and {@link
 * #destroy()} overwrites them with zeros. After destruction every accessor throws.
 *
 * <h2>Threading</h2>
 *
 * Not thread-safe; a secret belongs to one channel's event loop or one handshake task.
 */
public final class Secret implements Destroyable {
    private final byte[] bytes;
    private boolean destroyed;

    private Secret(byte[] bytes) {
        this.bytes = bytes;
    }

    /** Takes ownership of {@code bytes}: the caller must not keep or change the array. */
    public static Secret wrap(byte[] bytes) {
        return new Secret(bytes);
    }

    /** Copies {@code bytes}. */
    public static Secret copyOf(byte[] bytes) {
        return new Secret(bytes.clone());
    }

    /**
     * The bytes themselves, not a copy. The caller must not change or keep them beyond the current
     * operation.
     */
    public byte[] bytes() {
        checkLive();
        return bytes;
    }

    /** A copy of the bytes, which the caller then owns and must wipe. */
    public byte[] copy() {
        checkLive();
        return bytes.clone();
    }

    /** Length in bytes. */
    public int length() {
        return bytes.length;
    }

    /** Constant-time comparison with {@code other}. */
    public boolean contentEquals(byte[] other) {
        checkLive();
        return MessageDigest.isEqual(bytes, other);
    }

    @Override
    public void destroy() {
        Arrays.fill(bytes, (byte) 0);
        destroyed = true;
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    private void checkLive() {
        if (destroyed) {
            throw new IllegalStateException("secret was destroyed");
        }
    }

    @Override
    public String toString() {
        return "Secret[" + bytes.length + " bytes, redacted]";
    }

    /** Overwrites an array the caller owns. */
    public static void wipe(byte[]... arrays) {
        for (byte[] a : arrays) {
            if (a != null) {
                Arrays.fill(a, (byte) 0);
            }
        }
    }
}
