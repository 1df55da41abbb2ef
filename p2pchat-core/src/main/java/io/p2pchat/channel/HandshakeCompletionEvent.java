package io.p2pchat.channel;

import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * User event fired through the pipeline when the handshake ends, successfully or not; the same
 * outcome completes {@link HandshakeHandler#handshakeFuture()}.
 *
 * <p>On success it carries the {@link SecureSession}: the authenticated peer, the suite and the
 * fingerprints. It is fired before any application data of the session reaches the next handler.
 */
public final class HandshakeCompletionEvent {
    private final @Nullable SecureSession session;
    private final @Nullable Throwable cause;

    private HandshakeCompletionEvent(@Nullable SecureSession session, @Nullable Throwable cause) {
        this.session = session;
        this.cause = cause;
    }

    /** A successful completion. */
    public static HandshakeCompletionEvent success(SecureSession session) {
        return new HandshakeCompletionEvent(Objects.requireNonNull(session, "session"), null);
    }

    /** A failed completion. */
    public static HandshakeCompletionEvent failure(Throwable cause) {
        return new HandshakeCompletionEvent(null, Objects.requireNonNull(cause, "cause"));
    }

    /** Whether the handshake succeeded. */
    public boolean isSuccess() {
        return cause == null;
    }

    /** The session, on success. */
    public Optional<SecureSession> session() {
        return Optional.ofNullable(session);
    }

    /** The failure, if the handshake failed. */
    public Optional<Throwable> cause() {
        return Optional.ofNullable(cause);
    }

    @Override
    public String toString() {
        return isSuccess()
                ? "HandshakeCompletionEvent[success, " + session + "]"
                : "HandshakeCompletionEvent[failure: " + cause + "]";
    }
}
