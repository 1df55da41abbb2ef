package io.p2pchat.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.p2pchat.channel.ErrorCode;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.IdentityTransactions;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.ledger.sync.SyncSettings;
import io.p2pchat.testing.TestIdentities;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** In-process nodes on 127.0.0.x loopback addresses, sharing one event loop group. */
final class TestNetwork implements AutoCloseable {
    static NetworkParameters params(String name) {
        return NetworkParameters.builder()
                .name(name)
                .trivialDifficulty()
                // Blocks are mined back to back: a 1 ms interval keeps the difficulty trivial.
                .targetBlockInterval(Duration.ofMillis(1))
                .confirmations(2)
                .genesisTimeMillis(System.currentTimeMillis() - 86_400_000L)
                .build();
    }

    static final SyncSettings FAST_SYNC =
            SyncSettings.DEFAULT.withTimings(Duration.ofSeconds(10), Duration.ofMillis(500));

    final NetworkParameters params;
    final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    final List<Node> nodes = new ArrayList<>();
    final List<Ledger> ledgers = new ArrayList<>();

    TestNetwork(NetworkParameters params) {
        this.params = params;
    }

    static String host(int i) {
        return "127.0.0." + (i + 1);
    }

    static LocalIdentity identity(int i) {
        return TestIdentities.get("node" + i);
    }

    Node start(int i) throws Exception {
        return start(i, null, b -> {});
    }

    /**
     * Starts node {@code i} (identity node{i}, host 127.0.0.{i+1}), with a ledger on disk if dir is
     * set.
     */
    Node start(int i, Path dir, Consumer<Node.Builder> customize) throws Exception {
        Ledger.Builder lb = Ledger.builder(params).name("n" + i);
        if (dir != null) {
            lb.dataDirectory(dir);
        }
        Ledger ledger = lb.open();
        Node.Builder b =
                Node.builder(identity(i), ledger)
                        .listen(host(i), 0)
                        .eventLoopGroup(group)
                        .discovery(false)
                        .syncSettings(FAST_SYNC)
                        .maintenanceInterval(Duration.ofMillis(200));
        customize.accept(b);
        Node n = b.build().start();
        nodes.add(n);
        ledgers.add(ledger);
        return n;
    }

    /** Closes a node and its ledger. */
    void stop(Node n) {
        int i = nodes.indexOf(n);
        n.close();
        ledgers.get(i).close();
        nodes.remove(i);
        ledgers.remove(i);
    }

    static void join(Node a, Node member) throws Exception {
        a.join(member.localAddress()).get(15, TimeUnit.SECONDS);
    }

    /**
     * Submits, through {@code via}, the rotation of {@code old}'s identity (its first key) to
     * {@code next}, and checks that it was accepted.
     */
    void submitRotation(Node via, LocalIdentity old, LocalIdentity next) throws Exception {
        PeerId id = old.peerId();
        long seq = via.ledger().nextSequence(id).get(10, TimeUnit.SECONDS);
        TxResult r =
                via.submit(IdentityTransactions.forNetwork(params).rotateKey(old, next, id, seq))
                        .get(30, TimeUnit.SECONDS);
        assertThat(r.status()).as(r.message()).isEqualTo(TxResult.Status.ACCEPTED);
    }

    /** Waits until {@code at} is connected to {@code key} with {@code access}. */
    static void awaitAccess(Node at, PeerId key, PeerAccess access) {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> at.peer(key).map(NodePeer::access).orElse(null) == access);
    }

    /**
     * Starts a spare node that presents {@code key} and checks that {@code verifier}'s dial of it
     * is refused at the handshake with {@code IDENTITY_KEY_MISMATCH} (a rotated-away key).
     */
    void assertRefusedBy(Node verifier, LocalIdentity key) throws Exception {
        Ledger spareLedger = Ledger.builder(params).name("old-key").open();
        Node withOldKey =
                Node.builder(key, spareLedger)
                        .listen("127.0.0.9", 0)
                        .eventLoopGroup(group)
                        .discovery(false)
                        .build()
                        .start();
        try {
            Throwable refused =
                    catchThrowable(
                            () ->
                                    verifier.connect(withOldKey.localAddress())
                                            .get(15, TimeUnit.SECONDS));
            assertThat(refused).isInstanceOf(ExecutionException.class);
            assertThat(ErrorCode.of(refused.getCause()))
                    .as(String.valueOf(refused.getCause()))
                    .isEqualTo(ErrorCode.IDENTITY_KEY_MISMATCH);
        } finally {
            withOldKey.close();
            spareLedger.close();
        }
    }

    static List<BlockHash> mine(Node n, int blocks) throws Exception {
        return n.ledger().miner().mineBlocks(blocks).get(60, TimeUnit.SECONDS);
    }

    static void awaitSameTip(Duration timeout, Node... nodes) {
        await().atMost(timeout)
                .pollInterval(Duration.ofMillis(50))
                .until(
                        () -> {
                            BlockHash t = nodes[0].ledger().tip().hash();
                            for (Node n : nodes) {
                                if (!n.ledger().tip().hash().equals(t)) {
                                    return false;
                                }
                            }
                            return true;
                        });
    }

    @Override
    public void close() {
        for (Node n : new ArrayList<>(nodes)) {
            stop(n);
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
