package io.p2pchat.node;

import static io.p2pchat.node.TestNetwork.awaitSameTip;
import static io.p2pchat.node.TestNetwork.join;
import static io.p2pchat.node.TestNetwork.mine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.p2pchat.identity.PeerId;
import io.p2pchat.testing.FaultProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ATTACKS L-14, eclipse and Sybil: attacker nodes fill every inbound slot of a victim. The peers
 * that recently supplied valid blocks, the lowest-latency peers and the outbound peers are never
 * evicted; saved good peers (anchors) are reconnected after a restart; with a single honest
 * outbound peer the victim still reaches the best-work tip.
 */
class EclipseTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    static boolean connected(Node n, Node peer) {
        return n.peer(peer.identity().peerId()).isPresent();
    }

    @Test
    void inboundFlood_neverEvictsOutboundBlockSupplierOrFastPeers_victimReachesBestTip()
            throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("eclipse"));
                FaultProxy proxy = new FaultProxy(14)) {
            Node honest = net.start(0);
            mine(honest, 10);
            java.util.Set<PeerId> admitted = java.util.concurrent.ConcurrentHashMap.newKeySet();
            Node victim =
                    net.start(
                            1,
                            null,
                            b ->
                                    b.limits(8, 4)
                                            .application(
                                                    new NodeApplicationHandler() {
                                                        @Override
                                                        public void onMessage(
                                                                NodePeer peer,
                                                                io.p2pchat.proto.NodeMessage m) {}

                                                        @Override
                                                        public void onPeerConnected(NodePeer p) {
                                                            admitted.add(p.keyId());
                                                        }
                                                    }));
            join(victim, honest); // the single outbound peer
            awaitSameTip(WAIT, victim, honest);
            // An inbound peer that supplies a block joining the victim's best chain.
            Node supplier = net.start(2);
            join(supplier, victim);
            awaitSameTip(WAIT, supplier, victim);
            mine(supplier, 2);
            awaitSameTip(WAIT, honest, victim, supplier);
            // An inbound peer on a fast link.
            Node fast = net.start(3);
            join(fast, victim);
            // Sybils on slow links (150 ms each way), each with its own low-work fork.
            List<Node> sybils = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                Node s = net.start(10 + i);
                mine(s, 3);
                FaultProxy.Link l =
                        proxy.link(
                                "sybil" + i,
                                TestNetwork.host(1),
                                victim.localAddress(),
                                TestNetwork.host(10 + i));
                l.delay(150, 0);
                s.join(l.address());
                sybils.add(s);
            }
            // Sybils got in evicting one another: more of them than the 2 free slots.
            await().atMost(WAIT)
                    .until(
                            () ->
                                    sybils.stream()
                                                    .filter(
                                                            x ->
                                                                    admitted.contains(
                                                                            x.identity().peerId()))
                                                    .count()
                                            >= 4);
            // Throughout the flood: the outbound peer, the block supplier and the fast peer stay.
            await().during(Duration.ofSeconds(3))
                    .atMost(WAIT)
                    .until(
                            () ->
                                    connected(victim, honest)
                                            && connected(victim, supplier)
                                            && connected(victim, fast)
                                            && victim.stats().get("inbound") <= 4);
            // With one honest outbound peer, the victim follows the best-work chain.
            mine(honest, 5);
            awaitSameTip(WAIT, honest, victim);
            assertThat(victim.ledger().tip().height()).isEqualTo(17);
            assertThat(
                            victim.peers().stream()
                                    .filter(
                                            p ->
                                                    p.localRole()
                                                            == io.p2pchat.channel.Role.RESPONDER))
                    .hasSizeLessThanOrEqualTo(4);
        }
    }

    @Test
    void inboundSlotsFullOfProtectedPeers_newcomerIsRefused() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("eclipse-full"))) {
            Node victim = net.start(0, null, b -> b.limits(8, 2));
            Node a = net.start(1);
            Node b = net.start(2);
            join(a, victim);
            join(b, victim);
            // Both are among the fastest two, hence protected: a third is refused.
            Node c = net.start(3);
            c.join(victim.localAddress());
            await().during(Duration.ofSeconds(1))
                    .atMost(WAIT)
                    .until(
                            () ->
                                    connected(victim, a)
                                            && connected(victim, b)
                                            && !connected(victim, c));
        }
    }

    @Test
    void savedGoodPeers_areReconnectedAfterRestart(@TempDir Path dir) throws Exception {
        Path anchors = dir.resolve("anchors");
        try (TestNetwork net = new TestNetwork(TestNetwork.params("anchors"))) {
            Node honest = net.start(0);
            mine(honest, 3);
            Node victim = net.start(1, null, b -> b.anchors(anchors));
            join(victim, honest);
            awaitSameTip(WAIT, victim, honest);
            String where = honest.localAddress().getPort() + "";
            await().atMost(WAIT)
                    .until(
                            () ->
                                    Files.exists(anchors)
                                            && Files.readString(anchors).contains(where));
            net.stop(victim);
            mine(honest, 2);
            // A fresh start with nothing to join: the saved peer is dialed and the chain synced.
            Node again = net.start(1, null, b -> b.anchors(anchors));
            awaitSameTip(WAIT, again, honest);
            assertThat(again.ledger().tip().height()).isEqualTo(5);
            assertThat(connected(again, honest)).isTrue();
        }
    }
}
