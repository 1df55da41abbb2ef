package io.p2pchat.node;

import io.netty.channel.ChannelFuture;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.SecureSession;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.proto.NodeMessage;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Optional;

/**
 * A peer connected to a {@link Node} over an established secure channel.
 *
 * <h2>Threading</h2>
 *
 * Thread-safe. {@link #send} may be called from any thread; the write happens on the channel's
 * event loop.
 */
public interface NodePeer {
    /** The PeerId of the key the peer authenticated with (not its identity id after a rotation). */
    PeerId keyId();

    /** The peer's identity on our best chain, if its key is registered there. */
    Optional<IdentityRecord> identity();

    /**
     * What the peer may do now, evaluated against the current best chain: {@link
     * PeerAccess#SYNC_ONLY} peers only replicate the ledger, and their other messages are dropped.
     */
    PeerAccess access();

    /** The secure session. */
    SecureSession session();

    /** Our role on this connection: {@code INITIATOR} if we dialed it. */
    Role localRole();

    /** The remote socket address. */
    Optional<SocketAddress> remoteAddress();

    /**
     * How long the TCP connect took, from the dial to the connected socket, for a connection this
     * node dialed; empty for one it accepted. The handshake's own milestones are the session's
     * {@link SecureSession#handshakeTimings()}.
     */
    default Optional<Duration> connectTime() {
        return Optional.empty();
    }

    /**
     * Sends a message. Ledger bodies are the ledger handler's business: applications send their own
     * bodies.
     *
     * @return completes when written, or fails (the channel closed, or it is too large)
     */
    ChannelFuture send(NodeMessage message);

    /** Closes the connection. */
    ChannelFuture close();
}
