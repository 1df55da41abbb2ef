package io.p2pchat.channel;

/**
 * A record could not be accepted: failed authentication ({@code BAD_RECORD_MAC}), a wrong epoch, an
 * unexpected type, an oversized plaintext. Always fatal to the channel.
 */
public class RecordException extends SecureChannelException {
    private static final long serialVersionUID = 1L;

    /** Creates a record failure with a message that contains no secret. */
    public RecordException(ErrorCode errorCode, String message) {
        super(errorCode, message);
    }
}
