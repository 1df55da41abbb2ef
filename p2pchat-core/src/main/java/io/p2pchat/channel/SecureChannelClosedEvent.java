package io.p2pchat.channel;

import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * User event fired once an established secure channel goes inactive, just before {@code
 * channelInactive}, saying how it ended.
 *
 * <p>A clean end means an authenticated close was exchanged; otherwise {@link #reason()} says what
 * happened, and {@link ErrorCode#TRUNCATED} means the connection ended without an authenticated
 * close, which an attacker can cause by cutting the connection.
 */
public final class SecureChannelClosedEvent {
    private final @Nullable ErrorCode reason;
    private final boolean closedLocally;

    /** Creates an event; {@code reason} is null for a clean close. */
    public SecureChannelClosedEvent(@Nullable ErrorCode reason, boolean closedLocally) {
        this.reason = reason;
        this.closedLocally = closedLocally;
    }

    /** Whether the channel ended with an authenticated close and no error. */
    public boolean isClean() {
        return reason == null;
    }

    /** Why the channel ended, unless it was clean. */
    public Optional<ErrorCode> reason() {
        return Optional.ofNullable(reason);
    }

    /** Whether this peer ended the channel (close or local error) rather than the peer. */
    public boolean closedLocally() {
        return closedLocally;
    }

    @Override
    public String toString() {
        return "SecureChannelClosedEvent["
                + (reason == null ? "clean" : reason)
                + (closedLocally ? ", local" : ", remote")
                + "]";
    }
}
