package io.p2pchat.ledger.model;

import io.p2pchat.identity.Sha256Id;

/**
 * The id of a ledger transaction: its Merkle leaf hash, SHA-256(0x00 || envelope bytes).
 *
 * <p>Immutable and thread-safe. Ordered by unsigned byte comparison. The text form is 64 lowercase
 * hex digits.
 */
public final class TxId extends Sha256Id<TxId> {
    /** Length in bytes. */
    public static final int LENGTH = Sha256Id.LENGTH;

    private TxId(byte[] bytes) {
        super(bytes);
    }

    /**
     * Wraps 32 bytes (copied).
     *
     * @throws IllegalArgumentException if {@code bytes} is not 32 bytes long
     */
    public static TxId of(byte[] bytes) {
        return new TxId(bytes);
    }

    /**
     * Parses 64 hex digits.
     *
     * @throws IllegalArgumentException if the text is not 32 bytes of hex
     */
    public static TxId fromHex(String hex) {
        return new TxId(parseHex(hex, "TxId"));
    }
}
