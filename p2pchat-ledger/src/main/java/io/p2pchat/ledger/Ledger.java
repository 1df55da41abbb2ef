package io.p2pchat.ledger;

import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.chain.BlockValidator;
import io.p2pchat.ledger.chain.ChainState;
import io.p2pchat.ledger.chain.IdentityEntry;
import io.p2pchat.ledger.chain.LedgerService;
import io.p2pchat.ledger.chain.LedgerServices;
import io.p2pchat.ledger.chain.SignatureCache;
import io.p2pchat.ledger.chain.StateDelta;
import io.p2pchat.ledger.chain.Tx;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.ChainTip;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.LedgerListener;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.Merkle;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.OpenReport;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.store.BlockStore;
import io.p2pchat.ledger.store.FileBlockStore;
import io.p2pchat.ledger.store.MemoryBlockStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replica of an identity ledger: the proof-of-work chain of identity transactions, its identity
 * state, the pool of transactions waiting to be mined, and the persistent store.
 *
 * <h2>Usage</h2>
 *
 * <pre>{@code
 * NetworkParameters params = NetworkParameters.decode(sharedParameterBytes);
 * try (Ledger ledger = Ledger.builder(params).dataDirectory(Path.of("ledger")).open()) {
 *     ledger.submitTransaction(IdentityTransactions.forNetwork(params)
 *             .register(me, List.of(myAddress), null)).get();
 *     ledger.miner().start();
 *     Optional<IdentityRecord> bob = ledger.identityByName("bob");
 * }
 * }</pre>
 *
 * To replicate it over the network, run it in a {@link io.p2pchat.node.Node}. To use it as the
 * certificate authority of secure channels, give a {@link LedgerPeerVerifier} and a {@link
 * LedgerCertificateSource} to the {@link io.p2pchat.channel.SecureChannelContext}.
 *
 * <h2>Threading</h2>
 *
 * Thread-safe. Every change (blocks, transactions) runs on the ledger's own thread, which is
 * persisted (fsync) before the returned future completes and before listeners hear of it; lookups
 * read a consistent snapshot from any thread without waiting for that thread. Never call {@code
 * get()} on a returned future from a Netty event loop.
 *
 * <h2>Failure</h2>
 *
 * Opening fails with a {@link LedgerStorageException} for a locked, corrupt or foreign data
 * directory; a torn tail is repaired and reported ({@link #openReport()}), and so is a stored block
 * that breaks a header rule, which is left out. Opened {@linkplain Builder#readOnly read-only}, a
 * ledger only reports. An I/O failure later stops block acceptance (blocks are rejected with {@code
 * IO_FAILURE}) and is logged; close and reopen the ledger to recover.
 */
public final class Ledger implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Ledger.class);

    /**
     * Transactions replayed at open from which a state snapshot is written right away (otherwise
     * only at close): small ledgers replay faster than a snapshot is written.
     */
    static final long SNAPSHOT_AFTER_REPLAYED = 10_000;

    private final NetworkParameters params;
    private final Clock clock;

    static {
        LedgerServices.register(ledger -> ((Ledger) ledger).service);
    }

    private final LedgerService service;
    private final BlockStore store;
    private final OpenReport report;
    private final Miner miner;
    private final String name;

    private Ledger(
            NetworkParameters params,
            Clock clock,
            LedgerService service,
            BlockStore store,
            OpenReport report,
            String name) {
        this.params = params;
        this.clock = clock;
        this.service = service;
        this.store = store;
        this.report = report;
        this.name = name;
        this.miner = new Miner(service, name);
    }

    /** Starts a builder for a ledger of {@code params}'s network. */
    public static Builder builder(NetworkParameters params) {
        return new Builder(params);
    }

    /** The network parameters. */
    public NetworkParameters parameters() {
        return params;
    }

    /** The clock the ledger reads "now" from. */
    public Clock clock() {
        return clock;
    }

    /** What opening found and repaired. */
    public OpenReport openReport() {
        return report;
    }

    /** The best chain's tip. */
    public ChainTip tip() {
        return service.chain().tip();
    }

    /** The identity with this id (the registration key's PeerId). */
    public Optional<IdentityRecord> identity(PeerId identityId) {
        IdentityEntry e = service.chain().identity(identityId);
        return e == null ? Optional.empty() : Optional.of(LedgerService.toRecord(e));
    }

    /**
     * The identity that uses, or used, the key with this PeerId: what a handshake knows of a peer.
     * Check {@link IdentityRecord#currentKeyId()}: after a rotation the old key still finds the
     * identity, but is no longer its key.
     */
    public Optional<IdentityRecord> identityByKey(PeerId keyId) {
        IdentityEntry e = service.chain().identityByKey(keyId);
        return e == null ? Optional.empty() : Optional.of(LedgerService.toRecord(e));
    }

    /** The identity that owns a display name. */
    public Optional<IdentityRecord> identityByName(String name) {
        IdentityEntry e = service.chain().identityByName(name);
        return e == null ? Optional.empty() : Optional.of(LedgerService.toRecord(e));
    }

    /** Number of identities on the best chain. */
    public int identityCount() {
        return service.chain().identityCount();
    }

    /** Confirmations of a block on the best chain (1 for the tip), 0 when it is not on it. */
    public long confirmations(BlockHash block) {
        return service.chain().confirmations(block);
    }

    /** The best-chain header at {@code height}. */
    public Optional<BlockHeader> headerAt(long height) {
        return Optional.ofNullable(service.chain().headerAt(height));
    }

    /** The sequence number the identity's next transaction must carry, counting the mempool. */
    public CompletableFuture<Long> nextSequence(PeerId identityId) {
        return service.call(() -> service.chain().mempool().nextSequence(identityId));
    }

    /** Validates a transaction and queues it for mining. */
    public CompletableFuture<TxResult> submitTransaction(LedgerTransaction tx) {
        return service.submitTransaction(tx.bytes());
    }

    /** Validates and stores a block (a serialized Protobuf {@code Block}). */
    public CompletableFuture<BlockResult> submitBlock(byte[] block) {
        BlockData data;
        try {
            data = BlockData.decode(block);
        } catch (InvalidBlockException e) {
            return CompletableFuture.completedFuture(
                    new BlockResult(BlockResult.Status.REJECTED, null, e.reason(), e.getMessage()));
        }
        return service.submitBlock(data);
    }

    /** A stored block as a serialized Protobuf {@code Block}, if stored. */
    public CompletableFuture<Optional<byte[]>> block(BlockHash hash) {
        return service.call(
                () -> {
                    BlockData b = service.chain().readBlock(hash);
                    return b == null
                            ? Optional.<byte[]>empty()
                            : Optional.of(b.toProto().toByteArray());
                });
    }

    /** Transactions waiting to be mined. */
    public CompletableFuture<List<LedgerTransaction>> mempool() {
        return service.call(
                () -> {
                    List<LedgerTransaction> out = new ArrayList<>();
                    for (Tx tx : service.chain().mempool().transactions()) {
                        out.add(LedgerTransaction.of(tx.envelope()));
                    }
                    return out;
                });
    }

    /**
     * The certificate of a key, if it is the current key of an unrevoked identity: the transaction
     * that installed it, its inclusion proof and its block's header.
     */
    public CompletableFuture<Optional<LedgerCertificate>> certificate(PeerId keyId) {
        return service.call(
                () -> {
                    IdentityEntry e = service.chain().identityByKey(keyId);
                    if (e == null || e.revoked() || !e.currentKeyId().equals(keyId)) {
                        return Optional.<LedgerCertificate>empty();
                    }
                    IdentityEntry.KeyEvent k = e.currentKeyEvent();
                    BlockData b = service.chain().readBlock(k.block());
                    if (b == null) {
                        return Optional.<LedgerCertificate>empty();
                    }
                    List<byte[]> leaves = b.leafHashes();
                    return Optional.of(
                            LedgerCertificate.of(
                                    params.networkId(),
                                    b.header(),
                                    b.transactions().get(k.txIndex()),
                                    k.txIndex(),
                                    leaves.size(),
                                    Merkle.proof(leaves, k.txIndex())));
                });
    }

    /** The miner of this ledger (idle until started). */
    public Miner miner() {
        return miner;
    }

    /** Adds a listener. */
    public void addListener(LedgerListener listener) {
        service.addListener(Objects.requireNonNull(listener, "listener"));
    }

    /** Removes a listener. */
    public void removeListener(LedgerListener listener) {
        service.removeListener(listener);
    }

    /**
     * Re-validates the whole best chain from genesis on a fresh state (the {@code ledger verify}
     * operation): every rule of {@code docs/ledger.md} §6 a block from the network must pass, its
     * header's included (the same {@link BlockValidator} methods), every signature verified again;
     * checks the result equals the live state; and fails if the open left out a stored block for
     * breaking a header rule ({@link OpenReport#rejectedBlocks()}, those that are {@linkplain
     * OpenReport.RejectedBlock#fault() faults}).
     *
     * @return completes with the number of blocks checked, or fails with the first {@link
     *     InvalidBlockException} or a mismatch
     */
    public CompletableFuture<Long> verifyFully() {
        return service.call(
                () -> {
                    ChainState chain = service.chain();
                    BlockValidator fresh =
                            new BlockValidator(params, clock, new SignatureCache(16));
                    io.p2pchat.ledger.chain.IdentityState rebuilt =
                            new io.p2pchat.ledger.chain.IdentityState();
                    List<BlockHash> hashes = chain.bestHashes(1);
                    for (BlockHash h : hashes) {
                        BlockData b = chain.readBlock(h);
                        fresh.checkHeader(b.header(), chain::header);
                        List<Tx> txs = fresh.checkBody(b);
                        StateDelta d = fresh.connect(b.header(), txs, rebuilt, true);
                        rebuilt.apply(d);
                    }
                    List<java.util.Map<?, ?>> live = chain.stateSnapshot();
                    if (!live.get(0).equals(rebuilt.identities())
                            || !live.get(1).equals(rebuilt.keyIndex())
                            || !live.get(2).equals(rebuilt.nameIndex())) {
                        throw new IllegalStateException(
                                "identity state differs from a rebuild of the best chain");
                    }
                    for (OpenReport.RejectedBlock r : report.rejectedBlocks()) {
                        if (r.fault()) {
                            throw new InvalidBlockException(r.reason(), r.sentence());
                        }
                    }
                    return (long) hashes.size();
                });
    }

    /** The ledger service; other packages reach it through {@link LedgerServices}. */
    LedgerService service() {
        return service;
    }

    /** Stops the miner and the ledger thread, syncs and closes the store. */
    @Override
    public void close() {
        miner.close();
        CompletableFuture<Void> closed =
                service.call(
                        () -> {
                            try {
                                // A snapshot of the final state makes the next open fast; it is
                                // only a cache, so failing to write it does not fail the close.
                                service.chain().writeSnapshot();
                            } catch (LedgerStorageException | RuntimeException e) {
                                log.warn(
                                        "ledger {}: state snapshot not written: {}",
                                        name,
                                        e.toString());
                            }
                            try {
                                store.close();
                            } catch (IOException e) {
                                log.warn("closing the block store failed: {}", e.toString());
                            }
                            return null;
                        });
        try {
            closed.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("closing the ledger failed: {}", e.toString());
        }
        service.close();
    }

    @Override
    public String toString() {
        return "Ledger[" + name + ", " + params + ", tip " + tip() + "]";
    }

    /** Builds and opens {@link Ledger}s. */
    public static final class Builder {
        private final NetworkParameters params;
        private @Nullable Path dataDirectory;
        private Clock clock = Clock.systemUTC();
        private boolean repair;
        private boolean readOnly;
        private String name = "ledger";
        private ChainState.Limits limits = ChainState.Limits.DEFAULT;

        private Builder(NetworkParameters params) {
            this.params = Objects.requireNonNull(params, "params");
        }

        /** Where to persist (default: nowhere, the ledger lives in memory). */
        public Builder dataDirectory(Path dir) {
            this.dataDirectory = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /** The clock for timestamps and the 2 h future limit (default: system UTC). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * On corruption, cut the block log at the first damaged record instead of failing; the node
         * then re-syncs the rest from its peers (default off).
         *
         * <h4>Warning</h4>
         *
         * Everything after the damaged record is dropped from disk, including valid blocks.
         */
        public Builder repairCorruption(boolean repair) {
            this.repair = repair;
            return this;
        }

        /**
         * Open the data directory read-only, for an audit (default off): nothing in it is created,
         * written, truncated or repaired, and no state snapshot is written; what a normal open
         * would repair (a torn tail) is reported in the {@link OpenReport} instead and left for the
         * next normal open. A shared lock is taken: a ledger open for writing on the directory
         * refuses it ({@code DATADIR_LOCKED}), and read-only opens in other processes share it. The
         * ledger reads and verifies as usual, but every block submitted (or mined) is rejected with
         * {@code IO_FAILURE}. Needs a {@link #dataDirectory}; not with {@link #repairCorruption}.
         */
        public Builder readOnly(boolean readOnly) {
            this.readOnly = readOnly;
            return this;
        }

        /** A name for threads and logs (default "ledger"). */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Pool limits (tests). */
        Builder limits(ChainState.Limits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * Opens the ledger: locks and loads the data directory (verifying every stored block's hash
         * link, Merkle root and header rules: a block breaking one is left out and reported in
         * {@link OpenReport#rejectedBlocks()}), or starts an in-memory one.
         *
         * @throws LedgerStorageException {@code DATADIR_LOCKED}, {@code CORRUPT_LEDGER}, {@code
         *     WRONG_NETWORK} or {@code IO_FAILURE}
         */
        public Ledger open() throws LedgerStorageException {
            long start = System.nanoTime();
            if (readOnly && (dataDirectory == null || repair)) {
                throw new IllegalStateException(
                        "readOnly needs a dataDirectory and excludes repairCorruption");
            }
            BlockStore store =
                    dataDirectory == null
                            ? new MemoryBlockStore()
                            : readOnly
                                    ? FileBlockStore.openReadOnly(dataDirectory, params)
                                    : FileBlockStore.open(dataDirectory, params, repair);
            ChainState chain = new ChainState(params, clock, store, limits);
            ChainState.LoadSummary summary;
            try {
                summary = chain.load();
            } catch (LedgerStorageException | RuntimeException e) {
                try {
                    store.close();
                } catch (IOException ignored) {
                    // already failing
                }
                throw e;
            }
            LedgerService service = new LedgerService(chain, name);
            ChainTip tip = chain.tip();
            List<String> events = new ArrayList<>(summary.store().events());
            events.addAll(summary.events());
            OpenReport report =
                    new OpenReport(
                            summary.store().blocks(),
                            summary.store().truncatedBytes(),
                            summary.store().repairedBytes(),
                            chain.identityCount(),
                            summary.snapshotHeight(),
                            tip.height(),
                            Duration.ofNanos(System.nanoTime() - start),
                            events,
                            summary.rejected(),
                            readOnly);
            log.info(
                    "ledger {} opened: {} blocks, tip {} at height {}, {} identities ({}) in {} ms",
                    name,
                    report.blocksLoaded(),
                    tip.hash().shortHex(),
                    tip.height(),
                    report.identities(),
                    summary.snapshotHeight() > 0
                            ? "state snapshot at height "
                                    + summary.snapshotHeight()
                                    + ", "
                                    + summary.replayedTransactions()
                                    + " transactions replayed"
                            : summary.replayedTransactions() + " transactions replayed",
                    report.elapsed().toMillis());
            if (summary.replayedTransactions() >= SNAPSHOT_AFTER_REPLAYED) {
                // A long replay (no snapshot, or a stale one, as after a crash): snapshot the state
                // now, in the background on the ledger thread, so that the next open is fast.
                service.call(chain::writeSnapshot)
                        .whenComplete(
                                (written, e) -> {
                                    if (e != null) {
                                        log.warn(
                                                "ledger {}: state snapshot not written: {}",
                                                name,
                                                e.toString());
                                    }
                                });
            }
            return new Ledger(params, clock, service, store, report, name);
        }
    }
}
