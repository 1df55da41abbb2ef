package io.p2pchat.identity;

import io.p2pchat.crypto.Hkdf;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import javax.security.auth.Destroyable;

/**
 * 32 random bytes kept inside the encrypted identity file, from which an application derives the
 * keys of the data it keeps at rest (a chat history, a cache), so that the identity's passphrase is
 * stretched exactly once, by the identity file's scrypt, and nothing else on disk is a cheaper
 * target for guessing it.
 *
 * <h2>Usage</h2>
 *
 * <pre>{@code
 * StoredIdentity stored = IdentityStore.create().open(file, passphrase);
 * byte[] historyKey = stored.storageRoot().deriveKey("myapp history key v1", 32);
 * stored.destroy();
 * }</pre>
 *
 * <h2>Security</h2>
 *
 * <ul>
 *   <li>{@link #deriveKey} is HKDF-SHA-256 (RFC 5869) with the root as input key material, no salt,
 *       and the label's UTF-8 bytes as info: distinct labels give independent keys. Choose one
 *       label per purpose and version, prefixed with the application's name.
 *   <li>The root survives a key rotation (save the new key with {@link IdentityStore#save(
 *       LocalIdentity, StorageRoot, java.nio.file.Path, char[])}) and a passphrase change ({@link
 *       IdentityStore#changePassphrase}), so data encrypted under derived keys stays readable. It
 *       is lost with the identity file: keep a backup of that file.
 *   <li>{@link #toString()} never shows the bytes; {@code equals} is not overridden. {@link
 *       #destroy()} overwrites them with zeros, after which every method but {@link #isDestroyed()}
 *       throws {@link IllegalStateException}.
 * </ul>
 *
 * <h2>Threading</h2>
 *
 * Thread-safe.
 */
public final class StorageRoot implements Destroyable {
    /** Length of a root in bytes. */
    public static final int LENGTH_BYTES = 32;

    private final byte[] bytes;
    private boolean destroyed;

    private StorageRoot(byte[] bytes) {
        this.bytes = bytes;
    }

    /** A new random root from a {@link SecureRandom}. */
    public static StorageRoot generate() {
        byte[] b = new byte[LENGTH_BYTES];
        new SecureRandom().nextBytes(b);
        return new StorageRoot(b);
    }

    /** Takes ownership of {@code bytes} ({@value #LENGTH_BYTES} of them). */
    static StorageRoot wrap(byte[] bytes) {
        if (bytes.length != LENGTH_BYTES) {
            throw new IllegalArgumentException(
                    "root length: " + bytes.length + " (expected: " + LENGTH_BYTES + ")");
        }
        return new StorageRoot(bytes);
    }

    /**
     * Derives a key for one purpose: HKDF-SHA-256(salt = none, IKM = root, info = UTF-8({@code
     * label}), L = {@code lengthBytes}).
     *
     * @return a new array the caller owns, and should overwrite when done
     * @throws IllegalArgumentException if {@code label} is empty or longer than 255 UTF-8 bytes, or
     *     {@code lengthBytes} is outside 16..{@value Hkdf#MAX_OUTPUT_LENGTH}
     * @throws IllegalStateException if the root was destroyed
     */
    public synchronized byte[] deriveKey(String label, int lengthBytes) {
        byte[] info = Objects.requireNonNull(label, "label").getBytes(StandardCharsets.UTF_8);
        if (info.length == 0 || info.length > 255) {
            throw new IllegalArgumentException(
                    "label length: " + info.length + " bytes (expected: 1..255)");
        }
        if (lengthBytes < 16 || lengthBytes > Hkdf.MAX_OUTPUT_LENGTH) {
            throw new IllegalArgumentException(
                    "lengthBytes: "
                            + lengthBytes
                            + " (expected: 16.."
                            + Hkdf.MAX_OUTPUT_LENGTH
                            + ")");
        }
        checkLive();
        return Hkdf.derive(new byte[0], bytes, info, lengthBytes);
    }

    /**
     * What {@link IdentityStore} stores: the root and its {@linkplain #checkValue check value}, in
     * a new array the caller wipes.
     */
    synchronized byte[] attributeValue() {
        checkLive();
        byte[] check = checkValue(bytes);
        byte[] value = Arrays.copyOf(bytes, 2 * LENGTH_BYTES);
        System.arraycopy(check, 0, value, LENGTH_BYTES, LENGTH_BYTES);
        Arrays.fill(check, (byte) 0);
        return value;
    }

    /**
     * HKDF-SHA-256 of {@code root} with an empty info, which no {@link #deriveKey} label can give:
     * stored after the root, so that a damaged root is detected even where the cipher does not
     * authenticate (AES-CBC).
     */
    static byte[] checkValue(byte[] root) {
        return Hkdf.derive(new byte[0], root, new byte[0], LENGTH_BYTES);
    }

    /** Overwrites the root with zeros. */
    @Override
    public synchronized void destroy() {
        Arrays.fill(bytes, (byte) 0);
        destroyed = true;
    }

    @Override
    public synchronized boolean isDestroyed() {
        return destroyed;
    }

    private void checkLive() {
        if (destroyed) {
            throw new IllegalStateException("storage root was destroyed");
        }
    }

    @Override
    public String toString() {
        return "StorageRoot[redacted]";
    }
}
