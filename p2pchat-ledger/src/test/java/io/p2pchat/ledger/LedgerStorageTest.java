package io.p2pchat.ledger;

import static io.p2pchat.ledger.BlockValidationTest.submit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.StorageError;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.store.RecordFormat;
import io.p2pchat.ledger.testing.ChainBuilder;
import io.p2pchat.ledger.testing.TxFactory;
import io.p2pchat.testing.SettableClock;
import io.p2pchat.testing.TestIdentities;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Persistence: restart, torn tails, corruption, locking (ATTACKS L-01, S-02, S-03, S-07). */
class LedgerStorageTest {
    static final NetworkParameters PARAMS = BlockValidationTest.PARAMS;
    static final int BLOCKS = 5;

    final SettableClock clock = new SettableClock(PARAMS.genesisTimeMillis() + 3_600_000);

    @TempDir Path dir;

    /** File size after each block (index i = after block i+1), and the blocks. */
    record Built(List<Long> sizes, List<BlockData> blocks, List<Map<?, ?>> state) {}

    Built build() throws Exception {
        ChainBuilder c = new ChainBuilder(PARAMS);
        TxFactory f = new TxFactory(PARAMS);
        List<Long> sizes = new ArrayList<>();
        List<BlockData> blocks = new ArrayList<>();
        List<Map<?, ?>> state;
        try (Ledger l = open()) {
            String parent = "genesis";
            for (int i = 1; i <= BLOCKS; i++) {
                BlockData b =
                        c.block("b" + i)
                                .on(parent)
                                .tx(f.register(TestIdentities.get("store" + i)))
                                .build();
                assertThat(submit(l, b).status()).isEqualTo(BlockResult.Status.CONNECTED);
                sizes.add(Files.size(blocksFile()));
                blocks.add(b);
                parent = "b" + i;
            }
            state = l.service().chain().stateSnapshot();
        }
        return new Built(sizes, blocks, state);
    }

    Ledger open() throws LedgerStorageException {
        return Ledger.builder(PARAMS).clock(clock).dataDirectory(dir).open();
    }

    Path blocksFile() {
        return dir.resolve("blocks.dat");
    }

    @Test
    void restart_restoresTipAndIdentityIndex() throws Exception {
        Built built = build();
        try (Ledger l = open()) {
            assertThat(l.tip().hash()).isEqualTo(built.blocks.get(BLOCKS - 1).hash());
            assertThat(l.service().chain().stateSnapshot()).isEqualTo(built.state);
            assertThat(l.openReport().blocksLoaded()).isEqualTo(BLOCKS);
            assertThat(l.openReport().truncatedBytes()).isZero();
            assertThat(l.verifyFully().get()).isEqualTo(BLOCKS);
        }
    }

    @Test
    void secondOpen_ofSameDirectory_isDatadirLocked() throws Exception {
        try (Ledger l = open()) {
            assertThatThrownBy(this::open)
                    .isInstanceOfSatisfying(
                            LedgerStorageException.class,
                            e -> assertThat(e.error()).isEqualTo(StorageError.DATADIR_LOCKED))
                    .hasMessageStartingWith("DATADIR_LOCKED");
        }
        try (Ledger again = open()) {
            assertThat(again.tip().height()).isZero();
        }
    }

    @Test
    void tornTail_atEveryOffsetOfLastBlock_isCutAndReported_noEarlierBlockLost() throws Exception {
        Built built = build();
        byte[] original = Files.readAllBytes(blocksFile());
        long lastBlockStart = built.sizes.get(BLOCKS - 2);
        BlockHash previous = built.blocks.get(BLOCKS - 2).hash();
        BlockHash last = built.blocks.get(BLOCKS - 1).hash();
        int cuts = 0;
        for (long cut = lastBlockStart;
                cut < original.length;
                cut += (cut - lastBlockStart < 20 || original.length - cut < 60) ? 1 : 7) {
            Files.write(blocksFile(), java.util.Arrays.copyOf(original, (int) cut));
            try (Ledger l = open()) {
                BlockHash tip = l.tip().hash();
                assertThat(tip).isIn(previous, last);
                if (cut != lastBlockStart && l.openReport().truncatedBytes() == 0) {
                    // Only a cut exactly at a record boundary leaves nothing to truncate.
                    assertThat(tip).isEqualTo(last);
                }
                if (l.openReport().truncatedBytes() > 0) {
                    assertThat(l.openReport().events())
                            .anyMatch(e -> e.startsWith("TRUNCATED_TAIL"));
                }
                assertThat(l.verifyFully().get()).isEqualTo(l.tip().height());
            }
            try (Ledger again = open()) {
                assertThat(again.openReport().truncatedBytes()).isZero();
            }
            cuts++;
        }
        assertThat(cuts).isGreaterThan(100);
    }

