package io.p2pchat.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.p2pchat.ledger.IdentityTransactions;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.ledger.model.TxResult;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A node that reconnects to a peer it met before resumes the session with the ticket it got
 * (docs/protocol.md 5.11): no signature, the ledger verifier run again on the ticket's identity.
 */
class NodeResumptionTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void reconnectAfterADisconnect_isResumed() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("resume"))) {
            Node a = net.start(0);
            Node b = net.start(1);
            NodePeer first = b.connect(a.localAddress()).get(15, TimeUnit.SECONDS);
            assertThat(first.session().resumed()).isFalse();
            awaitTicket(first);
            first.close().sync();
            await().atMost(WAIT)
                    .until(() -> b.peers().isEmpty() && a.peer(b.identity().peerId()).isEmpty());

            NodePeer again = b.connect(a.localAddress()).get(15, TimeUnit.SECONDS);

            assertThat(again.session().resumed()).isTrue();
            assertThat(again.keyId()).isEqualTo(a.identity().peerId());
            await().atMost(WAIT).until(() -> a.peer(b.identity().peerId()).isPresent());
            assertThat(a.peer(b.identity().peerId()).orElseThrow().session().resumed()).isTrue();
        }
    }

    /**
     * Waits until {@code peer}'s session has received the ticket (the responder's first record).
     */
    private static void awaitTicket(NodePeer peer) {
        await().atMost(WAIT).until(() -> peer.session().stats().recordsReceived() >= 1);
    }

    @Test
    void reconnectWithATicket_afterTheKeyWasRevokedOnTheLedger_isRefused() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("resume-revoked"))) {
            Node a = net.start(0);
            Node b = net.start(1);
            NodePeer first = b.connect(a.localAddress()).get(15, TimeUnit.SECONDS);
            awaitTicket(first);
            NodeNetworkTest.register(b);
            await().atMost(WAIT).until(() -> a.ledger().mempool().get().size() == 1);
            TestNetwork.mine(a, 2);
            await().atMost(WAIT)
                    .until(
                            () ->
                                    a.peer(b.identity().peerId()).map(NodePeer::access).orElse(null)
                                            == PeerAccess.FULL);
            long seq = b.ledger().nextSequence(b.identity().peerId()).get();
            LedgerTransaction revoke =
                    IdentityTransactions.forNetwork(net.params)
                            .revoke(b.identity(), b.identity().peerId(), seq);
            assertThat(b.submit(revoke).get().status()).isEqualTo(TxResult.Status.ACCEPTED);
            await().atMost(WAIT).until(() -> a.ledger().mempool().get().contains(revoke));
            TestNetwork.mine(a, 1);
            // a closes the revoked key's session; b still holds a ticket from it.
            await().atMost(WAIT)
                    .until(() -> b.peers().isEmpty() && a.peer(b.identity().peerId()).isEmpty());

            // b offers the ticket; a finds it, but its ledger verifier refuses the revoked key.
            // (b's side completes first, as in any handshake: a refuses b's last flight.)
            try {
                b.connect(a.localAddress()).get(15, TimeUnit.SECONDS);
            } catch (ExecutionException refusedEarly) {
                // also a refusal
            }
            await().during(Duration.ofMillis(600))
                    .atMost(WAIT)
                    .until(() -> a.peer(b.identity().peerId()).isEmpty() && b.peers().isEmpty());
        }
    }
}
