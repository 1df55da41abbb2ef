package io.p2pchat.ledger.model;

import io.p2pchat.identity.Sha256Id;

/**
 * The hash of a block: SHA-256 of its 156-byte canonical header ({@link BlockHeader}).
 *
 * <p>Immutable and thread-safe. Ordered by unsigned byte comparison. The text form is 64 lowercase
 * hex digits.
 */
public final class BlockHash extends Sha256Id<BlockHash> {
    /** Length in bytes. */
    public static final int LENGTH = Sha256Id.LENGTH;

    private BlockHash(byte[] bytes) {
        super(bytes);
    }

    /**
     * Wraps 32 bytes (copied).
     *
     * @throws IllegalArgumentException if {@code bytes} is not 32 bytes long
     */
    public static BlockHash of(byte[] bytes) {
        return new BlockHash(bytes);
    }

    /**
     * Parses 64 hex digits.
     *
     * @throws IllegalArgumentException if the text is not 32 bytes of hex
     */
    public static BlockHash fromHex(String hex) {
        return new BlockHash(parseHex(hex, "BlockHash"));
    }
}
