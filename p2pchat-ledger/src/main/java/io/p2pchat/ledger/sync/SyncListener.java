package io.p2pchat.ledger.sync;

import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.ChainTip;
import java.net.SocketAddress;
import org.jspecify.annotations.Nullable;

/**
 * Receives replication events.
 *
 * <h2>Threading</h2>
 *
 * Called on the connection's event loop; implementations must not block.
 */
public interface SyncListener {
    /**
     * A peer's tip is not on our best chain and has no more work than ours: it sees another
     * (lighter or equally heavy) branch. Reported once per peer tip.
     */
    default void onConflictingView(PeerId peer, ChainTip theirs, ChainTip ours) {}

    /**
     * A peer misbehaved (invalid block, unsolicited or oversized message, spam, a channel error
     * that only its key could have caused); the connection is closed. A node bans its key (not its
     * address) for a while.
     */
    default void onMisbehaviour(PeerId peer, @Nullable SocketAddress remote, String reason) {}

    /**
     * Blocks a peer delivered joined our best chain ({@code count} of them): the peer is useful,
     * which a node weighs when it must evict a connection (ATTACKS L-14).
     */
    default void onBlocksConnected(PeerId peer, int count) {}

    /**
     * Our best chain has reached the work of the tip {@code peer} announced in its first {@code
     * Status} on this connection: we caught up with it, or were already as far. Once per
     * connection; {@link LedgerSync#synced()} completes at the first.
     */
    default void onCaughtUp(PeerId peer, ChainTip ours) {}
}
