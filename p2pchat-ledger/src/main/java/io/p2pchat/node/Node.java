package io.p2pchat.node;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.SecureChannelContext;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.IdentityTransactions;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.LedgerCertificateSource;
import io.p2pchat.ledger.LedgerPeerVerifier;
import io.p2pchat.ledger.chain.ChainState;
import io.p2pchat.ledger.chain.IdentityEntry;
import io.p2pchat.ledger.chain.LedgerService;
import io.p2pchat.ledger.chain.LedgerServices;
import io.p2pchat.ledger.model.ChainTip;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.NameCommitment;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.ledger.model.RegisteredAddress;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.ledger.sync.LedgerSync;
import io.p2pchat.ledger.sync.SyncListener;
import io.p2pchat.ledger.sync.SyncSettings;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A p2pchat node: a {@link Ledger} replica reachable over secure channels, with a Netty server and
 * client bootstrap, its peer connections, gossip and sync, and a hook for the application's own
 * messages.
 *
 * <h2>Usage</h2>
 *
 * <pre>{@code
 * Ledger ledger = Ledger.builder(params).dataDirectory(dir).open();
 * Node node = Node.builder(identity, ledger)
 *         .listen("192.168.1.20", 7000)
 *         .application((peer, message) -> handleChat(peer, message))
 *         .build()
 *         .start();
 * node.join(new InetSocketAddress("192.168.1.10", 7000)).get(); // any member of the network
 * node.register(List.of(myAddress), null).get();               // then mine or wait for miners
 * }</pre>
 *
 * <h2>Connections</h2>
 *
 * Every connection runs the secure channel bound to the ledger's network id (a peer of another
 * network is refused with {@code WRONG_NETWORK}), then the ledger handler ({@link LedgerSync}),
 * then the node's dispatcher. The handshake accepts any peer that proves its key and is not known
 * to be revoked or rotated away (bootstrap mode of {@link LedgerPeerVerifier}), so that a new node
 * can sync before its record is on anybody's chain; peers whose key is not a confirmed identity on
 * our best chain get {@link PeerAccess#SYNC_ONLY} access, and the application never sees their
 * messages. One connection is kept per peer key (when both sides dial at once, the connection
 * dialed by the smaller PeerId survives). Addresses given to {@link #join} are redialed with
 * exponential backoff while the node runs; with discovery on, registered addresses of identities
 * seen in new blocks are dialed too, up to the outbound limit. When the inbound slots are full, a
 * newcomer evicts an unprotected inbound peer: outbound peers, peers that recently supplied blocks
 * joining our best chain and the fastest inbound peers are never evicted ({@code docs/ledger.md}
 * §11.6); the outbound peers can be saved and redialed at the next start ({@link Builder#anchors}),
 * so an eclipse attempt does not survive a restart.
 *
 * <h2>Misbehaviour and revocation</h2>
 *
 * A peer that sends an invalid block or transaction, an oversized, undecodable, unsolicited or
 * foreign message, or floods, is disconnected and its key is banned for the ban duration; other
 * peers are unaffected (docs/protocol.md §11.1 lists what bans). Its IP address is not banned, as
 * many people may share it: an address with repeated failures (failed handshakes, violations,
 * connections by a banned key) gets its new inbound connections rate-limited instead ({@link
 * Builder#failureThrottle}). Errors a third party or the network could cause (a bad record tag, a
 * garbled frame header) close the connection without any penalty. When a block that revokes a key
 * joins the best chain, open sessions authenticated with that key are closed. When it rotates a
 * key, the old key's session can only sync from then on and is closed once a session with the new
 * key registers, or after a grace of 10 s ({@link NodeListener#onSessionRotatedAway}), so that the
 * rotating node can fetch the block through it.
 *
 * <h2>Threading</h2>
 *
 * Thread-safe. Network I/O runs on the event loop group (the node's own, or one given to the
 * builder, which the caller then owns), ledger work on the ledger thread, mining on the miner
 * thread. {@link #close()} closes connections and the server; it does not close the ledger, which
 * the caller owns. Which thread owns what: {@code PeerTable} (concurrent map; {@code register}
 * synchronized), {@code Dialer} and {@code Discovery} (concurrent sets), {@code Policing}
 * (internally locked), {@code PeerDispatcher} (one per channel, on its event loop); {@link
 * #rotateKey} is {@code synchronized} and publishes the new identity and context through {@code
 * volatile} fields; the maintenance task runs on one event loop of the group.
 *
 * <h2>Parts</h2>
 *
 * This class is the public facade and the wiring; the work is in package-private parts: {@link
 * PeerTable} (one connection per key, the inbound limit, eviction), {@code Dialer} (client
 * bootstrap, backoff), {@code Discovery} (addresses to dial, anchors), {@code Policing} (bans,
 * address throttle), {@code PeerDispatcher} (the per-channel handler) and {@code ConnectedPeer}.
 * Its size (about 780 lines) is mostly public surface: the documentation above, the {@link
 * Builder}'s documented options and the public methods, which stay here as the one entry point.
 */
public final class Node implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Node.class);

    /** The key this node authenticates with now: replaced by {@link #rotateKey}. */
    private volatile LocalIdentity identity;

    final Ledger ledger;
    private final LedgerSync sync;
    private final LedgerPeerVerifier handshakeVerifier;
    final LedgerPeerVerifier accessVerifier;
    private final EventLoopGroup group;
    private final boolean ownGroup;
    private final String bindHost;
    private final int bindPort;
    final NodeApplicationHandler application;
    private final List<NodeListener> listeners;
    private final Duration maintenanceInterval;
    private final int maxOutbound;
    private final int maxInbound;
    private final boolean discovery;
    private final boolean serveNetworkParameters;
    private final Consumer<SecureChannelContext.Builder> contextCustomizer;
    final Policing policing;
    final PeerTable peers;
    final Dialer dialer;
    private final Discovery discoveries;

    private volatile @Nullable SecureChannelContext context;
    private volatile @Nullable Channel server;
    private volatile @Nullable ScheduledFuture<?> maintenance;
    private volatile boolean closed;

    /** How long a rotated-away key's session is kept, sync-only, for its new key to connect. */
    static final Duration DEFAULT_ROTATION_GRACE = Duration.ofSeconds(10);

    private final Duration rotationGrace;

    /**
     * Identities whose rotated-away key's session is in its grace, by identity id: this node waits
     * for the rotating node to dial it with the new key (it alone knows when it switches) rather
     * than dial an address that may still present the old key. Removed when the new key's session
     * registers or the grace ends, so at most one entry per connected peer.
     */
    private final Map<PeerId, Rotation> rotations = new ConcurrentHashMap<>();

    /**
     * A rotation this node waits out: the identity's new key, and what completes with the new key's
     * session (or fails at the end of the grace).
     */
    private record Rotation(PeerId newKey, CompletableFuture<NodePeer> successor) {}

    private final LedgerService.ChainListener chainListener =
            new LedgerService.ChainListener() {
                @Override
                public void onTipChange(ChainState.TipChange change) {
                    retire(change);
                    if (discovery) {
                        discoveries.learn(change.changedIdentities(), ledger.clock().millis());
                    }
                }
            };

    private Node(Builder b) {
        this.identity = b.identity;
        this.ledger = b.ledger;
        this.bindHost = b.host;
        this.bindPort = b.port;
        this.application = b.application;
        this.listeners = List.copyOf(b.listeners);
        this.maintenanceInterval = b.maintenanceInterval;
        this.rotationGrace = b.rotationGrace;
        this.maxOutbound = b.maxOutbound;
        this.maxInbound = b.maxInbound;
        this.discovery = b.discovery;
        this.serveNetworkParameters = b.serveNetworkParameters;
        this.contextCustomizer = b.contextCustomizer;
        this.policing =
                new Policing(
                        new BanList(ledger.clock(), 10_000),
                        new AddressThrottle(
                                System::nanoTime,
                                b.freeFailures,
                                b.throttleSpacing,
                                AddressThrottle.DEFAULT_MEMORY.compareTo(b.throttleSpacing) < 0
                                        ? b.throttleSpacing
                                        : AddressThrottle.DEFAULT_MEMORY,
                                10_000),
                        b.banDuration,
                        listeners);
        LedgerSync.Builder sb = LedgerSync.builder(ledger);
        if (b.syncSettings != null) {
            sb.settings(b.syncSettings);
        }
        this.sync = sb.build();
        this.handshakeVerifier =
                LedgerPeerVerifier.builder(ledger)
                        .confirmations(b.confirmations)
                        .addressBinding(b.addressBinding)
                        .allowSyncOnly(true)
                        .build();
        this.accessVerifier =
                LedgerPeerVerifier.builder(ledger)
                        .confirmations(b.confirmations)
                        .addressBinding(b.addressBinding)
                        .build();
        if (b.group != null) {
            this.group = b.group;
            this.ownGroup = false;
        } else {
            this.group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
            this.ownGroup = true;
        }
        this.peers = new PeerTable(maxInbound);
        this.discoveries = new Discovery(b.identity.peerId(), b.bootstrap, b.anchorsFile);
        this.dialer =
                new Dialer(
                        group,
                        bindHost,
                        () -> !closed && context != null,
                        dial -> initializer(Role.INITIATOR, dial));
        sync.addListener(
                new SyncListener() {
                    @Override
                    public void onConflictingView(PeerId peer, ChainTip theirs, ChainTip ours) {
                        for (NodeListener l : listeners) {
                            l.onConflictingView(peer, theirs, ours);
                        }
                    }

                    @Override
                    public void onBlocksConnected(PeerId peer, int count) {
                        ConnectedPeer p = peers.get(peer);
                        if (p != null) {
                            p.lastBlockNanos = System.nanoTime();
                        }
                    }

                    @Override
                    public void onMisbehaviour(
                            PeerId peer, @Nullable SocketAddress remote, String reason) {
                        policing.ban(peer, remote, reason);
                    }
                });
    }

    /** A builder for a node authenticating as {@code identity} over {@code ledger}. */
    public static Builder builder(LocalIdentity identity, Ledger ledger) {
        return new Builder(identity, ledger);
    }

    /**
     * Binds the server and starts connecting to the bootstrap peers. Blocks until the server is
     * bound; call it from an application thread, not an event loop.
     *
     * @throws IllegalStateException if the address cannot be bound
     */
    public Node start() throws InterruptedException {
        ChannelFuture bind =
                new ServerBootstrap()
                        .group(group)
                        .channel(NioServerSocketChannel.class)
                        .childHandler(initializer(Role.RESPONDER, null))
                        .bind(new InetSocketAddress(bindHost, bindPort))
                        .await();
        if (!bind.isSuccess()) {
            throw new IllegalStateException(
                    "cannot bind " + bindHost + ":" + bindPort, bind.cause());
        }
        Channel s = bind.channel();
        context = newContext(identity, (InetSocketAddress) s.localAddress());
        server = s;
        LedgerServices.of(ledger).addChainListener(chainListener);
        discoveries.loadAnchors();
        long period = maintenanceInterval.toMillis();
        maintenance =
                group.next().scheduleAtFixedRate(this::maintain, 0, period, TimeUnit.MILLISECONDS);
        log.info(
                "node {} listening on {} (network {})",
                identity.peerId().shortId(),
                s.localAddress(),
                ledger.parameters().networkIdHex().substring(0, 16));
        return this;
    }

    /** The secure channel settings of the connections authenticated as {@code key}. */
    private SecureChannelContext newContext(LocalIdentity key, InetSocketAddress local) {
        SecureChannelContext.Builder cb = SecureChannelContext.builder(key);
        contextCustomizer.accept(cb);
        String host = local.getHostString();
        return cb.networkId(ledger.parameters().networkId())
                .acceptUnboundInitiators(serveNetworkParameters)
                .certificateSource(LedgerCertificateSource.of(ledger, key.peerId()))
                .peerVerifier(handshakeVerifier)
                .listenAddress(
                        (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + local.getPort())
                .build();
    }

    /**
     * Authenticates with {@code next} from now on, without a restart: every handshake that starts
     * after this call (inbound or outbound) presents {@code next} and its ledger certificate. Each
     * peer this node has a session with that authenticated it with the previous key is redialed at
     * once (at the address this node dialed, or else the peer's registered addresses), and that
     * session is closed as soon as the new one is registered, or at once when there is no address
     * to dial or the dial fails. Peers that already hold the rotation keep the old session
     * sync-only until the new key connects, for a bounded grace ({@link
     * NodeListener#onSessionRotatedAway}), and wait for this node to dial meanwhile, so that the
     * two sides do not dial each other at once.
     *
     * <p>Call it once the rotation of this node's identity to {@code next} is on the best chain
     * (from then on peers refuse the old key; they grant the new one full access once it has their
     * k confirmations), or to go back to an earlier key when a reorganization dropped the rotation.
     * Nothing here checks the ledger: the caller decides when.
     *
     * @throws IllegalStateException if the node is not started or is closed
     */
    public synchronized void rotateKey(LocalIdentity next) {
        Objects.requireNonNull(next, "next");
        Channel s = server;
        if (s == null || closed) {
            throw new IllegalStateException("node not running");
        }
        LocalIdentity previous = identity;
        if (previous.peerId().equals(next.peerId())) {
            return;
        }
        SecureChannelContext c = newContext(next, (InetSocketAddress) s.localAddress());
        discoveries.addOwnKey(next.peerId());
        identity = next;
        context = c;
        log.info(
                "node {} now authenticates with key {}",
                previous.peerId().shortId(),
                next.peerId().shortId());
        for (ConnectedPeer p : new ArrayList<>(peers.all())) {
            // A session already closed (its removal from the table may still be on its way) is
            // not redialed: whoever closed it did not ask for a new one.
            if (p.localKey.equals(previous.peerId()) && p.channel.isActive()) {
                redialWithNewKey(p);
            }
        }
    }

    /**
     * Dials {@code p}'s peer again after {@link #rotateKey}: registering the new session closes
     * {@code p} ({@link PeerTable#register}); without an address, or when the dial fails, {@code p}
     * is closed (the peer may dial this node).
     */
    private void redialWithNewKey(ConnectedPeer p) {
        List<InetSocketAddress> addresses = new ArrayList<>();
        if (p.dialed != null) {
            addresses.add(p.dialed);
        } else {
            p.identity()
                    .ifPresent(
                            r ->
                                    addresses.addAll(
                                            Dialer.valid(r.addresses(), ledger.clock().millis())));
        }
        if (addresses.isEmpty()) {
            p.channel.close();
            return;
        }
        CompletableFuture<NodePeer> result = new CompletableFuture<>();
        result.whenComplete(
                (np, e) -> {
                    if (e != null || np != p) {
                        p.channel.close(); // no-op when registering the new session closed it
                    }
                });
        dialer.dialInOrder(addresses, 0, result);
    }

    /** The address the server listens on. */
    public InetSocketAddress localAddress() {
        Channel s = server;
        if (s == null) {
            throw new IllegalStateException("not started");
        }
        return (InetSocketAddress) s.localAddress();
    }

    /** This node's identity key: the one new handshakes present (see {@link #rotateKey}). */
    public LocalIdentity identity() {
        return identity;
    }

    /** The ledger. */
    public Ledger ledger() {
        return ledger;
    }

    /** The replication of the ledger. */
    public LedgerSync sync() {
        return sync;
    }

    /**
     * Completes with the first peer this node has synced from (see {@link LedgerSync#synced()}): we
     * know the tip it announced and our best chain has at least its work. A node that joins a
     * network waits for this before mining or registering, so that it builds on the network's chain
     * and not on its own genesis (docs/ledger.md §11.3, §11.7).
     */
    public CompletableFuture<PeerId> synced() {
        return sync.synced();
    }

    /** The secure channel context of this node's connections (after {@link #start()}). */
    public SecureChannelContext context() {
        SecureChannelContext c = context;
        if (c == null) {
            throw new IllegalStateException("not started");
        }
        return c;
    }

    /** The peers connected now. */
    public List<NodePeer> peers() {
        return new ArrayList<>(peers.all());
    }

    /** The connected peer with this key id. */
    public Optional<NodePeer> peer(PeerId keyId) {
        return Optional.ofNullable(peers.get(keyId));
    }

    /**
     * Whether a key id (hex) is banned now. IP addresses are never banned (see {@link
     * #isThrottled}).
     */
    public boolean isBanned(String keyId) {
        return policing.bans.isBanned(keyId);
    }

    /**
     * Whether new inbound connections from an IP address (as {@link
     * java.net.InetAddress#getHostAddress}) are rate-limited now, after repeated failures.
     */
    public boolean isThrottled(String host) {
        return policing.throttle.isThrottled(host);
    }

    /** Lifts all bans. */
    public void clearBans() {
        policing.bans.clear();
    }

    /**
     * Joins the network through a member's address: connects (and keeps reconnecting while the node
     * runs), syncs the ledger from it, and gossips with it. When this node is already connected to
     * a peer it dialed at that address, no second connection is opened.
     *
     * @return completes with the peer once the handshake succeeds
     */
    public CompletableFuture<NodePeer> join(InetSocketAddress member) {
        discoveries.want(member);
        return connect(member);
    }

    /**
     * Connects once to an address, without redialing it later (unlike {@link #join}): for a caller
     * that paces its own attempts. When this node is already connected to a peer it dialed at that
     * address, completes with it, unless the ledger has just retired that peer's key and its
     * session is closing: then it dials, and the handshake decides.
     *
     * @return completes with the peer once the handshake succeeds, or fails with the connection's
     *     or the handshake's error
     */
    public CompletableFuture<NodePeer> connect(InetSocketAddress address) {
        ConnectedPeer existing = peers.connectedThrough(address);
        return existing != null
                ? CompletableFuture.completedFuture(existing)
                : dialer.dial(address);
    }

    /**
     * Fetches the parameters of the network that {@code member} belongs to, for a node that has not
     * joined it yet (docs/ledger.md §11.7): opens a secure channel without a network id, checks
     * that the parameters received hash to the network id the member announced in its
     * (transcript-authenticated) hello, and closes. Build the ledger from the result, then {@link
     * #join} the member.
     *
     * <h4>Warning</h4>
     *
     * The member is whoever answers at the address: the parameters are as trustworthy as that
     * address, unless {@code expectedNetworkId} (obtained out of band) is given and checked.
     *
     * @param identity the key to authenticate with (the joining node's own)
     * @param member any member's listen address
     * @param expectedNetworkId the network id to insist on, or null to accept the member's
     * @param timeout for the whole exchange
     * @return completes with the parameters, or fails with a {@link
     *     io.p2pchat.channel.SecureChannelException} ({@code WRONG_NETWORK} when the member's
     *     network is not the expected one or the parameters do not match its id; {@code MALFORMED},
     *     {@code TRUNCATED}, {@code HANDSHAKE_TIMEOUT}, or the handshake's code) or the
     *     connection's {@link java.io.IOException}
     */
    public static CompletableFuture<NetworkParameters> fetchNetworkParameters(
            LocalIdentity identity,
            InetSocketAddress member,
            byte @Nullable [] expectedNetworkId,
            Duration timeout) {
        return NetworkParametersClient.fetch(identity, member, expectedNetworkId, timeout);
    }

    /** Stops redialing an address given to {@link #join} (the connection stays open). */
    public void forget(InetSocketAddress member) {
        discoveries.forget(member);
    }

    /**
     * Opens a secure channel to a registered identity: dials its registered, unexpired addresses in
     * order until one handshake succeeds.
     */
    public CompletableFuture<NodePeer> connect(PeerId identityId) {
        Optional<IdentityRecord> rec = ledger.identity(identityId);
        if (rec.isEmpty()) {
            return CompletableFuture.failedFuture(
                    new IllegalArgumentException(
                            "identity " + identityId.shortId() + " is not registered"));
        }
        ConnectedPeer existing = peers.get(rec.get().currentKeyId());
        if (existing != null && !existing.retired) {
            return CompletableFuture.completedFuture(existing);
        }
        Rotation r = rotations.get(identityId);
        if (r != null) {
            // Its old key's session is in its grace: the rotating node dials us with its new key.
            return r.successor
                    .handle((p, e) -> p != null ? CompletableFuture.completedFuture(p) : dial(rec))
                    .thenCompose(f -> f);
        }
        return dial(rec);
    }

    private CompletableFuture<NodePeer> dial(Optional<IdentityRecord> rec) {
        List<InetSocketAddress> addresses =
                Dialer.valid(rec.get().addresses(), ledger.clock().millis());
        CompletableFuture<NodePeer> result = new CompletableFuture<>();
        dialer.dialInOrder(addresses, 0, result);
        return result;
    }

    /** Submits a transaction to the ledger; once accepted it is gossiped to every peer. */
    public CompletableFuture<TxResult> submit(LedgerTransaction tx) {
        return ledger.submitTransaction(tx);
    }

    /**
     * Registers this node's key as an identity (computing the stamp on a pool thread), and submits
     * it.
     */
    public CompletableFuture<TxResult> register(
            List<RegisteredAddress> addresses, @Nullable NameCommitment name) {
        LocalIdentity key = identity;
        return CompletableFuture.supplyAsync(
                        () ->
                                IdentityTransactions.forNetwork(ledger.parameters())
                                        .register(key, addresses, name))
                .thenCompose(this::submit);
    }

    // ------------------------------------------------------------------ connections

    private ChannelInitializer<Channel> initializer(Role role, Dialer.@Nullable Dial dial) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                SecureChannelContext c = context;
                if (c == null || closed) {
                    ch.close();
                    return;
                }
                if (role == Role.RESPONDER && !policing.admit(ch)) {
                    return;
                }
                c.addHandlers(ch.pipeline(), role);
                sync.addHandlers(ch.pipeline());
                ch.pipeline()
                        .addLast(
                                "p2pchat-node",
                                new PeerDispatcher(Node.this, role, dial, c.identity().peerId()));
            }
        };
    }

    /**
     * Ends the sessions of keys that a tip change retired (ledger thread): a revoked or rolled-back
     * key's session closes at once; a rotated-away key's session is kept sync-only for the grace
     * ({@link #keepForGrace}). A revocation or rollback of an identity whose earlier key's session
     * is in its grace closes that session at once too.
     */
    private void retire(ChainState.TipChange change) {
        Map<PeerId, IdentityEntry> rotated = change.rotatedAway();
        for (PeerId k : change.retiredKeys()) {
            ConnectedPeer p = peers.get(k);
            if (p == null || p.retired) {
                continue;
            }
            IdentityEntry e = rotated.get(k);
            if (e == null) {
                log.info(
                        "closing the session of peer {}: its key was revoked or rolled back",
                        k.shortId());
                p.retired = true; // before the close: connect() must not hand it out meanwhile
                p.channel.close();
                tellListeners(l -> l.onSessionRevoked(k));
            } else {
                keepForGrace(p, e);
            }
        }
        for (Map.Entry<PeerId, @Nullable IdentityEntry> c : change.changedIdentities().entrySet()) {
            IdentityEntry e = c.getValue();
            if (e == null || e.revoked()) {
                endGrace(c.getKey(), null);
            }
        }
    }

    /**
     * A peer's key was rotated away: its session {@code p} stays open, sync-only (access is
     * re-evaluated per message), so that the rotating node can fetch the block through it, until a
     * session with the identity's new key registers ({@link #keyConnected}) or the grace ends
     * (scheduled on the channel's event loop). Meanwhile maintenance does not redial the peer's
     * addresses: the rotating node dials with its new key ({@link #rotateKey}).
     */
    private void keepForGrace(ConnectedPeer p, IdentityEntry e) {
        PeerId key = p.keyId();
        PeerId id = e.id();
        PeerId newKey = e.currentKeyId();
        long graceMillis = rotationGrace.toMillis();
        log.info(
                "peer {} rotated its key to {}: its old session stays sync-only until the new key"
                        + " connects, {} ms at most",
                key.shortId(),
                newKey.shortId(),
                graceMillis);
        p.rotatedIdentity = id;
        p.retired = true;
        Set<InetSocketAddress> addresses = new LinkedHashSet<>();
        if (p.dialed != null) {
            addresses.add(p.dialed);
        }
        p.session.peerListenAddress().map(Discovery::parse).ifPresent(addresses::add);
        addresses.addAll(Dialer.valid(e.addresses(), ledger.clock().millis()));
        long until = System.nanoTime() + rotationGrace.toNanos();
        for (InetSocketAddress a : addresses) {
            dialer.deferUntil(a, until);
        }
        Rotation r = new Rotation(newKey, new CompletableFuture<>());
        Rotation earlier = rotations.put(id, r);
        if (earlier != null) { // rotated twice within a grace: whoever waits for the first waits on
            r.successor.whenComplete(
                    (np, ex) -> {
                        if (np != null) {
                            earlier.successor.complete(np);
                        } else {
                            earlier.successor.completeExceptionally(ex);
                        }
                    });
        }
        tellListeners(l -> l.onSessionRotatedAway(key, newKey));
        p.channel.eventLoop().schedule(() -> endGrace(id, r), graceMillis, TimeUnit.MILLISECONDS);
        ConnectedPeer already = peers.get(newKey);
        if (already != null) {
            keyConnected(already);
        }
    }

    /**
     * Ends the grace of identity {@code id}'s rotated-away key (its session closes): at its end
     * ({@code r} the rotation it was scheduled for, if still current), or at once ({@code r} null)
     * when the identity was revoked or rolled back.
     */
    private void endGrace(PeerId id, @Nullable Rotation r) {
        Rotation current = rotations.get(id);
        if (r != null && current != r) {
            return; // the new key connected already, or a later rotation took over
        }
        if (current != null && rotations.remove(id, current)) {
            current.successor.completeExceptionally(
                    new IllegalStateException(
                            "no session with the rotated key " + current.newKey().shortId()));
        }
        closeGraceSessions(id, null);
    }

    /**
     * A peer registered (its event loop): when its key is an identity's current key, the sessions
     * of that identity's rotated-away keys close now and whoever waits for it in {@link
     * #connect(PeerId)} gets it.
     */
    void keyConnected(ConnectedPeer p) {
        if (rotations.isEmpty()) {
            return;
        }
        Optional<IdentityRecord> rec = p.identity();
        if (rec.isEmpty()) {
            return;
        }
        PeerId id = rec.get().id();
        Rotation r = rotations.remove(id);
        if (r != null) {
            r.successor.complete(p);
        }
        closeGraceSessions(id, p);
    }

    private void closeGraceSessions(PeerId id, @Nullable ConnectedPeer successor) {
        for (ConnectedPeer q : peers.all()) {
            if (q != successor && id.equals(q.rotatedIdentity) && q.channel.isActive()) {
                log.info(
                        "closing the session of peer {}: {}",
                        q.keyId().shortId(),
                        successor == null
                                ? "its key was rotated away and the grace is over"
                                : "its identity's new key "
                                        + successor.keyId().shortId()
                                        + " connected");
                q.channel.close();
            }
        }
    }

    private void tellListeners(Consumer<NodeListener> event) {
        for (NodeListener l : listeners) {
            try {
                event.accept(l);
            } catch (RuntimeException e) {
                log.warn("node listener failed", e);
            }
        }
    }

    /** Periodic: expire bans, redial wanted and discovered addresses. */
    private void maintain() {
        if (closed) {
            return;
        }
        policing.expire();
        discoveries.saveAnchors(peers, false);
        discoveries.redial(peers, dialer, server == null ? null : localAddress(), maxOutbound);
    }

    /**
     * Closes every connection and the server; the ledger stays open (the caller owns it). The
     * context's resumption tickets stay in it: an application that keeps them across restarts (a
     * {@link io.p2pchat.channel.SecureChannelContext.Builder#resumptionTicketStore} set through
     * {@link Builder#channel}) saves them after this, at a clean shutdown only, with {@code
     * context().saveResumptionTickets()}.
     */
    @Override
    public void close() {
        discoveries.saveAnchors(peers, true);
        closed = true;
        ScheduledFuture<?> m = maintenance;
        if (m != null) {
            m.cancel(false);
        }
        LedgerServices.of(ledger).removeChainListener(chainListener);
        sync.close();
        Channel s = server;
        if (s != null) {
            s.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        for (ConnectedPeer p : peers.all()) {
            p.channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        peers.clear();
        if (ownGroup) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS)
                    .awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
        log.info("node {} closed", identity.peerId().shortId());
    }

    @Override
    public String toString() {
        Channel s = server;
        return "Node["
                + identity.peerId().shortId()
                + (s == null ? "" : " " + s.localAddress())
                + ", "
                + peers.size()
                + " peers]";
    }

    /** Builds {@link Node}s. */
    public static final class Builder {
        private final LocalIdentity identity;
        final Ledger ledger;
        private String host = "127.0.0.1";
        private int port;
        private final List<InetSocketAddress> bootstrap = new ArrayList<>();
        private @Nullable EventLoopGroup group;
        private int confirmations;
        private boolean addressBinding;
        private NodeApplicationHandler application = NodeApplicationHandler.NONE;
        private final List<NodeListener> listeners = new ArrayList<>();
        private @Nullable SyncSettings syncSettings;
        private boolean discovery = true;
        private boolean serveNetworkParameters = true;
        private int maxOutbound = 8;
        private int maxInbound = 64;
        private Duration banDuration = Duration.ofMinutes(10);
        private int freeFailures = AddressThrottle.DEFAULT_FREE_FAILURES;
        private Duration throttleSpacing = AddressThrottle.DEFAULT_SPACING;
        private Duration maintenanceInterval = Duration.ofSeconds(2);
        private Duration rotationGrace = DEFAULT_ROTATION_GRACE;
        private Consumer<SecureChannelContext.Builder> contextCustomizer = b -> {};
        private @Nullable Path anchorsFile;

        private Builder(LocalIdentity identity, Ledger ledger) {
            this.identity = Objects.requireNonNull(identity, "identity");
            this.ledger = Objects.requireNonNull(ledger, "ledger");
            this.confirmations = ledger.parameters().confirmations();
        }

        /**
         * Where to listen (default 127.0.0.1, an ephemeral port); outbound connections use this
         * host too.
         */
        public Builder listen(String host, int port) {
            Objects.requireNonNull(host, "host");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
            }
            this.host = host;
            this.port = port;
            return this;
        }

        /** Members to join at start and redial while running. */
        public Builder bootstrap(InetSocketAddress... members) {
            bootstrap.addAll(List.of(members));
            return this;
        }

        /**
         * An event loop group to share (the caller shuts it down); default: the node's own 2
         * threads.
         */
        public Builder eventLoopGroup(EventLoopGroup group) {
            this.group = Objects.requireNonNull(group, "group");
            return this;
        }

        /** Confirmations a peer's key needs for full access (default: the network's). */
        public Builder confirmations(int k) {
            this.confirmations = NetworkParameters.checkConfirmations(k);
            return this;
        }

        /** Full access only from a registered IP address (default off). */
        public Builder addressBinding(boolean on) {
            this.addressBinding = on;
            return this;
        }

        /** Receives non-ledger messages from full-access peers (default: none). */
        public Builder application(NodeApplicationHandler handler) {
            this.application = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /** Adds a listener of operational events. */
        public Builder listener(NodeListener listener) {
            this.listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** Replication settings. */
        public Builder syncSettings(SyncSettings settings) {
            this.syncSettings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /** Dial registered addresses of identities seen in new blocks (default on). */
        public Builder discovery(boolean on) {
            this.discovery = on;
            return this;
        }

        /**
         * Answer unbound joiners' requests for the network parameters (default on): the server then
         * also accepts handshakes from initiators without a network id, serves them one {@code
         * NetworkParametersResponse} and closes (docs/ledger.md §11.7). The parameters are public
         * to every member anyway.
         */
        public Builder serveNetworkParameters(boolean on) {
            this.serveNetworkParameters = on;
            return this;
        }

        /** Connection limits (defaults 8 outbound, 64 inbound). */
        public Builder limits(int maxOutbound, int maxInbound) {
            if (maxOutbound < 0 || maxInbound < 0) {
                throw new IllegalArgumentException(
                        "limits: " + maxOutbound + ", " + maxInbound + " (expected: >= 0)");
            }
            this.maxOutbound = maxOutbound;
            this.maxInbound = maxInbound;
            return this;
        }

        /** How long a misbehaving peer's key stays banned (default 10 minutes). */
        public Builder banDuration(Duration d) {
            this.banDuration = Objects.requireNonNull(d, "d");
            return this;
        }

        /**
         * The rate limit of an IP address with repeated failures (failed inbound handshakes,
         * violations that ban a key, connections by a banned key), which replaces banning
         * addresses: once {@code freeFailures} failures from an address are each within a minute of
         * the next, a new inbound connection from it is admitted only {@code spacing} after its
         * last failure or admitted connection, and closed at once otherwise (defaults 5 and 1 s).
         */
        public Builder failureThrottle(int freeFailures, Duration spacing) {
            if (freeFailures < 1) {
                throw new IllegalArgumentException(
                        "freeFailures: " + freeFailures + " (expected: >= 1)");
            }
            Objects.requireNonNull(spacing, "spacing");
            if (spacing.isNegative() || spacing.isZero()) {
                throw new IllegalArgumentException("spacing: " + spacing + " (expected: > 0)");
            }
            this.freeFailures = freeFailures;
            this.throttleSpacing = spacing;
            return this;
        }

        /** How often bans expire and addresses are redialed (default 2 s). */
        public Builder maintenanceInterval(Duration d) {
            if (d.toMillis() < 10) {
                throw new IllegalArgumentException(
                        "maintenanceInterval: " + d + " (expected: >= 10 ms)");
            }
            this.maintenanceInterval = d;
            return this;
        }

        /**
         * How long a peer's session stays open, sync-only, after the peer's key was rotated away on
         * our chain, waiting for its new key to connect (default {@link
         * Node#DEFAULT_ROTATION_GRACE}). Package-private: tests shorten it.
         */
        Builder rotationGrace(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("rotationGrace: " + d + " (expected: > 0)");
            }
            this.rotationGrace = d;
            return this;
        }

        /**
         * Adjusts the secure channel settings (timeouts, suites); network, verifier and certificate
         * are the node's.
         */
        public Builder channel(Consumer<SecureChannelContext.Builder> customizer) {
            this.contextCustomizer = Objects.requireNonNull(customizer, "customizer");
            return this;
        }

        /**
         * Where to save the good outbound peers (anchors) while running and at close, to reconnect
         * them at the next start before anything else (default: not saved). ATTACKS L-14: a node
         * restarted into an eclipse attempt still reaches the peers it trusted before.
         */
        public Builder anchors(Path file) {
            this.anchorsFile = Objects.requireNonNull(file, "file");
            return this;
        }

        /** Builds the node (not started). */
        public Node build() {
            return new Node(this);
        }
    }

    /** Counts, for diagnostics. */
    public Map<String, Integer> stats() {
        Map<String, Integer> m = new HashMap<>();
        m.put("peers", peers.size());
        m.put("inbound", peers.inbound());
        m.put("outbound", peers.outbound() + dialer.inProgress());
        m.put("bans", policing.bans.size());
        m.put("throttled_addresses", policing.throttle.size());
        m.put(
                "refused_connections",
                (int) Math.min(Integer.MAX_VALUE, policing.throttle.refused()));
        return m;
    }
}
