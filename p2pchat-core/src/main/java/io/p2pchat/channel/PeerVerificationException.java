package io.p2pchat.channel;

import java.security.GeneralSecurityException;
import java.util.Objects;

/**
 * A {@link PeerVerifier} refused a peer. The code says why; the message explains it to a person and
 * must not contain secrets.
 */
public class PeerVerificationException extends GeneralSecurityException implements ErrorCoded {
    private static final long serialVersionUID = 1L;

    private final ErrorCode errorCode;

    /** Creates a rejection with a reason and a human-readable explanation. */
    public PeerVerificationException(ErrorCode errorCode, String message) {
        super(errorCode.name() + ": " + message);
        this.errorCode = Objects.requireNonNull(errorCode, "errorCode");
    }

    @Override
    public ErrorCode errorCode() {
        return errorCode;
    }
}
