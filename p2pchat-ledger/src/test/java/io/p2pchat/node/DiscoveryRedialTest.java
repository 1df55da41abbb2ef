package io.p2pchat.node;

import static io.p2pchat.node.TestNetwork.awaitSameTip;
import static io.p2pchat.node.TestNetwork.mine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.ledger.model.RegisteredAddress;
import io.p2pchat.ledger.model.TxResult;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Discovery does not redial an identity that is connected through another address. */
class DiscoveryRedialTest {
    @Test
    void peerReachedThroughAnotherAddress_isNotRedialedAtItsRegisteredAddress() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("redial"))) {
            AtomicInteger cryptoTasks = new AtomicInteger();
            Executor counting =
                    task -> {
                        cryptoTasks.incrementAndGet();
                        ForkJoinPool.commonPool().execute(task);
                    };
            // a listens on every address: b reaches it as 127.0.0.5, a registers 127.0.0.1.
            Node a =
                    net.start(
                            0,
                            null,
                            x ->
                                    x.listen("0.0.0.0", 0)
                                            .discovery(true)
                                            .channel(
                                                    c ->
                                                            c.cryptoExecutor(counting)
                                                                    .offloadAllHandshakeWork(
                                                                            true)));
            Node b = net.start(1, null, x -> x.discovery(true));
            int port = a.localAddress().getPort();
            TxResult r =
                    a.register(
                                    List.of(
                                            new RegisteredAddress(
                                                    "127.0.0.1",
                                                    port,
                                                    System.currentTimeMillis() + 86_400_000L)),
                                    null)
                            .get(30, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(TxResult.Status.ACCEPTED);
            mine(a, 3);
            b.join(new InetSocketAddress("127.0.0.5", port)).get(15, TimeUnit.SECONDS);
            awaitSameTip(Duration.ofSeconds(30), a, b);
            await().atMost(Duration.ofSeconds(30))
                    .until(
                            () ->
                                    b.peer(a.identity().peerId()).map(NodePeer::access).orElse(null)
                                            == PeerAccess.FULL);
            // Five maintenance rounds of b: no new handshake reaches a.
            int baseline = cryptoTasks.get();
            await().during(Duration.ofSeconds(1))
                    .atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> cryptoTasks.get() == baseline);
            assertThat(b.peers()).hasSize(1);
        }
    }
}
