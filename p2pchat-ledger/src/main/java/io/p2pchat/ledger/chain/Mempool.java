package io.p2pchat.ledger.chain;

import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.TxId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Transactions waiting to be mined, in arrival order, each valid on top of the best chain and the
 * transactions before it.
 *
 * <p>Bounded in count, bytes and transactions per identity; deduplicated by id. After a tip change
 * it is rebuilt: transactions of disconnected blocks first, then the waiting ones, each kept only
 * if it still applies.
 *
 * <p>Not thread-safe: owned by the ledger thread.
 */
public final class Mempool {
    /** Placeholder block hash for keys installed by mempool transactions. */
    static final BlockHash NO_BLOCK = BlockHash.of(new byte[32]);

    private final NetworkParameters params;
    private final SignatureCache sigs;
    private final int maxCount;
    private final long maxBytes;
    private final int maxPerIdentity;
    private final LinkedHashMap<TxId, Tx> txs = new LinkedHashMap<>();
    private final Map<PeerId, Integer> perIdentity = new HashMap<>();
    private long bytes;
    private StateDelta overlay;

    /** Outcome of {@link #add}. */
    public enum AddResult {
        ADDED,
        DUPLICATE,
        FULL
    }

    public Mempool(
            NetworkParameters params,
            SignatureCache sigs,
            StateView base,
            int maxCount,
            long maxBytes,
            int maxPerIdentity) {
        this.params = params;
        this.sigs = sigs;
        this.maxCount = maxCount;
        this.maxBytes = maxBytes;
        this.maxPerIdentity = maxPerIdentity;
        this.overlay = new StateDelta(base);
    }

    /** Whether the transaction is waiting. */
    public boolean contains(TxId id) {
        return txs.containsKey(id);
    }

    /** A waiting transaction, or null. */
    public @Nullable Tx get(TxId id) {
        return txs.get(id);
    }

    /** Number of waiting transactions. */
    public int size() {
        return txs.size();
    }

    /** The view of the state with the waiting transactions applied. */
    public StateView view() {
        return overlay;
    }

    /**
     * Adds a transaction that passed the stateless checks, if it applies on top of the others.
     *
     * @throws InvalidBlockException if it does not apply
     */
    public AddResult add(Tx tx, long nextHeight, long nowMillis) throws InvalidBlockException {
        if (txs.containsKey(tx.id())) {
            return AddResult.DUPLICATE;
        }
        if (txs.size() >= maxCount
                || bytes + tx.envelope().length > maxBytes
                || perIdentity.getOrDefault(tx.identityId(), 0) >= maxPerIdentity) {
            return AddResult.FULL;
        }
        StateDelta d = new StateDelta(overlay);
        TxRules.apply(tx, d, nextHeight, nowMillis, NO_BLOCK, 0, params, sigs, true);
        d.mergeInto(overlay);
        put(tx);
        return AddResult.ADDED;
    }

    private void put(Tx tx) {
        txs.put(tx.id(), tx);
        bytes += tx.envelope().length;
        perIdentity.merge(tx.identityId(), 1, Integer::sum);
    }

    /**
     * Rebuilds over a new best-chain state: {@code first} (transactions of disconnected blocks, in
     * chain order), then the waiting transactions; each is kept if it applies and fits.
     *
     * @return the transactions dropped
     */
    public List<Tx> rebuild(StateView base, List<Tx> first, long nextHeight, long nowMillis) {
        List<Tx> candidates = new ArrayList<>(first.size() + txs.size());
        candidates.addAll(first);
        candidates.addAll(txs.values());
        txs.clear();
        perIdentity.clear();
        bytes = 0;
        overlay = new StateDelta(base);
        List<Tx> dropped = new ArrayList<>();
        for (Tx tx : candidates) {
            if (txs.containsKey(tx.id())) {
                continue;
            }
            try {
                if (add(tx, nextHeight, nowMillis) != AddResult.ADDED) {
                    dropped.add(tx);
                }
            } catch (InvalidBlockException e) {
                dropped.add(tx);
            }
        }
        return dropped;
    }

    /** The waiting transactions, in order. */
    public List<Tx> transactions() {
        return new ArrayList<>(txs.values());
    }

    /** Removes transactions (for example those just mined); the caller rebuilds afterwards. */
    public void removeAll(Collection<TxId> ids) {
        for (TxId id : ids) {
            Tx tx = txs.remove(id);
            if (tx != null) {
                bytes -= tx.envelope().length;
                perIdentity.computeIfPresent(tx.identityId(), (k, v) -> v <= 1 ? null : v - 1);
            }
        }
    }

    /** The sequence number the identity's next transaction must carry, counting waiting ones. */
    public long nextSequence(PeerId identityId) {
        IdentityEntry e = overlay.identity(identityId);
        return e == null ? 0 : e.sequence() + 1;
    }
}
