package io.p2pchat.ledger.model;

/**
 * Receives ledger events.
 *
 * <h2>Threading</h2>
 *
 * Called on the ledger thread, after the change is durable, in order. Implementations must be quick
 * and must not block (hand work to another executor); an exception thrown is logged and ignored.
 */
public interface LedgerListener {
    /** The best chain moved. */
    default void onTipChanged(TipChangeEvent event) {}

    /** A transaction entered the mempool (submitted locally or received from a peer). */
    default void onTransactionAccepted(LedgerTransaction transaction) {}
}
