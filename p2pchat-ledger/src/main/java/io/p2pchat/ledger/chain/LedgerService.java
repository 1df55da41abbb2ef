package io.p2pchat.ledger.chain;

import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.LedgerListener;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.StorageError;
import io.p2pchat.ledger.model.TipChangeEvent;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.ledger.store.BlockData;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ledger executor: one thread that owns the {@link ChainState} and runs every change to it,
 * persists it (fsync) and only then completes the caller's future and notifies listeners.
 *
 * <h2>Threading</h2>
 *
 * All methods may be called from any thread; the work runs on the ledger thread, never on a Netty
 * event loop. Callers on an event loop hop back with {@code ctx.executor()} when the future
 * completes. The queue is bounded: when it is full the future fails with {@link
 * RejectedExecutionException} at once.
 *
 * <h2>Failure</h2>
 *
 * An I/O failure of the store stops block acceptance: every later block submission is rejected with
 * {@code IO_FAILURE}; reads keep working.
 */
public final class LedgerService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LedgerService.class);

    /** Tasks waiting for the ledger thread, at most. */
    public static final int QUEUE_CAPACITY = 10_000;

    /** Internal listener with the full details of changes. */
    public interface ChainListener {
        /** The tip changed (after fsync). */
        default void onTipChange(ChainState.TipChange change) {}

        /** Transactions entered the mempool. */
        default void onTransactionsAccepted(List<Tx> txs) {}
    }

    private final ChainState chain;
    private final ThreadPoolExecutor executor;
    private final CopyOnWriteArrayList<LedgerListener> listeners = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<ChainListener> chainListeners = new CopyOnWriteArrayList<>();
    private volatile @Nullable LedgerStorageException failure;
    private volatile Thread ledgerThread;

    public LedgerService(ChainState chain, String name) {
        this.chain = chain;
        this.executor =
                new ThreadPoolExecutor(
                        1,
                        1,
                        0,
                        TimeUnit.SECONDS,
                        new ArrayBlockingQueue<>(QUEUE_CAPACITY),
                        r -> {
                            Thread t = new Thread(r, "p2pchat-ledger-" + name);
                            t.setDaemon(true);
                            ledgerThread = t;
                            return t;
                        },
                        new ThreadPoolExecutor.AbortPolicy());
    }

    /** The chain (read methods are safe from any thread; the others only on the ledger thread). */
    public ChainState chain() {
        return chain;
    }

    /** The network parameters. */
    public NetworkParameters params() {
        return chain.params();
    }

    /** Whether the caller runs on the ledger thread. */
    public boolean inLedgerThread() {
        return Thread.currentThread() == ledgerThread;
    }

    /** Adds a public listener. */
    public void addListener(LedgerListener l) {
        listeners.add(l);
    }

    /** Removes a public listener. */
    public void removeListener(LedgerListener l) {
        listeners.remove(l);
    }

    /** Adds an internal listener. */
    public void addChainListener(ChainListener l) {
        chainListeners.add(l);
    }

    /** Removes an internal listener. */
    public void removeChainListener(ChainListener l) {
        chainListeners.remove(l);
    }

    /** The storage failure that stopped block acceptance, if any. */
    public @Nullable LedgerStorageException failure() {
        return failure;
    }

    /** Runs {@code task} on the ledger thread, then syncs and publishes any changes. */
    public <T> CompletableFuture<T> call(Callable<T> task) {
        CompletableFuture<T> future = new CompletableFuture<>();
        try {
            executor.execute(
                    () -> {
                        T result;
                        try {
                            result = task.call();
                            publish();
                        } catch (LedgerStorageException e) {
                            fail(e);
                            future.completeExceptionally(e);
                            return;
                        } catch (Throwable t) {
                            future.completeExceptionally(t);
                            if (t instanceof Error) {
                                throw (Error) t;
                            }
                            return;
                        }
                        future.complete(result);
                    });
        } catch (RejectedExecutionException e) {
            future.completeExceptionally(e);
        }
        return future;
    }

    private void fail(LedgerStorageException e) {
        if (failure == null) {
            failure = e;
            log.error("ledger storage failed; no more blocks are accepted: {}", e.getMessage());
        }
    }

    /** Syncs the store, then notifies listeners of what changed. Ledger thread only. */
    private void publish() throws LedgerStorageException {
        List<ChainState.TipChange> changes = chain.drainTipChanges();
        List<Tx> txs = chain.drainAcceptedTransactions();
        if (changes.isEmpty() && txs.isEmpty()) {
            chain.syncStore();
            return;
        }
        chain.syncStore();
        for (ChainState.TipChange c : changes) {
            for (ChainListener l : chainListeners) {
                try {
                    l.onTipChange(c);
                } catch (RuntimeException e) {
                    log.warn("chain listener failed", e);
                }
            }
            if (!listeners.isEmpty()) {
                TipChangeEvent event = toEvent(c);
                for (LedgerListener l : listeners) {
                    try {
                        l.onTipChanged(event);
                    } catch (RuntimeException e) {
                        log.warn("ledger listener failed", e);
                    }
                }
            }
        }
        if (!txs.isEmpty()) {
            for (ChainListener l : chainListeners) {
                try {
                    l.onTransactionsAccepted(txs);
                } catch (RuntimeException e) {
                    log.warn("chain listener failed", e);
                }
            }
            for (Tx tx : txs) {
                LedgerTransaction lt = LedgerTransaction.of(tx.envelope());
                for (LedgerListener l : listeners) {
                    try {
                        l.onTransactionAccepted(lt);
                    } catch (RuntimeException e) {
                        log.warn("ledger listener failed", e);
                    }
                }
            }
        }
    }

    private static TipChangeEvent toEvent(ChainState.TipChange c) {
        List<BlockHash> d = new ArrayList<>();
        for (BlockEntry e : c.disconnected()) {
            d.add(e.hash());
        }
        List<BlockHash> k = new ArrayList<>();
        for (BlockEntry e : c.connected()) {
            k.add(e.hash());
        }
        return new TipChangeEvent(c.oldTip(), c.newTip(), d, k, c.retiredKeys());
    }

    /** Submits blocks in order; one fsync covers the batch. */
    public CompletableFuture<List<BlockResult>> submitBlocks(List<BlockData> blocks) {
        return call(
                () -> {
                    List<BlockResult> out = new ArrayList<>(blocks.size());
                    for (BlockData b : blocks) {
                        LedgerStorageException f = failure;
                        if (f != null) {
                            out.add(
                                    new BlockResult(
                                            BlockResult.Status.REJECTED,
                                            b.hash(),
                                            null,
                                            StorageError.IO_FAILURE + ": ledger storage failed"));
                            continue;
                        }
                        out.add(chain.processBlock(b));
                    }
                    return out;
                });
    }

    /** Submits one block. */
    public CompletableFuture<BlockResult> submitBlock(BlockData block) {
        return submitBlocks(List.of(block)).thenApply(l -> l.get(0));
    }

    /** Submits headers. */
    public CompletableFuture<ChainState.HeadersOutcome> submitHeaders(List<BlockHeader> headers) {
        return call(() -> chain.processHeaders(headers));
    }

    /** Submits a transaction. */
    public CompletableFuture<TxResult> submitTransaction(byte[] envelope) {
        return call(() -> chain.submitTransaction(envelope));
    }

    /** Submits transactions in order. */
    public CompletableFuture<List<TxResult>> submitTransactions(List<byte[]> envelopes) {
        return call(
                () -> {
                    List<TxResult> out = new ArrayList<>(envelopes.size());
                    for (byte[] e : envelopes) {
                        out.add(chain.submitTransaction(e));
                    }
                    return out;
                });
    }

    /** The public snapshot of an identity entry. */
    public static IdentityRecord toRecord(IdentityEntry e) {
        List<IdentityRecord.KeyRecord> keys = new ArrayList<>();
        for (IdentityEntry.KeyEvent k : e.keys()) {
            keys.add(new IdentityRecord.KeyRecord(k.keyId(), k.height(), k.block(), k.txIndex()));
        }
        return new IdentityRecord(
                e.id(),
                e.currentKey(),
                e.currentKeyId(),
                keys,
                e.addresses(),
                e.name(),
                e.revokedAtHeight(),
                e.sequence(),
                e.registeredAtHeight());
    }

    /** Stops the ledger thread after the queued tasks, waiting up to 10 s. */
    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("ledger thread did not stop within 10 s");
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
    }
}
