package io.p2pchat.ledger.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.testing.ChainBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which pending headers an Announce carries (robustness.md, defect 17): they must stay consecutive
 * whatever the peer already knows, or an honest receiver bans the sender.
 */
class AnnounceHeadersTest {
    private final ChainBuilder chain =
            new ChainBuilder(
                    NetworkParameters.builder().name("announce").trivialDifficulty().build());
    private final List<BlockHeader> pending =
            chain.chain("a", "genesis", 4).stream().map(b -> b.header()).toList();

    private BoundedSet<BlockHash> peerKnows(int... indexes) {
        BoundedSet<BlockHash> set = new BoundedSet<>(100);
        for (int i : indexes) {
            set.add(pending.get(i).hash());
        }
        return set;
    }

    @Test
    void headerThePeerKnowsInTheMiddle_isSentAgain_soTheAnnounceStaysConsecutive() {
        List<BlockHeader> sent = LedgerSyncHandler.headersToAnnounce(pending, peerKnows(1, 2));

        assertThat(sent).containsExactlyElementsOf(pending);
        for (int i = 1; i < sent.size(); i++) {
            assertThat(sent.get(i).previous()).isEqualTo(sent.get(i - 1).hash());
        }
    }

    @Test
    void knownPrefix_isLeftOut() {
        assertThat(LedgerSyncHandler.headersToAnnounce(pending, peerKnows(0, 1, 3)))
                .containsExactlyElementsOf(pending.subList(2, 4));
    }

    @Test
    void allKnown_nothingToAnnounce() {
        assertThat(LedgerSyncHandler.headersToAnnounce(pending, peerKnows(0, 1, 2, 3))).isEmpty();
    }

    @Test
    void everyAnnouncedHeader_isThenKnownToThePeer() {
        BoundedSet<BlockHash> known = peerKnows(2);
        LedgerSyncHandler.headersToAnnounce(pending, known);

        for (BlockHeader h : pending) {
            assertThat(known.contains(h.hash())).isTrue();
        }
    }
}
