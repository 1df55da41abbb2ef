package io.p2pchat.ledger;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The hash of a block: SHA-256 of its 156-byte canonical header ({@link BlockHeader}).
 *
 * <p>Immutable and thread-safe. Ordered by unsigned byte comparison. The text form is 64 lowercase
 * hex digits.
 */
public final class BlockHash implements Comparable<BlockHash> {
    /** Length in bytes. */
    public static final int LENGTH = 32;

    private static final HexFormat HEX = HexFormat.of();

    private final byte[] bytes;
    private final int hash;

    private BlockHash(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /**
     * Wraps 32 bytes (copied).
     *
     * @throws IllegalArgumentException if {@code bytes} is not 32 bytes long
     */
    public static BlockHash of(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException(
                    "BlockHash length: " + bytes.length + " (expected: " + LENGTH + ")");
        }
        return new BlockHash(bytes.clone());
    }

    /**
     * Parses 64 hex digits.
     *
     * @throws IllegalArgumentException if the text is not 32 bytes of hex
     */
    public static BlockHash fromHex(String hex) {
        if (hex.length() != 2 * LENGTH) {
            throw new IllegalArgumentException(
                    "BlockHash hex length: " + hex.length() + " (expected: " + 2 * LENGTH + ")");
        }
        return new BlockHash(HEX.parseHex(hex));
    }

    /** The 32 bytes (a copy). */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /** Copies the 32 bytes into {@code dst} at {@code offset}. */
    public void copyTo(byte[] dst, int offset) {
        System.arraycopy(bytes, 0, dst, offset, LENGTH);
    }

    /** 64 lowercase hex digits. */
    public String toHex() {
        return HEX.formatHex(bytes);
    }

    /** The first 8 bytes as 16 hex digits, for logs. */
    public String shortHex() {
        return HEX.formatHex(bytes, 0, 8);
    }

    @Override
    public int compareTo(BlockHash other) {
        return Arrays.compareUnsigned(bytes, other.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockHash
                && hash == ((BlockHash) o).hash
                && Arrays.equals(bytes, ((BlockHash) o).bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** The hex form. */
    @Override
    public String toString() {
        return toHex();
    }
}
