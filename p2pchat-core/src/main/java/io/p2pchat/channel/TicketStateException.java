package io.p2pchat.channel;

/**
 * A stored resumption ticket state ({@link ResumptionTicketStore}) that is not well formed: a wrong
 * version, a count or length over its bound, a truncated or overlong state, a field that does not
 * decode. The context then starts with no stored tickets. The message names the field, never a
 * secret.
 */
final class TicketStateException extends Exception {
    private static final long serialVersionUID = 1L;

    TicketStateException(String message) {
        super(message);
    }
}
