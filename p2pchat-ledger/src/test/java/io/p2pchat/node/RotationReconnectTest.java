package io.p2pchat.node;

import static io.p2pchat.node.TestNetwork.awaitAccess;
import static io.p2pchat.node.TestNetwork.awaitSameTip;
import static io.p2pchat.node.TestNetwork.join;
import static io.p2pchat.node.TestNetwork.mine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.IdentityTransactions;
import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.proto.NodeMessage;
import io.p2pchat.testing.TestIdentities;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The reconnect around a {@link Node#rotateKey} between two nodes: the peer retires the old key's
 * session once ({@link NodeListener#onSessionRevoked}) and the two connect again once, with the new
 * key, without flapping. The rotating node switches once its own chain holds the rotation, as
 * {@code IdentityLifecycle} does in the example.
 */
class RotationReconnectTest {
    static final Duration CONVERGE = Duration.ofSeconds(30);

    /**
     * The flap reported from the CLI. a mines its rotation and switches at its next look at its
     * chain (here 20-110 ms after b closed the old key's session; IdentityLifecycle polls every 100
     * ms). Two flaps were observed, each in some runs (ms since start). In one of four runs: 1467 b
     * revokes the old key and closes its session; a maintenance round of b redials a, which still
     * presents the old key: refused (IDENTITY_KEY_MISMATCH), b's backoff grows; 1515 a.rotateKey;
     * 1529 a's own redial of b connects with the new key; 1537 it is replaced; 1632 b's redial
     * connects and the pair settles. In two of four: 3185 b revokes and closes; 3217 a.rotateKey;
     * 3320-3359 a's dial of b and b's dial of a both connect with the new key (b sees it connect
     * twice); 3360 the pair drops one of them (one connection per key). The fourth run reconnected
     * once. With the CLI's 2 s maintenance and 500 ms first backoff these are the 2-3 connects and
     * closes within a second that the user saw.
     */
    @Test
    void theRotatingNodeMinesTheRotation_thePeerReconnectsOnce() throws Exception {
        reconnectsOnce("rotate-own-block", false);
    }

    /**
     * The flap reported from the CLI, in its extreme form. The peer b mines the block that rotates
     * a's key, so b has it first; b's chain listener closes the old key's session at once, before
     * its coalesced announcement and a's GET_BLOCKS can go through it. b then redials a, which
     * still presents the old key, and b's verifier refuses it (IDENTITY_KEY_MISMATCH: a
     * rotated-away key is refused in bootstrap mode too); a's own dials present the old key as
     * well. a never learns the block that would make it switch: observed, b's refused dials at
     * +0.12, +0.73, +1.93, +4.12, +8.32, +16.5 s after the close (its backoff), and a stays on the
     * old key. With a third node or a block announcement that wins the race, a switches and the
     * refused dials stop after one or two: the "2-3 flaps within a second" seen in the CLI.
     *
     * <p>The fix: when the block that rotates (not revokes) a key joins a peer's chain, the peer
     * keeps that key's open session sync-only for a bounded grace (chat is dropped already: its
     * access is no longer FULL), so the rotating node can fetch the block through it, and holds off
     * its own redials of the rotating node meanwhile; {@link Node#rotateKey} redials the node's
     * peers at once with the new key, and the old session closes when the new one registers.
     */
    @Test
    void thePeerMinesTheRotation_theRotatingNodeStillLearnsIt_andReconnectsOnce() throws Exception {
        reconnectsOnce("rotate-peer-block", true);
    }

    /**
     * a never switches to its new key: b keeps the old key's session open, sync-only, for the grace
     * (a fetches its rotation through it meanwhile), reports it retired once, and closes it when
     * the grace ends, not before.
     */
    @Test
    void withoutTheNewKey_theOldSessionStaysSyncOnly_andClosesWhenTheGraceEnds() throws Exception {
        Duration grace = Duration.ofMillis(1500);
        try (TestNetwork net = new TestNetwork(TestNetwork.params("rotate-grace-ends"))) {
            Pair p = Pair.rotatedOnB(net, grace);
            PeerId id = p.old.peerId();
            assertThat(p.b.peer(id).map(NodePeer::access)).contains(PeerAccess.SYNC_ONLY);
            await().atMost(grace)
                    .alias("a fetched its rotation through the old session")
                    .until(() -> p.aHoldsTheRotation());
            String closed = "disconnected " + id.shortId();
            await().atMost(grace.plus(CONVERGE)).until(() -> p.eb.count(closed) == 1);
            long kept = p.eb.at(closed) - p.eb.at("revoked " + id.shortId());
            // The close is scheduled after the event, at the grace: never earlier.
            assertThat(kept).as(p.seen()).isBetween(grace.toMillis() - 1, grace.toMillis() + 5000);
            assertThat(p.eb.count("revoked " + id.shortId())).as(p.seen()).isEqualTo(1);
        }
    }

    /**
     * With a grace far longer than the test, b closes the old key's session once a has switched and
     * the new key's session is up: after {@code a.rotateKey}, within seconds.
     */
    @Test
    void theNewKeysSessionRegisters_theOldSessionClosesThen_notAtTheGrace() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("rotate-grace-new-key"))) {
            Pair p = Pair.start(net, x -> x.rotationGrace(Duration.ofMinutes(5)));
            p.rotateMinedBy(p.b);
            String closed = "disconnected " + p.old.peerId().shortId();
            await().atMost(CONVERGE).until(() -> p.eb.count(closed) == 1);
            long afterSwitch = p.eb.at(closed) - p.ea.at("-- a.rotateKey");
            assertThat(afterSwitch).as(p.seen()).isBetween(0L, 10_000L);
            assertThat(p.b.peer(p.old.peerId())).isEmpty();
            assertThat(p.b.peer(p.next.peerId())).isPresent();
        }
    }

    /**
     * During the grace the old key's session stays, sync-only, but a new handshake with the old key
     * is refused ({@code IDENTITY_KEY_MISMATCH}): the grace keeps a session, it admits none.
     */
    @Test
    void duringTheGrace_aNewHandshakeWithTheOldKey_isRefused() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("rotate-grace-refuse"))) {
            Pair p = Pair.rotatedOnB(net, Duration.ofMinutes(5));
            PeerId id = p.old.peerId();
            net.assertRefusedBy(p.b, p.old);
            assertThat(p.b.peer(id).map(NodePeer::access)).contains(PeerAccess.SYNC_ONLY);
            assertThat(p.eb.count("disconnected")).as(p.seen()).isZero();
        }
    }

    /**
     * During the grace the peer leaves the dialing to the rotating node (it alone knows when it
     * switches): here a's session to b ends without a redial, and a forgot b's address and does not
     * discover addresses from the ledger (with discovery a may dial b's registered address on its
     * own, which a CI run caught within the 2 s this test watches). b does not redial a's address,
     * though it joined through it, and {@code b.connect(identity)} waits; it completes with the
     * session a then dials with its new key.
     */
    @Test
    void duringTheGrace_thePeerWaitsForTheRotatingNodeToDial() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("rotate-grace-wait"))) {
            Pair p = Pair.rotatedOnB(net, false, Duration.ofMinutes(5));
            PeerId id = p.old.peerId();
            await().atMost(CONVERGE).until(() -> p.aHoldsTheRotation());
            p.a.forget(p.b.localAddress());
            p.a.peer(p.b.identity().peerId()).orElseThrow().close().await(5, TimeUnit.SECONDS);
            p.a.rotateKey(p.next);
            await().atMost(CONVERGE).until(() -> p.b.peer(id).isEmpty());
            CompletableFuture<NodePeer> waiting = p.b.connect(id);
            await().during(Duration.ofSeconds(2))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> !waiting.isDone() && p.b.peer(p.next.peerId()).isEmpty());
            p.a.connect(p.b.localAddress()).get(15, TimeUnit.SECONDS);
            assertThat(waiting.get(15, TimeUnit.SECONDS).keyId()).isEqualTo(p.next.peerId());
            String connected = "connected " + p.next.peerId().shortId();
            await().atMost(CONVERGE).until(() -> p.eb.count(connected) > 0);
            assertThat(p.eb.count(connected)).as(p.seen()).isEqualTo(1);
        }
    }

    /**
     * A revocation of the identity during its old key's grace closes that session at once (a
     * revocation never waits).
     */
    @Test
    void aRevocationDuringTheGrace_closesTheOldSessionAtOnce() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("rotate-grace-revoke"))) {
            Pair p = Pair.rotatedOnB(net, Duration.ofMinutes(5));
            PeerId id = p.old.peerId();
            assertThat(p.b.peer(id)).isPresent();
            await().atMost(CONVERGE).until(() -> p.aHoldsTheRotation());
            long seq = p.b.ledger().nextSequence(id).get(10, TimeUnit.SECONDS);
            TxResult r =
                    p.b.submit(IdentityTransactions.forNetwork(net.params).revoke(p.next, id, seq))
                            .get(30, TimeUnit.SECONDS);
            assertThat(r.status()).as(r.message()).isEqualTo(TxResult.Status.ACCEPTED);
            mine(p.b, 1);
            await().atMost(CONVERGE).until(() -> p.b.peer(id).isEmpty());
            assertThat(p.eb.count("revoked " + id.shortId())).as(p.seen()).isEqualTo(1);
        }
    }

    /**
     * a's rotation, mined by b or by a itself: a switches, b connects to the new key with full
     * access at k = 2, and the pair reconnected once.
     */
    private static void reconnectsOnce(String network, boolean peerMines) throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params(network))) {
            Pair p = Pair.start(net, x -> {});
            p.rotateMinedBy(peerMines ? p.b : p.a);
            assertThat(p.b.peer(p.next.peerId()).map(NodePeer::access)).contains(PeerAccess.FULL);
            p.assertOneReconnect();
        }
    }

    /** Two nodes, b joined to a, both registered and connected with full access. */
    private static final class Pair {
        final long t0 = System.nanoTime();
        final TestNetwork net;
        final Events ea = new Events("a", t0);
        final Events eb = new Events("b", t0);
        final Node a;
        final Node b;
        final LocalIdentity old;
        final LocalIdentity next = TestIdentities.get("node0-next");

        private Pair(TestNetwork net, boolean aDiscovers, Consumer<Node.Builder> bOptions)
                throws Exception {
            this.net = net;
            a = net.start(0, null, x -> x.application(ea).listener(ea).discovery(aDiscovers));
            b =
                    net.start(
                            1,
                            null,
                            x -> bOptions.accept(x.application(eb).listener(eb).discovery(true)));
            old = a.identity();
        }

        /** The pair, with {@code bOptions} applied to b's builder. */
        static Pair start(TestNetwork net, Consumer<Node.Builder> bOptions) throws Exception {
            return start(net, true, bOptions);
        }

        /**
         * The pair; {@code aDiscovers} false keeps a from dialing the addresses it learns from the
         * ledger (b's), for tests that need a to dial only when told.
         */
        static Pair start(TestNetwork net, boolean aDiscovers, Consumer<Node.Builder> bOptions)
                throws Exception {
            Pair p = new Pair(net, aDiscovers, bOptions);
            join(p.b, p.a);
            NodeNetworkTest.register(p.a);
            NodeNetworkTest.register(p.b);
            mine(p.a, 3);
            awaitSameTip(CONVERGE, p.a, p.b);
            PeerId id = p.old.peerId();
            awaitAccess(p.b, id, PeerAccess.FULL);
            return p;
        }

        /**
         * The pair, b with a rotation grace of {@code grace}; b mines a's rotation and a does not
         * switch. Returns once b retired the old key.
         */
        static Pair rotatedOnB(TestNetwork net, Duration grace) throws Exception {
            return rotatedOnB(net, true, grace);
        }

        static Pair rotatedOnB(TestNetwork net, boolean aDiscovers, Duration grace)
                throws Exception {
            Pair p = start(net, aDiscovers, x -> x.rotationGrace(grace));
            net.submitRotation(p.b, p.old, p.next);
            mine(p.b, 1);
            String retired = "revoked " + p.old.peerId().shortId();
            await().atMost(CONVERGE).until(() -> p.eb.count(retired) > 0);
            return p;
        }

        boolean aHoldsTheRotation() {
            return a.ledger()
                    .identity(old.peerId())
                    .map(x -> x.currentKeyId().equals(next.peerId()))
                    .orElse(false);
        }

        /** Both nodes' events, in time order. */
        String seen() {
            List<String> all = new ArrayList<>(ea.log);
            all.addAll(eb.log);
            all.sort(null);
            return String.join("\n", all);
        }

        /**
         * Submits a's rotation through {@code miner}, mines it there, switches a once a's chain
         * holds it, and mines the second confirmation (k = 2) once b has connected to the new key.
         */
        void rotateMinedBy(Node miner) throws Exception {
            net.submitRotation(miner, old, next);
            mine(miner, 1);
            ea.mark("rotation block mined by " + (miner == a ? "a" : "b"));
            await().atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(100))
                    .alias("a's chain holds its rotation")
                    .until(this::aHoldsTheRotation);
            a.rotateKey(next);
            ea.mark("a.rotateKey");
            awaitSameTip(CONVERGE, a, b);
            await().atMost(CONVERGE).until(() -> b.peer(next.peerId()).isPresent());
            mine(a, 1);
            ea.mark("second confirmation mined");
            awaitSameTip(CONVERGE, a, b);
            awaitAccess(b, next.peerId(), PeerAccess.FULL);
        }

        /**
         * Over 3 s more (15 maintenance rounds of 200 ms, where a flap would show): b revoked the
         * old key's session once, each side connected once again, and nothing disconnected since.
         */
        void assertOneReconnect() {
            long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            await().atMost(Duration.ofSeconds(5)).until(() -> System.nanoTime() >= settle);
            String seen = seen();
            assertThat(eb.count("revoked " + old.peerId().shortId())).as(seen).isEqualTo(1);
            assertThat(eb.count("connected " + next.peerId().shortId())).as(seen).isEqualTo(1);
            assertThat(eb.count("disconnected")).as(seen).isEqualTo(1);
            assertThat(ea.count("connected")).as(seen).isEqualTo(2);
            assertThat(ea.count("disconnected")).as(seen).isEqualTo(1);
        }
    }

    /** What a node saw, in order, with the time since the pair started. */
    private static final class Events implements NodeApplicationHandler, NodeListener {
        final String name;
        final long start;
        final List<String> log = new CopyOnWriteArrayList<>();

        Events(String name, long start) {
            this.name = name;
            this.start = start;
        }

        private void add(String what) {
            log.add(
                    String.format(
                            "%6d ms %s %s", (System.nanoTime() - start) / 1_000_000, name, what));
        }

        @Override
        public void onMessage(NodePeer peer, NodeMessage message) {}

        @Override
        public void onPeerConnected(NodePeer peer) {
            add("connected " + peer.keyId().shortId());
        }

        @Override
        public void onPeerDisconnected(NodePeer peer) {
            add("disconnected " + peer.keyId().shortId());
        }

        @Override
        public void onSessionRevoked(PeerId keyId) {
            add("revoked " + keyId.shortId());
        }

        void mark(String what) {
            add("-- " + what);
        }

        /**
         * The time (ms since the pair started) of the first event that starts with {@code what}.
         */
        long at(String what) {
            String prefix = name + " " + what;
            return log.stream()
                    .filter(s -> s.substring(10).startsWith(prefix))
                    .mapToLong(s -> Long.parseLong(s.substring(0, 6).strip()))
                    .findFirst()
                    .orElseThrow();
        }

        /** Events that start with {@code what}. */
        long count(String what) {
            String prefix = name + " " + what;
            return log.stream().filter(s -> s.substring(10).startsWith(prefix)).count();
        }
    }
}
