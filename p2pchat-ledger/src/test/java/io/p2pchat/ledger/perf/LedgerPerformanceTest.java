package io.p2pchat.ledger.perf;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.chain.BlockValidator;
import io.p2pchat.ledger.chain.IdentityState;
import io.p2pchat.ledger.chain.LedgerServices;
import io.p2pchat.ledger.chain.SignatureCache;
import io.p2pchat.ledger.chain.StateDelta;
import io.p2pchat.ledger.chain.Tx;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.testing.ChainBuilder;
import io.p2pchat.ledger.testing.LedgerPerf;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The measurements quoted in docs/ledger.md ("Performance"). Not part of the default test run:
 *
 * <pre>
 * mvn -B -pl p2pchat-core -am test -Dp2pchat.perf=true \
 *     -Dtest='io.p2pchat.ledger.perf.**' -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * The fixtures and the measurements shared with the bench's ledger figures live in {@link
 * LedgerPerf}. Signed registrations and the 100k-identity ledger are built once (signing 100k
 * registrations takes minutes) and kept in {@code target/perf-fixtures}; results are printed as
 * "PERF ..." lines.
 */
@Tag("perf")
@EnabledIfSystemProperty(named = "p2pchat.perf", matches = "true")
class LedgerPerformanceTest {
    static final NetworkParameters PARAMS = LedgerPerf.PARAMS;

    /** Signed registrations are cached here across runs (signing 100k takes minutes). */
    static final Path FIXTURES = Path.of("target", "perf-fixtures");

    static void report(String format, Object... args) {
        System.out.printf("PERF " + format + "%n", args);
    }

    /** Submits blocks in batches through the ledger service (one fsync per batch). */
    static void submit(Ledger l, List<BlockData> blocks, int batch) throws Exception {
        for (int i = 0; i < blocks.size(); i += batch) {
            List<BlockResult> rs =
                    LedgerServices.of(l)
                            .submitBlocks(blocks.subList(i, Math.min(blocks.size(), i + batch)))
                            .get(10, TimeUnit.MINUTES);
            for (BlockResult r : rs) {
                assertThat(r.status()).as(r.message()).isEqualTo(BlockResult.Status.CONNECTED);
            }
        }
    }

    @Test
    void blocksValidatedPerSecond() throws Exception {
        // Empty blocks: header rules, Merkle root, storage, fork choice.
        ChainBuilder c = new ChainBuilder(PARAMS);
        List<BlockData> empty = c.chain("e", "genesis", 20_000);
        for (int round = 0; round < 2; round++) {
            try (Ledger l = Ledger.builder(PARAMS).open()) {
                long t = System.nanoTime();
                submit(l, empty, 500);
                double s = (System.nanoTime() - t) / 1e9;
                report(
                        "empty blocks, in-memory ledger: %d blocks in %.2f s = %.0f blocks/s",
                        empty.size(), s, empty.size() / s);
            }
        }
        // Registration blocks: every signature verified (the signature cache starts empty).
        List<LedgerTransaction> regs =
                LedgerPerf.cachedRegistrations(FIXTURES.resolve("registrations.bin"), 10_000);
        // The bench's figure (ledger_blocks_validated_per_s): one block at a time through the
        // public API.
        List<byte[]> ones = LedgerPerf.serializedBlocks(regs.subList(0, 5_000), 1);
        for (int round = 0; round < 2; round++) {
            report(
                    "blocks of 1 registration through Ledger.submitBlock: %.0f blocks/s",
                    LedgerPerf.blocksValidatedPerSecond(ones));
        }
        for (int perBlock : new int[] {1, 10, 100}) {
            List<BlockData> blocks =
                    LedgerPerf.blocks(regs.subList(0, perBlock == 1 ? 5_000 : 10_000), perBlock);
            try (Ledger l = Ledger.builder(PARAMS).open()) {
                long t = System.nanoTime();
                submit(l, blocks, 64);
                double s = (System.nanoTime() - t) / 1e9;
                int txs = blocks.stream().mapToInt(b -> b.transactions().size()).sum();
                report(
                        "blocks of %d registrations, in-memory ledger: %d blocks in %.2f s = %.0f"
                                + " blocks/s, %.0f registrations/s",
                        perBlock, blocks.size(), s, blocks.size() / s, txs / s);
            }
        }
        // The pure validator alone, on blocks of one registration each.
        List<BlockData> single = LedgerPerf.blocks(regs.subList(0, 5_000), 1);
        BlockValidator v = new BlockValidator(PARAMS, Clock.systemUTC(), new SignatureCache(16));
        Map<io.p2pchat.ledger.model.BlockHash, BlockHeader> headers = new HashMap<>();
        headers.put(PARAMS.genesis().hash(), PARAMS.genesis());
        IdentityState state = new IdentityState();
        long t = System.nanoTime();
        for (BlockData b : single) {
            v.checkHeader(b.header(), headers::get);
            List<Tx> txs = v.checkBody(b);
            StateDelta d = v.connect(b.header(), txs, state, true);
            state.apply(d);
            headers.put(b.hash(), b.header());
        }
        double s = (System.nanoTime() - t) / 1e9;
        report(
                "validator alone, 1 registration per block: %d blocks in %.2f s = %.0f blocks/s",
                single.size(), s, single.size() / s);
        // File-backed ledger: one fsync per batch of 16, as sync does.
        Path dir = Files.createTempDirectory("perf-ledger");
        try (Ledger l = Ledger.builder(PARAMS).dataDirectory(dir).open()) {
            long t2 = System.nanoTime();
            submit(l, empty.subList(0, 10_000), 16);
            double s2 = (System.nanoTime() - t2) / 1e9;
            report(
                    "empty blocks, file ledger, fsync per 16 blocks: %d blocks in %.2f s = %.0f"
                            + " blocks/s",
                    10_000, s2, 10_000 / s2);
        } finally {
            LedgerPerf.deleteRecursively(dir);
        }
    }

    @Test
    void newNodeSyncs10kRegistrationsOverLoopback() throws Exception {
        List<LedgerTransaction> regs =
                LedgerPerf.cachedRegistrations(FIXTURES.resolve("registrations.bin"), 10_000);
        double s = LedgerPerf.syncSeconds(LedgerPerf.serializedBlocks(regs, 500), regs.size());
        report(
                "new node synced %d registrations in %d blocks over loopback in %.2f s"
                        + " (connect + handshake included)",
                regs.size(), regs.size() / 500, s);
    }

    @Test
    void reopenLedgerOf100kIdentities() throws Exception {
        long t = System.nanoTime();
        List<LedgerTransaction> regs =
                LedgerPerf.cachedRegistrations(FIXTURES.resolve("registrations.bin"), 100_000);
        Path dir = LedgerPerf.ledgerDirectory(FIXTURES.resolve("ledger-100k"), regs);
        report("100k-identity fixture ready in %.1f s", (System.nanoTime() - t) / 1e9);
        long size = Files.size(dir.resolve("blocks.dat"));
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            times.add(Math.round(LedgerPerf.reopenSeconds(dir, 100_000) * 1000));
        }
        report(
                "reopen of a ledger of 100000 identities (%d MB, 100 blocks): %s ms (first is the"
                        + " cold JVM)",
                size >> 20, times);
    }
}
