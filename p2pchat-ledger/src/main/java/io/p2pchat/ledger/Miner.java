package io.p2pchat.ledger;

import io.p2pchat.ledger.chain.ChainState;
import io.p2pchat.ledger.chain.LedgerService;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.LedgerHashes;
import io.p2pchat.ledger.model.Pow;
import io.p2pchat.ledger.store.BlockData;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mines blocks for a {@link Ledger} on its own thread: SHA-256 proof of work over the block header,
 * on a template of the tip and the mempool.
 *
 * <h2>Policy</h2>
 *
 * Started with {@link #start()}, the miner works only when there is something to confirm: while the
 * mempool holds transactions, or while a block among the last k (the network's confirmations) holds
 * transactions, so that they reach k confirmations. Otherwise it idles, and the chain grows no
 * empty blocks. {@link #mineBlocks(int)} mines a given number of blocks regardless (tests and
 * tools). A new tip or new transactions restart the work on a fresh template; the template is also
 * refreshed every second so that timestamps stay current.
 *
 * <h2>Threading</h2>
 *
 * Thread-safe. Mining runs on a dedicated daemon thread, never on an event loop or the ledger
 * thread; blocks found are submitted to the ledger like any other. {@link MiningListener}s are
 * called on the miner thread.
 */
public final class Miner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Miner.class);

    private static final int HASHES_PER_CHECK = 1 << 12;
    private static final long TEMPLATE_MAX_AGE_MILLIS = 1000;
    private static final long PROGRESS_INTERVAL_MILLIS = 1000;

    /** Receives mining progress. */
    public interface MiningListener {
        /** About once a second while mining. */
        default void onProgress(MiningProgress progress) {}

        /** A block was found and accepted onto the best chain. */
        default void onBlockMined(BlockHeader header, int transactions) {}
    }

    /**
     * Mining progress.
     *
     * @param hashes header hashes computed since the miner started
     * @param hashesPerSecond rate over the last interval
     * @param blocksMined blocks found and accepted since the miner started
     * @param height the height being mined
     * @param transactions transactions in the current template
     */
    public record MiningProgress(
            long hashes, double hashesPerSecond, long blocksMined, long height, int transactions) {}

    private final LedgerService service;
    private final CopyOnWriteArrayList<MiningListener> listeners = new CopyOnWriteArrayList<>();
    private final Object monitor = new Object();
    private final AtomicLong hashes = new AtomicLong();
    private final AtomicLong blocksMined = new AtomicLong();
    private final AtomicLong changes = new AtomicLong();
    private final String name;

    private boolean running; // guarded by monitor
    private boolean closed; // guarded by monitor
    private final List<PendingRequest> requests = new ArrayList<>(); // guarded by monitor
    private @Nullable Thread thread; // guarded by monitor

    private static final class PendingRequest {
        int remaining;
        final List<BlockHash> mined = new ArrayList<>();
        final CompletableFuture<List<BlockHash>> future = new CompletableFuture<>();

        PendingRequest(int n) {
            this.remaining = n;
        }
    }

    Miner(LedgerService service, String name) {
        this.service = service;
        this.name = name;
        service.addChainListener(
                new LedgerService.ChainListener() {
                    @Override
                    public void onTipChange(ChainState.TipChange change) {
                        changed();
                    }

                    @Override
                    public void onTransactionsAccepted(List<io.p2pchat.ledger.chain.Tx> txs) {
                        changed();
                    }
                });
    }

    private void changed() {
        changes.incrementAndGet();
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }

    /** Adds a listener. */
    public void addListener(MiningListener listener) {
        listeners.add(listener);
    }

    /** Removes a listener. */
    public void removeListener(MiningListener listener) {
        listeners.remove(listener);
    }

    /** Starts mining under the policy (idle while there is nothing to confirm). */
    public void start() {
        synchronized (monitor) {
            running = true;
            ensureThread();
            monitor.notifyAll();
        }
    }

    /** Stops policy mining; pending {@link #mineBlocks} requests still complete. */
    public void stop() {
        synchronized (monitor) {
            running = false;
            monitor.notifyAll();
        }
    }

    /** Whether policy mining is on. */
    public boolean isRunning() {
        synchronized (monitor) {
            return running;
        }
    }

    /**
     * Mines {@code count} blocks (empty or not) on top of whatever the best chain is, each accepted
     * onto it.
     *
     * @return completes with the blocks' hashes; fails if the miner is closed first
     */
    public CompletableFuture<List<BlockHash>> mineBlocks(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count: " + count + " (expected: >= 1)");
        }
        PendingRequest r = new PendingRequest(count);
        synchronized (monitor) {
            if (closed) {
                r.future.completeExceptionally(new IllegalStateException("miner closed"));
                return r.future;
            }
            requests.add(r);
            ensureThread();
            monitor.notifyAll();
        }
        return r.future;
    }

    /** Hashes computed so far. */
    public long hashes() {
        return hashes.get();
    }

    /** Blocks mined so far. */
    public long blocksMined() {
        return blocksMined.get();
    }

    private void ensureThread() {
        if (thread == null && !closed) {
            Thread t = new Thread(this::run, "p2pchat-miner-" + name);
            t.setDaemon(true);
            t.setPriority(Thread.MIN_PRIORITY);
            thread = t;
            t.start();
        }
    }

    private void run() {
        long lastProgress = System.nanoTime();
        long lastHashes = 0;
        try {
            while (true) {
                boolean forced;
                synchronized (monitor) {
                    if (closed) {
                        return;
                    }
                    forced = !requests.isEmpty();
                    if (!forced && !running) {
                        monitor.wait(1000);
                        continue;
                    }
                }
                if (!forced && !needed()) {
                    synchronized (monitor) {
                        if (!closed && requests.isEmpty()) {
                            monitor.wait(500);
                        }
                    }
                    continue;
                }
                long seen = changes.get();
                ChainState.Template t =
                        service.call(() -> service.chain().template()).get(30, TimeUnit.SECONDS);
                long started = System.currentTimeMillis();
                BlockHeader base =
                        BlockHeader.of(
                                BlockHeader.VERSION,
                                t.height(),
                                t.parent().hash(),
                                t.merkleRoot(),
                                t.timestampMillis(),
                                t.target(),
                                0,
                                service.params().networkId());
                byte[] header = base.encode();
                byte[] target = Pow.toUint256(t.target());
                MessageDigest md = LedgerHashes.newSha256();
                long nonce = java.util.concurrent.ThreadLocalRandom.current().nextLong();
                boolean found = false;
                while (!found) {
                    for (int i = 0; i < HASHES_PER_CHECK; i++) {
                        putLong(header, 116, nonce);
                        byte[] h = md.digest(header);
                        if (Arrays.compareUnsigned(h, target) <= 0) {
                            found = true;
                            break;
                        }
                        nonce++;
                    }
                    long done = hashes.addAndGet(found ? 1 : HASHES_PER_CHECK);
                    long now = System.nanoTime();
                    if (now - lastProgress > PROGRESS_INTERVAL_MILLIS * 1_000_000) {
                        double rate = (done - lastHashes) * 1e9 / (now - lastProgress);
                        lastProgress = now;
                        lastHashes = done;
                        MiningProgress p =
                                new MiningProgress(
                                        done,
                                        rate,
                                        blocksMined.get(),
                                        t.height(),
                                        t.transactions().size());
                        for (MiningListener l : listeners) {
                            try {
                                l.onProgress(p);
                            } catch (RuntimeException e) {
                                log.warn("mining listener failed", e);
                            }
                        }
                    }
                    if (found) {
                        break;
                    }
                    synchronized (monitor) {
                        if (closed || (requests.isEmpty() && !running)) {
                            break;
                        }
                    }
                    if (changes.get() != seen
                            || System.currentTimeMillis() - started > TEMPLATE_MAX_AGE_MILLIS) {
                        break;
                    }
                }
                if (!found) {
                    continue;
                }
                BlockHeader mined = BlockHeader.decode(header);
                BlockResult r =
                        service.submitBlock(new BlockData(mined, t.transactions()))
                                .get(60, TimeUnit.SECONDS);
                if (r.status() != BlockResult.Status.CONNECTED) {
                    log.debug(
                            "mined block {} not connected: {}",
                            mined.hash().shortHex(),
                            r.message());
                    continue;
                }
                blocksMined.incrementAndGet();
                log.debug(
                        "mined block {} at height {} with {} transactions",
                        mined.hash().shortHex(),
                        mined.height(),
                        t.transactions().size());
                for (MiningListener l : listeners) {
                    try {
                        l.onBlockMined(mined, t.transactions().size());
                    } catch (RuntimeException e) {
                        log.warn("mining listener failed", e);
                    }
                }
                synchronized (monitor) {
                    if (!requests.isEmpty()) {
                        PendingRequest req = requests.get(0);
                        req.mined.add(mined.hash());
                        if (--req.remaining == 0) {
                            requests.remove(0);
                            req.future.complete(List.copyOf(req.mined));
                        }
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.error("miner stopped", e);
            synchronized (monitor) {
                for (PendingRequest r : requests) {
                    r.future.completeExceptionally(e);
                }
                requests.clear();
                thread = null;
            }
        }
    }

    private boolean needed() throws Exception {
        return service.call(
                        () ->
                                service.chain().mempool().size() > 0
                                        || service.chain()
                                                .hasUnconfirmedRecentTransactions(
                                                        service.params().confirmations()))
                .get(30, TimeUnit.SECONDS);
    }

    private static void putLong(byte[] b, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            b[off + i] = (byte) v;
            v >>>= 8;
        }
    }

    /** Stops the miner thread; pending requests fail. */
    @Override
    public void close() {
        Thread t;
        synchronized (monitor) {
            closed = true;
            running = false;
            monitor.notifyAll();
            t = thread;
            for (PendingRequest r : requests) {
                r.future.completeExceptionally(new IllegalStateException("miner closed"));
            }
            requests.clear();
        }
        if (t != null) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "Miner[" + name + ", blocks=" + blocksMined.get() + "]";
    }
}
