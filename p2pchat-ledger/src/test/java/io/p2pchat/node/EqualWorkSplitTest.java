package io.p2pchat.node;

import static io.p2pchat.node.TestNetwork.awaitSameTip;
import static io.p2pchat.node.TestNetwork.join;
import static io.p2pchat.node.TestNetwork.mine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.p2pchat.ledger.IdentityTransactions;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.testing.ChainBuilder;
import io.p2pchat.testing.TestIdentities;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two nodes on different tips of equal work (issue 10.4): each learns of and stores the other's
 * block (docs/ledger.md §11.3), so that the next block settles the choice for both.
 */
class EqualWorkSplitTest {
    static final Duration CONVERGE = Duration.ofSeconds(30);

    private static boolean stores(Node n, BlockHash h) throws Exception {
        return n.ledger().block(h).get(10, TimeUnit.SECONDS).isPresent();
    }

    /** Blocks mined apart, then a connection: the Status of equal work leads to a fetch. */
    @Test
    void blocksMinedApart_eachStoresTheOthers_andTheNextTransactionSettlesBoth() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("equal-apart"))) {
            Node a = net.start(0);
            Node b = net.start(1);
            // Different transactions: the two blocks at height 1 differ.
            NodeNetworkTest.register(a);
            NodeNetworkTest.register(b);
            BlockHash a1 = mine(a, 1).get(0);
            BlockHash b1 = mine(b, 1).get(0);
            assertThat(a1).isNotEqualTo(b1);
            assertThat(a.ledger().tip().totalWork()).isEqualTo(b.ledger().tip().totalWork());

            join(b, a);
            await().atMost(CONVERGE).until(() -> stores(a, b1) && stores(b, a1));
            // First seen wins on equal work: each keeps its own tip until the next block.
            assertThat(a.ledger().tip().hash()).isEqualTo(a1);
            assertThat(b.ledger().tip().hash()).isEqualTo(b1);

            settleWithTheNextTransaction(net, a, b);
        }
    }

    /** Blocks found at once by connected nodes: the Announce of equal work leads to a fetch. */
    @Test
    void blocksFoundAtOnce_eachStoresTheOthers_andTheNextTransactionSettlesBoth() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("equal-at-once"))) {
            Node a = net.start(0);
            Node b = net.start(1);
            join(b, a);
            ChainBuilder c = new ChainBuilder(net.params);
            long t = c.header("genesis").timestampMillis();
            BlockData x = c.block("x").on("genesis").timestamp(t + 1).build();
            BlockData y = c.block("y").on("genesis").timestamp(t + 2).build();
            assertThat(x.hash()).isNotEqualTo(y.hash());
            // Both within one announcement window (50 ms): each has its own before the other's.
            CompletableFuture<BlockResult> fx = a.ledger().submitBlock(x.toProto().toByteArray());
            CompletableFuture<BlockResult> fy = b.ledger().submitBlock(y.toProto().toByteArray());
            assertThat(fx.get(10, TimeUnit.SECONDS).status())
                    .isEqualTo(BlockResult.Status.CONNECTED);
            assertThat(fy.get(10, TimeUnit.SECONDS).status())
                    .isEqualTo(BlockResult.Status.CONNECTED);

            await().atMost(CONVERGE).until(() -> stores(a, y.hash()) && stores(b, x.hash()));
            assertThat(a.ledger().tip().hash()).isEqualTo(x.hash());
            assertThat(b.ledger().tip().hash()).isEqualTo(y.hash());

            settleWithTheNextTransaction(net, b, a);
        }
    }

    /** A transaction submitted to {@code miner} and mined there: both end on that tip. */
    private static void settleWithTheNextTransaction(TestNetwork net, Node miner, Node other)
            throws Exception {
        IdentityTransactions txs = IdentityTransactions.forNetwork(net.params);
        TxResult r =
                miner.submit(txs.register(TestIdentities.get("equal-next"), List.of(), null))
                        .get(30, TimeUnit.SECONDS);
        assertThat(r.status()).as(r.message()).isEqualTo(TxResult.Status.ACCEPTED);
        BlockHash next = mine(miner, 1).get(0);
        awaitSameTip(CONVERGE, miner, other);
        Ledger l = other.ledger();
        assertThat(l.tip().hash()).isEqualTo(next);
        assertThat(l.tip().height()).isEqualTo(2);
    }
}
