package io.p2pchat.ledger.chain;

import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.Merkle;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.OpenReport;
import io.p2pchat.ledger.model.RejectReason;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.store.BlockStore;
import io.p2pchat.ledger.store.RecordFormat;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opening a {@link ChainState} from its {@link BlockStore}: the scan of the block log (every stored
 * block checked, linked into the {@link BlockIndex} and replayed onto the best chain), the state
 * snapshot read on another thread and used when it matches the recorded chain, and writing new
 * snapshots ({@code docs/ledger.md} §9).
 *
 * <p>Threading: {@link #load} and {@link #writeSnapshot} run on the thread that owns the ledger
 * (the opening thread, then the ledger thread), before any other thread reads the chain; the one
 * exception is the snapshot's read and decoding, on a daemon thread of its own ({@code
 * p2pchat-ledger-snapshot}) whose only output is the future {@link #load} joins.
 */
final class ChainLoader {
    private static final Logger log = LoggerFactory.getLogger(ChainLoader.class);

    private final NetworkParameters params;
    private final BlockStore store;
    private final BlockValidator validator;
    private final BlockIndex index;
    private final ChainActivation chain;

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

    ChainLoader(
            NetworkParameters params,
            BlockStore store,
            BlockValidator validator,
            BlockIndex index,
            ChainActivation chain) {
        this.params = params;
        this.store = store;
        this.validator = validator;
        this.index = index;
        this.chain = chain;
    }

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
     * most-work valid branch. Each is reported in {@link ChainState.LoadSummary#rejected}.
     */
    ChainState.LoadSummary load() throws LedgerStorageException {
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
                index.markInvalid(e, reason);
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
        BlockEntry tip = chain.tipEntry();
        if (target != tip) {
            log.info("startup: moving the replayed chain to the recorded tip {}", target);
            chain.reorgTrusted(target);
        }
        // Blocks loaded after the last tip record were never recorded as validated.
        index.candidates().clear();
        for (BlockEntry e : index.values()) {
            if (e.dataChain
                    && e.invalid == null
                    && e.chainWork.compareTo(chain.tipEntry().chainWork) > 0) {
                index.candidates().add(e);
            }
        }
        if (!index.candidates().isEmpty()) {
            log.info(
                    "startup: validating {} stored branches beyond the last tip record",
                    index.candidates().size());
        }
        chain.activateBestChain();
        chain.drainTipChanges();
        return new ChainState.LoadSummary(
                result, unattached, snapshotHeight, replayedTransactions, events, weighed(scan));
    }

    /** The rejected blocks, each with whether its chain has more work than the chosen tip. */
    private List<OpenReport.RejectedBlock> weighed(Scan scan) {
        BigInteger tipWork = chain.tipEntry().chainWork;
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
            chain.best.addAll(ChainActivation.path(chain.best.get(0), target));
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
        chain.lock.writeLock().lock();
        try {
            chain.state.replaceWith(s.state());
        } finally {
            chain.lock.writeLock().unlock();
        }
        chain.undoMissingThrough = base.height;
        snapshotBlock = base.hash;
        replayFromStore((int) base.height + 1);
        return base.height;
    }

    /**
     * Replays the linked but not yet replayed best-chain blocks from {@code from} up, reading them
     * back from the store; stops (and unlinks the rest) at a block that does not replay.
     */
    private void replayFromStore(int from) throws LedgerStorageException {
        for (int i = from; i < chain.best.size(); i++) {
            BlockEntry e = chain.best.get(i);
            BlockData b = chain.readStored(e);
            try {
                replayedTransactions += replay(e, b);
            } catch (InvalidBlockException ex) {
                log.debug("stored block {} does not replay: {}", e, ex.getMessage());
                chain.best.subList(i, chain.best.size()).clear();
                return;
            }
        }
    }

    /**
     * Writes a snapshot of the identity state at the tip, unless the stored snapshot is already
     * there or the store keeps none; syncs the store first, so that the snapshot's blocks are
     * durable before it. Ledger thread only.
     *
     * @return whether a snapshot was written
     */
    boolean writeSnapshot() throws LedgerStorageException {
        BlockEntry tip = chain.tipEntry();
        if (!store.keepsSnapshots() || tip.height == 0 || tip.hash.equals(snapshotBlock)) {
            return false;
        }
        store.sync();
        // The ledger thread is the state's only writer: it reads it without the lock.
        byte[] payload = StateSnapshot.encode(tip.height, tip.hash, chain.state);
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
            throw new BlockStore.CorruptRecordException(ChainActivation.merkleMismatch(h));
        }
    }

    /**
     * Links a stored block (and the stored blocks waiting for it) into the block tree after the
     * header rules that need its parent (§6.2, {@link BlockValidator#checkHeaderContextual}), and
     * replays it into the state if it extends the chain and its data is given. A block breaking one
     * of them is treated as the network path treats it ({@link BlockIndex#acceptHeader}): left out
     * of the tree, remembered as invalid unless the rule is temporary ({@code TIME_TOO_NEW}), and
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
                validator.checkHeaderContextual(h, index::header);
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
                    index.cacheInvalid(h.hash(), ex.reason());
                }
                continue;
            }
            scan.unlinked.remove(h.hash());
            BlockEntry e = index.get(h.hash());
            if (e == null) {
                e = index.add(h, p);
            }
            e.position = s.position();
            e.record = s.record();
            e.dataChain = p.dataChain;
            e.bodyUnchecked = s.bodyUnchecked();
            // Optimistic replay: a block extending the replayed chain is applied at once.
            BlockEntry tip = chain.tipEntry();
            BlockData b = s.block();
            if (snapshotLoad != null || b == null) {
                // Linked only: the chain and its state are built once the snapshot is resolved
                // (resolveSnapshot).
            } else if (e.dataChain && p == tip) {
                try {
                    replayedTransactions += replay(e, b);
                    chain.best.add(e);
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
     * Replays a stored, previously validated block onto the tip's state (signatures not checked
     * again) and keeps its undo data; returns the number of its transactions.
     */
    private int replay(BlockEntry e, BlockData b) throws InvalidBlockException {
        List<Tx> txs = validator.decodeTrusted(b, b.leafHashes());
        StateDelta d = validator.connect(b.header(), txs, chain.state, false);
        e.undo = d.undoAgainst(chain.state);
        chain.state.apply(d);
        return txs.size();
    }
}
