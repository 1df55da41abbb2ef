package io.p2pchat.node;

import static io.p2pchat.node.TestNetwork.awaitSameTip;
import static io.p2pchat.node.TestNetwork.join;
import static io.p2pchat.node.TestNetwork.mine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.p2pchat.channel.DelegatedCredentialStore;
import io.p2pchat.channel.ErrorCode;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.IdentityTransactions;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.testing.TestIdentities;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Delegated credentials between {@link Node}s over 127.0.0.x sockets (docs/protocol.md 5.10): a
 * node with them talks to one with them off in both roles (the RSA handshake), and a credential
 * signed by a key the ledger has since revoked or rotated away is refused in both roles, although
 * the credential itself is still within its validity.
 */
class NodeDelegatedCredentialsTest {
    static final Duration CONVERGE = Duration.ofSeconds(30);

    /** A store in memory that counts its saves. */
    static final class MemoryStore implements DelegatedCredentialStore {
        private byte[] state;
        int saves;

        @Override
        public synchronized byte[] load() {
            return state == null ? null : state.clone();
        }

        @Override
        public synchronized void save(byte[] s) {
            state = s.clone();
            saves++;
        }
    }

    private static boolean credentialsUsed(NodePeer p) {
        return p.session().delegatedCredentials();
    }

    /** The peer {@code of} as {@code at} sees it, once {@code at} has registered it. */
    private static NodePeer awaitPeer(Node at, Node of) {
        PeerId key = of.identity().peerId();
        await().atMost(CONVERGE).until(() -> at.peer(key).isPresent());
        return at.peer(key).orElseThrow();
    }

    @Test
    void nodeWithCredentials_andNodeWithout_connectInBothRoles_overRsa() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("dc-compat"))) {
            Node on = net.start(0);
            Node off = net.start(1, null, b -> b.channel(c -> c.delegatedCredentials(false)));
            Node on2 = net.start(2);

            NodePeer onDialsOff = on.connect(off.localAddress()).get(15, TimeUnit.SECONDS);
            assertThat(onDialsOff.keyId()).isEqualTo(off.identity().peerId());
            assertThat(credentialsUsed(onDialsOff)).isFalse();
            NodePeer offDialsOn = off.connect(on2.localAddress()).get(15, TimeUnit.SECONDS);
            assertThat(offDialsOn.keyId()).isEqualTo(on2.identity().peerId());
            assertThat(credentialsUsed(offDialsOn)).isFalse();
            // The responders agree (they finish the handshake after the initiator).
            assertThat(credentialsUsed(awaitPeer(off, on))).isFalse();
            assertThat(credentialsUsed(awaitPeer(on2, off))).isFalse();

            // Control: two nodes with the feature use it.
            NodePeer onDialsOn = on.connect(on2.localAddress()).get(15, TimeUnit.SECONDS);
            assertThat(credentialsUsed(onDialsOn)).isTrue();
        }
    }

    /**
     * Node 0's credential is stored before its key is revoked (or rotated away) on the ledger; a
     * node presenting that key with that stored credential, on a ledger that does not know yet, is
     * refused by a node whose chain has the change, whichever side dials.
     */
    @ParameterizedTest
    @ValueSource(strings = {"revoked", "rotated"})
    void storedCredentialOfAKeyRetiredOnTheLedger_isRefusedInBothRoles(String change)
            throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("dc-" + change))) {
            MemoryStore store = new MemoryStore();
            Node a = net.start(0, null, x -> x.channel(c -> c.delegatedCredentialStore(store)));
            Node b = net.start(1);
            join(b, a);
            NodeNetworkTest.register(a);
            mine(a, 3);
            awaitSameTip(CONVERGE, a, b);
            assertThat(store.saves).isEqualTo(1);
            LocalIdentity old = a.identity();
            PeerId id = old.peerId();
            // Before the change, b accepts a's key with its credential.
            assertThat(credentialsUsed(awaitPeer(b, a))).isTrue();

            long seq = a.ledger().nextSequence(id).get(10, TimeUnit.SECONDS);
            IdentityTransactions txs = IdentityTransactions.forNetwork(net.params);
            TxResult r =
                    a.submit(
                                    change.equals("revoked")
                                            ? txs.revoke(old, id, seq)
                                            : txs.rotateKey(
                                                    old, TestIdentities.get("dc-next"), id, seq))
                            .get(30, TimeUnit.SECONDS);
            assertThat(r.status()).as(r.message()).isEqualTo(TxResult.Status.ACCEPTED);
            mine(a, 2);
            awaitSameTip(CONVERGE, a, b);
            ErrorCode expected =
                    change.equals("revoked")
                            ? ErrorCode.IDENTITY_REVOKED
                            : ErrorCode.IDENTITY_KEY_MISMATCH;

            Ledger spare = Ledger.builder(net.params).name("stale").open();
            Node stale =
                    Node.builder(old, spare)
                            .listen("127.0.0.9", 0)
                            .eventLoopGroup(net.group)
                            .discovery(false)
                            .channel(c -> c.delegatedCredentialStore(store))
                            .build()
                            .start();
            try {
                // It offers the stored credential: nothing new was signed.
                assertThat(store.saves).isEqualTo(1);
                Throwable byB =
                        catchThrowable(
                                () -> b.connect(stale.localAddress()).get(15, TimeUnit.SECONDS));
                assertThat(byB).isInstanceOf(ExecutionException.class);
                assertThat(ErrorCode.of(byB.getCause()))
                        .as(String.valueOf(byB.getCause()))
                        .isEqualTo(expected);
                // As initiator, the stale node finishes its side of the handshake before b
                // verifies it (flight 3); b then refuses it with an alert and closes.
                PeerId bKey = b.identity().peerId();
                try {
                    NodePeer p = stale.connect(b.localAddress()).get(15, TimeUnit.SECONDS);
                    assertThat(credentialsUsed(p)).isTrue();
                } catch (ExecutionException e) {
                    assertThat(ErrorCode.of(e.getCause()))
                            .as(String.valueOf(e.getCause()))
                            .isEqualTo(ErrorCode.PEER_ALERT);
                }
                await().atMost(CONVERGE).until(() -> stale.peer(bKey).isEmpty());
                // The stale node got no session. After a rotation b may still hold a's own old
                // session, sync-only, for the rotation's grace (10 s; a never switches here).
                b.peer(id)
                        .ifPresent(
                                p -> {
                                    assertThat(change).isEqualTo("rotated");
                                    assertThat(p.access()).isEqualTo(PeerAccess.SYNC_ONLY);
                                    assertThat(p.remoteAddress())
                                            .map(x -> ((InetSocketAddress) x).getHostString())
                                            .contains(TestNetwork.host(0));
                                });
            } finally {
                stale.close();
                spare.close();
            }
        }
    }
}
