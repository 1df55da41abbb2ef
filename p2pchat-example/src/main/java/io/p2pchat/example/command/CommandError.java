package io.p2pchat.example.command;

/** A command that cannot be carried out, explained for people (and reported as an error). */
public final class CommandError extends Exception {
    private static final long serialVersionUID = 1L;

    /** A failure explained by {@code message}. */
    public CommandError(String message) {
        super(message, null, false, false);
    }
}
