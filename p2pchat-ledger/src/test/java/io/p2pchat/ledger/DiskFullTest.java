package io.p2pchat.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.StorageError;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.testing.ChainBuilder;
import io.p2pchat.ledger.testing.CheapIdentities;
import io.p2pchat.ledger.testing.TxFactory;
import io.p2pchat.testing.SettableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ATTACKS S-06, disk full: the ledger's data directory on a 160 KiB tmpfs that the test mounts (a
 * real ENOSPC from the kernel; skipped where mounting is not permitted). The ledger stops accepting
 * blocks at the first failed write and says so to every later submitter, reads keep working, and
 * after a restart on the still-full disk no partial block is visible; once space is freed the same
 * block is accepted.
 */
class DiskFullTest {
    static final NetworkParameters PARAMS = BlockValidationTest.PARAMS;

    static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    @Test
    void diskFull_stopsAcceptingBlocks_reportsIt_noPartialBlockAfterRestart(@TempDir Path tmp)
            throws Exception {
        Path mnt = tmp.resolve("small");
        Files.createDirectories(mnt);
        Assumptions.assumeTrue(
                run("mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", mnt.toString()) == 0,
                "cannot mount a tmpfs here (needs root)");
        try {
            Path data = mnt.resolve("data");
            SettableClock clock = new SettableClock(PARAMS.genesisTimeMillis() + 3_600_000);
            ChainBuilder c = new ChainBuilder(PARAMS);
            TxFactory f = new TxFactory(PARAMS);
            CheapIdentities ids = new CheapIdentities();
            List<BlockHash> acked = new ArrayList<>();
            BlockData failed = null;
            Throwable failure = null;
            String parent = "genesis";
            try (Ledger l = Ledger.builder(PARAMS).clock(clock).dataDirectory(data).open()) {
                for (int i = 1; i <= 200 && failed == null; i++) {
                    List<LedgerTransaction> regs = new ArrayList<>();
                    for (LocalIdentity id : ids.next(4)) {
                        regs.add(f.register(id));
                    }
                    BlockData b = c.block("b" + i).on(parent).txs(regs).build();
                    try {
                        BlockResult r = BlockValidationTest.submit(l, b);
                        assertThat(r.status())
                                .as(r.message())
                                .isEqualTo(BlockResult.Status.CONNECTED);
                        acked.add(b.hash());
                        parent = "b" + i;
                    } catch (ExecutionException e) {
                        failed = b;
                        failure = e.getCause();
                    }
                }
                assertThat(failed).as("the disk filled up").isNotNull();
                assertThat(failure)
                        .isInstanceOfSatisfying(
                                LedgerStorageException.class,
                                e -> assertThat(e.error()).isEqualTo(StorageError.IO_FAILURE));
                // It stops accepting blocks, and tells every later submitter why.
                BlockResult later =
                        BlockValidationTest.submit(l, c.block("tiny").on(parent).build());
                assertThat(later.status()).isEqualTo(BlockResult.Status.REJECTED);
                assertThat(later.message()).startsWith("IO_FAILURE");
                // Reads keep working; the tip is the last acknowledged block.
                assertThat(l.tip().hash()).isEqualTo(acked.get(acked.size() - 1));
                assertThat(l.block(acked.get(0)).get()).isPresent();
            }
            // Restart on the still-full disk: no partial block.
            try (Ledger l = Ledger.builder(PARAMS).clock(clock).dataDirectory(data).open()) {
                assertThat(l.tip().hash()).isEqualTo(acked.get(acked.size() - 1));
                assertThat(l.block(failed.hash()).get()).isEmpty();
                assertThat(l.verifyFully().get()).isEqualTo(acked.size());
            }
            // Space freed: the same block is accepted now.
            assertThat(run("mount", "-o", "remount,size=4m", mnt.toString())).isZero();
            try (Ledger l = Ledger.builder(PARAMS).clock(clock).dataDirectory(data).open()) {
                BlockValidationTest.assertConnected(l, failed);
                assertThat(l.verifyFully().get()).isEqualTo(acked.size() + 1);
            }
        } finally {
            run("umount", mnt.toString());
        }
    }
}
