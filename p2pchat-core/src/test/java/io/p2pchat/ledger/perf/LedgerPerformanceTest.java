package io.p2pchat.ledger.perf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.internal.ledger.BlockData;
import io.p2pchat.internal.ledger.BlockValidator;
import io.p2pchat.internal.ledger.IdentityState;
import io.p2pchat.internal.ledger.SignatureCache;
import io.p2pchat.internal.ledger.StateDelta;
import io.p2pchat.internal.ledger.Tx;
import io.p2pchat.ledger.BlockHeader;
import io.p2pchat.ledger.BlockResult;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.LedgerTransaction;
import io.p2pchat.ledger.NetworkParameters;
import io.p2pchat.ledger.testing.ChainBuilder;
import io.p2pchat.ledger.testing.CheapIdentities;
import io.p2pchat.ledger.testing.TxFactory;
import io.p2pchat.node.Node;
import io.p2pchat.testing.TestIdentities;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
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
 * The 100k-identity ledger is built once (signing 100k registrations takes a minute or two) and
 * kept in {@code target/perf-fixtures}; results are printed as "PERF ..." lines.
 */
@Tag("perf")
@EnabledIfSystemProperty(named = "p2pchat.perf", matches = "true")
class LedgerPerformanceTest {
    static final NetworkParameters PARAMS =
            NetworkParameters.builder()
                    .name("perf")
                    .nonce(new byte[32])
                    .genesisTimeMillis(1_767_225_600_000L)
                    .trivialDifficulty()
                    .targetBlockInterval(Duration.ofMillis(1))
                    .build();

    static void report(String format, Object... args) {
        System.out.printf("PERF " + format + "%n", args);
    }

    /** Signs registrations for {@code ids} on both cores. */
    static List<LedgerTransaction> registrations(List<LocalIdentity> ids) {
        TxFactory f = new TxFactory(PARAMS);
        LedgerTransaction[] out = new LedgerTransaction[ids.size()];
        IntStream.range(0, ids.size()).parallel().forEach(i -> out[i] = f.register(ids.get(i)));
        return List.of(out);
    }

    /** Blocks of {@code perBlock} transactions on genesis. */
    static List<BlockData> blocks(List<LedgerTransaction> txs, int perBlock) {
        ChainBuilder c = new ChainBuilder(PARAMS);
        List<BlockData> out = new ArrayList<>();
        String parent = "genesis";
        for (int i = 0; i < txs.size(); i += perBlock) {
            String name = "b" + i;
            out.add(
                    c.block(name)
                            .on(parent)
                            .txs(txs.subList(i, Math.min(txs.size(), i + perBlock)))
                            .build());
            parent = name;
        }
        return out;
    }

