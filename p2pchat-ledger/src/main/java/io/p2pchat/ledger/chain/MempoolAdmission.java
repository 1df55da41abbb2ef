package io.p2pchat.ledger.chain;

import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.LedgerHashes;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.Merkle;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.TxId;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.ledger.store.BlockData;
import java.math.BigInteger;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transactions side of a {@link ChainState}: admission of a submitted transaction into the
 * {@link Mempool} against the best chain's state, the mempool's refresh after the best chain moved
 * (transactions of disconnected blocks come back, those now in blocks or no longer valid go), and
 * block templates for mining.
 *
 * <p>Threading: ledger thread only (the mempool and the accepted-transactions list have no lock);
 * it reads the best chain's state without the lock, as its only writer's thread.
 */
final class MempoolAdmission implements ChainActivation.CommitListener {
    private static final Logger log = LoggerFactory.getLogger(MempoolAdmission.class);

    private final NetworkParameters params;
    private final Clock clock;
    private final SignatureCache sigs;
    private final BlockIndex index;
    private final ChainActivation chain;
    private final Mempool mempool;
    private final List<Tx> acceptedTxs = new ArrayList<>();

    MempoolAdmission(
            NetworkParameters params,
            Clock clock,
            SignatureCache sigs,
            ChainState.Limits limits,
            BlockIndex index,
            ChainActivation chain) {
        this.params = params;
        this.clock = clock;
        this.sigs = sigs;
        this.index = index;
        this.chain = chain;
        this.mempool =
                new Mempool(
                        params,
                        sigs,
                        chain.state,
                        limits.maxMempoolTxs(),
                        limits.maxMempoolBytes(),
                        limits.maxPendingPerIdentity());
    }

    /** The mempool. */
    Mempool mempool() {
        return mempool;
    }

    /** Validates a transaction against the best chain and the mempool, and queues it if valid. */
    TxResult submit(byte[] envelope) {
        TxId id = TxId.of(LedgerHashes.leafHash(envelope));
        if (mempool.contains(id)) {
            return new TxResult(TxResult.Status.ALREADY_KNOWN, id, null, "already in the mempool");
        }
        try {
            Tx tx = Tx.decode(envelope, id, params);
            TxRules.checkStateless(tx, params, sigs);
            Mempool.AddResult r = mempool.add(tx, chain.tipEntry().height + 1, clock.millis());
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
    List<Tx> drainAccepted() {
        List<Tx> out = new ArrayList<>(acceptedTxs);
        acceptedTxs.clear();
        return out;
    }

    @Override
    public void committed(List<BlockEntry> disconnect, List<BlockEntry> connected)
            throws LedgerStorageException {
        Set<TxId> included = new HashSet<>();
        for (BlockEntry e : connected) {
            BlockData b = chain.readBlock(e.hash);
            for (byte[] leaf : b.leafHashes()) {
                included.add(TxId.of(leaf));
            }
        }
        List<Tx> returned = new ArrayList<>();
        for (int i = disconnect.size() - 1; i >= 0; i--) {
            BlockData b = chain.readBlock(disconnect.get(i).hash);
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
        List<Tx> dropped =
                mempool.rebuild(chain.state, returned, chain.tipEntry().height + 1, clock.millis());
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

    /**
     * Builds a block template: the tip, the next target and the mempool's transactions that fit.
     */
    ChainState.Template template() {
        BlockEntry tip = chain.tipEntry();
        long height = tip.height + 1;
        long mtp = Consensus.medianTimePast(tip.header, index::header);
        long time = Math.max(clock.millis(), mtp + 1);
        BigInteger target = Consensus.expectedTarget(tip.header, index::header, params);
        StateDelta d = new StateDelta(chain.state);
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
        return new ChainState.Template(tip.header, height, target, time, txs, Merkle.root(leaves));
    }
}
