package io.p2pchat.example.chat;

import io.p2pchat.identity.StorageRoot;
import java.util.Arrays;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES-256 key that encrypts chat history at rest: HKDF-SHA-256 of the {@link StorageRoot} kept
 * inside the encrypted identity file, with the label {@value #LABEL}.
 *
 * <p>The passphrase is stretched once, by the identity file's scrypt (N = 2^17); the history adds
 * no cheaper target for guessing it, and a passphrase change re-encrypts the identity file alone.
 * (Earlier versions derived this key from the passphrase with its own scrypt and a salt kept beside
 * the history; {@link HistoryMigration} converts such a history.)
 *
 * <p>Never printed: {@link #toString()} is redacted.
 */
public final class HistoryKey {
    /** The HKDF label (info) of the history key. */
    public static final String LABEL = "p2pchat history key v2";

    static final int LENGTH_BYTES = 32;

    private final byte[] key;

    private HistoryKey(byte[] key) {
        this.key = key;
    }

    /** Derives the history key from an identity's storage root; the root stays usable. */
    public static HistoryKey of(StorageRoot root) {
        return new HistoryKey(root.deriveKey(LABEL, LENGTH_BYTES));
    }

    /** A key of the given bytes (copied): tests, and the keys of earlier versions. */
    static HistoryKey ofBytes(byte[] key) {
        if (key.length != LENGTH_BYTES) {
            throw new IllegalArgumentException(
                    "key length: " + key.length + " (expected: " + LENGTH_BYTES + ")");
        }
        return new HistoryKey(key.clone());
    }

    SecretKey secretKey() {
        return new SecretKeySpec(key, "AES");
    }

    /** Wipes the key. */
    public void destroy() {
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public String toString() {
        return "HistoryKey[redacted]";
    }
}
