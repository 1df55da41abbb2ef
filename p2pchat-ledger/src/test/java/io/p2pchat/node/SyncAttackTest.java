package io.p2pchat.node;

import static io.p2pchat.node.TestNetwork.awaitSameTip;
import static io.p2pchat.node.TestNetwork.join;
import static io.p2pchat.node.TestNetwork.mine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.sync.SyncSettings;
import io.p2pchat.ledger.testing.ChainBuilder;
import io.p2pchat.proto.Announce;
import io.p2pchat.proto.Blocks;
import io.p2pchat.proto.Headers;
import io.p2pchat.proto.LedgerMessage;
import io.p2pchat.proto.NotFound;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * Sync against lying, stalling and gapping peers (ATTACKS L-16), and gossip floods, with
 * {@link ScriptedPeer}s speaking the replication protocol over real secure channels.
 */
class SyncAttackTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final BigInteger HUGE_WORK = BigInteger.ONE.shiftLeft(250);
    static final SyncSettings QUICK_TIMEOUT =
            SyncSettings.DEFAULT.withTimings(Duration.ofSeconds(2), Duration.ofMillis(500));

    static List<BlockHeader> headers(Node n) {
        List<BlockHeader> out = new ArrayList<>();
        for (long h = 1; h <= n.ledger().tip().height(); h++) {
            out.add(n.ledger().headerAt(h).orElseThrow());
        }
        return out;
    }

    static LedgerMessage.Builder headersMsg(List<BlockHeader> hs) {
        Headers.Builder b = Headers.newBuilder();
        for (BlockHeader h : hs) {
            b.addHeaders(ByteString.copyFrom(h.encode()));
        }
        return LedgerMessage.newBuilder().setHeaders(b);
    }

    /** Answers Status with a claim of huge work for {@code tip}, and headers with {@code reply}. */
    static BiConsumer<ScriptedPeer, LedgerMessage> liar(
            BlockHeader tip, List<BlockHeader> reply, List<BlockData> blocks) {
        return (p, m) -> {
            switch (m.getBodyCase()) {
                case STATUS -> p.send(ScriptedPeer.status(tip, HUGE_WORK));
                case GET_HEADERS -> {
                    if (reply != null) {
                        p.send(headersMsg(reply));
                    }
                }
                case GET_BLOCKS -> {
                    Blocks.Builder out = Blocks.newBuilder();
                    NotFound.Builder nf = NotFound.newBuilder();
                    for (ByteString h : m.getGetBlocks().getHashesList()) {
                        BlockData b =
                                blocks.stream()
                                        .filter(
                                                x ->
                                                        ByteString.copyFrom(x.hash().toBytes())
                                                                .equals(h))
                                        .findFirst()
                                        .orElse(null);
                        if (b == null) {
                            nf.addBlockHashes(h);
                        } else {
                            out.addBlocks(b.toProto());
                        }
                    }
                    if (out.getBlocksCount() > 0) {
                        p.send(LedgerMessage.newBuilder().setBlocks(out));
                    }
                    if (nf.getBlockHashesCount() > 0) {
                        p.send(LedgerMessage.newBuilder().setNotFound(nf));
                    }
                }
                default -> {}
            }
        };
    }

    /**
     * L-16: a new node syncs while connected to a peer serving a low-work fake chain, a peer that
     * stalls mid-sync, and peers sending headers with a gap or out of order; the honest tip is
     * reached, the staller is dropped after the request timeout (not banned), the gapped and
     * reordered headers are rejected (banned), the fake chain's server is not punished for being
     * light.
     */
    @Test
    void newNode_syncsFromLiarStallerAndGapper_reachesHonestTip() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("l16"))) {
            Node honest = net.start(0);
            mine(honest, 30);
            List<BlockHeader> real = headers(honest);
            BlockHeader realTip = real.get(real.size() - 1);
            Node victim = net.start(1, null, b -> b.syncSettings(QUICK_TIMEOUT));
            // A valid but light fake chain of 8 blocks on genesis, claimed as hugely heavy.
            ChainBuilder fakeChain = new ChainBuilder(net.params);
            List<BlockData> fake = fakeChain.chainSpaced("f", "genesis", 8, 3);
            List<BlockHeader> fakeHeaders = fake.stream().map(BlockData::header).toList();
            ScriptedPeer liar =
                    ScriptedPeer.connect(
                            net,
                            victim,
                            "127.0.0.31",
                            "l16-liar",
                            liar(fakeHeaders.get(7), fakeHeaders, fake));
            // Claims the honest tip, then never answers a request.
            ScriptedPeer staller =
                    ScriptedPeer.connect(
                            net,
                            victim,
                            "127.0.0.32",
                            "l16-staller",
                            liar(realTip, null, List.of()));
            List<BlockHeader> gapped = new ArrayList<>(real.subList(0, 20));
            gapped.remove(10);
            ScriptedPeer gapper =
                    ScriptedPeer.connect(
                            net,
                            victim,
                            "127.0.0.33",
                            "l16-gapper",
                            liar(realTip, gapped, List.of()));
            List<BlockHeader> reversed = new ArrayList<>(real.subList(0, 20));
            Collections.reverse(reversed);
            ScriptedPeer reorderer =
                    ScriptedPeer.connect(
                            net,
                            victim,
                            "127.0.0.34",
                            "l16-reorder",
                            liar(realTip, reversed, List.of()));
            await().atMost(WAIT)
                    .until(() -> gapper.isBannedBy(victim) && reorderer.isBannedBy(victim));
            // The staller is dropped after the 2 s request timeout, without a ban.
            await().atMost(WAIT).until(() -> !staller.channel.isActive());
            assertThat(staller.isBannedBy(victim)).isFalse();
            assertThat(staller.count(LedgerMessage.BodyCase.GET_HEADERS)).isPositive();
            // Then the honest peer: the node reaches the honest, heaviest tip.
            join(victim, honest);
            awaitSameTip(WAIT, victim, honest);
            assertThat(victim.ledger().tip().hash()).isEqualTo(realTip.hash());
            assertThat(liar.isBannedBy(victim)).isFalse();
            assertThat(victim.ledger().verifyFully().get()).isEqualTo(30);
            liar.close();
        }
    }

    /**
     * an announcement of MAX+1 headers or MAX+1 transaction ids is misbehaviour; duplicate
     * announcements of one transaction are fetched once; an unsolicited valid (low-work) block is
     * misbehaviour and is not stored.
     */
    @Test
    void gossipFloods_oversizedBanned_duplicatesDeduplicated_unsolicitedBlockNotStored()
            throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("r07"))) {
            Node victim = net.start(0, null, b -> b.syncSettings(QUICK_TIMEOUT));
            Node honest = net.start(1);
            join(honest, victim);
            mine(victim, 3);
            awaitSameTip(WAIT, victim, honest);
            BiConsumer<ScriptedPeer, LedgerMessage> quiet = (p, m) -> {};
            // MAX+1 = 9 headers.
            ScriptedPeer headers9 =
                    ScriptedPeer.connect(net, victim, "127.0.0.41", "r07-headers", quiet);
            Announce.Builder nine = Announce.newBuilder();
            for (BlockHeader h : headers(victim)) {
                nine.addBlockHeaders(ByteString.copyFrom(h.encode()));
            }
            for (int i = 0; i < 6; i++) {
                nine.addBlockHeaders(nine.getBlockHeaders(0));
            }
            assertThat(nine.getBlockHeadersCount()).isEqualTo(9);
            headers9.send(LedgerMessage.newBuilder().setAnnounce(nine));
            // MAX+1 = 257 transaction ids.
            ScriptedPeer ids257 = ScriptedPeer.connect(net, victim, "127.0.0.42", "r07-ids", quiet);
            Announce.Builder many = Announce.newBuilder();
            for (int i = 0; i < 257; i++) {
                byte[] id = new byte[32];
                id[0] = (byte) i;
                id[1] = (byte) (i >> 8);
                many.addTxIds(ByteString.copyFrom(id));
            }
            ids257.send(LedgerMessage.newBuilder().setAnnounce(many));
            await().atMost(WAIT)
                    .until(() -> headers9.isBannedBy(victim) && ids257.isBannedBy(victim));
            // The same transaction id announced 50 times: fetched once, nobody punished.
            ScriptedPeer dup = ScriptedPeer.connect(net, victim, "127.0.0.43", "r07-dup", quiet);
            byte[] txId = new byte[32];
            txId[31] = 7;
            for (int i = 0; i < 50; i++) {
                dup.send(
                        LedgerMessage.newBuilder()
                                .setAnnounce(
                                        Announce.newBuilder().addTxIds(ByteString.copyFrom(txId))));
            }
            await().atMost(WAIT)
                    .until(() -> dup.count(LedgerMessage.BodyCase.GET_TRANSACTIONS) >= 1);
            await().during(Duration.ofMillis(800))
                    .atMost(WAIT)
                    .until(() -> dup.count(LedgerMessage.BodyCase.GET_TRANSACTIONS) == 1);
            assertThat(dup.isBannedBy(victim)).isFalse();
            // An unsolicited, valid, low-work block.
            BlockData light = new ChainBuilder(net.params).block("light").build();
            ScriptedPeer pusher =
                    ScriptedPeer.connect(net, victim, "127.0.0.44", "r07-push", quiet);
            pusher.send(
                    LedgerMessage.newBuilder()
                            .setBlocks(Blocks.newBuilder().addBlocks(light.toProto())));
            await().atMost(WAIT).until(() -> pusher.isBannedBy(victim));
            assertThat(victim.ledger().block(light.hash()).get()).isEmpty();
            // Sanity bracket: the honest peer is still served.
            mine(victim, 2);
            awaitSameTip(WAIT, victim, honest);
        }
    }
}
