package io.p2pchat.ledger.model;

import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What the ledger did with a submitted transaction.
 *
 * @param status the outcome
 * @param id the transaction id
 * @param reason why it was rejected
 * @param message a human-readable explanation
 */
public record TxResult(Status status, TxId id, @Nullable RejectReason reason, String message) {
    /** Outcomes. */
    public enum Status {
        /** Valid on top of the best chain and the mempool; queued for mining and gossiped. */
        ACCEPTED,
        /** Already in the mempool. */
        ALREADY_KNOWN,
        /** Invalid now; {@link #reason()} says why. */
        REJECTED,
        /** The mempool is full (or the identity has too many pending transactions); try later. */
        MEMPOOL_FULL
    }

    /** Validates. */
    public TxResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(message, "message");
    }

    /** The reason, for rejected transactions. */
    public Optional<RejectReason> rejectReason() {
        return Optional.ofNullable(reason);
    }

    /** Whether a peer relaying it misbehaves: rejected for a reason no ledger state explains. */
    public boolean misbehaving() {
        return status == Status.REJECTED && reason != null && reason.stateless();
    }
}
