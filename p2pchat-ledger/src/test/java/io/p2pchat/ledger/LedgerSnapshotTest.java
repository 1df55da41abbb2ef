package io.p2pchat.ledger;

import static io.p2pchat.ledger.BlockValidationTest.submit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.NameCommitment;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.OpenReport;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.store.RecordFormat;
import io.p2pchat.ledger.testing.ChainBuilder;
import io.p2pchat.ledger.testing.TxFactory;
import io.p2pchat.testing.SettableClock;
import io.p2pchat.testing.TestIdentities;
import io.p2pchat.util.AtomicFiles;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The identity-state snapshot that makes reopening fast ({@code docs/ledger.md} §9.4): used only
 * when it matches the stored chain, ignored (and the state rebuilt) when it is torn, corrupt, stale
 * beyond the chain or of another chain, and never in the way of a reorganization.
 */
class LedgerSnapshotTest {
    static final NetworkParameters PARAMS = BlockValidationTest.PARAMS;

    final SettableClock clock = new SettableClock(PARAMS.genesisTimeMillis() + 3_600_000);
    final ChainBuilder chain = new ChainBuilder(PARAMS);
    final TxFactory txs = new TxFactory(PARAMS);
    final LocalIdentity alice = TestIdentities.get("snap-alice");
    final LocalIdentity bob = TestIdentities.get("snap-bob");
    final LocalIdentity carol = TestIdentities.get("snap-carol");
    final LocalIdentity carolNew = TestIdentities.get("snap-carol-new");
    final LocalIdentity dave = TestIdentities.get("snap-dave");

    @TempDir Path dir;

    /** The state after the main chain, as a full rebuild computes it. */
    List<Map<?, ?>> expected;

    @BeforeEach
    void buildMainChain() throws Exception {
        NameCommitment name = NameCommitment.of("alice", new byte[32]);
        try (Ledger l = open()) {
            // Every field of an identity: names (pending and revealed), rotated keys, updated
            // addresses, a revocation.
            connect(
                    l,
                    chain.block("m1")
                            .tx(
                                    txs.register(alice, name),
                                    txs.register(bob),
                                    txs.register(carol),
                                    txs.register(dave, NameCommitment.of("dave", new byte[32])))
                            .build());
            connect(
                    l,
                    chain.block("m2")
                            .on("m1")
                            .tx(txs.rotate(carol, carolNew, carol.peerId(), 1))
                            .build());
            connect(
                    l,
                    chain.block("m3")
                            .on("m2")
                            .tx(
                                    txs.txs().revealName(alice, alice.peerId(), 1, name),
                                    txs.update(
                                            bob,
                                            bob.peerId(),
                                            1,
                                            TxFactory.address("10.0.0.2", 7001),
                                            TxFactory.address("::1", 7002)),
                                    txs.revoke(dave, dave.peerId(), 1))
                            .build());
            connect(l, chain.block("m4").on("m3").build());
            expected = l.service().chain().stateSnapshot();
        }
    }

    Ledger open() throws LedgerStorageException {
        return Ledger.builder(PARAMS).clock(clock).dataDirectory(dir).open();
    }

    static void connect(Ledger l, BlockData b) throws Exception {
        BlockResult r = submit(l, b);
        assertThat(r.status()).as(r.message()).isEqualTo(BlockResult.Status.CONNECTED);
    }

    Path snapshot() {
        return dir.resolve("state.snap");
    }

    /** Reopens and checks the state equals the full rebuild's and verifies from scratch. */
    OpenReport reopenAndCheck() throws Exception {
        try (Ledger l = open()) {
            assertThat(l.service().chain().stateSnapshot()).isEqualTo(expected);
            assertThat(l.verifyFully().get()).isEqualTo(4);
            return l.openReport();
        }
    }

    @Test
    void close_writesSnapshot_reopenUsesItWithTheSameState() throws Exception {
        assertThat(snapshot()).exists();
        OpenReport r = reopenAndCheck();
        assertThat(r.snapshotHeight()).isEqualTo(4);
        assertThat(r.events()).isEmpty();
        assertThat(r.identities()).isEqualTo(4);
    }

