package io.p2pchat;

/**
 * A failure that knows its precise {@link ErrorCode}.
 *
 * <p>All of p2pchat's exceptions implement it; {@link ErrorCode#of(Throwable)} reads it from a
 * cause chain.
 */
public interface ErrorCoded {
    /** The precise local reason. */
    ErrorCode errorCode();
}
