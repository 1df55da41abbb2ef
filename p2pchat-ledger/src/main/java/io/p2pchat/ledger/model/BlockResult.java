package io.p2pchat.ledger.model;

import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What the ledger did with a submitted block.
 *
 * @param status the outcome
 * @param hash the block's hash, when its header decoded
 * @param reason why it was rejected ({@link Status#REJECTED} and {@link Status#ORPHAN})
 * @param message a human-readable explanation
 */
public record BlockResult(
        Status status, @Nullable BlockHash hash, @Nullable RejectReason reason, String message) {
    /** Outcomes. */
    public enum Status {
        /** Valid and now on the best chain (possibly after a reorganization). */
        CONNECTED,
        /**
         * Valid so far and stored, but not on the best chain (a side branch, or its parent's data
         * is missing).
         */
        STORED,
        /** Already stored: ignored, at no cost to the sender. */
        ALREADY_HAVE,
        /** Parent unknown: held in the bounded orphan pool until the parent arrives. */
        ORPHAN,
        /** Invalid; {@link #reason()} says why. */
        REJECTED
    }

    /** Validates. */
    public BlockResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(message, "message");
    }

    /** The reason, for rejected and orphan blocks. */
    public Optional<RejectReason> rejectReason() {
        return Optional.ofNullable(reason);
    }

    /** Whether the sender should be penalised: rejected for a reason that is not temporary. */
    public boolean misbehaving() {
        return status == Status.REJECTED && reason != null && !reason.temporary();
    }
}
