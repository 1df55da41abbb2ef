package io.p2pchat.node;

import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.ChainTip;

/**
 * Receives a {@link Node}'s operational events.
 *
 * <h3>Threading</h3>
 *
 * Called on event loops or the ledger thread; implementations must be quick and must not block.
 */
public interface NodeListener {
    /** A peer sees a branch that is not our best chain and has no more work. */
    default void onConflictingView(PeerId peer, ChainTip theirs, ChainTip ours) {}

    /** A peer misbehaved and is banned (by key and by IP address) for the ban duration. */
    default void onPeerBanned(PeerId peer, String host, String reason) {}

    /**
     * An open session was closed because its key was revoked, rotated away or rolled back on the
     * best chain.
     */
    default void onSessionRevoked(PeerId keyId) {}
}
