package io.p2pchat.ledger.chain;

import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.ChainTip;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.Merkle;
import io.p2pchat.ledger.model.StorageError;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.store.BlockStore;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The best chain of a {@link ChainState} and the identity state at its tip: connecting and
 * disconnecting blocks, reorganizations, and the reads of both.
 *
 * <p>A move of the best chain is prepared on a {@link StateDelta} layered over the state (undo data
 * of the disconnected blocks, then the connected blocks' changes) and committed at once under the
 * write lock; the {@link CommitListener} (the mempool) hears of it afterwards.
 *
 * <p>Threading: the ledger thread is the only writer of {@link #best}, {@link #state} and the
 * blocks' undo data; it takes the write lock only to commit a prepared change (no I/O, no crypto
 * under it), and reads them without the lock. Other threads read the best chain and the state only
 * through the methods here, under the read lock. The tip changes waiting to be drained and {@link
 * #undoMissingThrough} are ledger-thread only.
 */
final class ChainActivation {
    private static final Logger log = LoggerFactory.getLogger(ChainActivation.class);

    /** Hears of each committed move of the best chain (on the ledger thread, after the commit). */
    interface CommitListener {
        void committed(List<BlockEntry> disconnected, List<BlockEntry> connected)
                throws LedgerStorageException;
    }

    private final BlockStore store;
    private final BlockValidator validator;
    private final BlockIndex index;
    private CommitListener listener = (d, c) -> {};

    final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    /** The best chain, genesis first. Written under {@link #lock} by the ledger thread. */
    final ArrayList<BlockEntry> best = new ArrayList<>();

    /** The identity state at the tip. Written under {@link #lock} by the ledger thread. */
    final IdentityState state = new IdentityState();

    /** Transactions of blocks decoded on arrival, for their connection (ledger thread). */
    final Map<BlockHash, List<Tx>> decoded = new HashMap<>();

    private final List<ChainState.TipChange> pendingChanges = new ArrayList<>();

    /**
     * Best-chain blocks up to this height have no undo data, because their state was loaded from a
     * snapshot; {@link #ensureUndo} rebuilds it before a reorganization needs it. 0 when all have.
     */
    long undoMissingThrough;

    ChainActivation(BlockStore store, BlockValidator validator, BlockIndex index) {
        this.store = store;
        this.validator = validator;
        this.index = index;
        best.add(index.genesis());
    }

    /** Sets who hears of each committed move (once, while the chain is built). */
    void onCommit(CommitListener l) {
        this.listener = l;
    }

    // ------------------------------------------------------------------ reads (any thread)

    /** The best chain's tip. */
    ChainTip tip() {
        return read(() -> tipOf(best.get(best.size() - 1)));
    }

    /** {@code f} under the read lock. */
    private <T> T read(Supplier<T> f) {
        lock.readLock().lock();
        try {
            return f.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    static ChainTip tipOf(BlockEntry e) {
        return new ChainTip(e.hash, e.height, e.chainWork, e.header.timestampMillis());
    }

    /** The tip's entry. Ledger thread (the only writer reads without the lock). */
    BlockEntry tipEntry() {
        return best.get(best.size() - 1);
    }

    /** The identity with this id on the best chain. */
    @Nullable IdentityEntry identity(PeerId id) {
        return read(() -> state.identity(id));
    }

    /** The identity that uses or used this key. */
    @Nullable IdentityEntry identityByKey(PeerId keyId) {
        return read(() -> identityOf(state.identityOfKey(keyId)));
    }

    /** The identity that owns this name. */
    @Nullable IdentityEntry identityByName(String name) {
        return read(() -> identityOf(state.nameOwner(name)));
    }

    /** Under the read lock: the identity with this id, or null for null. */
    private @Nullable IdentityEntry identityOf(@Nullable PeerId id) {
        return id == null ? null : state.identity(id);
    }

    /** Identities on the best chain. */
    int identityCount() {
        return read(() -> state.size());
    }

    /** A copy of the identity state's three indexes, for comparisons. */
    List<Map<?, ?>> stateSnapshot() {
        return read(() -> List.of(state.identities(), state.keyIndex(), state.nameIndex()));
    }

    /**
     * Confirmations of a block on the best chain (1 for the tip), or 0 when it is not on the best
     * chain.
     */
    long confirmations(BlockHash hash) {
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
    @Nullable BlockHeader headerAt(long height) {
        return read(
                () -> height < 0 || height >= best.size() ? null : best.get((int) height).header);
    }

    /**
     * A block locator of the best chain: the tip, then back 1, 2, 4, 8... blocks, ending with
     * genesis; at most 64 hashes.
     */
    List<BlockHash> locator() {
        return read(() -> locatorFrom(best.size() - 1, h -> best.get((int) h).hash));
    }

    /** A locator for a known header's chain (any branch). */
    List<BlockHash> locatorOf(BlockHash tip) {
        BlockEntry e = index.get(tip);
        if (e == null) {
            return locator();
        }
        return locatorFrom(e.height, h -> e.ancestor(h).hash);
    }

    private static List<BlockHash> locatorFrom(long top, LongFunction<BlockHash> at) {
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
    List<BlockHeader> headersAfter(List<BlockHash> locator, int max) {
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

    /** The best chain's block hashes from {@code from} to the tip (a copy). */
    List<BlockHash> bestHashes(long from) {
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

    /** The best chain's last {@code k - 1} blocks above genesis (a copy). */
    List<BlockEntry> recent(int k) {
        return read(
                () -> new ArrayList<>(best.subList(Math.max(1, best.size() - k + 1), best.size())));
    }

    // ------------------------------------------------------------------ stored blocks

    /**
     * Reads a stored block, unless it is known invalid: an invalid block is never served or used.
     * Ledger thread only.
     */
    @Nullable BlockData readBlock(BlockHash hash) throws LedgerStorageException {
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
    BlockData readStored(BlockEntry e) throws LedgerStorageException {
        BlockData b = store.read(e.position, e.hash);
        if (e.bodyUnchecked) {
            if (!MessageDigest.isEqual(Merkle.root(b.leafHashes()), e.header.merkleRoot())) {
                throw new LedgerStorageException(
                        StorageError.CORRUPT_LEDGER,
                        BlockStore.recordName(e.record, e.position)
                                + ": "
                                + merkleMismatch(e.header));
            }
            e.bodyUnchecked = false;
        }
        return b;
    }

    /**
     * What a Merkle root mismatch of a stored block says, after its record's name ({@link
     * BlockStore#recordName}): the same at open and on a deferred check ({@link #readStored}).
     */
    static String merkleMismatch(BlockHeader h) {
        return "Merkle root mismatch (height " + h.height() + ", hash " + h.hash().shortHex() + ")";
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
                    StorageError.CORRUPT_LEDGER,
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

    // ------------------------------------------------------------------ moving the best chain

    /**
     * Applies the undo data of the blocks from {@code tip} down to (not including) {@code fork} on
     * {@code overlay}, rebuilding it first if a snapshot left it out; returns them, tip first.
     */
    private List<BlockEntry> disconnect(BlockEntry tip, BlockEntry fork, StateDelta overlay)
            throws LedgerStorageException {
        ensureUndo(fork);
        List<BlockEntry> disconnect = new ArrayList<>();
        for (BlockEntry e = tip; e != fork; e = e.parent) {
            e.undo.mergeInto(overlay);
            disconnect.add(e);
        }
        return disconnect;
    }

    /** Moves the state to {@code target} replaying stored, previously validated blocks. */
    void reorgTrusted(BlockEntry target) throws LedgerStorageException {
        BlockEntry tip = tipEntry();
        BlockEntry fork = fork(tip, target);
        StateDelta overlay = new StateDelta(state);
        List<BlockEntry> disconnect = disconnect(tip, fork, overlay);
        List<BlockEntry> connect = path(fork, target);
        Map<BlockEntry, StateDelta> undos = new HashMap<>();
        for (BlockEntry e : connect) {
            StateDelta d = replayStored(e, overlay, "on the recorded best chain");
            undos.put(e, d.undoAgainst(overlay));
            d.mergeInto(overlay);
        }
        commit(overlay, fork, disconnect, connect, undos);
    }

    /** Moves the best chain to the most-work valid chain whose data is stored. */
    void activateBestChain() throws LedgerStorageException {
        for (int attempt = 0; attempt < 1000; attempt++) {
            BlockEntry tip = tipEntry();
            BlockEntry cand = null;
            for (Iterator<BlockEntry> it = index.candidates().iterator(); it.hasNext(); ) {
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
        index.candidates().removeIf(c -> c.chainWork.compareTo(tipWork) <= 0);
    }

    /**
     * Tries to move from {@code tip} to {@code cand}. Returns false when a block of the branch is
     * invalid (it is marked, and the longest valid prefix is adopted if it has more work).
     */
    private boolean tryReorg(BlockEntry tip, BlockEntry cand) throws LedgerStorageException {
        BlockEntry fork = fork(tip, cand);
        StateDelta overlay = new StateDelta(state);
        List<BlockEntry> disconnect = disconnect(tip, fork, overlay);
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
                index.markInvalid(e, ex.reason());
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
        ChainState.TipChange change =
                new ChainState.TipChange(
                        tipOf(oldTip), tipOf(newTip), disconnect, connected, retired, changed);
        pendingChanges.add(change);
        listener.committed(disconnect, connected);
    }

    /** The last common ancestor of two entries. */
    static BlockEntry fork(BlockEntry a, BlockEntry b) {
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

    /** The entries after {@code from} up to {@code to}, lowest first. */
    static List<BlockEntry> path(BlockEntry from, BlockEntry to) {
        ArrayList<BlockEntry> out = new ArrayList<>();
        for (BlockEntry e = to; e != from; e = e.parent) {
            out.add(e);
        }
        Collections.reverse(out);
        return out;
    }

    /** Tip changes since the last call, oldest first. */
    List<ChainState.TipChange> drainTipChanges() {
        List<ChainState.TipChange> out = new ArrayList<>(pendingChanges);
        pendingChanges.clear();
        return out;
    }
}
