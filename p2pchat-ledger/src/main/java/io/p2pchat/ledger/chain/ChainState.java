package io.p2pchat.ledger.chain;

import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.ChainTip;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.LedgerHashes;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.Merkle;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.OpenReport;
import io.p2pchat.ledger.model.RejectReason;
import io.p2pchat.ledger.model.TxId;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.store.BlockStore;
import io.p2pchat.ledger.store.RecordFormat;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ledger's single-writer core: the block tree, the best chain, the identity state, the mempool
 * and the orphan pool, over a {@link BlockStore}.
 *
 * <h2>Fork choice</h2>
 *
 * The best chain is the valid chain with the most cumulative work (the sum of 2^256/(target+1)); on
 * equal work the chain whose tip arrived first stays. Blocks are stored once their header and
 * stateless body rules pass; they are fully validated (state rules, signatures under current keys)
 * when they join the best chain. A reorganization disconnects blocks with their undo data and
 * connects the new branch on a {@link StateDelta} layered over the state, and commits only if the
 * whole branch is valid; a branch with an invalid block is marked invalid from that block on, and
 * the best valid prefix is used instead.
 *
 * <h2>Threading</h2>
 *
 * Mutating methods run on the ledger thread only. Read methods ({@link #tip()}, identity lookups,
 * best-chain queries) may be called from any thread: they take the read lock, which the ledger
 * thread takes for writing only to commit a prepared change (no I/O, no crypto under it).
 */
public final class ChainState {
    private static final Logger log = LoggerFactory.getLogger(ChainState.class);

    /** Limits of the in-memory pools. */
    public record Limits(
            int maxOrphans,
            long maxOrphanBytes,
            int maxHeaderOnly,
            int maxInvalidCache,
            int maxMempoolTxs,
            long maxMempoolBytes,
            int maxPendingPerIdentity,
            int signatureCacheSize) {
        /** Defaults. */
        public static final Limits DEFAULT =
                new Limits(64, 16L << 20, 50_000, 10_000, 5_000, 8L << 20, 8, 100_000);
    }

    /** What a tip change did, for listeners and gossip. */
    public record TipChange(
            ChainTip oldTip,
            ChainTip newTip,
            List<BlockEntry> disconnected,
            List<BlockEntry> connected,
            Set<PeerId> retiredKeys,
            Map<PeerId, @Nullable IdentityEntry> changedIdentities) {}

    private final NetworkParameters params;
    private final Clock clock;
    private final BlockStore store;
    private final Limits limits;
    private final BlockValidator validator;
    private final SignatureCache sigs;

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    /** All known blocks and headers. Entries are added on the ledger thread. */
    private final ConcurrentHashMap<BlockHash, BlockEntry> index = new ConcurrentHashMap<>();

    /** Guarded by lock. */
    private final ArrayList<BlockEntry> best = new ArrayList<>();

    /** Guarded by lock. */
    private final IdentityState state = new IdentityState();

    // --- ledger thread only ---
    private final TreeSet<BlockEntry> candidates =
            new TreeSet<>(
                    Comparator.comparing((BlockEntry e) -> e.chainWork)
                            .reversed()
                            .thenComparingLong(e -> e.sequence));
    private final LinkedHashMap<BlockHash, RejectReason> invalidCache = new LinkedHashMap<>();
    private final LinkedHashMap<BlockHash, BlockData> orphans = new LinkedHashMap<>();
    private long orphanBytes;
    private final Map<BlockHash, List<Tx>> decoded = new HashMap<>();
    private final Mempool mempool;
    private final List<TipChange> pendingChanges = new ArrayList<>();
    private final List<Tx> acceptedTxs = new ArrayList<>();
    private int headerOnly;
    private long sequence;

    /**
     * Best-chain blocks up to this height have no undo data, because their state was loaded from a
     * snapshot; {@link #ensureUndo} rebuilds it before a reorganization needs it. 0 when all have.
     */
    private long undoMissingThrough;

    /** The block of the stored snapshot, or null: no snapshot is written while the tip is there. */
    private @Nullable BlockHash snapshotBlock;

    /** While loading with a snapshot: where it claims to be (read before the log, not checked). */
    private StateSnapshot.@Nullable Head snapshotHead;

    /** While loading with a snapshot on the way: its result; blocks are not replayed meanwhile. */
    private @Nullable CompletableFuture<SnapshotResult> snapshotLoad;

    /** Transactions replayed into the state by the last {@link #load}. */
    private long replayedTransactions;

    /** A snapshot read and decoded off the opening thread, or why there is none. */
    private record SnapshotResult(@Nullable StateSnapshot snapshot, @Nullable String problem) {}

    public ChainState(NetworkParameters params, Clock clock, BlockStore store, Limits limits) {
        this.params = params;
        this.clock = clock;
        this.store = store;
        this.limits = limits;
        this.sigs = new SignatureCache(limits.signatureCacheSize());
        this.validator = new BlockValidator(params, clock, sigs);
        this.mempool =
                new Mempool(
                        params,
                        sigs,
                        state,
                        limits.maxMempoolTxs(),
                        limits.maxMempoolBytes(),
                        limits.maxPendingPerIdentity());
        BlockEntry genesis = new BlockEntry(params.genesis(), null, sequence++);
        genesis.dataChain = true;
        index.put(genesis.hash, genesis);
        best.add(genesis);
    }

    /** The validator. */
    public BlockValidator validator() {
        return validator;
    }

    /** The network parameters. */
    public NetworkParameters params() {
        return params;
    }

    // ------------------------------------------------------------------ loading

    /**
     * What {@link #load} found.
     *
     * @param store what the block log held
     * @param unattached stored blocks without a stored parent, ignored
     * @param snapshotHeight the height of the state snapshot the state started from, 0 for none
     * @param replayedTransactions transactions decoded and replayed from the log into the state
     * @param events notes on the snapshot (why one was ignored) and on rejected stored blocks
     * @param rejected stored blocks that break a header rule (§6.2), left out of the tree
     */
    public record LoadSummary(
            BlockStore.LoadResult store,
            int unattached,
            long snapshotHeight,
            long replayedTransactions,
            List<String> events,
            List<OpenReport.RejectedBlock> rejected) {}

    /** A stored block read by {@link #load} and not linked yet. */
    private record Pending(
            long position,
            long record,
            BlockHeader header,
            @Nullable BlockData block,
            boolean bodyUnchecked) {}

    /** What {@link #load} keeps while it scans the log. */
    private static final class Scan {
        /** Stored blocks whose parent is not linked (yet), by the parent's hash. */
        final Map<BlockHash, List<Pending>> waiting = new HashMap<>();

        /** Stored blocks not in the tree (waiting or left out): hash to parent hash. */
        final Map<BlockHash, BlockHash> unlinked = new HashMap<>();

        /** Stored blocks left out for breaking a header rule (those in {@link #rejected}). */
        final Map<BlockHash, BlockHeader> left = new HashMap<>();

        final List<OpenReport.RejectedBlock> rejected = new ArrayList<>();

        /** Block records seen, counting from 1 as the store's reports do. */
        long records;

        BlockHash lastTip;

        Scan(BlockHash genesis) {
            lastTip = genesis;
        }
    }

    /**
     * Loads the store: verifies every stored block (checksum, hash link, Merkle root, and every
     * header rule of §6.1-6.2 through the same {@link BlockValidator} methods as a block from the
     * network), replays the recorded best chain without re-verifying signatures, then fully
     * validates any heavier stored branch that was never recorded as validated. With a state
     * snapshot that matches the recorded chain, the state is loaded from it and only the blocks
     * above it are replayed; the Merkle roots of the blocks it covers are checked on first read
     * instead ({@code docs/ledger.md} §9.4).
     *
     * <p>A stored block that breaks a rule needing its parent (§6.2) is left out of the tree with
     * every block built on it, as the network path leaves it out: remembered as invalid, unless the
     * rule is {@code TIME_TOO_NEW}, which a later open (or the block sent again) may pass. If the
     * last tip record names such a block, the chain falls back to its parent and then to the
     * most-work valid branch. Each is reported in {@link LoadSummary#rejected}.
     */
    public LoadSummary load() throws LedgerStorageException {
        // A snapshot is read, checked and decoded on another thread while the log is verified;
        // until it is resolved, blocks extending the chain are linked but not replayed.
        snapshotLoad = store.hasSnapshot() ? startSnapshotLoad() : null;
        byte[] head =
                snapshotLoad == null ? null : store.readSnapshotHead(StateSnapshot.HEAD_LENGTH);
        snapshotHead = head == null ? null : StateSnapshot.head(head);
        replayedTransactions = 0;
        Scan scan = new Scan(params.genesis().hash());
        List<BlockHash> invalids = new ArrayList<>();
        List<Integer> invalidCodes = new ArrayList<>();
        BlockStore.LoadResult result =
                store.load(
                        new BlockStore.Visitor() {
                            @Override
                            public void block(long position, BlockData block)
                                    throws BlockStore.CorruptRecordException {
                                stored(
                                        position,
                                        block.header(),
                                        Merkle.root(block.leafHashes()),
                                        block);
                            }

                            @Override
                            public boolean headersSuffice() {
                                // With a snapshot on the way no block is replayed during the
                                // scan, so the transactions need not be decoded.
                                return snapshotLoad != null;
                            }

                            @Override
                            public void storedBlock(long position, RecordFormat.StoredBlock stored)
                                    throws BlockStore.CorruptRecordException {
                                BlockHeader h = stored.header();
                                // At or under the snapshot's height: its state is expected from
                                // the snapshot, and its transactions are checked against the
                                // header's Merkle root when first read (readStored), not now.
                                // The record's CRC32C was checked.
                                boolean covered =
                                        snapshotHead != null && h.height() <= snapshotHead.height();
                                stored(position, h, covered ? null : stored.merkleRoot(), null);
                            }

                            private void stored(
                                    long position,
                                    BlockHeader header,
                                    byte @Nullable [] merkleRoot,
                                    @Nullable BlockData block)
                                    throws BlockStore.CorruptRecordException {
                                long record = ++scan.records;
                                verifyStored(header, merkleRoot);
                                BlockEntry known = index.get(header.hash());
                                if ((known != null && known.hasData())
                                        || scan.left.containsKey(header.hash())) {
                                    return; // a duplicate record: harmless
                                }
                                Pending p =
                                        new Pending(
                                                position,
                                                record,
                                                header,
                                                block,
                                                merkleRoot == null);
                                BlockEntry parent = index.get(header.previous());
                                if (parent == null) {
                                    // Stored before its parent (out-of-order download), or its
                                    // parent was left out; attach later, if ever.
                                    scan.waiting
                                            .computeIfAbsent(
                                                    header.previous(), k -> new ArrayList<>())
                                            .add(p);
                                    scan.unlinked.put(header.hash(), header.previous());
                                    return;
                                }
                                attachLoaded(parent, p, scan);
                            }

                            @Override
                            public void tip(BlockHash tip)
                                    throws BlockStore.CorruptRecordException {
                                scan.lastTip = linkedTip(tip, scan);
                            }

                            @Override
                            public void invalid(BlockHash hash, int reasonCode) {
                                invalids.add(hash);
                                invalidCodes.add(reasonCode);
                            }
                        });
        for (int i = 0; i < invalids.size(); i++) {
            BlockEntry e = index.get(invalids.get(i));
            RejectReason reason = reasonOf(invalidCodes.get(i));
            if (e != null) {
                markInvalid(e, reason);
            }
        }
        // A recorded tip that a header rule left out (a block written into the log by hand and
        // vouched for by a tip record) stood for its nearest linked ancestor (linkedTip); one
        // marked invalid by a record stands for its valid prefix. The most-work valid branch is
        // then chosen below.
        BlockEntry target = index.get(scan.lastTip);
        while (target.invalid != null) {
            target = target.parent;
        }
        List<String> events = new ArrayList<>();
        long snapshotHeight = 0;
        if (snapshotLoad != null) {
            SnapshotResult sr = snapshotLoad.join();
            snapshotHeight = resolveSnapshot(sr, target, events);
            snapshotLoad = null;
            snapshotHead = null;
        }
        int unattached = 0;
        for (List<Pending> l : scan.waiting.values()) {
            unattached += l.size();
        }
        if (unattached > 0) {
            log.info(
                    "{} stored blocks have no usable stored parent and are ignored (they will be"
                            + " fetched again if valid)",
                    unattached);
        }
        for (OpenReport.RejectedBlock r : scan.rejected) {
            events.add("REJECTED_STORED_BLOCK: " + r.describe());
        }
        // Move the replayed chain to the recorded tip (usually it already is there).
        BlockEntry tip = best.get(best.size() - 1);
        if (target != tip) {
            log.info("startup: moving the replayed chain to the recorded tip {}", target);
            reorgTrusted(target);
        }
        // Blocks loaded after the last tip record were never recorded as validated.
        candidates.clear();
        for (BlockEntry e : index.values()) {
            if (e.dataChain
                    && e.invalid == null
                    && e.chainWork.compareTo(tipEntry().chainWork) > 0) {
                candidates.add(e);
            }
        }
        if (!candidates.isEmpty()) {
            log.info(
                    "startup: validating {} stored branches beyond the last tip record",
                    candidates.size());
        }
        activateBestChain();
        pendingChanges.clear();
        return new LoadSummary(
                result, unattached, snapshotHeight, replayedTransactions, events, weighed(scan));
    }

    /** The rejected blocks, each with whether its chain has more work than the chosen tip. */
    private List<OpenReport.RejectedBlock> weighed(Scan scan) {
        BigInteger tipWork = tipEntry().chainWork;
        List<OpenReport.RejectedBlock> out = new ArrayList<>(scan.rejected.size());
        for (OpenReport.RejectedBlock r : scan.rejected) {
            BlockHeader h = scan.left.get(r.hash());
            BlockEntry parent = index.get(h.previous());
            boolean heavier =
                    parent != null && parent.chainWork.add(h.work()).compareTo(tipWork) > 0;
            out.add(
                    new OpenReport.RejectedBlock(
                            r.hash(), r.height(), r.reason(), r.detail(), heavier));
        }
        return out;
    }

    /**
     * The linked block a tip record stands for: {@code tip} itself, or, when {@code tip} is a block
     * left out for a header rule (or one built on it), its nearest linked ancestor.
     *
     * @throws BlockStore.CorruptRecordException if the record names no stored block
     */
    private BlockHash linkedTip(BlockHash tip, Scan scan) throws BlockStore.CorruptRecordException {
        BlockHash t = tip;
        boolean throughLeftOut = false;
        for (int steps = 0; !index.containsKey(t); steps++) {
            BlockHash parent = scan.unlinked.get(t);
            if (parent == null || steps > scan.unlinked.size()) {
                break;
            }
            throughLeftOut |= scan.left.containsKey(t);
            t = parent;
        }
        if (!index.containsKey(t) || (!t.equals(tip) && !throughLeftOut)) {
            throw new BlockStore.CorruptRecordException(
                    "tip record names unknown block " + tip.shortHex());
        }
        return t;
    }

    private CompletableFuture<SnapshotResult> startSnapshotLoad() {
        CompletableFuture<SnapshotResult> f = new CompletableFuture<>();
        Thread t =
                new Thread(
                        () -> {
                            try {
                                List<String> problems = new ArrayList<>();
                                byte[] payload = store.readSnapshot(problems);
                                f.complete(
                                        payload == null
                                                ? new SnapshotResult(
                                                        null,
                                                        problems.isEmpty()
                                                                ? "no snapshot"
                                                                : String.join("; ", problems))
                                                : new SnapshotResult(
                                                        StateSnapshot.decode(payload), null));
                            } catch (RuntimeException e) {
                                f.complete(
                                        new SnapshotResult(null, "undecodable: " + e.getMessage()));
                            }
                        },
                        "p2pchat-ledger-snapshot");
        t.setDaemon(true);
        t.start();
        return f;
    }

    /**
     * Builds the best chain up to {@code target}, the recorded tip, and its state: from the
     * snapshot if its block is on that chain at its height (then only the blocks above it are
     * replayed from the log), otherwise from the whole log. Returns the snapshot's height, or 0
     * when it was not used.
     */
    private long resolveSnapshot(SnapshotResult r, BlockEntry target, List<String> events)
            throws LedgerStorageException {
        StateSnapshot s = r.snapshot();
        String problem = r.problem();
        BlockEntry base = null;
        if (s != null) {
            BlockEntry e = index.get(s.block());
            if (e == null || !e.dataChain || e.height != s.height()) {
                problem =
                        "its block "
                                + s.block().shortHex()
                                + " at height "
                                + s.height()
                                + " is not stored";
            } else if (!target.dataChain
                    || target.height < e.height
                    || target.ancestor(e.height) != e) {
                problem =
                        "its block "
                                + s.block().shortHex()
                                + " is not on the recorded best chain (tip "
                                + target.hash.shortHex()
                                + ")";
            } else {
                base = e;
            }
        }
        if (target.dataChain) {
            best.addAll(path(best.get(0), target));
        }
        if (base == null) {
            String msg =
                    "SNAPSHOT_IGNORED: "
                            + problem
                            + "; the identity state is rebuilt from the block log";
            log.warn(msg);
            events.add(msg);
            replayFromStore(1);
            return 0;
        }
        lock.writeLock().lock();
        try {
            state.replaceWith(s.state());
        } finally {
            lock.writeLock().unlock();
        }
        undoMissingThrough = base.height;
        snapshotBlock = base.hash;
        replayFromStore((int) base.height + 1);
        return base.height;
    }

    /**
     * Replays the linked but not yet replayed best-chain blocks from {@code from} up, reading them
     * back from the store; stops (and unlinks the rest) at a block that does not replay.
     */
    private void replayFromStore(int from) throws LedgerStorageException {
        for (int i = from; i < best.size(); i++) {
            BlockEntry e = best.get(i);
            BlockData b = readStored(e);
            try {
                List<Tx> txs = validator.decodeTrusted(b, b.leafHashes());
                StateDelta d = validator.connect(b.header(), txs, state, false);
                e.undo = d.undoAgainst(state);
                state.apply(d);
                replayedTransactions += txs.size();
            } catch (InvalidBlockException ex) {
                log.debug("stored block {} does not replay: {}", e, ex.getMessage());
                best.subList(i, best.size()).clear();
                return;
            }
        }
    }

    /**
     * Rebuilds the undo data of the blocks whose state came from a snapshot, by replaying them from
     * genesis into a scratch state, when disconnecting down to {@code fork} needs it.
     */
    private void ensureUndo(BlockEntry fork) throws LedgerStorageException {
        if (undoMissingThrough == 0 || fork.height >= undoMissingThrough) {
            return;
        }
        log.info(
                "reorganization below the snapshot height {}: rebuilding undo data",
                undoMissingThrough);
        IdentityState scratch = new IdentityState();
        for (int i = 1; i <= undoMissingThrough; i++) {
            BlockEntry e = best.get(i);
            StateDelta d = replayStored(e, scratch, "under the snapshot");
            e.undo = d.undoAgainst(scratch);
            scratch.apply(d);
        }
        undoMissingThrough = 0;
    }

    /**
     * Writes a snapshot of the identity state at the tip, unless the stored snapshot is already
     * there or the store keeps none; syncs the store first, so that the snapshot's blocks are
     * durable before it. Ledger thread only.
     *
     * @return whether a snapshot was written
     */
    public boolean writeSnapshot() throws LedgerStorageException {
        BlockEntry tip = tipEntry();
        if (!store.keepsSnapshots() || tip.height == 0 || tip.hash.equals(snapshotBlock)) {
            return false;
        }
        store.sync();
        // The ledger thread is the state's only writer: it reads it without the lock.
        byte[] payload = StateSnapshot.encode(tip.height, tip.hash, state);
        store.writeSnapshot(payload);
        snapshotBlock = tip.hash;
        return true;
    }

    private static RejectReason reasonOf(int code) {
        for (RejectReason r : RejectReason.values()) {
            if (r.code() == code) {
                return r;
            }
        }
        return RejectReason.MALFORMED_BLOCK;
    }

    /**
     * Checks a stored header by the rules that need no chain (§6.1, as {@link
     * BlockValidator#checkHeaderContextFree} for a block from the network), and its Merkle root
     * unless {@code merkleRoot} is null. A failure means the record is no block of this network at
     * all: corruption.
     */
    private void verifyStored(BlockHeader h, byte @Nullable [] merkleRoot)
            throws BlockStore.CorruptRecordException {
        try {
            validator.checkHeaderContextFree(h);
        } catch (InvalidBlockException ex) {
            throw new BlockStore.CorruptRecordException(ex.getMessage()); // "REASON: ..."
        }
        if (merkleRoot != null && !MessageDigest.isEqual(merkleRoot, h.merkleRoot())) {
            throw new BlockStore.CorruptRecordException(merkleMismatch(h));
        }
    }

    /**
     * What a Merkle root mismatch of a stored block says, after its record's name ({@link
     * BlockStore#recordName}): the same at open and on a deferred check ({@link #readStored}).
     */
    private static String merkleMismatch(BlockHeader h) {
        return "Merkle root mismatch (height " + h.height() + ", hash " + h.hash().shortHex() + ")";
    }

    /**
     * Links a stored block (and the stored blocks waiting for it) into the block tree after the
     * header rules that need its parent (§6.2, {@link BlockValidator#checkHeaderContextual}), and
     * replays it into the state if it extends the chain and its data is given. A block breaking one
     * of them is treated as the network path treats it ({@link #acceptHeader}): left out of the
     * tree, remembered as invalid unless the rule is temporary ({@code TIME_TOO_NEW}), and
     * reported; the blocks built on it stay unlinked.
     */
    private void attachLoaded(BlockEntry parent, Pending first, Scan scan) {
        ArrayDeque<Map.Entry<BlockEntry, Pending>> queue = new ArrayDeque<>();
        queue.add(Map.entry(parent, first));
        while (!queue.isEmpty()) {
            Map.Entry<BlockEntry, Pending> item = queue.poll();
            BlockEntry p = item.getKey();
            Pending s = item.getValue();
            BlockHeader h = s.header();
            try {
                validator.checkHeaderContextual(h, this::header);
            } catch (InvalidBlockException ex) {
                // Whether it outweighs the chosen tip is known once the open has chosen one.
                OpenReport.RejectedBlock r =
                        new OpenReport.RejectedBlock(
                                h.hash(), h.height(), ex.reason(), ex.detail(), false);
                log.warn("startup: {}", r.describe());
                scan.rejected.add(r);
                scan.left.put(h.hash(), h);
                scan.unlinked.put(h.hash(), h.previous());
                if (ex.reason().cacheable()) {
                    cacheInvalid(h.hash(), ex.reason());
                }
                continue;
            }
            scan.unlinked.remove(h.hash());
            BlockEntry e = index.get(h.hash());
            if (e == null) {
                e = new BlockEntry(h, p, sequence++);
                index.put(e.hash, e);
            }
            e.position = s.position();
            e.record = s.record();
            e.dataChain = p.dataChain;
            e.bodyUnchecked = s.bodyUnchecked();
            // Optimistic replay: a block extending the replayed chain is applied at once.
            BlockEntry tip = best.get(best.size() - 1);
            BlockData b = s.block();
            if (snapshotLoad != null || b == null) {
                // Linked only: the chain and its state are built once the snapshot is resolved
                // (resolveSnapshot).
            } else if (e.dataChain && p == tip) {
                try {
                    List<Tx> txs = validator.decodeTrusted(b, b.leafHashes());
                    StateDelta d = validator.connect(b.header(), txs, state, false);
                    e.undo = d.undoAgainst(state);
                    state.apply(d);
                    best.add(e);
                    replayedTransactions += txs.size();
                } catch (InvalidBlockException ex) {
                    log.debug("stored block {} does not replay: {}", e, ex.getMessage());
                }
            }
            List<Pending> kids = scan.waiting.remove(e.hash);
            if (kids != null) {
                for (Pending k : kids) {
                    queue.add(Map.entry(e, k));
                }
            }
        }
    }

    /**
     * The state change of a stored, previously validated block applied on {@code view} (signatures
     * not checked again); a block that does not replay means a corrupt store.
     */
    private StateDelta replayStored(BlockEntry e, StateView view, String where)
            throws LedgerStorageException {
        BlockData b = readStored(e);
        try {
            List<Tx> txs = validator.decodeTrusted(b, b.leafHashes());
            return validator.connect(b.header(), txs, view, false);
        } catch (InvalidBlockException ex) {
            throw new LedgerStorageException(
                    io.p2pchat.ledger.model.StorageError.CORRUPT_LEDGER,
                    "block "
                            + e.height
                            + " "
                            + e.hash.shortHex()
                            + " "
                            + where
                            + " does not replay: "
                            + ex.getMessage());
        }
    }

    /** Moves the state to {@code target} replaying stored, previously validated blocks. */
    private void reorgTrusted(BlockEntry target) throws LedgerStorageException {
        BlockEntry tip = tipEntry();
        BlockEntry fork = fork(tip, target);
        ensureUndo(fork);
        StateDelta overlay = new StateDelta(state);
        List<BlockEntry> disconnect = new ArrayList<>();
        for (BlockEntry e = tip; e != fork; e = e.parent) {
            e.undo.mergeInto(overlay);
            disconnect.add(e);
        }
        List<BlockEntry> connect = path(fork, target);
        Map<BlockEntry, StateDelta> undos = new HashMap<>();
        for (BlockEntry e : connect) {
            StateDelta d = replayStored(e, overlay, "on the recorded best chain");
            undos.put(e, d.undoAgainst(overlay));
            d.mergeInto(overlay);
        }
        commit(overlay, fork, disconnect, connect, undos);
    }

    // ------------------------------------------------------------------ reads (any thread)

    /** The best chain's tip. */
    public ChainTip tip() {
        lock.readLock().lock();
        try {
            return tipOf(best.get(best.size() - 1));
        } finally {
            lock.readLock().unlock();
        }
    }

    private static ChainTip tipOf(BlockEntry e) {
        return new ChainTip(e.hash, e.height, e.chainWork, e.header.timestampMillis());
    }

    private BlockEntry tipEntry() {
        return best.get(best.size() - 1);
    }

    /** The identity with this id on the best chain. */
    public @Nullable IdentityEntry identity(PeerId id) {
        lock.readLock().lock();
        try {
            return state.identity(id);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The identity that uses or used this key. */
    public @Nullable IdentityEntry identityByKey(PeerId keyId) {
        lock.readLock().lock();
        try {
            PeerId id = state.identityOfKey(keyId);
            return id == null ? null : state.identity(id);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The identity that owns this name. */
    public @Nullable IdentityEntry identityByName(String name) {
        lock.readLock().lock();
        try {
            PeerId id = state.nameOwner(name);
            return id == null ? null : state.identity(id);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Identities on the best chain. */
    public int identityCount() {
        lock.readLock().lock();
        try {
            return state.size();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** A copy of the identity state's three indexes, for comparisons. */
    public List<Map<?, ?>> stateSnapshot() {
        lock.readLock().lock();
        try {
            return List.of(state.identities(), state.keyIndex(), state.nameIndex());
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Confirmations of a block on the best chain (1 for the tip), or 0 when it is not on the best
     * chain.
     */
    public long confirmations(BlockHash hash) {
        BlockEntry e = index.get(hash);
        lock.readLock().lock();
        try {
            if (e == null || e.height >= best.size() || best.get((int) e.height) != e) {
                return 0;
            }
            return best.size() - e.height;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The header of the best-chain block at {@code height}, or null. */
    public @Nullable BlockHeader headerAt(long height) {
        lock.readLock().lock();
        try {
            return height < 0 || height >= best.size() ? null : best.get((int) height).header;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** A known header (any branch), or null. */
    public @Nullable BlockHeader header(BlockHash hash) {
        BlockEntry e = index.get(hash);
        return e == null ? null : e.header;
    }

    /** Whether the block's data is stored. */
    public boolean hasBlock(BlockHash hash) {
        BlockEntry e = index.get(hash);
        return e != null && e.hasData();
    }

    /** Whether a header is known (valid so far) or a block is known invalid. */
    public boolean knowsHeader(BlockHash hash) {
        return index.containsKey(hash);
    }

    /** The chain work of a known header, or null. */
    public @Nullable BigInteger chainWork(BlockHash hash) {
        BlockEntry e = index.get(hash);
        return e == null ? null : e.chainWork;
    }

    /** Whether a block is known to be invalid. */
    public @Nullable RejectReason knownInvalid(BlockHash hash) {
        BlockEntry e = index.get(hash);
        if (e != null) {
            return e.invalid;
        }
        synchronized (invalidCache) {
            return invalidCache.get(hash);
        }
    }

    /**
     * A block locator of the best chain: the tip, then back 1, 2, 4, 8... blocks, ending with
     * genesis; at most 64 hashes.
     */
    public List<BlockHash> locator() {
        lock.readLock().lock();
        try {
            return locatorFrom(best.size() - 1, h -> best.get((int) h).hash);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** A locator for a known header's chain (any branch). */
    public List<BlockHash> locatorOf(BlockHash tip) {
        BlockEntry e = index.get(tip);
        if (e == null) {
            return locator();
        }
        return locatorFrom(e.height, h -> e.ancestor(h).hash);
    }

    private static List<BlockHash> locatorFrom(
            long top, java.util.function.LongFunction<BlockHash> at) {
        List<BlockHash> out = new ArrayList<>();
        long step = 1;
        long h = top;
        while (h > 0 && out.size() < 63) {
            out.add(at.apply(h));
            if (out.size() >= 10) {
                step *= 2;
            }
            h -= step;
        }
        out.add(at.apply(0));
        return out;
    }

    /**
     * Headers of the best chain after the first locator hash on it (genesis if none), at most
     * {@code max}.
     */
    public List<BlockHeader> headersAfter(List<BlockHash> locator, int max) {
        lock.readLock().lock();
        try {
            long start = 0;
            for (BlockHash h : locator) {
                BlockEntry e = index.get(h);
                if (e != null && e.height < best.size() && best.get((int) e.height) == e) {
                    start = e.height;
                    break;
                }
            }
            List<BlockHeader> out = new ArrayList<>();
            for (long i = start + 1; i < best.size() && out.size() < max; i++) {
                out.add(best.get((int) i).header);
            }
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Reads a stored block, unless it is known invalid: an invalid block is never served or used.
     * Ledger thread only.
     */
    public @Nullable BlockData readBlock(BlockHash hash) throws LedgerStorageException {
        BlockEntry e = index.get(hash);
        if (e == null || !e.hasData() || e.invalid != null) {
            return null;
        }
        if (e.height == 0) {
            return new BlockData(e.header, List.of());
        }
        return readStored(e);
    }

    /**
     * Reads a stored block (the store checks its CRC32C and header hash) and, the first time for a
     * block whose state came from a snapshot, its transactions against the header's Merkle root.
     */
    private BlockData readStored(BlockEntry e) throws LedgerStorageException {
        BlockData b = store.read(e.position, e.hash);
        if (e.bodyUnchecked) {
            if (!MessageDigest.isEqual(Merkle.root(b.leafHashes()), e.header.merkleRoot())) {
                throw new LedgerStorageException(
                        io.p2pchat.ledger.model.StorageError.CORRUPT_LEDGER,
                        BlockStore.recordName(e.record, e.position)
                                + ": "
                                + merkleMismatch(e.header));
            }
            e.bodyUnchecked = false;
        }
        return b;
    }

    /** The best chain's block hashes from {@code from} to the tip (a copy). */
    public List<BlockHash> bestHashes(long from) {
        lock.readLock().lock();
        try {
            List<BlockHash> out = new ArrayList<>();
            for (long i = Math.max(0, from); i < best.size(); i++) {
                out.add(best.get((int) i).hash);
            }
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * The hashes of blocks to download to reach {@code target}: the ancestors of the known header
     * {@code target} whose data is missing, lowest first, at most {@code max}, skipping {@code
     * exclude}.
     */
    public List<BlockHash> missingBlocks(BlockHash target, int max, Set<BlockHash> exclude) {
        BlockEntry e = index.get(target);
        if (e == null || e.invalid != null) {
            return List.of();
        }
        ArrayDeque<BlockHash> stack = new ArrayDeque<>();
        for (BlockEntry x = e; x != null && !x.dataChain; x = x.parent) {
            if (!x.hasData() && !exclude.contains(x.hash)) {
                stack.push(x.hash);
            }
            if (stack.size() > 4096) {
                stack.removeLast();
            }
        }
        List<BlockHash> out = new ArrayList<>();
        while (!stack.isEmpty() && out.size() < max) {
            out.add(stack.pop());
        }
        return out;
    }

    // ------------------------------------------------------------------ headers

    /** What {@link #processHeaders} did. */
    public record HeadersOutcome(
            int added, @Nullable BlockEntry last, @Nullable InvalidBlockException error) {}

    /** Validates and records consecutive headers (sync). Stops at the first invalid one. */
    public HeadersOutcome processHeaders(List<BlockHeader> headers) {
        int added = 0;
        BlockEntry last = null;
        for (BlockHeader h : headers) {
            BlockEntry known = index.get(h.hash());
            if (known != null) {
                if (known.invalid != null) {
                    return new HeadersOutcome(
                            added,
                            last,
                            new InvalidBlockException(
                                    known.invalid,
                                    "header " + h.hash().shortHex() + " is known invalid"));
                }
                last = known;
                continue;
            }
            try {
                BlockEntry e = acceptHeader(h);
                last = e;
                added++;
            } catch (InvalidBlockException ex) {
                return new HeadersOutcome(added, last, ex);
            }
        }
        return new HeadersOutcome(added, last, null);
    }

    private BlockEntry acceptHeader(BlockHeader h) throws InvalidBlockException {
        RejectReason cached;
        synchronized (invalidCache) {
            cached = invalidCache.get(h.hash());
        }
        if (cached != null) {
            throw new InvalidBlockException(
                    cached, "block " + h.hash().shortHex() + " is known invalid");
        }
        try {
            validator.checkHeaderContextFree(h);
            BlockEntry parent = index.get(h.previous());
            if (parent != null && parent.invalid != null) {
                throw new InvalidBlockException(
                        RejectReason.BAD_PREVIOUS,
                        "block "
                                + h.hash().shortHex()
                                + ": parent is invalid ("
                                + parent.invalid
                                + ")");
            }
            validator.checkHeaderContextual(h, this::header);
        } catch (InvalidBlockException ex) {
            if (ex.reason().cacheable()) {
                cacheInvalid(h.hash(), ex.reason());
            }
            throw ex;
        }
        if (headerOnly >= limits.maxHeaderOnly()) {
            // Never the parent of this header: it would be left without one.
            pruneHeaders(h.previous());
            if (headerOnly >= limits.maxHeaderOnly()) {
                throw new InvalidBlockException(
                        RejectReason.UNKNOWN_PARENT, "header limit reached; try later");
            }
        }
        BlockEntry e = new BlockEntry(h, index.get(h.previous()), sequence++);
        index.put(e.hash, e);
        headerOnly++;
        return e;
    }

    /**
     * Forgets header-only leaves with no more work than the tip, and the header-only ancestors that
     * become such leaves, in one pass over the index plus the work of each removal (a chain of n
     * low-work headers used to take n passes: quadratic work on the ledger thread, ATTACKS R-10).
     */
    private void pruneHeaders(BlockHash keep) {
        BigInteger tipWork = tipEntry().chainWork;
        ArrayDeque<BlockEntry> leaves = new ArrayDeque<>();
        for (BlockEntry e : index.values()) {
            if (prunable(e, tipWork) && !e.hash.equals(keep)) {
                leaves.add(e);
            }
        }
        while (!leaves.isEmpty()) {
            BlockEntry e = leaves.poll();
            if (index.remove(e.hash, e)) {
                headerOnly--;
                BlockEntry parent = e.parent;
                parent.children.remove(e);
                if (prunable(parent, tipWork) && !parent.hash.equals(keep)) {
                    leaves.add(parent);
                }
            }
        }
    }

    private static boolean prunable(BlockEntry e, BigInteger tipWork) {
        return !e.hasData()
                && e.parent != null
                && (e.children == null || e.children.isEmpty())
                && e.chainWork.compareTo(tipWork) <= 0;
    }

    private void cacheInvalid(BlockHash hash, RejectReason reason) {
        synchronized (invalidCache) {
            invalidCache.put(hash, reason);
            if (invalidCache.size() > limits.maxInvalidCache()) {
                Iterator<BlockHash> it = invalidCache.keySet().iterator();
                it.next();
                it.remove();
            }
        }
    }

    // ------------------------------------------------------------------ blocks

    /**
     * Processes a block: validates, stores, and moves the best chain if it now has more work.
     * Orphans whose parent this block is are processed after it. The caller must {@link
     * #syncStore()} before acknowledging.
     */
    public BlockResult processBlock(BlockData block) throws LedgerStorageException {
        BlockResult r = processOne(block);
        if (r.status() == BlockResult.Status.CONNECTED || r.status() == BlockResult.Status.STORED) {
            processOrphans(block.hash());
        }
        return r;
    }

    private BlockResult processOne(BlockData block) throws LedgerStorageException {
        BlockHeader h = block.header();
        BlockHash hash = h.hash();
        BlockEntry entry = index.get(hash);
        if (entry != null && entry.invalid != null) {
            return rejected(hash, entry.invalid, "block " + hash.shortHex() + " is known invalid");
        }
        if (entry != null && entry.hasData()) {
            return new BlockResult(BlockResult.Status.ALREADY_HAVE, hash, null, "already stored");
        }
        try {
            if (entry == null) {
                BlockEntry parent = index.get(h.previous());
                if (parent == null) {
                    validator.checkHeaderContextFree(h);
                    addOrphan(block);
                    return new BlockResult(
                            BlockResult.Status.ORPHAN,
                            hash,
                            RejectReason.UNKNOWN_PARENT,
                            "parent " + h.previous().shortHex() + " unknown");
                }
                entry = acceptHeader(h);
            }
            List<Tx> txs;
            try {
                txs = validator.checkBody(block);
            } catch (InvalidBlockException ex) {
                if (ex.reason().cacheable()) {
                    markInvalid(entry, ex.reason());
                }
                throw ex;
            }
            long position = store.appendBlock(block);
            entry.position = position;
            headerOnly--;
            decoded.put(hash, txs);
            if (entry.parent.dataChain) {
                propagateDataChain(entry);
            }
        } catch (InvalidBlockException ex) {
            log.debug("rejected {}", ex.getMessage());
            return rejected(hash, ex.reason(), ex.getMessage());
        }
        activateBestChain();
        decoded.clear();
        if (confirmations(hash) > 0) {
            return new BlockResult(
                    BlockResult.Status.CONNECTED,
                    hash,
                    null,
                    "on the best chain at height " + h.height());
        }
        if (entry.invalid != null) {
            return rejected(
                    hash, entry.invalid, "block " + hash.shortHex() + " failed full validation");
        }
        return new BlockResult(
                BlockResult.Status.STORED, hash, null, "stored, not on the best chain");
    }

    private static BlockResult rejected(BlockHash hash, RejectReason reason, String message) {
        return new BlockResult(BlockResult.Status.REJECTED, hash, reason, message);
    }

    private void propagateDataChain(BlockEntry start) {
        ArrayDeque<BlockEntry> queue = new ArrayDeque<>();
        queue.add(start);
        BigInteger tipWork = tipEntry().chainWork;
        while (!queue.isEmpty()) {
            BlockEntry e = queue.poll();
            if (!e.hasData() || e.invalid != null) {
                continue;
            }
            e.dataChain = true;
            if (e.chainWork.compareTo(tipWork) > 0) {
                candidates.add(e);
            }
            if (e.children != null) {
                queue.addAll(e.children);
            }
        }
    }

    private void addOrphan(BlockData block) {
        if (orphans.containsKey(block.hash())) {
            return;
        }
        orphans.put(block.hash(), block);
        orphanBytes += block.size();
        while (orphans.size() > limits.maxOrphans() || orphanBytes > limits.maxOrphanBytes()) {
            Iterator<Map.Entry<BlockHash, BlockData>> it = orphans.entrySet().iterator();
            BlockData evicted = it.next().getValue();
            it.remove();
            orphanBytes -= evicted.size();
        }
    }

    private void processOrphans(BlockHash parent) throws LedgerStorageException {
        ArrayDeque<BlockHash> parents = new ArrayDeque<>();
        parents.add(parent);
        int rounds = 0;
        while (!parents.isEmpty() && rounds++ < 10_000) {
            BlockHash p = parents.poll();
            List<BlockData> ready = new ArrayList<>();
            for (BlockData o : orphans.values()) {
                if (o.header().previous().equals(p)) {
                    ready.add(o);
                }
            }
            for (BlockData o : ready) {
                orphans.remove(o.hash());
                orphanBytes -= o.size();
                BlockResult r = processOne(o);
                log.debug("orphan {} processed: {}", o.hash().shortHex(), r.status());
                if (r.status() == BlockResult.Status.CONNECTED
                        || r.status() == BlockResult.Status.STORED) {
                    parents.add(o.hash());
                }
            }
        }
    }

    /** Orphans held. */
    public int orphanCount() {
        return orphans.size();
    }

    private void markInvalid(BlockEntry e, RejectReason reason) {
        ArrayDeque<BlockEntry> queue = new ArrayDeque<>();
        queue.add(e);
        while (!queue.isEmpty()) {
            BlockEntry x = queue.poll();
            x.invalid = x == e ? reason : RejectReason.BAD_PREVIOUS;
            candidates.remove(x);
            if (x.children != null) {
                queue.addAll(x.children);
            }
        }
    }

    // ------------------------------------------------------------------ fork choice

    /** Moves the best chain to the most-work valid chain whose data is stored. */
    private void activateBestChain() throws LedgerStorageException {
        for (int attempt = 0; attempt < 1000; attempt++) {
            BlockEntry tip = tipEntry();
            BlockEntry cand = null;
            for (Iterator<BlockEntry> it = candidates.iterator(); it.hasNext(); ) {
                BlockEntry c = it.next();
                if (c.chainWork.compareTo(tip.chainWork) <= 0) {
                    break;
                }
                if (c.invalid == null && !hasInvalidAncestor(c)) {
                    cand = c;
                    break;
                }
                it.remove();
            }
            if (cand == null) {
                pruneCandidates();
                return;
            }
            if (!tryReorg(tip, cand)) {
                continue;
            }
            pruneCandidates();
        }
    }

    private boolean hasInvalidAncestor(BlockEntry c) {
        for (BlockEntry e = c; e != null; e = e.parent) {
            if (e.invalid != null) {
                return true;
            }
            // Ledger thread: the only writer of best, so it reads it without the lock.
            if (e.height < best.size() && best.get((int) e.height) == e) {
                return false;
            }
        }
        return false;
    }

    private void pruneCandidates() {
        BigInteger tipWork = tipEntry().chainWork;
        candidates.removeIf(c -> c.chainWork.compareTo(tipWork) <= 0);
    }

    /**
     * Tries to move from {@code tip} to {@code cand}. Returns false when a block of the branch is
     * invalid (it is marked, and the longest valid prefix is adopted if it has more work).
     */
    private boolean tryReorg(BlockEntry tip, BlockEntry cand) throws LedgerStorageException {
        BlockEntry fork = fork(tip, cand);
        ensureUndo(fork);
        StateDelta overlay = new StateDelta(state);
        List<BlockEntry> disconnect = new ArrayList<>();
        for (BlockEntry e = tip; e != fork; e = e.parent) {
            e.undo.mergeInto(overlay);
            disconnect.add(e);
        }
        List<BlockEntry> connect = path(fork, cand);
        Map<BlockEntry, StateDelta> undos = new HashMap<>();
        List<BlockEntry> connected = new ArrayList<>();
        InvalidBlockException failure = null;
        for (BlockEntry e : connect) {
            try {
                List<Tx> txs = decoded.get(e.hash);
                if (txs == null) {
                    txs = validator.checkBody(readStored(e));
                }
                StateDelta d = validator.connect(e.header, txs, overlay, true);
                undos.put(e, d.undoAgainst(overlay));
                d.mergeInto(overlay);
                connected.add(e);
            } catch (InvalidBlockException ex) {
                log.info(
                        "block {} at height {} is invalid: {}",
                        e.hash.shortHex(),
                        e.height,
                        ex.getMessage());
                markInvalid(e, ex.reason());
                store.appendInvalid(e.hash, ex.reason());
                failure = ex;
                break;
            }
        }
        if (failure != null) {
            BlockEntry reached = connected.isEmpty() ? fork : connected.get(connected.size() - 1);
            if (reached.chainWork.compareTo(tip.chainWork) <= 0) {
                return false;
            }
        }
        commit(overlay, fork, disconnect, connected, undos);
        return failure == null;
    }

    private void commit(
            StateDelta overlay,
            BlockEntry fork,
            List<BlockEntry> disconnect,
            List<BlockEntry> connected,
            Map<BlockEntry, StateDelta> undos)
            throws LedgerStorageException {
        BlockEntry oldTip = tipEntry();
        Set<PeerId> retired = new HashSet<>();
        Map<PeerId, @Nullable IdentityEntry> changed = overlay.changedIdentities();
        for (Map.Entry<PeerId, @Nullable IdentityEntry> c : changed.entrySet()) {
            IdentityEntry before = state.identity(c.getKey());
            IdentityEntry after = c.getValue();
            if (before != null
                    && !before.revoked()
                    && (after == null
                            || after.revoked()
                            || !after.currentKeyId().equals(before.currentKeyId()))) {
                retired.add(before.currentKeyId());
            }
        }
        lock.writeLock().lock();
        try {
            state.apply(overlay);
            for (BlockEntry e : disconnect) {
                e.undo = null;
            }
            for (BlockEntry e : connected) {
                e.undo = undos.get(e);
            }
            while (best.size() > fork.height + 1) {
                best.remove(best.size() - 1);
            }
            best.addAll(connected);
        } finally {
            lock.writeLock().unlock();
        }
        BlockEntry newTip = tipEntry();
        store.appendTip(newTip.hash);
        if (!disconnect.isEmpty()) {
            log.info(
                    "reorganization: {} blocks disconnected, {} connected, new tip {} at height {}",
                    disconnect.size(),
                    connected.size(),
                    newTip.hash.shortHex(),
                    newTip.height);
        }
        TipChange change =
                new TipChange(
                        tipOf(oldTip), tipOf(newTip), disconnect, connected, retired, changed);
        pendingChanges.add(change);
        refreshMempool(disconnect, connected);
    }

    private void refreshMempool(List<BlockEntry> disconnect, List<BlockEntry> connected)
            throws LedgerStorageException {
        Set<TxId> included = new HashSet<>();
        for (BlockEntry e : connected) {
            BlockData b = readBlock(e.hash);
            for (byte[] leaf : b.leafHashes()) {
                included.add(TxId.of(leaf));
            }
        }
        List<Tx> returned = new ArrayList<>();
        for (int i = disconnect.size() - 1; i >= 0; i--) {
            BlockData b = readBlock(disconnect.get(i).hash);
            for (byte[] t : b.transactions()) {
                try {
                    Tx tx = Tx.decode(t, params);
                    if (!included.contains(tx.id())) {
                        returned.add(tx);
                    }
                } catch (InvalidBlockException e) {
                    // cannot happen for a block that was connected
                }
            }
        }
        mempool.removeAll(included);
        List<Tx> dropped = mempool.rebuild(state, returned, tipEntry().height + 1, clock.millis());
        // Transactions of disconnected blocks that are back in the mempool are gossiped again.
        for (Tx tx : returned) {
            if (mempool.contains(tx.id())) {
                acceptedTxs.add(tx);
            }
        }
        if (!returned.isEmpty()) {
            log.info(
                    "{} transactions of disconnected blocks considered for the mempool",
                    returned.size());
        }
        if (!dropped.isEmpty()) {
            log.debug("{} mempool transactions no longer apply and were dropped", dropped.size());
        }
    }

    private static BlockEntry fork(BlockEntry a, BlockEntry b) {
        while (a.height > b.height) {
            a = a.parent;
        }
        while (b.height > a.height) {
            b = b.parent;
        }
        while (a != b) {
            a = a.parent;
            b = b.parent;
        }
        return a;
    }

    private static List<BlockEntry> path(BlockEntry from, BlockEntry to) {
        ArrayList<BlockEntry> out = new ArrayList<>();
        for (BlockEntry e = to; e != from; e = e.parent) {
            out.add(e);
        }
        java.util.Collections.reverse(out);
        return out;
    }

    /** Makes everything stored durable. Call before acknowledging blocks. */
    public void syncStore() throws LedgerStorageException {
        store.sync();
    }

    /** Tip changes since the last call, oldest first. */
    public List<TipChange> drainTipChanges() {
        List<TipChange> out = new ArrayList<>(pendingChanges);
        pendingChanges.clear();
        return out;
    }

    // ------------------------------------------------------------------ transactions

    /** Validates a transaction against the best chain and the mempool, and queues it if valid. */
    public TxResult submitTransaction(byte[] envelope) {
        TxId id = TxId.of(LedgerHashes.leafHash(envelope));
        if (mempool.contains(id)) {
            return new TxResult(TxResult.Status.ALREADY_KNOWN, id, null, "already in the mempool");
        }
        try {
            Tx tx = Tx.decode(envelope, id, params);
            TxRules.checkStateless(tx, params, sigs);
            Mempool.AddResult r = mempool.add(tx, tipEntry().height + 1, clock.millis());
            switch (r) {
                case ADDED:
                    acceptedTxs.add(tx);
                    return new TxResult(TxResult.Status.ACCEPTED, id, null, "queued for mining");
                case DUPLICATE:
                    return new TxResult(
                            TxResult.Status.ALREADY_KNOWN, id, null, "already in the mempool");
                default:
                    return new TxResult(TxResult.Status.MEMPOOL_FULL, id, null, "mempool full");
            }
        } catch (InvalidBlockException e) {
            return new TxResult(TxResult.Status.REJECTED, id, e.reason(), e.getMessage());
        }
    }

    /** Transactions accepted into the mempool since the last call. */
    public List<Tx> drainAcceptedTransactions() {
        List<Tx> out = new ArrayList<>(acceptedTxs);
        acceptedTxs.clear();
        return out;
    }

    /** The mempool. Ledger thread only. */
    public Mempool mempool() {
        return mempool;
    }

    /** A block template for mining on the tip. */
    public record Template(
            BlockHeader parent,
            long height,
            BigInteger target,
            long timestampMillis,
            List<byte[]> transactions,
            byte[] merkleRoot) {}

    /**
     * Builds a block template: the tip, the next target and the mempool's transactions that fit.
     */
    public Template template() {
        BlockEntry tip = tipEntry();
        long height = tip.height + 1;
        long mtp = Consensus.medianTimePast(tip.header, this::header);
        long time = Math.max(clock.millis(), mtp + 1);
        BigInteger target = Consensus.expectedTarget(tip.header, this::header, params);
        StateDelta d = new StateDelta(state);
        List<byte[]> txs = new ArrayList<>();
        List<byte[]> leaves = new ArrayList<>();
        long size = BlockHeader.LENGTH;
        for (Tx tx : mempool.transactions()) {
            if (txs.size() >= params.maxRecordsPerBlock()
                    || size + tx.envelope().length > params.maxBlockBytes()) {
                break;
            }
            StateDelta t = new StateDelta(d);
            try {
                TxRules.apply(
                        tx, t, height, time, Mempool.NO_BLOCK, txs.size(), params, sigs, true);
            } catch (InvalidBlockException e) {
                continue;
            }
            t.mergeInto(d);
            txs.add(tx.envelope());
            leaves.add(tx.id().toBytes());
            size += tx.envelope().length;
        }
        return new Template(tip.header, height, target, time, txs, Merkle.root(leaves));
    }

    /** Whether some recent block holds transactions with fewer than {@code k} confirmations. */
    public boolean hasUnconfirmedRecentTransactions(int k) throws LedgerStorageException {
        lock.readLock().lock();
        List<BlockEntry> recent;
        try {
            recent = new ArrayList<>(best.subList(Math.max(1, best.size() - k + 1), best.size()));
        } finally {
            lock.readLock().unlock();
        }
        for (BlockEntry e : recent) {
            BlockData b = readBlock(e.hash);
            if (b != null && !b.transactions().isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** The location of a transaction that installed a key: the block and index. */
    public @Nullable BlockEntry entry(BlockHash hash) {
        return index.get(hash);
    }

    /** Number of known blocks and headers. */
    public int indexSize() {
        return index.size();
    }
}
