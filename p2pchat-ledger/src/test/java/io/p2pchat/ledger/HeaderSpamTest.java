package io.p2pchat.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.ledger.chain.ChainState;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.RejectReason;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.testing.ChainBuilder;
import io.p2pchat.testing.SettableClock;
import java.math.BigInteger;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * ATTACKS R-10, header and proof-of-work DoS: proof of work is checked before anything is stored;
 * chains of low-work headers stay within the header-only bound and are pruned in one pass (they
 * used to be pruned one leaf per pass over the index: quadratic work on the ledger thread); the
 * honest chain is accepted throughout. The orphan-pool bound is {@code
 * BlockValidationTest.orphanPool_isBounded}; over the network, blocks nobody asked for are
 * misbehaviour ({@code SyncAttackTest}), so orphans arrive only as answers to requests.
 */
class HeaderSpamTest {
    static final NetworkParameters PARAMS = BlockValidationTest.PARAMS;
    static final int HEADER_LIMIT = 4000;

    final SettableClock clock = new SettableClock(PARAMS.genesisTimeMillis() + 3_600_000);

    static ChainState.HeadersOutcome submitHeaders(Ledger l, List<BlockData> blocks)
            throws Exception {
        return l.service()
                .submitHeaders(blocks.stream().map(BlockData::header).toList())
                .get(60, TimeUnit.SECONDS);
    }

    @Test
    void lowWorkHeaderChains_stayBounded_prunedInOnePass_honestChainStillAccepted()
            throws Exception {
        ChainState.Limits limits =
                new ChainState.Limits(
                        64, 16L << 20, HEADER_LIMIT, 10_000, 5_000, 8L << 20, 8, 1000);
        try (Ledger l = Ledger.builder(PARAMS).clock(clock).limits(limits).open()) {
            ChainBuilder c = new ChainBuilder(PARAMS);
            List<BlockData> honest = c.chain("h", "genesis", HEADER_LIMIT + 500);
            for (int i = 0; i < honest.size(); i += 500) {
                l.service()
                        .submitBlocks(honest.subList(i, Math.min(honest.size(), i + 500)))
                        .get(60, TimeUnit.SECONDS);
            }
            assertThat(l.tip().height()).isEqualTo(HEADER_LIMIT + 500);
            // A long low-work chain of headers (lighter than our tip) fills the header-only pool.
            List<BlockData> spamA = c.chainSpaced("a", "genesis", HEADER_LIMIT - 1, 101);
            for (int i = 0; i < spamA.size(); i += 2000) {
                ChainState.HeadersOutcome o =
                        submitHeaders(l, spamA.subList(i, Math.min(spamA.size(), i + 2000)));
                assertThat(o.error()).isNull();
            }
            int full = l.service().chain().indexSize();
            // Another one: the whole first chain is pruned (it is lighter than the tip), in one go.
            List<BlockData> spamB = c.chainSpaced("b", "genesis", 2000, 103);
            long start = System.nanoTime();
            ChainState.HeadersOutcome o = submitHeaders(l, spamB);
            System.out.printf(
                    "2000 headers, pruning a %d-header chain first: %d ms%n",
                    spamA.size(), (System.nanoTime() - start) / 1_000_000);
            assertThat(o.error()).isNull();
            assertThat(o.added()).isEqualTo(2000);
            assertThat(l.service().chain().knowsHeader(spamA.get(0).hash())).isFalse();
            assertThat(l.service().chain().knowsHeader(spamB.get(1999).hash())).isTrue();
            assertThat(l.service().chain().indexSize())
                    .isLessThan(full)
                    .isLessThanOrEqualTo(honest.size() + 1 + HEADER_LIMIT);
            // The honest chain is still extended.
            BlockResult r =
                    BlockValidationTest.submit(l, c.block("next").on("h" + honest.size()).build());
            assertThat(r.status()).isEqualTo(BlockResult.Status.CONNECTED);
            assertThat(l.verifyFully().get()).isEqualTo(honest.size() + 1);
        }
    }

    @Test
    void headerWithHugeTarget_orWithoutProofOfWork_isRejectedBeforeStorage() throws Exception {
        try (Ledger l = Ledger.builder(PARAMS).clock(clock).open()) {
            ChainBuilder c = new ChainBuilder(PARAMS);
            BlockData huge = c.block("huge").target(PARAMS.maxTarget().add(BigInteger.ONE)).build();
            ChainState.HeadersOutcome o = submitHeaders(l, List.of(huge));
            assertThat(o.error().reason()).isEqualTo(RejectReason.BAD_DIFFICULTY);
            BlockData unsolved = c.block("unsolved").unsolved().build();
            o = submitHeaders(l, List.of(unsolved));
            assertThat(o.error().reason()).isEqualTo(RejectReason.HIGH_HASH);
            for (BlockData b : List.of(huge, unsolved)) {
                assertThat(l.service().chain().knowsHeader(b.hash())).isFalse();
                assertThat(BlockValidationTest.submit(l, b).status())
                        .isEqualTo(BlockResult.Status.REJECTED);
                assertThat(l.block(b.hash()).get()).isEmpty();
            }
            // Nothing stored or remembered beyond the invalid-hash cache; the chain goes on.
            assertThat(l.service().chain().indexSize()).isEqualTo(1);
            BlockValidationTest.assertConnected(l, c.block("ok").build());
        }
    }
}
