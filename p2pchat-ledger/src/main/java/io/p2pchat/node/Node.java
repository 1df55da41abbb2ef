package io.p2pchat.node;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.HandshakeCompletionEvent;
import io.p2pchat.channel.PeerCredentials;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.SecureChannelContext;
import io.p2pchat.channel.SecureSession;
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
import io.p2pchat.proto.NetworkParametersResponse;
import io.p2pchat.proto.NodeMessage;
import io.p2pchat.util.AtomicFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 * garbled frame header) close the connection without any penalty. When a block that revokes or
 * rotates a key joins the best chain, open sessions authenticated with that key are closed.
 *
 * <h2>Threading</h2>
 *
 * Thread-safe. Network I/O runs on the event loop group (the node's own, or one given to the
 * builder, which the caller then owns), ledger work on the ledger thread, mining on the miner
 * thread. {@link #close()} closes connections and the server; it does not close the ledger, which
 * the caller owns.
 */
public final class Node implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Node.class);

    /** The key this node authenticates with now: replaced by {@link #rotateKey}. */
    private volatile LocalIdentity identity;

    /** Every key this node used in this run: its own identity, never dialed or learned. */
    private final Set<PeerId> ownKeys = ConcurrentHashMap.newKeySet();

    private final Ledger ledger;
    private final LedgerSync sync;
    private final LedgerPeerVerifier handshakeVerifier;
    private final LedgerPeerVerifier accessVerifier;
    private final EventLoopGroup group;
    private final boolean ownGroup;
    private final String bindHost;
    private final int bindPort;
    private final NodeApplicationHandler application;
    private final List<NodeListener> listeners;
    private final Duration banDuration;
    private final Duration maintenanceInterval;
    private final int maxOutbound;
    private final int maxInbound;
    private final boolean discovery;
    private final boolean serveNetworkParameters;
    private final Consumer<SecureChannelContext.Builder> contextCustomizer;
    private final BanList bans;
    private final AddressThrottle throttle;
    private final @Nullable Path anchorsFile;
    private volatile List<InetSocketAddress> savedAnchors = List.of();

    private final Map<PeerId, PeerImpl> peersByKey = new ConcurrentHashMap<>();
    private final Set<InetSocketAddress> wanted = ConcurrentHashMap.newKeySet();
    private final Set<InetSocketAddress> discovered = ConcurrentHashMap.newKeySet();

    /** The key of the identity that registered each discovered address. */
    private final Map<InetSocketAddress, PeerId> discoveredKeys = new ConcurrentHashMap<>();

    private final Map<InetSocketAddress, long[]> backoff = new ConcurrentHashMap<>();
    private final Set<InetSocketAddress> dialing = ConcurrentHashMap.newKeySet();

    private volatile @Nullable SecureChannelContext context;
    private volatile @Nullable Channel server;
    private volatile @Nullable ScheduledFuture<?> maintenance;
    private volatile boolean closed;

    private final LedgerService.ChainListener chainListener =
            new LedgerService.ChainListener() {
                @Override
                public void onTipChange(ChainState.TipChange change) {
                    closeRetired(change.retiredKeys());
                    if (discovery) {
                        learnAddresses(change.changedIdentities());
                    }
                }
            };

    private Node(Builder b) {
        this.identity = b.identity;
        this.ownKeys.add(b.identity.peerId());
        this.ledger = b.ledger;
        this.bindHost = b.host;
        this.bindPort = b.port;
        this.application = b.application;
        this.listeners = List.copyOf(b.listeners);
        this.banDuration = b.banDuration;
        this.maintenanceInterval = b.maintenanceInterval;
        this.maxOutbound = b.maxOutbound;
        this.maxInbound = b.maxInbound;
        this.discovery = b.discovery;
        this.serveNetworkParameters = b.serveNetworkParameters;
        this.contextCustomizer = b.contextCustomizer;
        this.bans = new BanList(ledger.clock(), 10_000);
        this.throttle =
                new AddressThrottle(
                        System::nanoTime,
                        b.freeFailures,
                        b.throttleSpacing,
                        AddressThrottle.DEFAULT_MEMORY.compareTo(b.throttleSpacing) < 0
                                ? b.throttleSpacing
                                : AddressThrottle.DEFAULT_MEMORY,
                        10_000);
        this.anchorsFile = b.anchorsFile;
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
        this.wanted.addAll(b.bootstrap);
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
                        PeerImpl p = peersByKey.get(peer);
                        if (p != null) {
                            p.lastBlockNanos = System.nanoTime();
                        }
                    }

                    @Override
                    public void onMisbehaviour(
                            PeerId peer, @Nullable SocketAddress remote, String reason) {
                        ban(peer, remote, reason);
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
        loadAnchors();
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
     * after this call (inbound or outbound) presents {@code next} and its ledger certificate. Open
     * sessions stay as they are: peers close those authenticated with the old key when the block
     * that rotates it joins their best chain ({@link NodeListener#onSessionRevoked}), and this node
     * redials the addresses it keeps.
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
        ownKeys.add(next.peerId());
        identity = next;
        context = c;
        log.info(
                "node {} now authenticates with key {}",
                previous.peerId().shortId(),
                next.peerId().shortId());
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
        return new ArrayList<>(peersByKey.values());
    }

    /** The connected peer with this key id. */
    public Optional<NodePeer> peer(PeerId keyId) {
        return Optional.ofNullable(peersByKey.get(keyId));
    }

    /**
     * Whether a key id (hex) is banned now. IP addresses are never banned (see {@link
     * #isThrottled}).
     */
    public boolean isBanned(String keyId) {
        return bans.isBanned(keyId);
    }

    /**
     * Whether new inbound connections from an IP address (as {@link
     * java.net.InetAddress#getHostAddress}) are rate-limited now, after repeated failures.
     */
    public boolean isThrottled(String host) {
        return throttle.isThrottled(host);
    }

    /** Lifts all bans. */
    public void clearBans() {
        bans.clear();
    }

    /**
     * Joins the network through a member's address: connects (and keeps reconnecting while the node
     * runs), syncs the ledger from it, and gossips with it. When this node is already connected to
     * a peer it dialed at that address, no second connection is opened.
     *
     * @return completes with the peer once the handshake succeeds
     */
    public CompletableFuture<NodePeer> join(InetSocketAddress member) {
        wanted.add(member);
        return connect(member);
    }

    /**
     * Connects once to an address, without redialing it later (unlike {@link #join}): for a caller
     * that paces its own attempts. When this node is already connected to a peer it dialed at that
     * address, completes with it.
     *
     * @return completes with the peer once the handshake succeeds, or fails with the connection's
     *     or the handshake's error
     */
    public CompletableFuture<NodePeer> connect(InetSocketAddress address) {
        PeerImpl existing = connectedThrough(address);
        return existing != null ? CompletableFuture.completedFuture(existing) : dial(address);
    }

    /**
     * A peer this node dialed at {@code address} and is still connected to. (Not one that merely
     * says it listens there: any peer may say so.)
     */
    private @Nullable PeerImpl connectedThrough(InetSocketAddress address) {
        for (PeerImpl p : peersByKey.values()) {
            if (address.equals(p.dialed) && p.channel.isActive()) {
                return p;
            }
        }
        return null;
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
        wanted.remove(member);
        discovered.remove(member);
        discoveredKeys.remove(member);
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
        PeerImpl existing = peersByKey.get(rec.get().currentKeyId());
        if (existing != null) {
            return CompletableFuture.completedFuture(existing);
        }
        List<RegisteredAddress> addresses = rec.get().validAddresses(ledger.clock().millis());
        CompletableFuture<NodePeer> result = new CompletableFuture<>();
        tryAddresses(addresses, 0, result);
        return result;
    }

    private void tryAddresses(
            List<RegisteredAddress> addresses, int i, CompletableFuture<NodePeer> result) {
        if (i >= addresses.size()) {
            result.completeExceptionally(
                    new IllegalStateException("no registered address answered"));
            return;
        }
        RegisteredAddress a = addresses.get(i);
        dial(new InetSocketAddress(a.host(), a.port()))
                .whenComplete(
                        (p, e) -> {
                            if (e == null) {
                                result.complete(p);
                            } else {
                                tryAddresses(addresses, i + 1, result);
                            }
                        });
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

    private CompletableFuture<NodePeer> dial(InetSocketAddress address) {
        CompletableFuture<NodePeer> result = new CompletableFuture<>();
        if (closed || context == null) {
            result.completeExceptionally(new IllegalStateException("node not running"));
            return result;
        }
        dialing.add(address);
        Bootstrap b =
                new Bootstrap()
                        .group(group)
                        .channel(NioSocketChannel.class)
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                        .handler(initializer(Role.INITIATOR, new Dial(address, result)));
        if (!bindHost.equals("0.0.0.0") && !bindHost.equals("::")) {
            b.localAddress(new InetSocketAddress(bindHost, 0));
        }
        b.connect(address)
                .addListener(
                        f -> {
                            if (!f.isSuccess()) {
                                dialing.remove(address);
                                failedDial(address);
                                result.completeExceptionally(f.cause());
                            }
                        });
        return result;
    }

    /**
     * Schedules the next attempt at the current backoff interval without growing it: a dial that
     * fails grows it once ({@link #failedDial}), so the interval doubles once per failed attempt.
     */
    private void holdOff(InetSocketAddress address) {
        long[] state = backoff.computeIfAbsent(address, a -> new long[] {0, 500});
        state[0] = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(state[1]);
    }

    private void failedDial(InetSocketAddress address) {
        long[] state = backoff.computeIfAbsent(address, a -> new long[] {0, 500});
        state[0] = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(state[1]);
        state[1] = Math.min(60_000, state[1] * 2);
    }

    /** Where an outbound connection was dialed, and who waits for it. */
    private record Dial(InetSocketAddress address, CompletableFuture<NodePeer> result) {}

    private ChannelInitializer<Channel> initializer(Role role, @Nullable Dial dial) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                SecureChannelContext c = context;
                if (c == null || closed) {
                    ch.close();
                    return;
                }
                if (role == Role.RESPONDER && !admit(ch)) {
                    return;
                }
                c.addHandlers(ch.pipeline(), role);
                sync.addHandlers(ch.pipeline());
                ch.pipeline()
                        .addLast("p2pchat-node", new Dispatcher(role, dial, c.identity().peerId()));
            }
        };
    }

    /**
     * Admits an inbound connection, or closes it before any handler is added (no handshake work)
     * when its address is throttled after repeated failures.
     */
    private boolean admit(Channel ch) {
        SocketAddress remote = ch.remoteAddress();
        if (remote instanceof InetSocketAddress && !throttle.tryAdmit(host(remote))) {
            log.debug("{}: refused, too many recent failures from this address", ch);
            ch.close();
            return false;
        }
        return true;
    }

    /** Counts a failure of an inbound connection's address toward its throttle. */
    private void addressFailed(Channel ch) {
        SocketAddress remote = ch.remoteAddress();
        if (remote instanceof InetSocketAddress) {
            throttle.failed(host(remote));
        }
    }

    private static String host(SocketAddress a) {
        InetSocketAddress i = (InetSocketAddress) a;
        return i.getAddress() != null ? i.getAddress().getHostAddress() : i.getHostString();
    }

    /** Per channel: registers the peer, dispatches application messages, enforces access. */
    private final class Dispatcher extends ChannelInboundHandlerAdapter {
        private final Role role;
        private final @Nullable Dial dial;
        private final PeerId localKey;
        private final long createdNanos = System.nanoTime();
        private @Nullable PeerImpl peer;
        private boolean unbound;

        Dispatcher(Role role, @Nullable Dial dial, PeerId localKey) {
            this.role = role;
            this.dial = dial;
            this.localKey = localKey;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof HandshakeCompletionEvent) {
                HandshakeCompletionEvent e = (HandshakeCompletionEvent) evt;
                if (e.isSuccess()) {
                    established(ctx, e.session().orElseThrow());
                } else if (dial == null) {
                    ErrorCode code = e.cause().map(ErrorCode::of).orElse(null);
                    if (code != ErrorCode.BUSY && code != ErrorCode.INTERNAL_ERROR) {
                        // Our own overload or failure is not the address's fault.
                        addressFailed(ctx.channel());
                    }
                } else {
                    dialing.remove(dial.address());
                    failedDial(dial.address());
                    dial.result().completeExceptionally(e.cause().orElseThrow());
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        private void established(ChannelHandlerContext ctx, SecureSession session) {
            PeerId key = session.peerId();
            if (session.peerNetworkId().length == 0) {
                // An unbound joiner (docs/ledger.md §11.7): it may ask for the network parameters
                // and nothing else. It is no member: not registered, not shown to the application.
                unbound = true;
                log.debug("{}: unbound joiner {}", ctx.channel(), key.shortId());
                ctx.executor()
                        .schedule(
                                () -> {
                                    ctx.close();
                                },
                                UNBOUND_LIFETIME_MILLIS,
                                TimeUnit.MILLISECONDS);
                return;
            }
            if (dial != null) {
                dialing.remove(dial.address());
                backoff.remove(dial.address());
            }
            if (bans.isBanned(key.toHex())) {
                log.debug("{}: peer {} is banned", ctx.channel(), key.shortId());
                if (role == Role.RESPONDER) {
                    addressFailed(ctx.channel());
                }
                ctx.close();
                fail(new IllegalStateException("peer banned"));
                return;
            }
            if (role == Role.RESPONDER && !peersByKey.containsKey(key) && inbound() >= maxInbound) {
                PeerImpl victim = evictionCandidate();
                if (victim == null) {
                    log.debug(
                            "{}: inbound limit {} reached, every inbound peer is protected",
                            ctx.channel(),
                            maxInbound);
                    ctx.close();
                    return;
                }
                log.info(
                        "inbound limit {} reached: evicting peer {} to admit {}",
                        maxInbound,
                        victim.keyId().shortId(),
                        key.shortId());
                peersByKey.remove(victim.keyId(), victim);
                victim.channel.close();
            }
            PeerImpl p =
                    new PeerImpl(
                            ctx.channel(),
                            session,
                            role,
                            dial == null ? null : dial.address(),
                            localKey,
                            createdNanos);
            PeerImpl winner = register(p);
            if (winner != p) {
                ctx.close();
                if (dial != null) {
                    dial.result().complete(winner);
                }
                return;
            }
            peer = p;
            if (dial != null) {
                dial.result().complete(p);
            }
            log.debug(
                    "{}: peer {} connected ({}, {})",
                    ctx.channel(),
                    key.shortId(),
                    role,
                    p.access());
            try {
                application.onPeerConnected(p);
            } catch (RuntimeException ex) {
                log.warn("application handler failed", ex);
            }
        }

        private void fail(Throwable t) {
            if (dial != null) {
                dial.result().completeExceptionally(t);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof NodeMessage
                    && ((NodeMessage) msg).getBodyCase()
                            == NodeMessage.BodyCase.GET_NETWORK_PARAMETERS
                    && (unbound || peer != null)) {
                ChannelFuture sent = ctx.writeAndFlush(parametersResponse());
                if (unbound) {
                    // One answer per unbound channel, then it is closed.
                    unbound = false;
                    sent.addListener(f -> ctx.close());
                }
                return;
            }
            if (unbound) {
                io.netty.util.ReferenceCountUtil.release(msg);
                log.debug("{}: unbound joiner sent something else; closing", ctx.channel());
                ctx.close();
                return;
            }
            PeerImpl p = peer;
            if (!(msg instanceof NodeMessage) || p == null) {
                io.netty.util.ReferenceCountUtil.release(msg);
                log.debug("{}: dropped a message before the peer was registered", ctx.channel());
                return;
            }
            NodeMessage m = (NodeMessage) msg;
            if (m.getBodyCase() == NodeMessage.BodyCase.BODY_NOT_SET) {
                log.debug(
                        "{}: dropped a NodeMessage with no known body (a newer peer?)",
                        ctx.channel());
                return;
            }
            if (p.access() != PeerAccess.FULL) {
                log.info(
                        "{}: dropped a {} message from sync-only peer {}",
                        ctx.channel(),
                        m.getBodyCase(),
                        p.keyId().shortId());
                return;
            }
            try {
                application.onMessage(p, m);
            } catch (RuntimeException ex) {
                log.warn(
                        "application handler failed on a message from {}", p.keyId().shortId(), ex);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            PeerImpl p = peer;
            if (p != null) {
                peersByKey.remove(p.keyId(), p);
                try {
                    application.onPeerDisconnected(p);
                } catch (RuntimeException ex) {
                    log.warn("application handler failed", ex);
                }
            } else if (dial != null) {
                dialing.remove(dial.address());
                dial.result()
                        .completeExceptionally(
                                new IllegalStateException(
                                        "connection closed before the handshake completed"));
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("{}: {}", ctx.channel(), cause.toString());
            ctx.close();
        }
    }

    /** Inbound peers that recently supplied a block joining our best chain are kept this long. */
    static final long PROTECT_BLOCK_SUPPLIER_NANOS = TimeUnit.MINUTES.toNanos(10);

    /** The inbound peers with the fastest handshakes (lowest latency) kept, at most. */
    static final int PROTECT_FASTEST = 2;

    /** Saved good outbound peers, at most. */
    static final int MAX_ANCHORS = 4;

    /**
     * The inbound peer to evict for a newcomer when the inbound slots are full, or null when every
     * inbound peer is protected (the newcomer is refused then). Never evicted: outbound peers (not
     * candidates at all), peers that supplied a block joining our best chain in the last 10
     * minutes, and the {@link #PROTECT_FASTEST} inbound peers with the fastest handshakes. Among
     * the rest, sync-only peers (no confirmed ledger identity: no proof-of-work cost) go before
     * full-access ones, and the most recently connected first (long-lived peers are kept).
     */
    private @Nullable PeerImpl evictionCandidate() {
        long now = System.nanoTime();
        List<PeerImpl> inbound = new ArrayList<>();
        for (PeerImpl p : peersByKey.values()) {
            if (p.role == Role.RESPONDER && p.channel.isActive()) {
                inbound.add(p);
            }
        }
        List<PeerImpl> candidates = new ArrayList<>(inbound);
        candidates.removeIf(
                p ->
                        p.lastBlockNanos != 0
                                && now - p.lastBlockNanos < PROTECT_BLOCK_SUPPLIER_NANOS);
        inbound.sort(java.util.Comparator.comparingLong(p -> p.handshakeNanos));
        candidates.removeAll(inbound.subList(0, Math.min(PROTECT_FASTEST, inbound.size())));
        if (candidates.isEmpty()) {
            return null;
        }
        candidates.sort(
                java.util.Comparator.comparing((PeerImpl p) -> p.access() == PeerAccess.FULL)
                        .thenComparing(p -> -p.connectedNanos));
        return candidates.get(0);
    }

    /** Adds the saved good peers of the previous run to the addresses to dial. */
    private void loadAnchors() {
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
     * when they changed; written atomically off the event loop.
     */
    private void saveAnchors(boolean now) {
        Path f = anchorsFile;
        if (f == null) {
            return;
        }
        List<PeerImpl> out = new ArrayList<>();
        for (PeerImpl p : peersByKey.values()) {
            if (p.role == Role.INITIATOR && p.dialed != null) {
                out.add(p);
            }
        }
        if (out.isEmpty()) {
            return;
        }
        out.sort(java.util.Comparator.comparingLong((PeerImpl p) -> -p.lastBlockNanos));
        List<InetSocketAddress> anchors = new ArrayList<>();
        for (PeerImpl p : out.subList(0, Math.min(MAX_ANCHORS, out.size()))) {
            anchors.add(p.dialed);
        }
        if (new java.util.HashSet<>(anchors).equals(new java.util.HashSet<>(savedAnchors))) {
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

    /** How long an unbound joiner's channel may stay open (docs/ledger.md §11.7). */
    static final long UNBOUND_LIFETIME_MILLIS = 10_000;

    private NodeMessage parametersResponse() {
        return NodeMessage.newBuilder()
                .setNetworkParameters(
                        NetworkParametersResponse.newBuilder()
                                .setEncoding(
                                        com.google.protobuf.ByteString.copyFrom(
                                                ledger.parameters().encode())))
                .build();
    }

    private int inbound() {
        int n = 0;
        for (PeerImpl p : peersByKey.values()) {
            if (p.role == Role.RESPONDER) {
                n++;
            }
        }
        return n;
    }

    private int outbound() {
        int n = 0;
        for (PeerImpl p : peersByKey.values()) {
            if (p.role == Role.INITIATOR) {
                n++;
            }
        }
        return n + dialing.size();
    }

    /** Keeps one connection per key: the one dialed by the smaller PeerId wins. */
    private synchronized PeerImpl register(PeerImpl p) {
        PeerImpl existing = peersByKey.get(p.keyId());
        if (existing == null || !existing.channel.isActive()) {
            peersByKey.put(p.keyId(), p);
            return p;
        }
        if (p.initiatorId().compareTo(existing.initiatorId()) < 0) {
            peersByKey.put(p.keyId(), p);
            existing.channel.close();
            return p;
        }
        return existing;
    }

    /**
     * Bans the key of a peer that misbehaved (docs/protocol.md §11.1), never its address: the
     * address only gets a failure toward its throttle.
     */
    private void ban(@Nullable PeerId peer, @Nullable SocketAddress remote, String reason) {
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

    private void closeRetired(Set<PeerId> retired) {
        for (PeerId k : retired) {
            PeerImpl p = peersByKey.get(k);
            if (p != null) {
                log.info(
                        "closing the session of peer {}: its key was revoked or rotated away",
                        k.shortId());
                p.channel.close();
                for (NodeListener l : listeners) {
                    try {
                        l.onSessionRevoked(k);
                    } catch (RuntimeException e) {
                        log.warn("node listener failed", e);
                    }
                }
            }
        }
    }

    private void learnAddresses(Map<PeerId, @Nullable IdentityEntry> changed) {
        long now = ledger.clock().millis();
        for (IdentityEntry e : changed.values()) {
            if (e == null || e.revoked() || isOwn(e)) {
                continue;
            }
            for (RegisteredAddress a : e.addresses()) {
                if (a.isValidAt(now) && discovered.size() < 256) {
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

    /** Periodic: expire bans, redial wanted and discovered addresses. */
    private void maintain() {
        if (closed) {
            return;
        }
        bans.expire();
        throttle.expire();
        saveAnchors(false);
        Set<InetSocketAddress> connected = new LinkedHashSet<>();
        for (PeerImpl p : peersByKey.values()) {
            if (p.dialed != null) {
                connected.add(p.dialed);
            }
            p.session.peerListenAddress().ifPresent(s -> connected.add(parse(s)));
        }
        InetSocketAddress self = server == null ? null : localAddress();
        List<InetSocketAddress> targets = new ArrayList<>(wanted);
        targets.addAll(discovered);
        long now = System.nanoTime();
        for (InetSocketAddress a : targets) {
            if (outbound() >= maxOutbound && !wanted.contains(a)) {
                break;
            }
            if (a.equals(self) || connected.contains(a) || dialing.contains(a)) {
                continue;
            }
            PeerId owner = discoveredKeys.get(a);
            if (owner != null && !wanted.contains(a) && peersByKey.containsKey(owner)) {
                continue; // already connected to that identity, through another address
            }
            long[] state = backoff.get(a);
            if (state != null && now < state[0]) {
                continue;
            }
            holdOff(a); // no second attempt while this one runs; a failure backs off further
            dial(a);
        }
    }

    private static @Nullable InetSocketAddress parse(String hostAndPort) {
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

    /** Closes every connection and the server; the ledger stays open (the caller owns it). */
    @Override
    public void close() {
        saveAnchors(true);
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
        for (PeerImpl p : peersByKey.values()) {
            p.channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        peersByKey.clear();
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
                + peersByKey.size()
                + " peers]";
    }

    /** A connected peer. */
    private final class PeerImpl implements NodePeer {
        final Channel channel;
        final SecureSession session;
        final Role role;
        final @Nullable InetSocketAddress dialed;
        final PeerCredentials credentials;
        final PeerId localKey;
        final long connectedNanos = System.nanoTime();
        final long handshakeNanos;
        volatile long lastBlockNanos;

        PeerImpl(
                Channel channel,
                SecureSession session,
                Role role,
                @Nullable InetSocketAddress dialed,
                PeerId localKey,
                long channelCreatedNanos) {
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

    /** Builds {@link Node}s. */
    public static final class Builder {
        private final LocalIdentity identity;
        private final Ledger ledger;
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
            if (k < 1 || k > 1000) {
                throw new IllegalArgumentException("confirmations: " + k + " (expected: 1..1000)");
            }
            this.confirmations = k;
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
        m.put("peers", peersByKey.size());
        m.put("inbound", inbound());
        m.put("outbound", outbound());
        m.put("bans", bans.size());
        m.put("throttled_addresses", throttle.size());
        m.put("refused_connections", (int) Math.min(Integer.MAX_VALUE, throttle.refused()));
        return m;
    }
}
