package io.p2pchat.ledger.sync;

import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.chain.ChainState;
import io.p2pchat.ledger.chain.LedgerService;
import io.p2pchat.ledger.chain.LedgerServices;
import io.p2pchat.ledger.chain.Tx;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.ChainTip;
import io.p2pchat.ledger.model.TxId;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.proto.Block;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * What replication needs of a ledger, and nothing more: the chain reads a handler makes on its
 * event loop, and the work it hands to the ledger thread (validation, storage, block and mempool
 * reads), each returning a future. {@link #of} puts it in front of a {@link Ledger}'s {@link
 * LedgerService}; the handlers never see the service, the chain or the mempool.
 *
 * <p>Threading: the reads are safe from any thread (the chain's read lock or concurrent index);
 * everything returning a future runs on the ledger thread and completes there.
 */
interface SyncLedger {
    /** The best chain's tip. */
    ChainTip tip();

    /** The network id ledger messages carry. */
    byte[] networkId();

    /** Whether the block's data is stored. */
    boolean hasBlock(BlockHash hash);

    /** Whether a header is known (valid so far) or known invalid. */
    boolean knowsHeader(BlockHash hash);

    /** The chain work of a known header, or null. */
    @Nullable BigInteger chainWork(BlockHash hash);

    /** Confirmations of a block on the best chain, 0 when not on it. */
    long confirmations(BlockHash hash);

    /** A locator of the best chain. */
    List<BlockHash> locator();

    /** A locator of a known header's chain. */
    List<BlockHash> locatorOf(BlockHash tip);

    /** Best-chain headers after the locator, at most {@code max}. */
    List<BlockHeader> headersAfter(List<BlockHash> locator, int max);

    /** Validates and records headers. */
    CompletableFuture<ChainState.HeadersOutcome> submitHeaders(List<BlockHeader> headers);

    /** Validates, stores and connects blocks. */
    CompletableFuture<List<BlockResult>> submitBlocks(List<BlockData> blocks);

    /** Validates transactions into the mempool. */
    CompletableFuture<List<TxResult>> submitTransactions(List<byte[]> envelopes);

    /** The ids of the transactions in the mempool. */
    CompletableFuture<List<TxId>> mempoolIds();

    /**
     * The blocks to send for {@code hashes}, in order: a {@link Block}, or the {@link BlockHash}
     * itself when it is not served (unknown, invalid, or genesis).
     */
    CompletableFuture<List<Object>> readBlocks(List<BlockHash> hashes);

    /**
     * The mempool transactions for {@code ids}, in order: the envelope ({@code byte[]}), or the
     * {@link TxId} itself when it is not in the mempool.
     */
    CompletableFuture<List<Object>> readTransactions(List<TxId> ids);

    /**
     * The blocks to download toward {@code target}, lowest first, at most {@code max}, skipping
     * {@code exclude}; null when {@code target} is unknown, has less work than our tip or is
     * stored.
     */
    CompletableFuture<@Nullable List<BlockHash>> missingBlocks(
            BlockHash target, int max, Set<BlockHash> exclude);

    /** The sync view of {@code ledger}. */
    static SyncLedger of(Ledger ledger) {
        LedgerService service = LedgerServices.of(ledger);
        ChainState chain = service.chain();
        byte[] networkId = ledger.parameters().networkId();
        BlockHash genesis = ledger.parameters().genesis().hash();
        return new SyncLedger() {
            @Override
            public ChainTip tip() {
                return ledger.tip();
            }

            @Override
            public byte[] networkId() {
                return networkId.clone();
            }

            @Override
            public boolean hasBlock(BlockHash hash) {
                return chain.hasBlock(hash);
            }

            @Override
            public boolean knowsHeader(BlockHash hash) {
                return chain.knowsHeader(hash);
            }

            @Override
            public @Nullable BigInteger chainWork(BlockHash hash) {
                return chain.chainWork(hash);
            }

            @Override
            public long confirmations(BlockHash hash) {
                return chain.confirmations(hash);
            }

            @Override
            public List<BlockHash> locator() {
                return chain.locator();
            }

            @Override
            public List<BlockHash> locatorOf(BlockHash tip) {
                return chain.locatorOf(tip);
            }

            @Override
            public List<BlockHeader> headersAfter(List<BlockHash> locator, int max) {
                return chain.headersAfter(locator, max);
            }

            @Override
            public CompletableFuture<ChainState.HeadersOutcome> submitHeaders(
                    List<BlockHeader> headers) {
                return service.submitHeaders(headers);
            }

            @Override
            public CompletableFuture<List<BlockResult>> submitBlocks(List<BlockData> blocks) {
                return service.submitBlocks(blocks);
            }

            @Override
            public CompletableFuture<List<TxResult>> submitTransactions(List<byte[]> envelopes) {
                return service.submitTransactions(envelopes);
            }

            @Override
            public CompletableFuture<List<TxId>> mempoolIds() {
                return service.call(
                        () -> {
                            List<TxId> ids = new ArrayList<>();
                            for (Tx tx : chain.mempool().transactions()) {
                                ids.add(tx.id());
                            }
                            return ids;
                        });
            }

            @Override
            public CompletableFuture<List<Object>> readBlocks(List<BlockHash> hashes) {
                return service.call(
                        () -> {
                            List<Object> out = new ArrayList<>();
                            for (BlockHash h : hashes) {
                                BlockData b = chain.readBlock(h);
                                out.add(b == null || h.equals(genesis) ? h : b.toProto());
                            }
                            return out;
                        });
            }

            @Override
            public CompletableFuture<List<Object>> readTransactions(List<TxId> ids) {
                return service.call(
                        () -> {
                            List<Object> out = new ArrayList<>();
                            for (TxId id : ids) {
                                Tx tx = chain.mempool().get(id);
                                out.add(tx == null ? id : tx.envelope());
                            }
                            return out;
                        });
            }

            @Override
            public CompletableFuture<@Nullable List<BlockHash>> missingBlocks(
                    BlockHash target, int max, Set<BlockHash> exclude) {
                return service.call(
                        () -> {
                            BigInteger w = chain.chainWork(target);
                            // Equal work is fetched too (docs/ledger.md §11.3).
                            if (w == null
                                    || w.compareTo(chain.tip().totalWork()) < 0
                                    || chain.hasBlock(target)) {
                                return null;
                            }
                            return chain.missingBlocks(target, max, exclude);
                        });
            }
        };
    }
}
