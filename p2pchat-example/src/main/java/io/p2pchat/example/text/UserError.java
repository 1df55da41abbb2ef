package io.p2pchat.example.text;

import java.util.Objects;

/**
 * A failure explained to the person at the keyboard: the message is printed as is, without a stack
 * trace (unless {@code --verbose}), and the process exits with {@link #exitCode()}.
 */
public final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ExitCode exitCode;

    /** A failure with exit code {@link ExitCode#USER_ERROR}. */
    public UserError(String message) {
        this(message, ExitCode.USER_ERROR, null);
    }

    /**
     * A failure with exit code {@link ExitCode#USER_ERROR} and the cause (shown with --verbose).
     */
    public UserError(String message, Throwable cause) {
        this(message, ExitCode.USER_ERROR, cause);
    }

    /** A failure with a specific exit code. */
    public UserError(String message, ExitCode exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = Objects.requireNonNull(exitCode, "exitCode");
    }

    /** A bad option value, found after parsing: exit code {@link ExitCode#USAGE}. */
    public static UserError usage(String message) {
        return new UserError(message, ExitCode.USAGE, null);
    }

    /** The process exit code. */
    public ExitCode exitCode() {
        return exitCode;
    }
}
