package io.p2pchat.node;

import io.p2pchat.channel.Role;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.PeerAccess;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Node}'s connected peers, one per key: deduplication when both sides dial at once, the
 * inbound limit, and which inbound peer a newcomer evicts when the inbound slots are full ({@code
 * docs/ledger.md} §11.6).
 *
 * <p>Why not {@link io.p2pchat.channel.ConnectionLimiter}: it counts sockets before the handshake
 * and refuses any connection over its cap, never evicting. The node's inbound limit counts
 * authenticated peers and, when full, evicts an unprotected one for the newcomer: an attacker who
 * fills the slots first must not lock honest peers out (the eclipse defence, ATTACKS L-14, {@code
 * EclipseTest}). The limiter would refuse the newcomer instead, before anyone's key is known.
 *
 * <p>Threading: the map is concurrent; event loops add and remove peers, callers read it. {@link
 * #register} is {@code synchronized}, so that of two connections of one key racing on two event
 * loops exactly one survives; the eviction check in {@link #makeRoomFor} runs on the newcomer's
 * event loop and may, in a race, let the inbound count exceed the limit by the racing handshakes.
 */
final class PeerTable {
    private static final Logger log = LoggerFactory.getLogger(PeerTable.class);

    /** Inbound peers that recently supplied a block joining our best chain are kept this long. */
    static final long PROTECT_BLOCK_SUPPLIER_NANOS = TimeUnit.MINUTES.toNanos(10);

    /** The inbound peers with the fastest handshakes (lowest latency) kept, at most. */
    static final int PROTECT_FASTEST = 2;

    private final int maxInbound;
    private final Map<PeerId, ConnectedPeer> peersByKey = new ConcurrentHashMap<>();

    PeerTable(int maxInbound) {
        this.maxInbound = maxInbound;
    }

    /** The connected peer with this key, or null. */
    @Nullable ConnectedPeer get(PeerId key) {
        return peersByKey.get(key);
    }

    /** Whether a peer with this key is connected. */
    boolean contains(PeerId key) {
        return peersByKey.containsKey(key);
    }

    /** The peers (a live view). */
    Collection<ConnectedPeer> all() {
        return peersByKey.values();
    }

    /** Number of peers. */
    int size() {
        return peersByKey.size();
    }

    /** Removes {@code p} if it is still the peer of its key. */
    void remove(ConnectedPeer p) {
        peersByKey.remove(p.keyId(), p);
    }

    /** Forgets every peer (at close). */
    void clear() {
        peersByKey.clear();
    }

    /**
     * Keeps one connection per key: the one dialed by the smaller PeerId wins, except that a
     * session in which this node authenticated with {@code currentKey} replaces one in which it
     * used an earlier key, whoever dialed (after {@link Node#rotateKey} the node redials its peers
     * with the new key; the old session closes as the new one registers).
     */
    synchronized ConnectedPeer register(ConnectedPeer p, PeerId currentKey) {
        ConnectedPeer existing = peersByKey.get(p.keyId());
        if (existing == null || !existing.channel.isActive()) {
            peersByKey.put(p.keyId(), p);
            return p;
        }
        boolean rekeyed = !p.localKey.equals(existing.localKey);
        if (rekeyed && existing.localKey.equals(currentKey)) {
            return existing;
        }
        if ((rekeyed && p.localKey.equals(currentKey))
                || p.initiatorId().compareTo(existing.initiatorId()) < 0) {
            peersByKey.put(p.keyId(), p);
            existing.channel.close();
            return p;
        }
        return existing;
    }

    /** Peers that connected to us. */
    int inbound() {
        return count(Role.RESPONDER);
    }

    /** Peers we connected to (not counting dials in progress). */
    int outbound() {
        return count(Role.INITIATOR);
    }

    private int count(Role role) {
        int n = 0;
        for (ConnectedPeer p : peersByKey.values()) {
            if (p.role == role) {
                n++;
            }
        }
        return n;
    }

    /**
     * A peer this node dialed at {@code address} and is still connected to. (Not one that merely
     * says it listens there: any peer may say so.) Never one whose key was retired: its session is
     * being closed.
     */
    @Nullable ConnectedPeer connectedThrough(InetSocketAddress address) {
        for (ConnectedPeer p : peersByKey.values()) {
            if (address.equals(p.dialed) && p.channel.isActive() && !p.retired) {
                return p;
            }
        }
        return null;
    }

    /**
     * Makes room for an inbound peer with key {@code key}: true if it may be registered, after
     * evicting (closing) an unprotected inbound peer when the inbound slots are full; false when
     * every inbound peer is protected (the newcomer is refused then). {@code where} names the
     * newcomer's channel in the log.
     */
    boolean makeRoomFor(PeerId key, Object where) {
        if (peersByKey.containsKey(key) || inbound() < maxInbound) {
            return true;
        }
        ConnectedPeer victim = evictionCandidate();
        if (victim == null) {
            log.debug(
                    "{}: inbound limit {} reached, every inbound peer is protected",
                    where,
                    maxInbound);
            return false;
        }
        log.info(
                "inbound limit {} reached: evicting peer {} to admit {}",
                maxInbound,
                victim.keyId().shortId(),
                key.shortId());
        peersByKey.remove(victim.keyId(), victim);
        victim.channel.close();
        return true;
    }

    /**
     * The inbound peer to evict for a newcomer when the inbound slots are full, or null when every
     * inbound peer is protected (the newcomer is refused then). Never evicted: outbound peers (not
     * candidates at all), peers that supplied a block joining our best chain in the last 10
     * minutes, and the {@link #PROTECT_FASTEST} inbound peers with the fastest handshakes. Among
     * the rest, sync-only peers (no confirmed ledger identity: no proof-of-work cost) go before
     * full-access ones, and the most recently connected first (long-lived peers are kept).
     */
    private @Nullable ConnectedPeer evictionCandidate() {
        long now = System.nanoTime();
        List<ConnectedPeer> inbound = new ArrayList<>();
        for (ConnectedPeer p : peersByKey.values()) {
            if (p.role == Role.RESPONDER && p.channel.isActive()) {
                inbound.add(p);
            }
        }
        List<ConnectedPeer> candidates = new ArrayList<>(inbound);
        candidates.removeIf(
                p ->
                        p.lastBlockNanos != 0
                                && now - p.lastBlockNanos < PROTECT_BLOCK_SUPPLIER_NANOS);
        inbound.sort(Comparator.comparingLong(p -> p.handshakeNanos));
        candidates.removeAll(inbound.subList(0, Math.min(PROTECT_FASTEST, inbound.size())));
        if (candidates.isEmpty()) {
            return null;
        }
        candidates.sort(
                Comparator.comparing((ConnectedPeer p) -> p.access() == PeerAccess.FULL)
                        .thenComparing(p -> -p.connectedNanos));
        return candidates.get(0);
    }
}
