package io.p2pchat.ledger.model;

import java.util.Objects;

/**
 * A block, header or transaction broke a ledger validation rule.
 *
 * <p>{@link #reason()} says which rule, precisely and stably; the message explains it to a person
 * (it names the block or transaction and the values compared, never secrets). Thrown by the pure
 * validation code; the ledger turns it into a rejected block, a log line and, unless {@link
 * RejectReason#temporary()}, a penalty for the peer that sent it.
 */
public final class InvalidBlockException extends Exception {
    private static final long serialVersionUID = 1L;

    private final RejectReason reason;
    private final String detail;

    /**
     * Creates a rejection with its reason and explanation; the message is {@code REASON:
     * explanation}.
     */
    public InvalidBlockException(RejectReason reason, String message) {
        super(Objects.requireNonNull(reason, "reason").name() + ": " + message);
        this.reason = reason;
        this.detail = message;
    }

    /** The explanation alone, without the reason's name in front. */
    public String detail() {
        return detail;
    }

    /** The rule that was broken. */
    public RejectReason reason() {
        return reason;
    }
}
