package io.p2pchat.ledger.model;

import java.util.Objects;

/**
 * A signed ledger transaction as it is submitted, gossiped and stored: the exact bytes of its
 * {@code TxEnvelope} and its id. Build them with {@link io.p2pchat.ledger.IdentityTransactions}.
 *
 * <p>Immutable and thread-safe. Holds no secret.
 */
public final class LedgerTransaction {
    private final byte[] bytes;
    private final TxId id;

    private LedgerTransaction(byte[] bytes) {
        this.bytes = bytes;
        this.id = TxId.of(LedgerHashes.leafHash(bytes));
    }

    /** Wraps envelope bytes (copied); they are validated when submitted. */
    public static LedgerTransaction of(byte[] envelope) {
        return new LedgerTransaction(Objects.requireNonNull(envelope, "envelope").clone());
    }

    /** The envelope bytes (a copy). */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** Size of the envelope in bytes. */
    public int size() {
        return bytes.length;
    }

    /** The id: SHA-256(0x00 || envelope), the transaction's Merkle leaf hash. */
    public TxId id() {
        return id;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LedgerTransaction && id.equals(((LedgerTransaction) o).id);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return "LedgerTransaction[" + id.shortHex() + ", " + bytes.length + " bytes]";
    }
}
