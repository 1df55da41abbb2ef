package io.p2pchat.example;

/**
 * A failure explained to the person at the keyboard: the message is printed as is, without a stack
 * trace (unless {@code --verbose}), and the process exits with {@link #exitCode()}.
 */
public final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    /** A failure with exit code 1. */
    public UserError(String message) {
        this(message, 1, null);
    }

    /** A failure with exit code 1 and the underlying cause (shown with --verbose). */
    public UserError(String message, Throwable cause) {
        this(message, 1, cause);
    }

    /** A failure with a specific exit code. */
    public UserError(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** The process exit code. */
    public int exitCode() {
        return exitCode;
    }
}
