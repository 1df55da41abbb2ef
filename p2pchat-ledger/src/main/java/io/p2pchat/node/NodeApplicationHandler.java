package io.p2pchat.node;

import io.p2pchat.proto.NodeMessage;

/**
 * The application's hook into a {@link Node}: receives every {@link NodeMessage} whose body is not
 * {@code ledger} (issue 4's chat, or anything an application defines), from peers with {@link
 * io.p2pchat.ledger.model.PeerAccess#FULL} access only, and learns of peers coming and going.
 *
 * <h2>Threading</h2>
 *
 * Called on the peer's channel event loop: messages of one peer arrive in order. Implementations
 * must not block; hand slow work to another executor. An exception thrown is logged and the
 * connection stays open.
 */
public interface NodeApplicationHandler {
    /** A handler that ignores everything. */
    NodeApplicationHandler NONE = (peer, message) -> {};

    /** A non-ledger message from a peer with full access. */
    void onMessage(NodePeer peer, NodeMessage message);

    /** A secure connection to {@code peer} is established (any access). */
    default void onPeerConnected(NodePeer peer) {}

    /** The connection to {@code peer} closed. */
    default void onPeerDisconnected(NodePeer peer) {}
}
