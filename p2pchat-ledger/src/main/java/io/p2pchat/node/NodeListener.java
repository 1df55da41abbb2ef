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
     * An open session's key was retired on the best chain: revoked, rotated away or rolled back.
     * Called exactly once per such session, when the block joins the chain. For a revocation or a
     * rollback the session is being closed then. For a rotation it is called through {@link
     * #onSessionRotatedAway}'s default, when the session is lowered to sync-only, before it closes:
     * it stays open (no application messages either way) until a session with the identity's new
     * key is connected, or for a bounded grace (10 s), so that the rotating node can fetch the
     * block through it.
     */
    default void onSessionRevoked(PeerId keyId) {}

    /**
     * An open session's key was rotated away on the best chain: its identity now authenticates with
     * {@code newKeyId}. The session can only sync from now on and closes once a session with {@code
     * newKeyId} is connected, or after a bounded grace (10 s). Called once per such session, when
     * the block joins the chain, instead of a direct {@link #onSessionRevoked} call; the default
     * calls {@link #onSessionRevoked}, so a listener that implements only that one sees every
     * retired session once.
     */
    default void onSessionRotatedAway(PeerId keyId, PeerId newKeyId) {
        onSessionRevoked(keyId);
    }
}