    /**
     * A ledger's directory is created 0700 and every file in it (blocks, parameters, snapshot,
     * lock) 0600, whatever the umask: other local users cannot see whom the node knows.
     */
    @Test
    void dataDirectory_createdOwnerOnly_everyFileOwnerOnly() throws Exception {
        assumeTrue(AtomicFiles.isPosix(dir));
        Path nested = dir.resolve("home").resolve("ledger");
        try (Ledger l = Ledger.builder(PARAMS).clock(clock).dataDirectory(nested).open()) {
            connect(l, new ChainBuilder(PARAMS).block("p1").build());
        }
        assertThat(nested.resolve("state.snap")).exists();

        for (Path d : List.of(dir.resolve("home"), nested)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d)))
                    .as(d.toString())
                    .isEqualTo("rwx------");
        }
        try (var files = Files.list(nested)) {
            for (Path f : files.toList()) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
                        .as(f.toString())
                        .isEqualTo("rw-------");
            }
        }
    }

    @Test
    void snapshot_missing_stateRebuiltFromLog() throws Exception {
        Files.delete(snapshot());
        assertThat(reopenAndCheck().snapshotHeight()).isZero();
        // The close after a rebuild writes a fresh one.
        assertThat(snapshot()).exists();
        assertThat(reopenAndCheck().snapshotHeight()).isEqualTo(4);
    }

    @Test
    void snapshot_anyFlippedByte_isIgnoredNeverTrusted() throws Exception {
        byte[] good = Files.readAllBytes(snapshot());
        for (int i = 0; i < good.length; i += Math.max(1, good.length / 97)) {
            byte[] bad = good.clone();
            bad[i] ^= 0x10;
            Files.write(snapshot(), bad);
            OpenReport r = reopenAndCheck();
            assertThat(r.snapshotHeight()).as("flip at %d", i).isZero();
            assertThat(r.events())
                    .as("flip at %d", i)
                    .anyMatch(e -> e.startsWith("SNAPSHOT_IGNORED"));
        }
    }

    @Test
    void snapshot_tornAtAnyLength_isIgnored() throws Exception {
        byte[] good = Files.readAllBytes(snapshot());
        for (int len : new int[] {0, 1, 51, 52, 91, 92, good.length / 2, good.length - 1}) {
            Files.write(snapshot(), java.util.Arrays.copyOf(good, len));
            OpenReport r = reopenAndCheck();
            assertThat(r.snapshotHeight()).as("length %d", len).isZero();
        }
    }

    @Test
    void snapshot_validChecksumButUndecodable_isIgnored() throws Exception {
        byte[] file = Files.readAllBytes(snapshot());
        // Cut the payload short and fix up length and checksum: only the decoder can tell.
        int payload = (int) ByteBuffer.wrap(file).getLong(44) - 10;
        byte[] bad = new byte[52 + payload + 4];
        System.arraycopy(file, 0, bad, 0, 52 + payload);
        ByteBuffer.wrap(bad).putLong(44, payload);
        CRC32C crc = new CRC32C();
        crc.update(bad, 0, 52 + payload);
        ByteBuffer.wrap(bad).putInt(52 + payload, (int) crc.getValue());
        Files.write(snapshot(), bad);
        OpenReport r = reopenAndCheck();
        assertThat(r.snapshotHeight()).isZero();
        assertThat(r.events()).anyMatch(e -> e.contains("undecodable"));
    }

    @Test
    void snapshot_ofAnotherChain_isIgnored() throws Exception {
        // A ledger of the same network whose chain differs from block 1 on.
        Path other = dir.resolveSibling(dir.getFileName() + "-other");
        try (Ledger l = Ledger.builder(PARAMS).clock(clock).dataDirectory(other).open()) {
            ChainBuilder c = new ChainBuilder(PARAMS);
            String parent = "genesis";
            for (int i = 1; i <= 4; i++) {
                connect(
                        l,
                        c.block("o" + i)
                                .on(parent)
                                .timestamp(PARAMS.genesisTimeMillis() + 7 * i)
                                .build());
                parent = "o" + i;
            }
        }
        Files.copy(other.resolve("state.snap"), snapshot(), StandardCopyOption.REPLACE_EXISTING);
        OpenReport r = reopenAndCheck();
        assertThat(r.snapshotHeight()).isZero();
        assertThat(r.events()).anyMatch(e -> e.contains("is not stored"));
    }

    @Test
    void snapshot_olderThanTip_isUsedAndTheRestReplayed() throws Exception {
        Path old = dir.resolve("old.snap");
        Files.copy(snapshot(), old);
        try (Ledger l = open()) {
            connect(
                    l,
                    chain.block("m5")
                            .on("m4")
                            .tx(txs.register(TestIdentities.get("snap-eve")))
                            .build());
            expected = l.service().chain().stateSnapshot();
        }
        // As after a crash: the snapshot on disk is the one of height 4.
        Files.move(old, snapshot(), StandardCopyOption.REPLACE_EXISTING);
        try (Ledger l = open()) {
            assertThat(l.openReport().snapshotHeight()).isEqualTo(4);
            assertThat(l.tip().height()).isEqualTo(5);
            assertThat(l.service().chain().stateSnapshot()).isEqualTo(expected);
            assertThat(l.verifyFully().get()).isEqualTo(5);
        }
    }

    @Test
    void snapshot_beyondTheStoredChain_isIgnored() throws Exception {
        // The last block is lost (a torn tail, or repair) but the snapshot names it.
        long size = Files.size(dir.resolve("blocks.dat"));
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("blocks.dat").toFile(), "rw")) {
            // The final TIP record (50 bytes) and part of block 4's record (173 bytes).
            f.setLength(size - 60);
        }
        try (Ledger l = open()) {
            assertThat(l.openReport().snapshotHeight()).isZero();
            assertThat(l.openReport().events())
                    .anyMatch(e -> e.startsWith("SNAPSHOT_IGNORED"))
                    .anyMatch(e -> e.startsWith("TRUNCATED_TAIL"));
            assertThat(l.tip().height()).isEqualTo(3);
            assertThat(l.verifyFully().get()).isEqualTo(3);
        }
    }

    @Test
    void leftoverTemporaryFile_isHarmless() throws Exception {
        Files.write(dir.resolve("state.snap.tmp"), new byte[] {1, 2, 3});
        assertThat(reopenAndCheck().snapshotHeight()).isEqualTo(4);
    }

    @Test
    void reorganization_belowTheSnapshotHeight_rebuildsUndoAndRollsBack() throws Exception {
        try (Ledger l = open()) {
            assertThat(l.openReport().snapshotHeight()).isEqualTo(4);
            // A heavier branch from block 1: blocks 2-4 (and their rotation, reveal, update and
            // revocation) are disconnected.
            String parent = "m1";
            for (int i = 2; i <= 6; i++) {
                submit(
                        l,
                        chain.block("f" + i)
                                .on(parent)
                                .timestamp(chain.header(parent).timestampMillis() + 3)
                                .build());
                parent = "f" + i;
            }
            assertThat(l.tip().hash()).isEqualTo(chain.get("f6").hash());
            IdentityRecord carolNow = l.identity(carol.peerId()).orElseThrow();
            assertThat(carolNow.currentKeyId()).isEqualTo(carol.peerId());
            assertThat(l.identity(dave.peerId()).orElseThrow().revoked()).isFalse();
            assertThat(l.identityByName("alice")).isEmpty();
            assertThat(l.verifyFully().get()).isEqualTo(6);
        }
        // The same branch on a ledger rebuilt without any snapshot gives the same state.
        List<Map<?, ?>> afterReorg;
        try (Ledger l = open()) {
            afterReorg = l.service().chain().stateSnapshot();
            assertThat(l.openReport().snapshotHeight()).isEqualTo(6);
        }
        Files.delete(snapshot());
        try (Ledger rebuilt = open()) {
            assertThat(rebuilt.openReport().snapshotHeight()).isZero();
            assertThat(rebuilt.service().chain().stateSnapshot()).isEqualTo(afterReorg);
        }
    }

    @Test
    void tamperedTransaction_underTheSnapshot_failsWhenTheBlockIsRead() throws Exception {
        // Change a byte of a transaction of block 1 and fix the record's CRC32C: the kind of
        // change only the Merkle root reveals. Under a snapshot the root is checked when the block
        // is first read, not at open; without one, at open.
        BlockData m1 = chain.get("m1");
        Path blocks = dir.resolve("blocks.dat");
        byte[] file = Files.readAllBytes(blocks);
        int record = 44; // the first record follows the file header
        int length = ByteBuffer.wrap(file).getInt(record + 5);
        int payload = record + RecordFormat.HEADER_LENGTH;
        file[payload + 156 + 4 + 4 + 20] ^= 1;
        ByteBuffer.wrap(file)
                .putInt(
                        payload + length,
                        RecordFormat.crc(RecordFormat.BLOCK, file, payload, length));
        Files.write(blocks, file);
        String deferred;
        try (Ledger l = open()) {
            assertThat(l.openReport().snapshotHeight()).isEqualTo(4);
            ExecutionException e =
                    org.junit.jupiter.api.Assertions.assertThrows(
                            ExecutionException.class, () -> l.block(m1.hash()).get());
            assertThat(e.getCause())
                    .isInstanceOf(LedgerStorageException.class)
                    .hasMessageContaining("Merkle root mismatch");
            deferred = e.getCause().getMessage();
        }
        Files.delete(snapshot());
        // Both reports name the block the same way: its record number and offset, height, hash.
        assertThatThrownBy(this::open)
                .isInstanceOf(LedgerStorageException.class)
                .hasMessage(deferred)
                .hasMessage(
                        "CORRUPT_LEDGER: block 1 (offset 44): Merkle root mismatch (height 1, hash "
                                + m1.hash().shortHex()
                                + ")");
    }

    @Test
    void editedSnapshot_withItsChecksum_isUsed_andFailsVerify() throws Exception {
        // The snapshot is trusted storage (§9.4): an edit with a recomputed checksum is loaded as
        // it is; the audit rebuilds the state from genesis and catches it.
        byte[] file = Files.readAllBytes(snapshot());
        int payload = (int) ByteBuffer.wrap(file).getLong(44);
        // The last byte of the first identity's sequence number: height, block hash, identity
        // count, then identity id and flags.
        file[52 + 8 + 32 + 4 + 32 + 1 + 7] ^= 1;
        CRC32C crc = new CRC32C();
        crc.update(file, 0, 52 + payload);
        ByteBuffer.wrap(file).putInt(52 + payload, (int) crc.getValue());
        Files.write(snapshot(), file);
        try (Ledger l = open()) {
            assertThat(l.openReport().snapshotHeight()).isEqualTo(4);
            assertThat(l.service().chain().stateSnapshot()).isNotEqualTo(expected);
            assertThatThrownBy(() -> l.verifyFully().get())
                    .isInstanceOf(ExecutionException.class)
                    .hasMessageContaining("identity state differs from a rebuild");
        }
    }

    @Test
    void close_writesOnlyWhenTheTipMoved() throws Exception {
        long written = Files.getLastModifiedTime(snapshot()).toMillis();
        byte[] before = Files.readAllBytes(snapshot());
        try (Ledger l = open()) {
            assertThat(l.openReport().snapshotHeight()).isEqualTo(4);
        }
        assertThat(Files.readAllBytes(snapshot())).isEqualTo(before);
        assertThat(Files.getLastModifiedTime(snapshot()).toMillis()).isEqualTo(written);
        try (Ledger l = open()) {
            connect(l, chain.block("m5").on("m4").build());
        }
        assertThat(Files.readAllBytes(snapshot())).isNotEqualTo(before);
        try (Ledger l = open()) {
            assertThat(l.openReport().snapshotHeight()).isEqualTo(5);
        }
    }
}
