package io.p2pchat.channel;

import org.jspecify.annotations.Nullable;

/**
 * The handshake failed. {@link #errorCode()} gives the precise reason; the message of an
 * authentication failure is deliberately generic.
 */
public class HandshakeException extends SecureChannelException {
    private static final long serialVersionUID = 1L;

    /** Generic message of every authentication failure. */
    public static final String AUTHENTICATION_FAILED = "peer authentication failed";

    /** Creates a handshake failure with a message that contains no secret. */
    public HandshakeException(ErrorCode errorCode, String message) {
        super(errorCode, message);
    }

    /** Creates a handshake failure with a message that contains no secret, and a cause. */
    public HandshakeException(ErrorCode errorCode, String message, @Nullable Throwable cause) {
        super(errorCode, message, cause);
    }

    /** An authentication failure: generic message, precise code. */
    public static HandshakeException authenticationFailed(ErrorCode errorCode) {
        return new HandshakeException(errorCode, AUTHENTICATION_FAILED);
    }
}
