package io.p2pchat.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.p2pchat.channel.ResumptionTicketStore;
import io.p2pchat.identity.PeerId;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Resumption tickets across a node restart (docs/protocol.md 5.11, {@link ResumptionTicketStore}):
 * a node stopped cleanly that saves its context's tickets resumes after its restart, as the dialing
 * holder and as the issuer dialed; a node that stops without saving (as a crash does) does full
 * handshakes next time and works; the store is empty once a node started from it.
 */
class NodeTicketStoreTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    /** A store in memory: {@link #take()} hands out the state and forgets it. */
    static final class MemoryTicketStore implements ResumptionTicketStore {
        private byte[] state;

        @Override
        public synchronized byte[] take() {
            byte[] s = state;
            state = null;
            return s;
        }

        @Override
        public synchronized void save(byte[] s) {
            state = s.clone();
        }

        synchronized boolean isEmpty() {
            return state == null;
        }
    }

    /** Starts node {@code i} on {@code port} (0: any) with {@code store}. */
    private static Node start(TestNetwork net, int i, int port, MemoryTicketStore store)
            throws Exception {
        return net.start(
                i,
                null,
                b ->
                        b.listen(TestNetwork.host(i), port)
                                .channel(c -> c.resumptionTicketStore(store)));
    }

    /** {@code from} dials {@code to} and waits until both see the session and the ticket came. */
    private static NodePeer dial(Node from, Node to) throws Exception {
        NodePeer p = from.connect(to.localAddress()).get(15, TimeUnit.SECONDS);
        // The ticket is the responder's first record.
        await().atMost(WAIT).until(() -> p.session().stats().recordsReceived() >= 1);
        PeerId fromKey = from.identity().peerId();
        await().atMost(WAIT).until(() -> to.peer(fromKey).isPresent());
        return p;
    }

    private static boolean resumedAtBothEnds(NodePeer p, Node responder, Node initiator) {
        return p.session().resumed()
                && responder.peer(initiator.identity().peerId()).orElseThrow().session().resumed();
    }

    /** Stops {@code n} cleanly: closes it, then saves its tickets. */
    private static int stopCleanly(TestNetwork net, Node n) throws Exception {
        net.stop(n);
        return n.context().saveResumptionTickets();
    }

    @Test
    void cleanRestartOfTheDialer_thenOfTheDialed_bothReconnectsResume() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("tickets-restart"))) {
            MemoryTicketStore aStore = new MemoryTicketStore();
            MemoryTicketStore bStore = new MemoryTicketStore();
            Node a = start(net, 0, 0, aStore);
            int aPort = a.localAddress().getPort();
            Node b = start(net, 1, 0, bStore);
            assertThat(dial(b, a).session().resumed()).isFalse();

            // b (the holder) restarts cleanly: its ticket for a comes back and is used.
            assertThat(stopCleanly(net, b)).isEqualTo(1);
            PeerId bKey = b.identity().peerId();
            await().atMost(WAIT).until(() -> a.peer(bKey).isEmpty());
            b = start(net, 1, 0, bStore);
            assertThat(bStore.isEmpty()).as("taken at start").isTrue();
            NodePeer again = dial(b, a);
            assertThat(resumedAtBothEnds(again, a, b)).isTrue();

            // a (the issuer) restarts cleanly on its address: the ticket it issued on that
            // resumed session comes back, and b's redial resumes too.
            assertThat(stopCleanly(net, a)).isEqualTo(1);
            Node b1 = b;
            await().atMost(WAIT).until(() -> b1.peers().isEmpty());
            Node a2 = start(net, 0, aPort, aStore);
            assertThat(aStore.isEmpty()).isTrue();
            NodePeer third = dial(b, a2);
            assertThat(resumedAtBothEnds(third, a2, b)).isTrue();
        }
    }

    @Test
    void stopWithoutSaving_likeACrash_nextStartDoesAFullHandshake() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("tickets-crash"))) {
            MemoryTicketStore bStore = new MemoryTicketStore();
            Node a = net.start(0);
            Node b = start(net, 1, 0, bStore);
            dial(b, a);
            // A clean stop and restart first: b resumes.
            assertThat(stopCleanly(net, b)).isEqualTo(1);
            PeerId bKey = b.identity().peerId();
            await().atMost(WAIT).until(() -> a.peer(bKey).isEmpty());
            b = start(net, 1, 0, bStore);
            assertThat(resumedAtBothEnds(dial(b, a), a, b)).isTrue();

            // Now b stops without saving: the ticket it got on the resumed session is lost.
            net.stop(b);
            await().atMost(WAIT).until(() -> a.peer(bKey).isEmpty());
            b = start(net, 1, 0, bStore);
            NodePeer full = dial(b, a);

            assertThat(full.session().resumed()).isFalse();
            assertThat(a.peer(b.identity().peerId()).orElseThrow().session().resumed()).isFalse();
            // And the next reconnect resumes again from memory.
            full.close().sync();
            Node b2 = b;
            await().atMost(WAIT).until(() -> b2.peers().isEmpty() && a.peer(bKey).isEmpty());
            assertThat(resumedAtBothEnds(dial(b, a), a, b)).isTrue();
        }
    }
}
