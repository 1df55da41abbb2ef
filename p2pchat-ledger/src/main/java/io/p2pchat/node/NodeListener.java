package io.p2pchat.node;

import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.ChainTip;

/**
 * Receives a {@link Node}'s operational events.
 *
 * <h2>Threading</h2>
 *
 * Called on event loops or the ledger thread; implementations must be quick and must not block.
 */
public interface NodeListener {
    /** A peer sees a branch that is not our best chain and has no more work. */
    default void onConflictingView(PeerId peer, ChainTip theirs, ChainTip ours) {}

    /**
     * A peer misbehaved and its key is banned for the ban duration; {@code host} is the address it
     * came from, which is not banned (docs/protocol.md §11.1).
     */
    default void onPeerBanned(PeerId peer, String host, String reason) {}

    /**
     * An open session was closed because its key was revoked, rotated away or rolled back on the
     * best chain.
     */
    default void onSessionRevoked(PeerId keyId) {}
}
