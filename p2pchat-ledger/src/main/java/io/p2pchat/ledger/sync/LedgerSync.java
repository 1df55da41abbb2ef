package io.p2pchat.ledger.sync;

import io.netty.channel.ChannelPipeline;
import io.p2pchat.channel.DelimitedProtobufDecoder;
import io.p2pchat.channel.DelimitedProtobufEncoder;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.chain.BlockEntry;
import io.p2pchat.ledger.chain.ChainState;
import io.p2pchat.ledger.chain.LedgerService;
import io.p2pchat.ledger.chain.LedgerServices;
import io.p2pchat.ledger.chain.Tx;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.ChainTip;
import io.p2pchat.ledger.model.TxId;
import io.p2pchat.proto.NodeMessage;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * Replicates a {@link Ledger} over secure channels: the shared state of the blockchain CA handlers
 * ({@link LedgerSyncHandler}) of one node, and the gossip of its new blocks and transactions.
 *
 * <h2>Usage</h2>
 *
 * <pre>{@code
 * LedgerSync sync = LedgerSync.builder(ledger).build();
 * // in a ChannelInitializer, after context.addHandlers(pipeline, role):
 * sync.addHandlers(pipeline);        // Protobuf decoder + encoder + LedgerSyncHandler
 * pipeline.addLast(new MyApplicationHandler()); // receives the other NodeMessage bodies
 * }</pre>
 *
 * <h2>What it does</h2>
 *
 * On every connection, both sides announce their tip ({@code Status}); a side that learns of a
 * heavier chain downloads its headers (block locators), validates them, then fetches the blocks it
 * lacks, at most 16 at a time per peer and each block from one peer at a time. New best-chain
 * blocks and new mempool transactions are announced to every connected peer that does not know
 * them; peers fetch what they lack (announce, then fetch). {@code docs/ledger.md} ("Replication")
 * specifies the messages and the flow.
 *
 * <h2>Threading</h2>
 *
 * Thread-safe. Handlers run on their channels' event loops and hand all validation and storage to
 * the ledger thread; results come back through each channel's event loop.
 */
public final class LedgerSync {
    private final Ledger ledger;
    private final SyncLedger view;
    private final SyncSettings settings;
    private final Clock clock;
    private final CopyOnWriteArrayList<SyncListener> listeners = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArraySet<LedgerSyncHandler> handlers = new CopyOnWriteArraySet<>();

    /** Block hashes being downloaded, and by which handler: each block from one peer at a time. */
    private final Map<BlockHash, LedgerSyncHandler> inFlight = new ConcurrentHashMap<>();

    /** Completes with the first peer this node caught up with (see {@link #synced()}). */
    private final CompletableFuture<PeerId> synced = new CompletableFuture<>();

    /** Transaction ids recently seen (accepted, rejected or requested), to fetch each once. */
    private final BoundedSet.Synchronized<TxId> seenTxs = BoundedSet.synchronizedSet(50_000);

    private final LedgerService.ChainListener gossip =
            new LedgerService.ChainListener() {
                @Override
                public void onTipChange(ChainState.TipChange change) {
                    List<BlockHeader> headers = new ArrayList<>();
                    List<BlockEntry> connected = change.connected();
                    int from = Math.max(0, connected.size() - 8);
                    for (int i = from; i < connected.size(); i++) {
                        headers.add(connected.get(i).header());
                    }
                    // After a reorganization (or many blocks) peers get a Status and sync by
                    // headers (docs/ledger.md 11.3): announced headers must be consecutive.
                    boolean statusInstead =
                            connected.size() > 8 || !change.disconnected().isEmpty();
                    for (LedgerSyncHandler h : handlers) {
                        h.announceTip(headers, statusInstead);
                    }
                }

                @Override
                public void onTransactionsAccepted(List<Tx> txs) {
                    List<TxId> ids = new ArrayList<>();
                    for (Tx tx : txs) {
                        ids.add(tx.id());
                        seenTxs.add(tx.id());
                    }
                    for (LedgerSyncHandler h : handlers) {
                        h.announceTransactions(ids);
                    }
                }
            };

    private LedgerSync(Builder b) {
        this.ledger = b.ledger;
        this.view = SyncLedger.of(b.ledger);
        this.settings = b.settings;
        this.clock = b.ledger.clock();
        LedgerServices.of(ledger).addChainListener(gossip);
    }

    /** A builder for replication of {@code ledger}. */
    public static Builder builder(Ledger ledger) {
        return new Builder(ledger);
    }

    /** The ledger replicated. */
    public Ledger ledger() {
        return ledger;
    }

    /** The settings. */
    public SyncSettings settings() {
        return settings;
    }

