package io.p2pchat.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
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
            // The ticket is a's first record on the channel: once b has received one, it has it.
            await().atMost(WAIT).until(() -> first.session().stats().recordsReceived() >= 1);
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
}
