package io.p2pchat.ledger.store;

import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.StorageError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

/**
 * The state snapshot file of a {@link FileBlockStore} ({@code docs/ledger.md} §9.4): {@code
 * "P2PSNAP1" | version (4) | network id (32) | length (8) | payload | CRC32C (4)}, written
 * atomically (temporary file, fsync, rename, directory fsync). A snapshot is only a cache: one that
 * is missing, damaged or of another network is reported and ignored, never fatal.
 *
 * <p>Threading: not thread-safe; owned by the ledger thread with its store, except that the opening
 * ledger reads it once on its snapshot thread while the log is scanned (the file is not written
 * meanwhile).
 */
final class SnapshotFile {
    /** The state snapshot's file name. */
    static final String SNAPSHOT_FILE = "state.snap";

    /** Snapshot magic. */
    static final byte[] SNAPSHOT_MAGIC = "P2PSNAP1".getBytes(StandardCharsets.US_ASCII);

    /** Snapshot header: magic, version, network id, payload length. */
    static final int SNAPSHOT_HEADER_LENGTH = 8 + 4 + 32 + 8;

    private static final int SNAPSHOT_VERSION = 1;

    private final Path dir;
    private final byte[] networkId;

    SnapshotFile(Path dir, byte[] networkId) {
        this.dir = dir;
        this.networkId = networkId.clone();
    }

    boolean exists() {
        return Files.exists(dir.resolve(SNAPSHOT_FILE));
    }

    byte @Nullable [] readHead(int length) {
        Path file = dir.resolve(SNAPSHOT_FILE);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < SNAPSHOT_HEADER_LENGTH + length + 4) {
                return null;
            }
            ByteBuffer b = ByteBuffer.allocate(SNAPSHOT_HEADER_LENGTH + length);
            FileBlockStore.readFully(ch, b, 0);
            byte[] h = b.array();
            if (!Arrays.equals(h, 0, 8, SNAPSHOT_MAGIC, 0, 8)
                    || b.getInt(8) != SNAPSHOT_VERSION
                    || !Arrays.equals(h, 12, 44, networkId, 0, 32)
                    || SNAPSHOT_HEADER_LENGTH + b.getLong(44) + 4 != size) {
                return null;
            }
            return Arrays.copyOfRange(h, SNAPSHOT_HEADER_LENGTH, SNAPSHOT_HEADER_LENGTH + length);
        } catch (IOException e) {
            return null;
        }
    }

    byte @Nullable [] read(List<String> problems) {
        Path file = dir.resolve(SNAPSHOT_FILE);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < SNAPSHOT_HEADER_LENGTH + 4) {
                problems.add(file + ": " + size + " bytes, shorter than a snapshot header");
                return null;
            }
            ByteBuffer head = ByteBuffer.allocate(SNAPSHOT_HEADER_LENGTH);
            FileBlockStore.readFully(ch, head, 0);
            byte[] h = head.array();
            if (!Arrays.equals(h, 0, 8, SNAPSHOT_MAGIC, 0, 8)
                    || head.getInt(8) != SNAPSHOT_VERSION) {
                problems.add(file + ": not a snapshot of this version");
                return null;
            }
            if (!Arrays.equals(h, 12, 44, networkId, 0, 32)) {
                problems.add(file + ": a snapshot of another network");
                return null;
            }
            long length = head.getLong(44);
            if (length < 0
                    || length > Integer.MAX_VALUE - 64
                    || SNAPSHOT_HEADER_LENGTH + length + 4 != size) {
                problems.add(file + ": payload length " + length + " does not match the file");
                return null;
            }
            byte[] payload = new byte[(int) length];
            FileBlockStore.readFully(ch, ByteBuffer.wrap(payload), SNAPSHOT_HEADER_LENGTH);
            ByteBuffer trailer = ByteBuffer.allocate(4);
            FileBlockStore.readFully(ch, trailer, SNAPSHOT_HEADER_LENGTH + length);
            CRC32C crc = new CRC32C();
            crc.update(h, 0, SNAPSHOT_HEADER_LENGTH);
            crc.update(payload, 0, payload.length);
            if ((int) crc.getValue() != trailer.getInt(0)) {
                problems.add(file + ": checksum mismatch");
                return null;
            }
            return payload;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            problems.add(file + ": " + e);
            return null;
        }
    }

    void write(byte[] payload) throws LedgerStorageException {
        ByteBuffer head = ByteBuffer.allocate(SNAPSHOT_HEADER_LENGTH);
        head.put(SNAPSHOT_MAGIC).putInt(SNAPSHOT_VERSION).put(networkId);
        head.putLong(payload.length).flip();
        CRC32C crc = new CRC32C();
        crc.update(head.array(), 0, SNAPSHOT_HEADER_LENGTH);
        crc.update(payload, 0, payload.length);
        ByteBuffer trailer = ByteBuffer.allocate(4).putInt((int) crc.getValue()).flip();
        Path target = dir.resolve(SNAPSHOT_FILE);
        Path tmp = dir.resolve(SNAPSHOT_FILE + ".tmp");
        try {
            FileBlockStore.writeAtomically(dir, target, head, ByteBuffer.wrap(payload), trailer);
        } catch (IOException e) {
            // A snapshot is only a cache: failing to write one is logged, never fatal.
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // nothing more to do
            }
            throw new LedgerStorageException(
                    StorageError.IO_FAILURE,
                    target + ": snapshot write failed: " + e.getMessage(),
                    e);
        }
    }
}
