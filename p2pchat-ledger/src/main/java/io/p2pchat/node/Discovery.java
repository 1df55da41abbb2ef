package io.p2pchat.node;

import io.p2pchat.channel.Role;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.chain.IdentityEntry;
import io.p2pchat.ledger.model.RegisteredAddress;
import io.p2pchat.util.AtomicFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which addresses a {@link Node} dials: the wanted ones (bootstrap members, {@link Node#join}, the
 * saved anchors of the previous run), redialed while the node runs, and the discovered ones
 * (registered addresses of identities seen in new blocks), dialed up to the outbound limit. It also
 * keeps the anchors file (ATTACKS L-14).
 *
 * <p>Threading: the address sets are concurrent: the ledger thread adds discovered addresses
 * ({@link #learn}), callers add and forget wanted ones, and the maintenance task on an event loop
 * reads them ({@link #redial}) and saves the anchors (the file is written off the event loop).
 */
final class Discovery {
    private static final Logger log = LoggerFactory.getLogger(Discovery.class);

    /** Saved good outbound peers, at most. */
    static final int MAX_ANCHORS = 4;

    /** Discovered addresses kept, at most. */
    private static final int MAX_DISCOVERED = 256;

    /** Every key this node used in this run: its own identity, never dialed or learned. */
    private final Set<PeerId> ownKeys = ConcurrentHashMap.newKeySet();

    private final Set<InetSocketAddress> wanted = ConcurrentHashMap.newKeySet();
    private final Set<InetSocketAddress> discovered = ConcurrentHashMap.newKeySet();

    /** The key of the identity that registered each discovered address. */
    private final Map<InetSocketAddress, PeerId> discoveredKeys = new ConcurrentHashMap<>();

    private final @Nullable Path anchorsFile;
    private volatile List<InetSocketAddress> savedAnchors = List.of();

    Discovery(PeerId ownKey, List<InetSocketAddress> bootstrap, @Nullable Path anchorsFile) {
        ownKeys.add(ownKey);
        wanted.addAll(bootstrap);
        this.anchorsFile = anchorsFile;
    }

    /** Remembers a key this node authenticates with (after a rotation). */
    void addOwnKey(PeerId key) {
        ownKeys.add(key);
    }

    /** Redials {@code member} while the node runs. */
    void want(InetSocketAddress member) {
        wanted.add(member);
    }

    /** Stops redialing an address, wanted or discovered. */
    void forget(InetSocketAddress member) {
        wanted.remove(member);
        discovered.remove(member);
        discoveredKeys.remove(member);
    }

    /** Learns the registered, valid addresses of identities that changed (not this node's own). */
    void learn(Map<PeerId, @Nullable IdentityEntry> changed, long nowMillis) {
        for (IdentityEntry e : changed.values()) {
            if (e == null || e.revoked() || isOwn(e)) {
                continue;
            }
            for (RegisteredAddress a : e.addresses()) {
                if (a.isValidAt(nowMillis) && discovered.size() < MAX_DISCOVERED) {
                    InetSocketAddress address = new InetSocketAddress(a.host(), a.port());
                    discovered.add(address);
                    discoveredKeys.put(address, e.currentKeyId());
                }
            }
        }
    }

    /** Whether an identity is this node's own (under any key it used). */
    private boolean isOwn(IdentityEntry e) {
        return ownKeys.contains(e.id()) || ownKeys.contains(e.currentKeyId());
    }

    /**
     * Dials the wanted addresses and, up to {@code maxOutbound} outbound connections, the
     * discovered ones, skipping this node ({@code self}), addresses connected or being dialed,
     * identities connected through another address, and addresses still in their backoff.
     */
    void redial(PeerTable peers, Dialer dialer, @Nullable InetSocketAddress self, int maxOutbound) {
        Set<InetSocketAddress> connected = new LinkedHashSet<>();
        for (ConnectedPeer p : peers.all()) {
            if (p.dialed != null) {
                connected.add(p.dialed);
            }
            p.session.peerListenAddress().ifPresent(s -> connected.add(parse(s)));
        }
        List<InetSocketAddress> targets = new ArrayList<>(wanted);
        targets.addAll(discovered);
        long now = System.nanoTime();
        for (InetSocketAddress a : targets) {
            if (peers.outbound() + dialer.inProgress() >= maxOutbound && !wanted.contains(a)) {
                break;
            }
            if (a.equals(self) || connected.contains(a) || dialer.isDialing(a)) {
                continue;
            }
            PeerId owner = discoveredKeys.get(a);
            if (owner != null && !wanted.contains(a) && peers.contains(owner)) {
                continue; // already connected to that identity, through another address
            }
            if (!dialer.due(a, now)) {
                continue;
            }
            dialer.holdOff(a); // no second attempt while this one runs; a failure backs off further
            dialer.dial(a);
        }
    }

    // ------------------------------------------------------------------ anchors

    /** Adds the saved good peers of the previous run to the addresses to dial. */
    void loadAnchors() {
        Path f = anchorsFile;
        if (f == null || !Files.exists(f)) {
            return;
        }
        List<InetSocketAddress> loaded = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                InetSocketAddress a = line.isBlank() ? null : parse(line.strip());
                if (a != null && loaded.size() < MAX_ANCHORS) {
                    loaded.add(a);
                }
            }
        } catch (IOException e) {
            log.warn("cannot read the saved peers {}: {}", f, e.toString());
            return;
        }
        savedAnchors = List.copyOf(loaded);
        wanted.addAll(loaded);
        log.info("reconnecting {} saved peers from {}", loaded.size(), f);
    }

    /**
     * Saves the outbound peers (those that supplied blocks most recently first) for the next start,
     * when they changed; written atomically, off the calling thread unless {@code now}.
     */
    void saveAnchors(PeerTable peers, boolean now) {
        Path f = anchorsFile;
        if (f == null) {
            return;
        }
        List<ConnectedPeer> out = new ArrayList<>();
        for (ConnectedPeer p : peers.all()) {
            if (p.role == Role.INITIATOR && p.dialed != null) {
                out.add(p);
            }
        }
        if (out.isEmpty()) {
            return;
        }
        out.sort(Comparator.comparingLong((ConnectedPeer p) -> -p.lastBlockNanos));
        List<InetSocketAddress> anchors = new ArrayList<>();
        for (ConnectedPeer p : out.subList(0, Math.min(MAX_ANCHORS, out.size()))) {
            anchors.add(p.dialed);
        }
        if (new HashSet<>(anchors).equals(new HashSet<>(savedAnchors))) {
            return;
        }
        savedAnchors = List.copyOf(anchors);
        StringBuilder text = new StringBuilder("# p2pchat saved peers (anchors), one per line\n");
        for (InetSocketAddress a : anchors) {
            String h = a.getHostString();
            text.append(h.indexOf(':') >= 0 ? "[" + h + "]" : h)
                    .append(':')
                    .append(a.getPort())
                    .append('\n');
        }
        Runnable write =
                () -> {
                    try {
                        AtomicFiles.write(
                                f, text.toString().getBytes(StandardCharsets.UTF_8), true);
                    } catch (IOException e) {
                        log.warn("cannot save peers to {}: {}", f, e.toString());
                    }
                };
        if (now) {
            write.run();
        } else {
            CompletableFuture.runAsync(write);
        }
    }

    /** {@code host:port} or {@code [v6]:port}, or null if it is neither. */
    static @Nullable InetSocketAddress parse(String hostAndPort) {
        int colon = hostAndPort.lastIndexOf(':');
        if (colon <= 0) {
            return null;
        }
        String host = hostAndPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new InetSocketAddress(host, Integer.parseInt(hostAndPort.substring(colon + 1)));
        } catch (RuntimeException e) {
            return null;
        }
    }
}
