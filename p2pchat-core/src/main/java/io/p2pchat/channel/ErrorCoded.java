package io.p2pchat.channel;

/**
 * A failure that knows its precise {@link ErrorCode}.
 *
 * <p>Every channel, handshake, record and peer-verification failure implements it; {@link
 * ErrorCode#of(Throwable)} reads it from a cause chain. Local file errors (such as {@link
 * io.p2pchat.identity.IdentityStoreException}) have their own reasons instead.
 */
public interface ErrorCoded {
    /** The precise local reason. */
    ErrorCode errorCode();
}
