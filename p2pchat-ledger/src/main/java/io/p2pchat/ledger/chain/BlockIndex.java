package io.p2pchat.ledger.chain;

import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.RejectReason;
import io.p2pchat.ledger.store.BlockData;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The block tree of a {@link ChainState}: every known header (any branch, with or without data),
 * the candidate tips with more work than the best chain, the orphan pool (blocks whose parent is
 * unknown) and the cache of hashes known to be invalid, each bounded by {@link ChainState.Limits}.
 *
 * <p>It knows nothing of the best chain or the identity state: where a decision needs the best
 * chain's work (pruning headers, adding candidates), the caller passes it in.
 *
 * <p>Threading: the ledger thread is the only writer. The tree ({@link #get}, {@link #header} and
 * the other hash lookups) is a {@link ConcurrentHashMap} of entries whose immutable fields any
 * thread may read; the invalid cache is read by other threads under its own monitor. The
 * candidates, the orphans and the header count are ledger-thread only.
 */
final class BlockIndex {
    private final ChainState.Limits limits;
    private final BlockValidator validator;

    /** All known blocks and headers. Entries are added on the ledger thread. */
    private final ConcurrentHashMap<BlockHash, BlockEntry> index = new ConcurrentHashMap<>();

    // --- ledger thread only ---
    private final TreeSet<BlockEntry> candidates =
            new TreeSet<>(
                    Comparator.comparing((BlockEntry e) -> e.chainWork)
                            .reversed()
                            .thenComparingLong(e -> e.sequence));

    /** Guarded by its own monitor (read from any thread by {@link #knownInvalid}). */
    private final LinkedHashMap<BlockHash, RejectReason> invalidCache = new LinkedHashMap<>();

    private final LinkedHashMap<BlockHash, BlockData> orphans = new LinkedHashMap<>();
    private long orphanBytes;
    private int headerOnly;
    private long sequence;

    private final BlockEntry genesis;

    BlockIndex(ChainState.Limits limits, BlockValidator validator, BlockHeader genesisHeader) {
        this.limits = limits;
        this.validator = validator;
        genesis = new BlockEntry(genesisHeader, null, sequence++);
        genesis.dataChain = true;
        index.put(genesis.hash, genesis);
    }

    /** The genesis block's entry. */
    BlockEntry genesis() {
        return genesis;
    }

    // ------------------------------------------------------------------ lookups (any thread)

    /** A known block or header, or null. */
    @Nullable BlockEntry get(BlockHash hash) {
        return index.get(hash);
    }

    /** Whether a header is known (valid so far) or a block is known invalid. */
    boolean containsKey(BlockHash hash) {
        return index.containsKey(hash);
    }

    /** All entries (a live view; ledger thread). */
    Collection<BlockEntry> values() {
        return index.values();
    }

    /** Number of known blocks and headers. */
    int size() {
        return index.size();
    }

    /** A known header (any branch), or null. */
    @Nullable BlockHeader header(BlockHash hash) {
        BlockEntry e = index.get(hash);
        return e == null ? null : e.header;
    }

    /** Whether the block's data is stored. */
    boolean hasBlock(BlockHash hash) {
        BlockEntry e = index.get(hash);
        return e != null && e.hasData();
    }

    /** The chain work of a known header, or null. */
    @Nullable BigInteger chainWork(BlockHash hash) {
        BlockEntry e = index.get(hash);
        return e == null ? null : e.chainWork;
    }

    /** Whether a block is known to be invalid. */
    @Nullable RejectReason knownInvalid(BlockHash hash) {
        BlockEntry e = index.get(hash);
        if (e != null) {
            return e.invalid;
        }
        synchronized (invalidCache) {
            return invalidCache.get(hash);
        }
    }

    /**
     * The hashes of blocks to download to reach {@code target}: the ancestors of the known header
     * {@code target} whose data is missing, lowest first, at most {@code max}, skipping {@code
     * exclude}.
     */
    List<BlockHash> missingBlocks(BlockHash target, int max, Set<BlockHash> exclude) {
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

    // ------------------------------------------------------------------ headers (ledger thread)

    /** Adds a header linked at open (its rules checked by the loader). */
    BlockEntry add(BlockHeader h, BlockEntry parent) {
        BlockEntry e = new BlockEntry(h, parent, sequence++);
        index.put(e.hash, e);
        return e;
    }

    /**
     * Validates and records consecutive headers (sync). Stops at the first invalid one. {@code
     * tipWork} is the best chain's work, below which header-only branches may be pruned.
     */
    ChainState.HeadersOutcome processHeaders(List<BlockHeader> headers, BigInteger tipWork) {
        int added = 0;
        BlockEntry last = null;
        for (BlockHeader h : headers) {
            BlockEntry known = index.get(h.hash());
            if (known != null) {
                if (known.invalid != null) {
                    return new ChainState.HeadersOutcome(
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
                BlockEntry e = acceptHeader(h, tipWork);
                last = e;
                added++;
            } catch (InvalidBlockException ex) {
                return new ChainState.HeadersOutcome(added, last, ex);
            }
        }
        return new ChainState.HeadersOutcome(added, last, null);
    }

    /**
     * Checks a new header by the rules of §6.1-§6.2 and adds it as header-only; a cacheable failure
     * is remembered. At the header limit, header-only branches with no more work than {@code
     * tipWork} are pruned first.
     */
    BlockEntry acceptHeader(BlockHeader h, BigInteger tipWork) throws InvalidBlockException {
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
            pruneHeaders(h.previous(), tipWork);
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

    /** Records that a header-only entry's data is now stored at {@code position}. */
    void stored(BlockEntry e, long position) {
        e.position = position;
        headerOnly--;
    }

    /**
     * Forgets header-only leaves with no more work than the tip, and the header-only ancestors that
     * become such leaves, in one pass over the index plus the work of each removal (a chain of n
     * low-work headers used to take n passes: quadratic work on the ledger thread, ATTACKS R-10).
     */
    private void pruneHeaders(BlockHash keep, BigInteger tipWork) {
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

    /** Remembers a hash as invalid (the oldest is forgotten beyond the limit). */
    void cacheInvalid(BlockHash hash, RejectReason reason) {
        synchronized (invalidCache) {
            invalidCache.put(hash, reason);
            if (invalidCache.size() > limits.maxInvalidCache()) {
                Iterator<BlockHash> it = invalidCache.keySet().iterator();
                it.next();
                it.remove();
            }
        }
    }

    /** Marks {@code e} invalid for {@code reason} and its descendants for {@code BAD_PREVIOUS}. */
    void markInvalid(BlockEntry e, RejectReason reason) {
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

    // ------------------------------------------------------------------ candidates

    /**
     * The stored, not known invalid tips that may have more work than the best chain, most work
     * first (on equal work the first seen). Ledger thread only.
     */
    TreeSet<BlockEntry> candidates() {
        return candidates;
    }

    /**
     * Marks {@code start} and its stored descendants as having all their data, adding those with
     * more work than {@code tipWork} to the candidates.
     */
    void propagateDataChain(BlockEntry start, BigInteger tipWork) {
        ArrayDeque<BlockEntry> queue = new ArrayDeque<>();
        queue.add(start);
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

    // ------------------------------------------------------------------ orphans

    /** Holds a block whose parent is unknown, forgetting the oldest beyond the limits. */
    void addOrphan(BlockData block) {
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

    /** Removes and returns the orphans whose parent is {@code parent}, oldest first. */
    List<BlockData> takeOrphansOf(BlockHash parent) {
        List<BlockData> ready = new ArrayList<>();
        for (BlockData o : orphans.values()) {
            if (o.header().previous().equals(parent)) {
                ready.add(o);
            }
        }
        for (BlockData o : ready) {
            orphans.remove(o.hash());
            orphanBytes -= o.size();
        }
        return ready;
    }

    /** Orphans held. */
    int orphanCount() {
        return orphans.size();
    }
}
