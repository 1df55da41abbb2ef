package io.p2pchat.node;

import static io.p2pchat.node.TestNetwork.awaitAccess;
import static io.p2pchat.node.TestNetwork.awaitSameTip;
import static io.p2pchat.node.TestNetwork.join;
import static io.p2pchat.node.TestNetwork.mine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.testing.TestIdentities;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * {@link Node#rotateKey}: a running node switches to its identity's new key without a restart;
 * peers authenticate the new key and refuse the old one once the rotation is on their chain.
 */
class NodeKeyRotationTest {
    static final Duration CONVERGE = Duration.ofSeconds(30);

    @Test
    void afterTheRotation_peersAuthenticateTheNewKey_andRefuseTheOld() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("rotate"))) {
            List<PeerId> revokedAtB = new CopyOnWriteArrayList<>();
            Node a = net.start(0);
            Node b =
                    net.start(
                            1,
                            null,
                            x ->
                                    x.listener(
                                            new NodeListener() {
                                                @Override
                                                public void onSessionRevoked(PeerId key) {
                                                    revokedAtB.add(key);
                                                }
                                            }));
            join(b, a);
            NodeNetworkTest.register(a);
            NodeNetworkTest.register(b);
            mine(a, 3);
            awaitSameTip(CONVERGE, a, b);
            LocalIdentity old = a.identity();
            PeerId id = old.peerId();
            awaitAccess(b, id, PeerAccess.FULL);

            // The rotation, signed by both keys, is mined (1 confirmation): from now on the old
            // key is refused, so the node switches.
            LocalIdentity next = TestIdentities.get("node0-next");
            net.submitRotation(a, old, next);
            mine(a, 1);
            awaitSameTip(CONVERGE, a, b);
            a.rotateKey(next);
            assertThat(a.identity().peerId()).isEqualTo(next.peerId());

            // b retires the old key's session (its chain has the rotation) and a, switched,
            // redials b with the new key, which replaces it; full access once the rotation has
            // k = 2 confirmations.
            await().atMost(CONVERGE).until(() -> revokedAtB.contains(id));
            mine(a, 1);
            awaitSameTip(CONVERGE, a, b);
            awaitAccess(b, next.peerId(), PeerAccess.FULL);
            assertThat(b.peer(id)).isEmpty();
            assertThat(b.ledger().identityByKey(next.peerId()).orElseThrow().id()).isEqualTo(id);

            // The old key is refused by b's handshake, in bootstrap mode too (b dials a node that
            // still presents it: b's verifier decides before b's side of the handshake completes).
            net.assertRefusedBy(b, old);
            // a's own addresses are not learned as a peer's after the switch.
            assertThat(a.peer(id)).isEmpty();
        }
    }

    @Test
    void rotateKey_beforeStart_isRefused() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("rotate-early"))) {
            Ledger l = Ledger.builder(net.params).name("early").open();
            try {
                Node n = Node.builder(TestNetwork.identity(5), l).build();
                Throwable t = catchThrowable(() -> n.rotateKey(TestIdentities.get("early-next")));
                assertThat(t).isInstanceOf(IllegalStateException.class);
            } finally {
                l.close();
            }
        }
    }
}
