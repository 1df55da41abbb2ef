package io.p2pchat.node;

import io.netty.channel.Channel;
import io.p2pchat.identity.PeerId;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link Node} does about misbehaviour (docs/protocol.md §11.1): it bans the key of a peer
 * that misbehaved, never its IP address, which many people may share; an address with repeated
 * failures (failed handshakes, violations, connections by a banned key) gets its new inbound
 * connections rate-limited instead ({@link AddressThrottle}).
 *
 * <p>Threading: thread-safe; {@link BanList} and {@link AddressThrottle} lock internally, and the
 * listeners are called on the thread that reports the misbehaviour (an event loop).
 */
final class Policing {
    private static final Logger log = LoggerFactory.getLogger(Policing.class);

    final BanList bans;
    final AddressThrottle throttle;
    private final Duration banDuration;
    private final List<NodeListener> listeners;

    Policing(
            BanList bans,
            AddressThrottle throttle,
            Duration banDuration,
            List<NodeListener> listeners) {
        this.bans = bans;
        this.throttle = throttle;
        this.banDuration = banDuration;
        this.listeners = listeners;
    }

    /**
     * Admits an inbound connection, or closes it before any handler is added (no handshake work)
     * when its address is throttled after repeated failures.
     */
    boolean admit(Channel ch) {
        SocketAddress remote = ch.remoteAddress();
        if (remote instanceof InetSocketAddress && !throttle.tryAdmit(host(remote))) {
            log.debug("{}: refused, too many recent failures from this address", ch);
            ch.close();
            return false;
        }
        return true;
    }

    /** Counts a failure of an inbound connection's address toward its throttle. */
    void addressFailed(Channel ch) {
        SocketAddress remote = ch.remoteAddress();
        if (remote instanceof InetSocketAddress) {
            throttle.failed(host(remote));
        }
    }

    /**
     * Bans the key of a peer that misbehaved (docs/protocol.md §11.1), never its address: the
     * address only gets a failure toward its throttle.
     */
    void ban(@Nullable PeerId peer, @Nullable SocketAddress remote, String reason) {
        String host = remote instanceof InetSocketAddress ? host(remote) : "?";
        if (remote instanceof InetSocketAddress) {
            throttle.failed(host);
        }
        if (peer == null) {
            log.warn("peer at {} misbehaved before it authenticated: {}", host, reason);
            return;
        }
        bans.ban(peer.toHex(), banDuration);
        log.warn(
                "banned the key of peer {} (at {}) for {} s: {}",
                peer.shortId(),
                host,
                banDuration.toSeconds(),
                reason);
        for (NodeListener l : listeners) {
            try {
                l.onPeerBanned(peer, host, reason);
            } catch (RuntimeException e) {
                log.warn("node listener failed", e);
            }
        }
    }

    /** Forgets expired bans and throttles (periodic). */
    void expire() {
        bans.expire();
        throttle.expire();
    }

    private static String host(SocketAddress a) {
        InetSocketAddress i = (InetSocketAddress) a;
        return i.getAddress() != null ? i.getAddress().getHostAddress() : i.getHostString();
    }
}
