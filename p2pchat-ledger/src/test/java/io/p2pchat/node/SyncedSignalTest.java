package io.p2pchat.node;

import static io.p2pchat.node.TestNetwork.join;
import static io.p2pchat.node.TestNetwork.mine;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.ChainTip;
import io.p2pchat.ledger.sync.SyncListener;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link Node#synced()}: completes once the node has caught up with the tip a peer of its network
 * announced (issue 10.4), the signal a joining node waits for before it mines or registers.
 */
class SyncedSignalTest {
    @Test
    void lateJoiner_isSyncedOnlyOnceItHasTheMembersChain() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("synced"))) {
            Node a = net.start(0);
            mine(a, 30);
            ChainTip members = a.ledger().tip();
            Node b = net.start(1);
            // The height b had when the signal fired, read on the event loop that fired it.
            CompletableFuture<Long> heightAtSignal = new CompletableFuture<>();
            b.sync()
                    .addListener(
                            new SyncListener() {
                                @Override
                                public void onCaughtUp(PeerId peer, ChainTip ours) {
                                    heightAtSignal.complete(b.ledger().tip().height());
                                }
                            });
            CompletableFuture<PeerId> synced = b.synced();
            assertThat(synced).isNotDone();

            join(b, a);
            assertThat(synced.get(30, TimeUnit.SECONDS)).isEqualTo(a.identity().peerId());
            assertThat(heightAtSignal.get(5, TimeUnit.SECONDS)).isEqualTo(30);
            assertThat(b.ledger().tip().hash()).isEqualTo(members.hash());
            // A node ahead of its peer has synced too: it has proven it is at least as far.
            assertThat(a.synced().get(30, TimeUnit.SECONDS)).isEqualTo(b.identity().peerId());
        }
    }

    @Test
    void nodeOfAnotherNetwork_neverSyncs() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("synced-a"));
                TestNetwork other = new TestNetwork(TestNetwork.params("synced-b"))) {
            Node a = net.start(0);
            Node x = other.start(1);
            CompletableFuture<NodePeer> dial = x.join(a.localAddress());
            assertThat(dial)
                    .failsWithin(java.time.Duration.ofSeconds(15))
                    .withThrowableOfType(java.util.concurrent.ExecutionException.class);
            assertThat(x.synced()).isNotDone();
            assertThat(a.synced()).isNotDone();
        }
    }
}
