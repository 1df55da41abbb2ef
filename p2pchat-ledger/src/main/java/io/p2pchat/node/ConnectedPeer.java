package io.p2pchat.node;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.p2pchat.channel.PeerCredentials;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.SecureSession;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.LedgerPeerVerifier;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.proto.NodeMessage;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Node}'s connected peer: the channel, its session, who dialed, and the timings the
 * eviction rules use ({@link PeerTable#evictionCandidate}).
 *
 * <p>Threading: immutable but for {@link #lastBlockNanos}, which the sync listener writes from an
 * event loop and the peer table reads from others, and {@link #retired} and {@link
 * #rotatedIdentity}, set on the ledger thread (all {@code volatile}). Access is decided on each
 * call, against the ledger's current state.
 */
final class ConnectedPeer implements NodePeer {
    private final Ledger ledger;
    private final LedgerPeerVerifier accessVerifier;
    final Channel channel;
    final SecureSession session;
    final Role role;
    final @Nullable InetSocketAddress dialed;
    final PeerCredentials credentials;
    final PeerId localKey;
    final long connectedNanos = System.nanoTime();
    final long handshakeNanos;
    volatile long lastBlockNanos;

    /**
     * Set when the ledger retired this peer's key (revoked, rotated away or rolled back). A revoked
     * or rolled-back key's session is being closed: closing from the ledger thread completes later
     * on the channel's event loop, and until then the channel is still active. A rotated-away key's
     * session stays open, sync-only, for a grace ({@link #rotatedIdentity}). Either way {@link
     * Node#connect} must not hand the session out.
     */
    volatile boolean retired;

    /**
     * The identity whose key this session's peer rotated away, while the session waits for a
     * session with the identity's new key (then it is closed) or the end of its grace; null
     * otherwise. Written on the ledger thread before {@link #retired}.
     */
    volatile @Nullable PeerId rotatedIdentity;

    ConnectedPeer(
            Ledger ledger,
            LedgerPeerVerifier accessVerifier,
            Channel channel,
            SecureSession session,
            Role role,
            @Nullable InetSocketAddress dialed,
            PeerId localKey,
            long channelCreatedNanos) {
        this.ledger = ledger;
        this.accessVerifier = accessVerifier;
        this.channel = channel;
        this.localKey = localKey;
        this.session = session;
        this.role = role;
        this.dialed = dialed;
        this.handshakeNanos = connectedNanos - channelCreatedNanos;
        this.credentials =
                new PeerCredentials(
                        session.peerId(),
                        session.peerPublicKey(),
                        session.peerCertificate(),
                        Optional.ofNullable(channel.remoteAddress()),
                        session.peerListenAddress(),
                        role == Role.INITIATOR ? Role.RESPONDER : Role.INITIATOR);
    }

    PeerId initiatorId() {
        return role == Role.INITIATOR ? localKey : session.peerId();
    }

    @Override
    public PeerId keyId() {
        return session.peerId();
    }

    @Override
    public Optional<IdentityRecord> identity() {
        return ledger.identityByKey(session.peerId())
                .filter(r -> r.currentKeyId().equals(session.peerId()));
    }

    @Override
    public PeerAccess access() {
        return accessVerifier.access(credentials);
    }

    @Override
    public SecureSession session() {
        return session;
    }

    @Override
    public Role localRole() {
        return role;
    }

    @Override
    public Optional<SocketAddress> remoteAddress() {
        return Optional.ofNullable(channel.remoteAddress());
    }

    @Override
    public Optional<Duration> connectTime() {
        return Optional.ofNullable(channel.attr(Dialer.CONNECT_TIME).get());
    }

    @Override
    public ChannelFuture send(NodeMessage message) {
        Objects.requireNonNull(message, "message");
        return channel.writeAndFlush(message);
    }

    @Override
    public ChannelFuture close() {
        return channel.close();
    }

    @Override
    public String toString() {
        return "NodePeer[" + session.peerId().shortId() + " " + role + "]";
    }
}