    /** Adds a listener. */
    public void addListener(SyncListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Completes with the first peer this node has synced from: a peer of this network whose tip, as
     * announced in its first {@code Status} on a connection, has no more work than our best chain
     * has since reached (we downloaded and connected what it had, or were already as far). Until
     * then, a node that joins a network knows nothing of that network's chain: it should not mine
     * or submit transactions built on its own view (docs/ledger.md §11.3). Each call returns a new
     * future that the caller may cancel without effect on others.
     */
    public CompletableFuture<PeerId> synced() {
        return synced.copy();
    }

    /** A new handler for one channel. */
    public LedgerSyncHandler newHandler() {
        return new LedgerSyncHandler(this);
    }

    /**
     * Adds, at the end of a pipeline that already holds the secure channel handlers: a {@link
     * DelimitedProtobufDecoder} of {@link NodeMessage}s bounded by {@link
     * SyncSettings#maxMessageBytes()}, the {@link DelimitedProtobufEncoder}, and a new {@link
     * LedgerSyncHandler}. Handlers added after them receive the non-ledger {@code NodeMessage}s.
     */
    public void addHandlers(ChannelPipeline pipeline) {
        pipeline.addLast(
                "p2pchat-node-decoder",
                new DelimitedProtobufDecoder(
                        NodeMessage.getDefaultInstance(), settings.maxMessageBytes()));
        pipeline.addLast("p2pchat-node-encoder", DelimitedProtobufEncoder.INSTANCE);
        pipeline.addLast("p2pchat-ledger-sync", newHandler());
    }

    /** Connections currently replicating. */
    public int connections() {
        return handlers.size();
    }

    /** Stops gossiping (handlers already installed keep answering requests). */
    public void close() {
        LedgerServices.of(ledger).removeChainListener(gossip);
    }

    // ------------------------------------------------------------------ for handlers

    Clock clock() {
        return clock;
    }

    /** What the handlers may ask of the ledger. */
    SyncLedger view() {
        return view;
    }

    void register(LedgerSyncHandler h) {
        handlers.add(h);
    }

    void unregister(LedgerSyncHandler h) {
        handlers.remove(h);
        inFlight.values().removeIf(x -> x == h);
    }

    /** Claims a block download for {@code h}; false if another handler has it. */
    boolean claim(BlockHash hash, LedgerSyncHandler h) {
        LedgerSyncHandler prev = inFlight.putIfAbsent(hash, h);
        return prev == null || prev == h;
    }

    void release(BlockHash hash, LedgerSyncHandler h) {
        inFlight.remove(hash, h);
    }

    java.util.Set<BlockHash> claimedByOthers(LedgerSyncHandler h) {
        java.util.Set<BlockHash> out = new java.util.HashSet<>();
        for (Map.Entry<BlockHash, LedgerSyncHandler> e : inFlight.entrySet()) {
            if (e.getValue() != h) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** Marks a transaction id seen; returns whether it was new. */
    boolean markSeen(TxId id) {
        return seenTxs.add(id);
    }

    void forgetSeen(TxId id) {
        seenTxs.remove(id);
    }

    /** A handler's peer has been caught up with (once per connection). */
    void caughtUp(PeerId peer, ChainTip ours) {
        synced.complete(peer);
        for (SyncListener l : listeners) {
            try {
                l.onCaughtUp(peer, ours);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(LedgerSync.class).warn("sync listener failed", e);
            }
        }
    }

    /** Asks every handler whose peer has more work to continue downloading. */
    void wakeDownloads() {
        for (LedgerSyncHandler h : handlers) {
            h.wake();
        }
    }

    List<SyncListener> listeners() {
        return listeners;
    }

    /** Builds {@link LedgerSync}s. */
    public static final class Builder {
        private final Ledger ledger;
        private SyncSettings settings;

        private Builder(Ledger ledger) {
            this.ledger = Objects.requireNonNull(ledger, "ledger");
            int min = ledger.parameters().maxBlockBytes() + 65536;
            this.settings =
                    SyncSettings.DEFAULT.withMaxMessageBytes(
                            Math.max(SyncSettings.DEFAULT.maxMessageBytes(), min));
        }

        /**
         * The settings (default {@link SyncSettings#DEFAULT}, with the message limit raised to fit
         * the network's largest block).
         *
         * @throws IllegalArgumentException if the message limit cannot carry the largest block
         */
        public Builder settings(SyncSettings settings) {
            Objects.requireNonNull(settings, "settings");
            int min = ledger.parameters().maxBlockBytes() + 65536;
            if (settings.maxMessageBytes() < min) {
                throw new IllegalArgumentException(
                        "maxMessageBytes: "
                                + settings.maxMessageBytes()
                                + " (expected: >= "
                                + min
                                + " for this network's blocks)");
            }
            this.settings = settings;
            return this;
        }

        /** Builds it; it starts gossiping for {@code ledger} at once. */
        public LedgerSync build() {
            return new LedgerSync(this);
        }
    }
}
