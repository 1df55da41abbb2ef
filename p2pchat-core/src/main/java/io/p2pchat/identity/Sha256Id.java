package io.p2pchat.identity;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * Base of p2pchat's typed 32-byte ids ({@link io.p2pchat.identity.PeerId}, {@code BlockHash},
 * {@code TxId} of p2pchat-ledger): each wraps exactly 32 bytes, checks the length when built, never
 * exposes its array, and compares by unsigned bytes. Ids of different types are never equal.
 *
 * <p>Immutable and thread-safe. The text form is 64 lowercase hex digits.
 *
 * @param <T> the concrete id type
 */
public abstract class Sha256Id<T extends Sha256Id<T>> implements Comparable<T> {
    /** Length of every id in bytes. */
    public static final int LENGTH = 32;

    private static final HexFormat HEX = HexFormat.of();

    private final byte[] bytes;
    private final int hash;

    /**
     * Takes a copy of {@code bytes}.
     *
     * @throws IllegalArgumentException if {@code bytes} is not 32 bytes long
     */
    protected Sha256Id(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException(
                    getClass().getSimpleName()
                            + " length: "
                            + bytes.length
                            + " (expected: "
                            + LENGTH
                            + ")");
        }
        this.bytes = bytes.clone();
        this.hash = Arrays.hashCode(this.bytes);
    }

    /**
     * Parses 64 hex digits into 32 bytes.
     *
     * @throws IllegalArgumentException if the text is not 64 hex digits
     */
    protected static byte[] parseHex(String hex, String type) {
        if (hex.length() != 2 * LENGTH) {
            throw new IllegalArgumentException(
                    type + " hex length: " + hex.length() + " (expected: " + 2 * LENGTH + ")");
        }
        return HEX.parseHex(hex);
    }

    /** The 32 bytes (a copy). */
    public final byte[] toBytes() {
        return bytes.clone();
    }

    /** Copies the 32 bytes into {@code dst} at {@code offset}. */
    public final void copyTo(byte[] dst, int offset) {
        System.arraycopy(bytes, 0, dst, offset, LENGTH);
    }

    /** 64 lowercase hex digits. */
    public final String toHex() {
        return HEX.formatHex(bytes);
    }

    /** The first 8 bytes as 16 hex digits, for display where space is short. */
    public final String shortHex() {
        return HEX.formatHex(bytes, 0, 8);
    }

    @Override
    public final int compareTo(T other) {
        return Arrays.compareUnsigned(bytes, ((Sha256Id<?>) other).bytes);
    }

    @Override
    public final boolean equals(Object o) {
        return o != null
                && o.getClass() == getClass()
                && hash == ((Sha256Id<?>) o).hash
                && Arrays.equals(bytes, ((Sha256Id<?>) o).bytes);
    }

    @Override
    public final int hashCode() {
        return hash;
    }

    /** The hex form, as {@link #toHex()}. */
    @Override
    public String toString() {
        return toHex();
    }
}