    static void submit(Ledger l, List<BlockData> blocks, int batch) throws Exception {
        for (int i = 0; i < blocks.size(); i += batch) {
            List<BlockResult> rs =
                    l.service()
                            .submitBlocks(blocks.subList(i, Math.min(blocks.size(), i + batch)))
                            .get(10, TimeUnit.MINUTES);
            for (int j = 0; j < rs.size(); j++) {
                BlockResult r = rs.get(j);
                if (r.status() != BlockResult.Status.CONNECTED) {
                    BlockData b = blocks.get(i + j);
                    BlockData p = i + j > 0 ? blocks.get(i + j - 1) : null;
                    System.out.println(
                            "DIAG block "
                                    + (i + j)
                                    + " "
                                    + b
                                    + " prev "
                                    + b.header().previous()
                                    + " listParent "
                                    + (p == null ? null : p.hash())
                                    + " parentKnownNow "
                                    + l.service().chain().knowsHeader(b.header().previous())
                                    + " listParentKnownNow "
                                    + (p == null ? null : l.service().chain().knowsHeader(p.hash()))
                                    + " rehash "
                                    + io.p2pchat.ledger.BlockHash.of(
                                            io.p2pchat.internal.ledger.LedgerHashes.sha256(
                                                    b.header().encode()))
                                    + " tip "
                                    + l.tip());
                }
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
        List<LocalIdentity> ids = new CheapIdentities().next(10_000);
        List<LedgerTransaction> regs = registrations(ids);
        for (int perBlock : new int[] {1, 10, 100}) {
            List<BlockData> blocks =
                    blocks(regs.subList(0, perBlock == 1 ? 5_000 : 10_000), perBlock);
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
        List<BlockData> ones = blocks(regs.subList(0, 5_000), 1);
        BlockValidator v = new BlockValidator(PARAMS, Clock.systemUTC(), new SignatureCache(16));
        Map<io.p2pchat.ledger.BlockHash, BlockHeader> headers = new HashMap<>();
        headers.put(PARAMS.genesis().hash(), PARAMS.genesis());
        IdentityState state = new IdentityState();
        long t = System.nanoTime();
        for (BlockData b : ones) {
            v.checkHeader(b.header(), headers::get);
            List<Tx> txs = v.checkBody(b);
            StateDelta d = v.connect(b.header(), txs, state, true);
            state.apply(d);
            headers.put(b.hash(), b.header());
        }
        double s = (System.nanoTime() - t) / 1e9;
        report(
                "validator alone, 1 registration per block: %d blocks in %.2f s = %.0f blocks/s",
                ones.size(), s, ones.size() / s);
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
        }
    }

    @Test
    void newNodeSyncs10kRegistrationsOverLoopback() throws Exception {
        List<LedgerTransaction> regs = registrations(new CheapIdentities().next(10_000));
        List<BlockData> blocks = blocks(regs, 500);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try (Ledger la = Ledger.builder(PARAMS).name("a").open();
                Ledger lb = Ledger.builder(PARAMS).name("b").open()) {
            submit(la, blocks, 4);
            Node a =
                    Node.builder(TestIdentities.get("perf-a"), la)
                            .listen("127.0.0.1", 0)
                            .eventLoopGroup(group)
                            .discovery(false)
                            .build()
                            .start();
            Node b =
                    Node.builder(TestIdentities.get("perf-b"), lb)
                            .listen("127.0.0.2", 0)
                            .eventLoopGroup(group)
                            .discovery(false)
                            .build()
                            .start();
            try {
                long t = System.nanoTime();
                b.join(a.localAddress()).get(30, TimeUnit.SECONDS);
                await().atMost(Duration.ofMinutes(2))
                        .pollInterval(Duration.ofMillis(10))
                        .until(() -> lb.tip().equals(la.tip()));
                double s = (System.nanoTime() - t) / 1e9;
                assertThat(lb.identityCount()).isEqualTo(10_000);
                report(
                        "new node synced %d registrations in %d blocks over loopback in %.2f s"
                                + " (connect + handshake included)",
                        regs.size(), blocks.size(), s);
            } finally {
                a.close();
                b.close();
            }
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void reopenLedgerOf100kIdentities() throws Exception {
        Path dir = Path.of("target", "perf-fixtures", "ledger-100k");
        if (!Files.exists(dir.resolve("COMPLETE"))) {
            deleteRecursively(dir);
            Files.createDirectories(dir);
            long t = System.nanoTime();
            CheapIdentities ids = new CheapIdentities();
            try (Ledger l = Ledger.builder(PARAMS).dataDirectory(dir).open()) {
                ChainBuilder c = new ChainBuilder(PARAMS);
                String parent = "genesis";
                for (int chunk = 0; chunk < 10; chunk++) {
                    List<LedgerTransaction> regs = registrations(ids.next(10_000));
                    List<BlockData> bs = new ArrayList<>();
                    for (int i = 0; i < regs.size(); i += 1000) {
                        String name = "c" + chunk + "_" + i;
                        bs.add(c.block(name).on(parent).txs(regs.subList(i, i + 1000)).build());
                        parent = name;
                    }
                    submit(l, bs, 4);
                }
                assertThat(l.identityCount()).isEqualTo(100_000);
            }
            Files.writeString(dir.resolve("COMPLETE"), "ok");
            report("built the 100k-identity ledger in %.1f s", (System.nanoTime() - t) / 1e9);
        }
        long size = Files.size(dir.resolve("blocks.dat"));
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            long t = System.nanoTime();
            try (Ledger l = Ledger.builder(PARAMS).dataDirectory(dir).open()) {
                times.add((System.nanoTime() - t) / 1_000_000);
                assertThat(l.identityCount()).isEqualTo(100_000);
            }
        }
        report(
                "reopen of a ledger of 100000 identities (%d MB, 100 blocks): %s ms (first is the"
                        + " cold JVM)",
                size >> 20, times);
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
