package io.p2pchat.ledger.chain;

import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.ChainTip;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.OpenReport;
import io.p2pchat.ledger.model.RejectReason;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.store.BlockStore;
import java.math.BigInteger;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * <h2>Parts</h2>
 *
 * This class takes a block in ({@link #processBlock}: orphan, header, body, store, activation) and
 * is the facade of four package-private parts: {@code BlockIndex} (the block tree, candidates,
 * orphans, invalid cache), {@code ChainActivation} (the best chain and identity state, connecting,
 * disconnecting, reorganizing), {@code ChainLoader} (open, replay, snapshots) and {@link
 * MempoolAdmission} (transactions and templates).
 *
 * <h2>Threading</h2>
 *
 * Mutating methods run on the ledger thread only. Read methods ({@link #tip()}, identity lookups,
 * best-chain queries) may be called from any thread: they take {@code ChainActivation}'s read lock,
 * which the ledger thread takes for writing only to commit a prepared change (no I/O, no crypto
 * under it); lookups by hash read {@code BlockIndex}'s concurrent map. Each part's Javadoc says
 * which of its state is ledger-thread only.
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

    /**
     * What a tip change did, for listeners and gossip.
     *
     * @param retiredKeys ids of keys that were the current, unrevoked key of an identity before and
     *     are not after: revoked, rotated away, or rolled back by a reorganization ({@link
     *     #rotatedAway} tells the rotations apart)
     * @param changedIdentities each identity the change touched (by identity id), as it is after
     *     the change; null when a reorganization removed its registration
     */
    public record TipChange(
            ChainTip oldTip,
            ChainTip newTip,
            List<BlockEntry> disconnected,
            List<BlockEntry> connected,
            Set<PeerId> retiredKeys,
            Map<PeerId, @Nullable IdentityEntry> changedIdentities) {

        /**
         * The retired keys that were rotated away, each with its identity as it is after the
         * change: the identity is not revoked and lists the key among its earlier ones, so it now
         * authenticates with {@link IdentityEntry#currentKeyId()}. The other retired keys were
         * revoked (the identity is) or rolled back (a reorganization removed the transaction that
         * installed them, or the registration): their sessions must end at once, while a rotated
         * key's owner is still the same identity, which needs the block to switch to its new key.
         */
        public Map<PeerId, IdentityEntry> rotatedAway() {
            Map<PeerId, IdentityEntry> out = new HashMap<>();
            for (IdentityEntry e : changedIdentities.values()) {
                if (e == null || e.revoked()) {
                    continue;
                }
                for (IdentityEntry.KeyEvent k : e.keys()) {
                    if (retiredKeys.contains(k.keyId()) && !k.keyId().equals(e.currentKeyId())) {
                        out.put(k.keyId(), e);
                    }
                }
            }
            return out;
        }
    }

    private final NetworkParameters params;
    private final BlockStore store;
    private final BlockValidator validator;
    private final BlockIndex index;
    private final ChainActivation chain;
    private final MempoolAdmission admission;
    private final ChainLoader loader;

    public ChainState(NetworkParameters params, Clock clock, BlockStore store, Limits limits) {
        this.params = params;
        this.store = store;
        SignatureCache sigs = new SignatureCache(limits.signatureCacheSize());
        this.validator = new BlockValidator(params, clock, sigs);
        this.index = new BlockIndex(limits, validator, params.genesis());
        this.chain = new ChainActivation(store, validator, index);
        this.admission = new MempoolAdmission(params, clock, sigs, limits, index, chain);
        // The mempool hears of each move of the best chain; it is built on the chain's state.
        chain.onCommit(admission);
        this.loader = new ChainLoader(params, store, validator, index, chain);
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

    /**
     * Loads the store: verifies every stored block, replays the recorded best chain (from a state
     * snapshot if one matches it) and validates any heavier stored branch never recorded as
     * validated; see {@link ChainLoader#load}. Opening thread only, before any other use.
     */
    public LoadSummary load() throws LedgerStorageException {
        return loader.load();
    }

    /**
     * Writes a snapshot of the identity state at the tip, unless the stored snapshot is already
     * there or the store keeps none; syncs the store first, so that the snapshot's blocks are
     * durable before it. Ledger thread only.
     *
     * @return whether a snapshot was written
     */
    public boolean writeSnapshot() throws LedgerStorageException {
        return loader.writeSnapshot();
    }

    // ------------------------------------------------------------------ reads (any thread)

    /** The best chain's tip. */
    public ChainTip tip() {
        return chain.tip();
    }

    /** The identity with this id on the best chain. */
    public @Nullable IdentityEntry identity(PeerId id) {
        return chain.identity(id);
    }

    /** The identity that uses or used this key. */
    public @Nullable IdentityEntry identityByKey(PeerId keyId) {
        return chain.identityByKey(keyId);
    }

    /** The identity that owns this name. */
    public @Nullable IdentityEntry identityByName(String name) {
        return chain.identityByName(name);
    }

    /** Identities on the best chain. */
    public int identityCount() {
        return chain.identityCount();
    }

    /** A copy of the identity state's three indexes, for comparisons. */
    public List<Map<?, ?>> stateSnapshot() {
        return chain.stateSnapshot();
    }

    /**
     * Confirmations of a block on the best chain (1 for the tip), or 0 when it is not on the best
     * chain.
     */
    public long confirmations(BlockHash hash) {
        return chain.confirmations(hash);
    }

    /** The header of the best-chain block at {@code height}, or null. */
    public @Nullable BlockHeader headerAt(long height) {
        return chain.headerAt(height);
    }

    /** A known header (any branch), or null. */
    public @Nullable BlockHeader header(BlockHash hash) {
        return index.header(hash);
    }

    /** Whether the block's data is stored. */
    public boolean hasBlock(BlockHash hash) {
        return index.hasBlock(hash);
    }

    /** Whether a header is known (valid so far) or a block is known invalid. */
    public boolean knowsHeader(BlockHash hash) {
        return index.containsKey(hash);
    }

    /** The chain work of a known header, or null. */
    public @Nullable BigInteger chainWork(BlockHash hash) {
        return index.chainWork(hash);
    }

    /** Whether a block is known to be invalid. */
    public @Nullable RejectReason knownInvalid(BlockHash hash) {
        return index.knownInvalid(hash);
    }

    /**
     * A block locator of the best chain: the tip, then back 1, 2, 4, 8... blocks, ending with
     * genesis; at most 64 hashes.
     */
    public List<BlockHash> locator() {
        return chain.locator();
    }

    /** A locator for a known header's chain (any branch). */
    public List<BlockHash> locatorOf(BlockHash tip) {
        return chain.locatorOf(tip);
    }

    /**
     * Headers of the best chain after the first locator hash on it (genesis if none), at most
     * {@code max}.
     */
    public List<BlockHeader> headersAfter(List<BlockHash> locator, int max) {
        return chain.headersAfter(locator, max);
    }

    /**
     * Reads a stored block, unless it is known invalid: an invalid block is never served or used.
     * Ledger thread only.
     */
    public @Nullable BlockData readBlock(BlockHash hash) throws LedgerStorageException {
        return chain.readBlock(hash);
    }

    /** The best chain's block hashes from {@code from} to the tip (a copy). */
    public List<BlockHash> bestHashes(long from) {
        return chain.bestHashes(from);
    }

    /**
     * The hashes of blocks to download to reach {@code target}: the ancestors of the known header
     * {@code target} whose data is missing, lowest first, at most {@code max}, skipping {@code
     * exclude}.
     */
    public List<BlockHash> missingBlocks(BlockHash target, int max, Set<BlockHash> exclude) {
        return index.missingBlocks(target, max, exclude);
    }

    // ------------------------------------------------------------------ headers

    /** What {@link #processHeaders} did. */
    public record HeadersOutcome(
            int added, @Nullable BlockEntry last, @Nullable InvalidBlockException error) {}

    /** Validates and records consecutive headers (sync). Stops at the first invalid one. */
    public HeadersOutcome processHeaders(List<BlockHeader> headers) {
        return index.processHeaders(headers, chain.tipEntry().chainWork);
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
                    index.addOrphan(block);
                    return new BlockResult(
                            BlockResult.Status.ORPHAN,
                            hash,
                            RejectReason.UNKNOWN_PARENT,
                            "parent " + h.previous().shortHex() + " unknown");
                }
                entry = index.acceptHeader(h, chain.tipEntry().chainWork);
            }
            List<Tx> txs;
            try {
                txs = validator.checkBody(block);
            } catch (InvalidBlockException ex) {
                if (ex.reason().cacheable()) {
                    index.markInvalid(entry, ex.reason());
                }
                throw ex;
            }
            long position = store.appendBlock(block);
            index.stored(entry, position);
            chain.decoded.put(hash, txs);
            if (entry.parent.dataChain) {
                index.propagateDataChain(entry, chain.tipEntry().chainWork);
            }
        } catch (InvalidBlockException ex) {
            log.debug("rejected {}", ex.getMessage());
            return rejected(hash, ex.reason(), ex.getMessage());
        }
        chain.activateBestChain();
        chain.decoded.clear();
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

    private void processOrphans(BlockHash parent) throws LedgerStorageException {
        ArrayDeque<BlockHash> parents = new ArrayDeque<>();
        parents.add(parent);
        int rounds = 0;
        while (!parents.isEmpty() && rounds++ < 10_000) {
            BlockHash p = parents.poll();
            for (BlockData o : index.takeOrphansOf(p)) {
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
        return index.orphanCount();
    }

    /** Makes everything stored durable. Call before acknowledging blocks. */
    public void syncStore() throws LedgerStorageException {
        store.sync();
    }

    /** Tip changes since the last call, oldest first. */
    public List<TipChange> drainTipChanges() {
        return chain.drainTipChanges();
    }

    // ------------------------------------------------------------------ transactions

    /** Validates a transaction against the best chain and the mempool, and queues it if valid. */
    public TxResult submitTransaction(byte[] envelope) {
        return admission.submit(envelope);
    }

    /** Transactions accepted into the mempool since the last call. */
    public List<Tx> drainAcceptedTransactions() {
        return admission.drainAccepted();
    }

    /** The mempool. Ledger thread only. */
    public Mempool mempool() {
        return admission.mempool();
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
        return admission.template();
    }

    /** Whether some recent block holds transactions with fewer than {@code k} confirmations. */
    public boolean hasUnconfirmedRecentTransactions(int k) throws LedgerStorageException {
        for (BlockEntry e : chain.recent(k)) {
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
