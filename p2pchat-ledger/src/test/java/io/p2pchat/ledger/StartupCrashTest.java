package io.p2pchat.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.StorageError;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.store.FileBlockStore;
import io.p2pchat.ledger.testing.ChainBuilder;
import io.p2pchat.ledger.testing.TxFactory;
import io.p2pchat.testing.TestIdentities;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ATTACKS S-04, crash during startup and recovery (Bitcoin feature_init): a child JVM opening a
 * ledger is stopped dead ({@link HaltingChild}) at each logged startup phase, then started again
 * (and stopped at the same phase again, a crash during recovery), then started cleanly: it opens
 * with the whole acknowledged chain and re-validates. The prepared directory exercises every phase:
 * a chain with a tip record, three blocks stored after it (never recorded as validated), and a torn
 * last record.
 */
class StartupCrashTest {
    static final NetworkParameters PARAMS = CrashChild.PARAMS;

    @TempDir static Path shared;
    static Path prepared;
    static BlockHash expectedTip;

    @BeforeAll
    static void prepare() throws Exception {
        prepared = shared.resolve("prepared");
        ChainBuilder c = new ChainBuilder(PARAMS);
        TxFactory f = new TxFactory(PARAMS);
        List<BlockData> chain = new ArrayList<>();
        chain.add(c.block("b1").tx(f.register(TestIdentities.get("s04-a"))).build());
        chain.add(c.block("b2").on("b1").tx(f.register(TestIdentities.get("s04-b"))).build());
        chain.addAll(c.chain("c", "b2", 28));
        try (Ledger l = Ledger.builder(PARAMS).dataDirectory(prepared).open()) {
            l.service().submitBlocks(chain).get(60, TimeUnit.SECONDS);
            assertThat(l.tip().height()).isEqualTo(30);
        }
        // Three more blocks stored without a tip record (as a crash before the batch's TIP does).
        List<BlockData> more = c.chain("d", "c28", 3);
        FileBlockStore store = FileBlockStore.open(prepared, PARAMS, false);
        for (BlockData b : more) {
            store.appendBlock(b);
        }
        store.sync();
        store.close();
        expectedTip = more.get(2).hash();
        // A torn last record: a record header announcing 5000 bytes, then 10.
        ByteBuffer torn = ByteBuffer.allocate(19);
        torn.put("P2LR".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).putInt(5000);
        Files.write(prepared.resolve("blocks.dat"), torn.array(), StandardOpenOption.APPEND);
    }

    /** Runs the child; returns its exit code and output. */
    record Run(int exit, String output) {
        boolean halted() {
            return exit == 137 && output.contains("@@ HALT");
        }
    }

    static Run child(String haltAt, String scenario, Path dir, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx128m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-XX:+UnlockDiagnosticVMOptions");
        cmd.add("-XX:ArrayOperationPartialInlineSize=0");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(HaltingChild.class.getName());
        cmd.addAll(List.of(haltAt, "1", scenario, dir.toString()));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("child ended").isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                if (!p.getFileName().toString().equals("ledger.lock")) {
                    Files.copy(p, to.resolve(p.getFileName()));
                }
            }
        }
    }

    /** Each recovery phase of a start on existing data: crash, crash again, then a clean start. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "startup: data directory",
                "startup: loading block log",
                "TRUNCATED_TAIL",
                "startup: validating",
                "opened:"
            })
    void crashAtStartupPhase_twice_thenNextStartIsClean(String phase, @TempDir Path dir)
            throws Exception {
        copy(prepared, dir);
        Run first = child(phase, "ledger-open", dir);
        assertThat(first.halted()).as("halted at %s:%n%s", phase, first.output()).isTrue();
        Run again = child(phase, "ledger-open", dir);
        assertThat(again.exit()).as(again.output()).isIn(0, 137);
        Run clean = child("-", "ledger-open", dir);
        assertThat(clean.output()).as(clean.output()).contains("@@ OPENED 33");
        try (Ledger l = Ledger.builder(PARAMS).dataDirectory(dir).open()) {
            assertThat(l.tip().hash()).isEqualTo(expectedTip);
            assertThat(l.verifyFully().get()).isEqualTo(33);
            assertThat(l.openReport().truncatedBytes()).isZero();
        }
    }

    /**
     * Each phase of creating a new data directory. Regression: the parameters file was written
     * before the block file, so a crash between them left a directory that every later start
     * refused as CORRUPT_LEDGER ("block file missing").
     */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "startup: data directory",
                "startup: block file",
                "startup: network parameters",
                "opened:"
            })
    void crashWhileCreatingTheDataDirectory_nextStartIsClean(String phase, @TempDir Path dir)
            throws Exception {
        Path data = dir.resolve("data");
        Run first = child(phase, "ledger-open", data);
        assertThat(first.halted()).as("halted at %s:%n%s", phase, first.output()).isTrue();
        Run clean = child("-", "ledger-open", data);
        assertThat(clean.output()).as(clean.output()).contains("@@ OPENED 0");
        try (Ledger l = Ledger.builder(PARAMS).dataDirectory(data).open()) {
            BlockValidationTest.assertConnected(l, new ChainBuilder(PARAMS).block("x").build());
        }
    }

    /** The state a crash between the two creation writes leaves now: an empty block file only. */
    @Test
    void emptyBlockFileWithoutParameters_isAnInterruptedCreation_butRecordsWithoutAreCorrupt(
            @TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        try (Ledger l = Ledger.builder(PARAMS).dataDirectory(data).open()) {
            assertThat(l.tip().height()).isZero();
        }
        Files.delete(data.resolve("network.params"));
        try (Ledger l = Ledger.builder(PARAMS).dataDirectory(data).open()) {
            BlockValidationTest.assertConnected(l, new ChainBuilder(PARAMS).block("x").build());
        }
        Files.delete(data.resolve("network.params"));
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> Ledger.builder(PARAMS).dataDirectory(data).open())
                .isInstanceOfSatisfying(
                        LedgerStorageException.class,
                        e -> assertThat(e.error()).isEqualTo(StorageError.CORRUPT_LEDGER))
                .hasMessageContaining("parameters file");
    }
}
