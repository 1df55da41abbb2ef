package io.p2pchat.channel;

import io.netty.handler.codec.CorruptedFrameException;

/** A frame that cannot be a record: shorter than a record header. */
public final class MalformedFrameException extends CorruptedFrameException implements ErrorCoded {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message that contains no secret. */
    public MalformedFrameException(String message) {
        super(ErrorCode.MALFORMED + ": " + message);
    }

    @Override
    public ErrorCode errorCode() {
        return ErrorCode.MALFORMED;
    }
}
