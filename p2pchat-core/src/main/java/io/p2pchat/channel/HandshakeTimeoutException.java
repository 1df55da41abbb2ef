package io.p2pchat.channel;

/** The handshake did not complete within the configured timeout. */
public final class HandshakeTimeoutException extends HandshakeException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception for a timeout of {@code timeoutMillis}. */
    public HandshakeTimeoutException(long timeoutMillis) {
        super(ErrorCode.HANDSHAKE_TIMEOUT, "handshake timed out after " + timeoutMillis + " ms");
    }
}
