package io.p2pchat.channel;

import io.netty.handler.codec.DecoderException;
import org.jspecify.annotations.Nullable;

/**
 * Base of the unchecked exceptions raised by the p2pchat handlers; each carries an {@link
 * ErrorCode}.
 *
 * <p>It extends Netty's {@link DecoderException} so that it flows through {@code exceptionCaught}
 * like any codec failure. Messages never contain key material or other secrets; authentication
 * failures carry one generic message, and the precise reason only in {@link #errorCode()}.
 */
public class SecureChannelException extends DecoderException implements ErrorCoded {
    private static final long serialVersionUID = 1L;

    private final ErrorCode errorCode;

    /** Creates an exception whose message names the code. */
    public SecureChannelException(ErrorCode errorCode) {
        this(errorCode, null, null);
    }

    /** Creates an exception with a message, which must not contain secrets. */
    public SecureChannelException(ErrorCode errorCode, String message) {
        this(errorCode, message, null);
    }

    /** Creates an exception with a message, which must not contain secrets, and a cause. */
    public SecureChannelException(
            ErrorCode errorCode, @Nullable String message, @Nullable Throwable cause) {
        super(message == null ? errorCode.name() : errorCode.name() + ": " + message, cause);
        this.errorCode = errorCode;
    }

    @Override
    public ErrorCode errorCode() {
        return errorCode;
    }
}
