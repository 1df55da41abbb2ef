package io.p2pchat.ledger.sync;

import static io.p2pchat.ledger.sync.LedgerSyncHandler.MAX_PENDING_TX_ANNOUNCEMENTS;
import static io.p2pchat.ledger.sync.LedgerSyncHandler.MAX_SERVING_TXS;
import static io.p2pchat.ledger.sync.LedgerSyncHandler.MAX_TX_IDS;
import static io.p2pchat.ledger.sync.LedgerSyncHandler.MAX_TX_REQUESTED;

import com.google.protobuf.ByteString;
import io.p2pchat.ledger.model.LedgerHashes;
import io.p2pchat.ledger.model.TxId;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.ledger.sync.LedgerSyncHandler.Misbehaviour;
import io.p2pchat.proto.Announce;
import io.p2pchat.proto.GetTransactions;
import io.p2pchat.proto.LedgerMessage;
import io.p2pchat.proto.NotFound;
import io.p2pchat.proto.Transactions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's transaction relay (docs/ledger.md §11.4): announcing the ids of new mempool
 * transactions the peer does not know (coalesced with the handler's block announcements), fetching
 * announced transactions we have not seen ({@code GetTransactions}, each id asked of one peer at a
 * time through {@link LedgerSync#markSeen}), serving the peer's requests from the mempool, and
 * checking that the transactions it sends were asked for.
 *
 * <p>Threading: confined to the channel's event loop, as its {@link LedgerSyncHandler}; the mempool
 * is read on the ledger thread ({@link SyncLedger#readTransactions}).
 */
final class TransactionRelay {
    private static final Logger log = LoggerFactory.getLogger(TransactionRelay.class);

    private final LedgerSyncHandler handler;
    private final LedgerSync sync;
    private final SyncLedger ledger;

    private final LinkedHashMap<TxId, Long> txsRequested = new LinkedHashMap<>();
    private final BoundedSet<TxId> peerKnowsTxs = new BoundedSet<>(20_000);
    private final LinkedHashSet<TxId> pendingTxs = new LinkedHashSet<>();
    private int servingTxs;

    TransactionRelay(LedgerSyncHandler handler, LedgerSync sync, SyncLedger ledger) {
        this.handler = handler;
        this.sync = sync;
        this.ledger = ledger;
    }

    /** Announced transaction ids: asks for those nobody was asked for yet. */
    void onAnnouncedIds(List<ByteString> ids) throws Misbehaviour {
        GetTransactions.Builder g = GetTransactions.newBuilder();
        long now = System.nanoTime();
        for (ByteString b : ids) {
            if (b.size() != 32) {
                throw new Misbehaviour("transaction id of " + b.size() + " bytes");
            }
            TxId id = TxId.of(b.toByteArray());
            peerKnowsTxs.add(id);
            if (txsRequested.size() < MAX_TX_REQUESTED && sync.markSeen(id)) {
                txsRequested.put(id, now);
                g.addTxIds(b);
            }
        }
        if (g.getTxIdsCount() > 0) {
            handler.send(LedgerMessage.newBuilder().setGetTransactions(g));
        }
    }

    /** The peer does not have transactions we asked for: another peer may be asked. */
    void notFound(List<ByteString> ids) {
        for (ByteString b : ids) {
            if (b.size() == 32) {
                TxId id = TxId.of(b.toByteArray());
                if (txsRequested.remove(id) != null) {
                    sync.forgetSeen(id);
                }
            }
        }
    }

    /** Queues new mempool transactions for the next announcement. */
    void queue(List<TxId> ids) {
        for (TxId id : ids) {
            if (pendingTxs.size() < MAX_PENDING_TX_ANNOUNCEMENTS && !peerKnowsTxs.contains(id)) {
                pendingTxs.add(id);
            }
        }
    }

    /**
     * Announces the queued ids the peer does not know, {@link LedgerSyncHandler#MAX_TX_IDS} per
     * message.
     */
    void flush() {
        Announce.Builder t = Announce.newBuilder();
        for (TxId id : pendingTxs) {
            if (peerKnowsTxs.add(id)) {
                t.addTxIds(ByteString.copyFrom(id.toBytes()));
                if (t.getTxIdsCount() == MAX_TX_IDS) {
                    handler.send(LedgerMessage.newBuilder().setAnnounce(t));
                    t = Announce.newBuilder();
                }
            }
        }
        pendingTxs.clear();
        if (t.getTxIdsCount() > 0) {
            handler.send(LedgerMessage.newBuilder().setAnnounce(t));
        }
    }

    /** Forgets requests unanswered for {@code timeoutNanos}, so another peer may be asked. */
    void expire(long nowNanos, long timeoutNanos) {
        for (Iterator<Map.Entry<TxId, Long>> it = txsRequested.entrySet().iterator();
                it.hasNext(); ) {
            Map.Entry<TxId, Long> e = it.next();
            if (nowNanos - e.getValue() > timeoutNanos) {
                it.remove();
                sync.forgetSeen(e.getKey());
            }
        }
    }

    /** The connection ended: its requests may go to other peers. */
    void release() {
        for (TxId id : txsRequested.keySet()) {
            sync.forgetSeen(id);
        }
        txsRequested.clear();
    }

    /** Ids of transactions requested and not yet received. */
    Set<TxId> pending() {
        return new HashSet<>(txsRequested.keySet());
    }

    void onGetTransactions(GetTransactions g) throws Misbehaviour {
        if (g.getTxIdsCount() > MAX_TX_IDS) {
            throw new Misbehaviour(g.getTxIdsCount() + " transactions requested at once");
        }
        if (servingTxs + g.getTxIdsCount() > MAX_SERVING_TXS) {
            throw new Misbehaviour(
                    "more than " + MAX_SERVING_TXS + " transactions requested and not yet served");
        }
        List<TxId> wanted = new ArrayList<>();
        for (ByteString b : g.getTxIdsList()) {
            if (b.size() != 32) {
                throw new Misbehaviour("transaction id of " + b.size() + " bytes");
            }
            wanted.add(TxId.of(b.toByteArray()));
        }
        int count = wanted.size();
        servingTxs += count;
        handler.onLedgerThread(
                ledger.readTransactions(wanted),
                found -> {
                    servingTxs -= count;
                    Transactions.Builder t = Transactions.newBuilder();
                    NotFound.Builder nf = NotFound.newBuilder();
                    int size = 0;
                    int limit = sync.settings().maxMessageBytes() / 2;
                    for (Object o : found) {
                        if (o instanceof TxId) {
                            nf.addTxIds(ByteString.copyFrom(((TxId) o).toBytes()));
                            continue;
                        }
                        byte[] env = (byte[]) o;
                        if (size > 0 && size + env.length > limit) {
                            handler.send(LedgerMessage.newBuilder().setTransactions(t));
                            t = Transactions.newBuilder();
                            size = 0;
                        }
                        t.addTransactions(ByteString.copyFrom(env));
                        size += env.length;
                    }
                    if (t.getTransactionsCount() > 0) {
                        handler.send(LedgerMessage.newBuilder().setTransactions(t));
                    }
                    if (nf.getTxIdsCount() > 0) {
                        handler.send(LedgerMessage.newBuilder().setNotFound(nf));
                    }
                },
                () -> servingTxs -= count);
    }

    void onTransactions(Transactions t) throws Misbehaviour {
        if (t.getTransactionsCount() > MAX_TX_IDS) {
            throw new Misbehaviour(t.getTransactionsCount() + " transactions in one message");
        }
        List<byte[]> envelopes = new ArrayList<>();
        for (ByteString b : t.getTransactionsList()) {
            byte[] env = b.toByteArray();
            TxId id = TxId.of(LedgerHashes.leafHash(env));
            if (txsRequested.remove(id) == null) {
                throw new Misbehaviour("unsolicited transaction " + id.shortHex());
            }
            peerKnowsTxs.add(id);
            envelopes.add(env);
        }
        handler.onLedgerThread(
                ledger.submitTransactions(envelopes),
                results -> {
                    for (TxResult r : results) {
                        if (r.misbehaving()) {
                            handler.misbehave(
                                    "invalid transaction "
                                            + r.id().shortHex()
                                            + ": "
                                            + r.message());
                            return;
                        }
                        if (r.status() == TxResult.Status.REJECTED) {
                            log.debug(
                                    "{}: transaction {} not accepted: {}",
                                    handler.channel(),
                                    r.id().shortHex(),
                                    r.message());
                        }
                    }
                });
    }
}
