package io.p2pchat.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.StorageError;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.testing.ChainBuilder;
import io.p2pchat.ledger.testing.CheapIdentities;
import io.p2pchat.ledger.testing.TxFactory;
import java.io.BufferedReader;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL of a ledger process (a child JVM; {@code Process.destroyForcibly} is SIGKILL on Linux)
 * while it mines and while it imports blocks, then reopen: the ledger opens, holds every block
 * acknowledged as durable, fully re-validates, and its identity state equals a rebuild (ATTACKS
 * S-01, S-07). As Bitcoin's feature_dbcrash counts restarts, the test asserts that kills landed
 * inside the write window (after a block was begun, before it was acknowledged) and that at least
 * one left a torn or unacknowledged block behind.
 *
 * <p>Iterations per mode: {@code -Dp2pchat.crash.iterations=N} (default 6); a run continues, up to
 * three times as long, until the required kinds of kill have happened.
 */
class LedgerCrashTest {
    static final int ITERATIONS = Integer.getInteger("p2pchat.crash.iterations", 6);
    static final NetworkParameters PARAMS = CrashChild.PARAMS;

    static Path blocksToImport;
    static List<BlockHash> importHashes;

    @TempDir static Path shared;

    @BeforeAll
    static void prepareImport() throws Exception {
        // 10 blocks of 150 registrations each (about 100 KB per block, written in 64 KiB chunks).
        CheapIdentities ids = new CheapIdentities();
        TxFactory f = new TxFactory(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        blocksToImport = shared.resolve("import.bin");
        // Assigned here, not at class initialization: a rerun in the same JVM (surefire's
        // rerunFailingTestsCount, an IDE) would otherwise add a second 310 and never start over.
        importHashes = new ArrayList<>();
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(blocksToImport))) {
            String parent = "genesis";
            for (int b = 1; b <= 10; b++) {
                List<LedgerTransaction> regs = new ArrayList<>();
                for (LocalIdentity id : ids.next(150)) {
                    regs.add(f.register(id));
                }
                BlockData block = c.block("i" + b).on(parent).txs(regs).build();
                byte[] bytes = block.toProto().toByteArray();
                out.writeInt(bytes.length);
                out.write(bytes);
                importHashes.add(block.hash());
                parent = "i" + b;
            }
            // Then 300 empty blocks: cheap to validate, so the write and the fsync dominate.
            for (BlockData block : c.chain("e", parent, 300)) {
                byte[] bytes = block.toProto().toByteArray();
                out.writeInt(bytes.length);
                out.write(bytes);
                importHashes.add(block.hash());
            }
        }
    }

    /** A running child JVM and its protocol lines. */
    static final class Child implements AutoCloseable {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Child(String... args) throws IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-Xmx256m");
            cmd.add("-XX:TieredStopAtLevel=1");
            cmd.add("-XX:+UnlockDiagnosticVMOptions");
            cmd.add("-XX:ArrayOperationPartialInlineSize=0");
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(CrashChild.class.getName());
            cmd.addAll(List.of(args));
            process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            Thread reader =
                    new Thread(
                            () -> {
                                try (BufferedReader r =
                                        new BufferedReader(
                                                new InputStreamReader(
                                                        process.getInputStream(),
                                                        StandardCharsets.UTF_8))) {
                                    String line;
                                    while ((line = r.readLine()) != null) {
                                        if (line.startsWith("@@ ")) {
                                            lines.add(line.substring(3));
                                        }
                                    }
                                } catch (IOException e) {
                                    // the child died
                                }
                                lines.add("EOF");
                            },
                            "crash-child-reader");
            reader.setDaemon(true);
            reader.start();
        }

        /** Lets the child go on after the "BEGIN" line just read. */
        void go() throws IOException {
            process.getOutputStream().write('\n');
            process.getOutputStream().flush();
        }

        String next() throws InterruptedException {
            String l = lines.poll(60, TimeUnit.SECONDS);
            if (l == null) {
                throw new AssertionError("child said nothing for 60 s");
            }
            return l;
        }

        void kill() throws InterruptedException {
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                kill();
            }
        }
    }

    /** What one reopen after a kill found. */
    record Reopened(long height, boolean torn, boolean unackedPresent) {}

    static Reopened reopen(Path dir, List<BlockHash> acked, long ackedHeight) throws Exception {
        try (Ledger l = Ledger.builder(PARAMS).dataDirectory(dir).open()) {
            for (BlockHash h : acked) {
                assertThat(l.confirmations(h))
                        .as("acknowledged block %s present", h.shortHex())
                        .isPositive();
            }
            assertThat(l.tip().height()).isGreaterThanOrEqualTo(ackedHeight);
            assertThat(l.verifyFully().get(120, TimeUnit.SECONDS)).isEqualTo(l.tip().height());
            return new Reopened(
                    l.tip().height(),
                    l.openReport().truncatedBytes() > 0,
                    l.tip().height() > ackedHeight);
        }
    }

    @Test
    void sigkillDuringMining_reopensWithAValidLedger(@TempDir Path dir) throws Exception {
        Random random = new Random();
        int inWindow = 0;
        int evidence = 0;
        int kills = 0;
        List<BlockHash> acked = new ArrayList<>();
        long ackedHeight = 0;
        for (int i = 0; i < ITERATIONS || (inWindow == 0 && i < 3 * ITERATIONS); i++) {
            kills++;
            try (Child child = new Child("mine", dir.toString())) {
                assertThat(child.next()).startsWith("READY");
                int target = 1 + random.nextInt(20);
                int seen = 0;
                boolean killedInWindow = false;
                while (true) {
                    String line = child.next();
                    if (line.startsWith("ACK ")) {
                        acked.add(BlockHash.fromHex(line.substring(4)));
                        ackedHeight++;
                        continue;
                    }
                    if (line.equals("EOF")) {
                        // Else the next read would wait its 60 s for a child that is gone.
                        throw new AssertionError("the mining child ended before the kill");
                    }
                    if (!line.equals("BEGIN")) {
                        continue;
                    }
                    child.go();
                    if (++seen > target) {
                        LockSupport.parkNanos(random.nextInt(2_000_000));
                        killedInWindow = child.lines.isEmpty();
                        child.kill();
                        break;
                    }
                }
                // Acknowledgements printed before the kill still count.
                // Read to the end of the dead child's output before deciding what was acknowledged.
                for (String l = child.next(); !l.equals("EOF"); l = child.next()) {
                    if (l.startsWith("ACK ")) {
                        acked.add(BlockHash.fromHex(l.substring(4)));
                        ackedHeight++;
                        killedInWindow = false;
                    }
                }
                inWindow += killedInWindow ? 1 : 0;
            }
            Reopened r = reopen(dir, acked, ackedHeight);
            if (r.torn() || r.unackedPresent()) {
                evidence++;
            }
            ackedHeight = r.height();
        }
        System.out.printf(
                "mining: %d kills, %d inside the write window, %d left a torn or unacknowledged"
                        + " block%n",
                kills, inWindow, evidence);
        assertThat(inWindow).isPositive();
    }

    /** The block of an import child's "ACK hash status" line, which must have been connected. */
    static BlockHash connected(String ack) {
        String[] parts = ack.split(" ");
        // The child resumes after its tip, so each acknowledged block is new and extends it.
        assertThat(parts[2]).as(ack).isEqualTo("CONNECTED");
        return BlockHash.fromHex(parts[1]);
    }

    @Test
    void sigkillDuringImport_reopensWithAValidLedger(@TempDir Path dir) throws Exception {
        Random random = new Random();
        int inWindow = 0;
        int evidence = 0;
        int kills = 0;
        List<BlockHash> acked = new ArrayList<>();
        // The height known to be durable before this kill: acknowledged, or found at the last
        // reopen. Evidence is a block above it after this kill, never one counted before.
        long ackedHeight = 0;
        for (int i = 0;
                i < ITERATIONS || ((inWindow == 0 || evidence == 0) && i < 3 * ITERATIONS);
                i++) {
            kills++;
            boolean killedInWindow = false;
            try (Child child = new Child("import", dir.toString(), blocksToImport.toString())) {
                assertThat(child.next()).startsWith("READY");
                int target = 1 + random.nextInt(4);
                int begun = 0;
                long begunAt = 0;
                long window = -1;
                while (true) {
                    String line = child.next();
                    if (line.startsWith("ACK ")) {
                        acked.add(connected(line));
                        ackedHeight++;
                        // How long a block takes from BEGIN to ACK in this child, for the kill
                        // below.
                        window = System.nanoTime() - begunAt;
                        continue;
                    }
                    if (line.equals("DONE") || line.equals("EOF")) {
                        break;
                    }
                    if (line.startsWith("BEGIN ")) {
                        begunAt = System.nanoTime();
                        child.go();
                        if (begun++ >= target && window > 0) {
                            // Aim at the later part of the window (from the previous block's
                            // timing), where the block is written, connected and synced.
                            long delay = (long) (window * random.nextDouble());
                            LockSupport.parkNanos(delay);
                            killedInWindow = child.lines.isEmpty();
                            child.kill();
                            break;
                        }
                    }
                }
                // Read to the end of the dead child's output before deciding what was acknowledged.
                for (String l = child.next(); !l.equals("EOF"); l = child.next()) {
                    if (l.startsWith("ACK ")) {
                        acked.add(connected(l));
                        ackedHeight++;
                        killedInWindow = false;
                    }
                }
            }
            inWindow += killedInWindow ? 1 : 0;
            Reopened r = reopen(dir, acked, ackedHeight);
            if (r.torn() || r.unackedPresent()) {
                evidence++;
            }
            ackedHeight = r.height();
            if (r.height() == importHashes.size()) {
                // Everything imported: start over on an empty directory.
                for (Path p :
                        List.of(
                                dir.resolve("blocks.dat"),
                                dir.resolve("network.params"),
                                dir.resolve("ledger.lock"))) {
                    Files.deleteIfExists(p);
                }
                acked.clear();
                ackedHeight = 0;
            }
        }
        System.out.printf(
                "import: %d kills, %d inside the write window, %d left a torn or unacknowledged"
                        + " block%n",
                kills, inWindow, evidence);
        assertThat(inWindow).isPositive();
        assertThat(evidence).isPositive();
    }

    @Test
    void secondProcess_onTheSameDataDirectory_isDatadirLocked(@TempDir Path dir) throws Exception {
        try (Ledger l = Ledger.builder(PARAMS).dataDirectory(dir).open();
                Child child = new Child("hold", dir.toString())) {
            assertThat(child.next()).isEqualTo("OPEN_FAILED DATADIR_LOCKED");
        }
        try (Child holder = new Child("hold", dir.toString())) {
            assertThat(holder.next()).startsWith("READY");
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> Ledger.builder(PARAMS).dataDirectory(dir).open())
                    .isInstanceOfSatisfying(
                            LedgerStorageException.class,
                            e -> assertThat(e.error()).isEqualTo(StorageError.DATADIR_LOCKED));
            holder.kill();
        }
        // The OS released the dead process's lock.
        Ledger.builder(PARAMS).dataDirectory(dir).open().close();
    }
}