    @Test
    void zeroFilledTail_isCut_andNothingIsLost() throws Exception {
        Built built = build();
        try (RandomAccessFile f = new RandomAccessFile(blocksFile().toFile(), "rw")) {
            f.seek(f.length());
            f.write(new byte[4096]);
        }
        try (Ledger l = open()) {
            assertThat(l.openReport().truncatedBytes()).isEqualTo(4096);
            assertThat(l.tip().hash()).isEqualTo(built.blocks.get(BLOCKS - 1).hash());
        }
        // A record cut short and then zero-filled by the file system.
        long size = Files.size(blocksFile());
        try (RandomAccessFile f = new RandomAccessFile(blocksFile().toFile(), "rw")) {
            f.seek(size - 30);
            f.write(new byte[30 + 4096]);
        }
        try (Ledger l = open()) {
            assertThat(l.openReport().truncatedBytes()).isGreaterThan(4096);
        }
    }

    @Test
    void bitflipInMiddleBlock_isCorruptLedger_namingTheBlock() throws Exception {
        Built built = build();
        long start = built.sizes.get(1);
        flip(start + 200);
        assertThatThrownBy(this::open)
                .isInstanceOfSatisfying(
                        LedgerStorageException.class,
                        e -> assertThat(e.error()).isEqualTo(StorageError.CORRUPT_LEDGER))
                .hasMessageContaining("CORRUPT_LEDGER: block 3 (offset")
                .hasMessageContaining("checksum mismatch");
    }

    @Test
    void overwrite200BytesAtOffset150_isCorruptLedger() throws Exception {
        build();
        try (RandomAccessFile f = new RandomAccessFile(blocksFile().toFile(), "rw")) {
            f.seek(150);
            f.write(new byte[200]);
        }
        assertThatThrownBy(this::open).hasMessageStartingWith("CORRUPT_LEDGER: block 1 (offset");
    }

    @Test
    void changedTransactionWithRecomputedChecksum_isCorruptLedger_merkleRootMismatch()
            throws Exception {
        Built built = build();
        long start = built.sizes.get(1);
        // Flip a byte inside the transaction of block 3 and fix the record's CRC32C.
        byte[] all = Files.readAllBytes(blocksFile());
        int len = ByteBuffer.wrap(all, (int) start + 5, 4).getInt();
        int payload = (int) start + RecordFormat.HEADER_LENGTH;
        all[payload + 156 + 4 + 4 + 40] ^= 1;
        int crc = RecordFormat.crc(RecordFormat.BLOCK, all, payload, len);
        ByteBuffer.wrap(all).putInt(payload + len, crc);
        Files.write(blocksFile(), all);
        // Without a state snapshot the block is replayed, and checked, at open (with one, when it
        // is first read: LedgerSnapshotTest).
        Files.delete(dir.resolve("state.snap"));
        assertThatThrownBy(this::open)
                .hasMessageContaining("CORRUPT_LEDGER: block 3")
                .hasMessageContaining("Merkle root mismatch");
    }

    @Test
    void corruptBlock_whileOpen_isNeverServed() throws Exception {
        Built built = build();
        try (Ledger l = open()) {
            flip(built.sizes.get(1) + 300);
            ExecutionException e =
                    org.junit.jupiter.api.Assertions.assertThrows(
                            ExecutionException.class,
                            () -> l.block(built.blocks.get(2).hash()).get());
            assertThat(e.getCause())
                    .isInstanceOf(LedgerStorageException.class)
                    .hasMessageStartingWith("CORRUPT_LEDGER");
        }
    }

    @Test
    void repairMode_cutsAtCorruptRecord_andKeepsTheValidPrefix() throws Exception {
        Built built = build();
        flip(built.sizes.get(2) + 200);
        try (Ledger l =
                Ledger.builder(PARAMS)
                        .clock(clock)
                        .dataDirectory(dir)
                        .repairCorruption(true)
                        .open()) {
            assertThat(l.tip().hash()).isEqualTo(built.blocks.get(2).hash());
            assertThat(l.openReport().repairedCorruptBytes()).isGreaterThan(0);
            assertThat(l.openReport().events()).anyMatch(e -> e.contains("block 4"));
        }
    }

    @Test
    void missingBlockFile_orParameters_isCorruptLedger_otherNetwork_isWrongNetwork()
            throws Exception {
        build();
        NetworkParameters other =
                NetworkParameters.builder().name("other").trivialDifficulty().build();
        assertThatThrownBy(() -> Ledger.builder(other).dataDirectory(dir).open())
                .isInstanceOfSatisfying(
                        LedgerStorageException.class,
                        e -> assertThat(e.error()).isEqualTo(StorageError.WRONG_NETWORK));
        Path params = dir.resolve("network.params");
        byte[] saved = Files.readAllBytes(params);
        Files.delete(params);
        assertThatThrownBy(this::open)
                .hasMessageContaining("CORRUPT_LEDGER")
                .hasMessageContaining("parameters file");
        Files.write(params, saved);
        Files.delete(blocksFile());
        assertThatThrownBy(this::open)
                .hasMessageContaining("CORRUPT_LEDGER")
                .hasMessageContaining("block file");
    }

    private void flip(long offset) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(blocksFile().toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x10);
        }
    }
}
