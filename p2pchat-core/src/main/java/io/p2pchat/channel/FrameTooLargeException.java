package io.p2pchat.channel;

import io.netty.handler.codec.TooLongFrameException;

/** A frame declared a length over the limit; raised as soon as the length field is read. */
public final class FrameTooLargeException extends TooLongFrameException implements ErrorCoded {
    private static final long serialVersionUID = 1L;

    /** Creates the exception for a declared length and the limit it broke. */
    public FrameTooLargeException(long declaredLength, int maxFrameLength) {
        super(
                ErrorCode.FRAME_TOO_LARGE
                        + ": frame length "
                        + declaredLength
                        + " exceeds "
                        + maxFrameLength);
    }

    @Override
    public ErrorCode errorCode() {
        return ErrorCode.FRAME_TOO_LARGE;
    }
}
