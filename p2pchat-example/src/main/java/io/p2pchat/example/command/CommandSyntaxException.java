package io.p2pchat.example.command;

/** A line that is not a command: its message says what was expected, for people to read. */
public final class CommandSyntaxException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why the line was rejected. */
    public enum Reason {
        /** No command has that name. */
        UNKNOWN_COMMAND,
        /** The command's arguments are missing or malformed; the message gives its usage. */
        USAGE
    }

    private final Reason reason;

    /** A rejected line, explained by {@code message}. */
    public CommandSyntaxException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    /** Why the line was rejected. */
    public Reason reason() {
        return reason;
    }
}
