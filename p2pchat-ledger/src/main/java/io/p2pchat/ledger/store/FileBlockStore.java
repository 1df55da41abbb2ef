package io.p2pchat.ledger.store;

import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.RejectReason;
import io.p2pchat.ledger.model.StorageError;
import io.p2pchat.util.PrivateFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The block log in a data directory: an append-only file of checksummed records ({@link
 * RecordFormat}), a parameters file, and a lock file.
 *
 * <pre>
 * datadir/
 *   ledger.lock     held (OS file lock) while open: a second process gets DATADIR_LOCKED
 *   network.params  the network parameters' encoding, written once, atomically
 *   blocks.dat      "P2PLEDG1" | version (4) | network id (32) | records...
 *   state.snap      "P2PSNAP1" | version (4) | network id (32) | length (8) | payload | CRC32C (4)
 *                   the identity state at a block, a cache for fast reopening; written atomically
 * </pre>
 *
 * <h2>Durability</h2>
 *
 * Records are written at the end of the file in chunks of at most 64 KiB; {@link #sync()} forces
 * them to the device. A crash may leave a torn last record (cut short, or zero-filled by the file
 * system): {@link #load} cuts it off and reports {@code TRUNCATED_TAIL}. A damaged record followed
 * by intact data is corruption ({@code CORRUPT_LEDGER}), never silently skipped; in repair mode the
 * log is cut at the damaged record instead, and the node re-syncs what followed from its peers.
 *
 * <h2>Read-only</h2>
 *
 * {@link #openReadOnly} opens an existing store for an audit without changing a byte of the data
 * directory: a shared lock on the existing lock file (a running node's exclusive lock refuses it,
 * and it refuses a node starting meanwhile; audits in other processes share it), no file created, a
 * torn tail reported and left in place (not read), appended blocks refused, tip and invalid-block
 * records dropped (they only spare the next open work it then does again), and no state snapshot
 * written.
 *
 * <p>Threading: not thread-safe; owned by the ledger thread (and, before it starts, the opening
 * thread), which alone reads, appends and syncs.
 *
 * <h2>Parts</h2>
 *
 * The record codec is {@link RecordFormat}, the snapshot file {@code SnapshotFile} and the lock
 * {@link DataDirLock}. What stays here (about 780 lines) is the block log itself: one file channel
 * and its end offset, shared by the open (header checks, creation), the recovery scan (torn tail,
 * repair, read-only reporting), appends and reads; cutting the scan from the appends would hand the
 * same channel, offset and failure state between two classes.
 */
public final class FileBlockStore implements BlockStore {
    private static final Logger log = LoggerFactory.getLogger(FileBlockStore.class);

    /** File magic. */
    static final byte[] FILE_MAGIC = "P2PLEDG1".getBytes(StandardCharsets.US_ASCII);

    /** File header length: magic, version, network id. */
    static final int FILE_HEADER_LENGTH = 8 + 4 + 32;

    private static final int FILE_VERSION = 1;

    private static final int WRITE_CHUNK = 64 * 1024;

    private final Path dir;
    private final Path blocksFile;
    private final NetworkParameters params;
    private final boolean repair;
    private final boolean readOnly;
    private final @Nullable DataDirLock lock;
    private final FileChannel channel;
    private final SnapshotFile snapshot;
    private long end;
    private boolean dirty;
    private boolean failed;
    private boolean closed;

    private FileBlockStore(
            Path dir,
            NetworkParameters params,
            boolean repair,
            boolean readOnly,
            @Nullable DataDirLock lock,
            FileChannel channel,
            long end) {
        this.dir = dir;
        this.blocksFile = dir.resolve("blocks.dat");
        this.params = params;
        this.repair = repair;
        this.readOnly = readOnly;
        this.lock = lock;
        this.channel = channel;
        this.snapshot = new SnapshotFile(dir, params.networkId());
        this.end = end;
    }

    /**
     * Opens (creating if needed) the store in {@code dir}.
     *
     * @param repair cut the log at a corrupt record instead of failing
     * @throws LedgerStorageException {@code DATADIR_LOCKED}, {@code WRONG_NETWORK}, {@code
     *     CORRUPT_LEDGER} (missing or damaged files), {@code IO_FAILURE}
     */
    public static FileBlockStore open(Path dir, NetworkParameters params, boolean repair)
            throws LedgerStorageException {
        try {
            PrivateFiles.createDirectories(dir);
        } catch (IOException e) {
            throw new LedgerStorageException(StorageError.IO_FAILURE, "cannot create " + dir, e);
        }
        DataDirLock lock = DataDirLock.acquire(dir);
        log.debug("startup: data directory {} locked", dir);
        try {
            Path paramsFile = dir.resolve("network.params");
            Path blocks = dir.resolve("blocks.dat");
            boolean haveParams = Files.exists(paramsFile);
            boolean haveBlocks = Files.exists(blocks);
            if (haveParams) {
                checkParameters(dir, params, haveBlocks);
            } else if (haveBlocks && Files.size(blocks) > FILE_HEADER_LENGTH) {
                // A block file holding records but no parameters: not an interrupted creation.
                throw new LedgerStorageException(
                        StorageError.CORRUPT_LEDGER,
                        "parameters file " + paramsFile + " is missing");
            }
            // A new directory gets its block file first and its parameters last, so that a crash
            // in between leaves an empty block file without parameters: an interrupted creation,
            // finished at the next start (ATTACKS S-04). The parameters file first, as before, made
            // that crash a CORRUPT_LEDGER "block file missing" at every later start.
            FileChannel ch =
                    PrivateFiles.open(
                            blocks,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.READ,
                            StandardOpenOption.WRITE);
            long size = ch.size();
            if (size < FILE_HEADER_LENGTH) {
                // A new file, or one whose header write was cut short: (re)write the header.
                ch.truncate(0);
                ByteBuffer h = ByteBuffer.allocate(FILE_HEADER_LENGTH);
                h.put(FILE_MAGIC).putInt(FILE_VERSION).put(params.networkId()).flip();
                while (h.hasRemaining()) {
                    ch.write(h, h.position());
                }
                ch.force(true);
                fsyncDirectory(dir);
                size = FILE_HEADER_LENGTH;
                log.info("startup: block file {} created", blocks);
            } else {
                checkFileHeader(ch, blocks, params);
            }
            if (!haveParams) {
                writeAtomically(dir, paramsFile, ByteBuffer.wrap(params.encode()));
                log.info("startup: network parameters written to {}", paramsFile);
            }
            return new FileBlockStore(dir, params, repair, false, lock, ch, size);
        } catch (LedgerStorageException e) {
            lock.release();
            throw e;
        } catch (IOException e) {
            lock.release();
            throw new LedgerStorageException(
                    StorageError.IO_FAILURE, "cannot open " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens the existing store in {@code dir} read-only: nothing in {@code dir} is created, changed
     * or repaired (see "Read-only" above).
     *
     * @throws LedgerStorageException {@code DATADIR_LOCKED} (a node holds it), {@code
     *     WRONG_NETWORK}, {@code CORRUPT_LEDGER} (no ledger, missing or damaged files), {@code
     *     IO_FAILURE}
     */
    public static FileBlockStore openReadOnly(Path dir, NetworkParameters params)
            throws LedgerStorageException {
        Path blocks = dir.resolve("blocks.dat");
        if (!Files.exists(dir.resolve("network.params"))) {
            throw new LedgerStorageException(StorageError.CORRUPT_LEDGER, "no ledger in " + dir);
        }
        DataDirLock lock = DataDirLock.acquireShared(dir);
        FileChannel ch = null;
        try {
            checkParameters(dir, params, Files.exists(blocks));
            ch = FileChannel.open(blocks, StandardOpenOption.READ);
            long size = ch.size();
            if (size < FILE_HEADER_LENGTH) {
                // An interrupted creation (ATTACKS S-04): no block yet; a node start finishes it.
                log.info("{}: no complete file header; read as an empty ledger", blocks);
            } else {
                checkFileHeader(ch, blocks, params);
            }
            log.debug("startup: {} opened read-only", dir);
            return new FileBlockStore(dir, params, false, true, lock, ch, size);
        } catch (LedgerStorageException | RuntimeException e) {
            closeQuietly(ch);
            releaseQuietly(lock);
            throw e;
        } catch (IOException e) {
            closeQuietly(ch);
            releaseQuietly(lock);
            throw new LedgerStorageException(
                    StorageError.IO_FAILURE, "cannot open " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void releaseQuietly(@Nullable DataDirLock lock) {
        if (lock != null) {
            lock.release();
        }
    }

    /** Checks the stored parameters are {@code params}, and that the block file exists. */
    private static void checkParameters(Path dir, NetworkParameters params, boolean haveBlocks)
            throws LedgerStorageException, IOException {
        byte[] stored = Files.readAllBytes(dir.resolve("network.params"));
        if (!Arrays.equals(stored, params.encode())) {
            throw new LedgerStorageException(
                    StorageError.WRONG_NETWORK, dir + " holds a ledger of another network");
        }
        if (!haveBlocks) {
            throw new LedgerStorageException(
                    StorageError.CORRUPT_LEDGER,
                    "block file " + dir.resolve("blocks.dat") + " is missing");
        }
    }

    /** Checks the block file's header (magic, version, network id); closes {@code ch} if bad. */
    private static void checkFileHeader(FileChannel ch, Path blocks, NetworkParameters params)
            throws LedgerStorageException, IOException {
        ByteBuffer h = ByteBuffer.allocate(FILE_HEADER_LENGTH);
        readFully(ch, h, 0);
        byte[] hb = h.array();
        if (!Arrays.equals(hb, 0, 8, FILE_MAGIC, 0, 8)
                || ByteBuffer.wrap(hb).getInt(8) != FILE_VERSION) {
            ch.close();
            throw new LedgerStorageException(
                    StorageError.CORRUPT_LEDGER, blocks + ": bad file header");
        }
        if (!Arrays.equals(hb, 12, 44, params.networkId(), 0, 32)) {
            ch.close();
            throw new LedgerStorageException(
                    StorageError.WRONG_NETWORK, blocks + " is of another network");
        }
    }

    private static void closeQuietly(@Nullable FileChannel ch) {
        if (ch == null) {
            return;
        }
        try {
            ch.close();
        } catch (IOException e) {
            // nothing more to do
        }
    }

    /**
     * Writes a file atomically: {@code parts} to a temporary file beside {@code target}, fsync,
     * rename, fsync directory.
     */
    static void writeAtomically(Path dir, Path target, ByteBuffer... parts) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel ch =
                PrivateFiles.open(
                        tmp,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE)) {
            long total = 0;
            for (ByteBuffer p : parts) {
                total += p.remaining();
            }
            for (long written = 0; written < total; ) {
                written += ch.write(parts);
            }
            ch.force(true);
        }
        replace(tmp, target, dir);
    }

    /** Renames a written and forced temporary file over {@code target}, then forces {@code dir}. */
    private static void replace(Path tmp, Path target, Path dir) throws IOException {
        try {
            Files.move(
                    tmp,
                    target,
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        fsyncDirectory(dir);
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Some platforms cannot open directories; the rename is still atomic there.
            log.trace("directory fsync unsupported for {}", dir);
        }
    }

    static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, p);
            if (n < 0) {
                throw new IOException("unexpected end of file at " + p);
            }
            p += n;
        }
    }

    @Override
    public LoadResult load(Visitor visitor) throws LedgerStorageException {
        List<String> events = new ArrayList<>();
        long blocks = 0;
        long truncated = 0;
        long repaired = 0;
        try {
            long fileSize = channel.size();
            log.debug("startup: loading block log {} ({} bytes)", blocksFile, fileSize);
            long pos = FILE_HEADER_LENGTH;
            // Read in large sequential slabs; a record larger than the slab gets its own buffer.
            Reader reader = new Reader(channel, fileSize);
            while (pos < fileSize) {
                String torn = null;
                String corrupt = null;
                long recordEnd = -1;
                long remaining = fileSize - pos;
                if (remaining < RecordFormat.HEADER_LENGTH + RecordFormat.TRAILER_LENGTH) {
                    torn = "incomplete record header";
                } else {
                    ByteBuffer head = reader.slice(pos, RecordFormat.HEADER_LENGTH);
                    int magic = head.getInt();
                    byte type = head.get();
                    int length = head.getInt();
                    if (magic != RecordFormat.MAGIC) {
                        if (allZero(reader, pos, fileSize)) {
                            torn = "zero-filled tail";
                        } else {
                            corrupt = "bad record magic";
                        }
                    } else if (length < 0 || length > RecordFormat.MAX_PAYLOAD) {
                        corrupt = "record length " + length + " out of range";
                    } else if (pos
                                    + RecordFormat.HEADER_LENGTH
                                    + length
                                    + RecordFormat.TRAILER_LENGTH
                            > fileSize) {
                        torn = "record cut short";
                    } else {
                        recordEnd =
                                pos
                                        + RecordFormat.HEADER_LENGTH
                                        + length
                                        + RecordFormat.TRAILER_LENGTH;
                        // Payload and checksum in place in the read window: no copy.
                        Reader.View view =
                                reader.view(
                                        pos + RecordFormat.HEADER_LENGTH,
                                        length + RecordFormat.TRAILER_LENGTH);
                        byte[] payload = view.array();
                        int off = view.offset();
                        int crc = ByteBuffer.wrap(payload).getInt(off + length);
                        if (crc != RecordFormat.crc(type, payload, off, length)) {
                            if (recordEnd == fileSize || allZero(reader, recordEnd, fileSize)) {
                                torn = "checksum mismatch in the last record";
                            } else {
                                corrupt = "checksum mismatch";
                            }
                        } else {
                            try {
                                switch (type) {
                                    case RecordFormat.BLOCK:
                                        try {
                                            if (visitor.headersSuffice()) {
                                                visitor.storedBlock(
                                                        pos,
                                                        RecordFormat.storedBlock(
                                                                payload, off, length));
                                            } else {
                                                visitor.block(
                                                        pos,
                                                        RecordFormat.decodeBlock(
                                                                payload, off, length));
                                            }
                                        } catch (IllegalArgumentException e) {
                                            throw new CorruptRecordException(e.getMessage());
                                        }
                                        blocks++;
                                        break;
                                    case RecordFormat.TIP:
                                        if (length != 32) {
                                            throw new CorruptRecordException(
                                                    "tip record of " + length + " bytes");
                                        }
                                        visitor.tip(
                                                BlockHash.of(
                                                        Arrays.copyOfRange(
                                                                payload, off, off + 32)));
                                        break;
                                    case RecordFormat.INVALID:
                                        if (length != 36) {
                                            throw new CorruptRecordException(
                                                    "invalid-block record of " + length + " bytes");
                                        }
                                        visitor.invalid(
                                                BlockHash.of(
                                                        Arrays.copyOfRange(payload, off, off + 32)),
                                                ByteBuffer.wrap(payload).getInt(off + 32));
                                        break;
                                    default:
                                        throw new CorruptRecordException(
                                                "unknown record type " + type);
                                }
                            } catch (CorruptRecordException e) {
                                corrupt = e.getMessage();
                            }
                        }
                    }
                }
                if (torn != null) {
                    truncated = fileSize - pos;
                    String msg =
                            "TRUNCATED_TAIL: "
                                    + blocksFile
                                    + (readOnly ? ": not read: " : ": cut ")
                                    + truncated
                                    + " bytes at offset "
                                    + pos
                                    + " ("
                                    + torn
                                    + ")"
                                    + (readOnly
                                            ? "; opened read-only, so left in place: the next"
                                                    + " node start cuts them"
                                            : "");
                    log.warn(msg);
                    events.add(msg);
                    if (!readOnly) {
                        truncate(pos);
                    }
                    end = pos;
                    break;
                }
                if (corrupt != null) {
                    String where = BlockStore.recordName(blocks + 1, pos) + ": " + corrupt;
                    if (!repair) {
                        throw new LedgerStorageException(StorageError.CORRUPT_LEDGER, where);
                    }
                    repaired = fileSize - pos;
                    String msg =
                            "CORRUPT_LEDGER repaired: " + where + "; cut " + repaired + " bytes";
                    log.warn(msg);
                    events.add(msg);
                    truncate(pos);
                    break;
                }
                pos = recordEnd;
            }
            return new LoadResult(blocks, truncated, repaired, events);
        } catch (LedgerStorageException e) {
            throw e;
        } catch (IOException e) {
            throw new LedgerStorageException(
                    StorageError.IO_FAILURE, blocksFile + ": " + e.getMessage(), e);
        }
    }

    private void truncate(long pos) throws IOException {
        channel.truncate(pos);
        channel.force(true);
        end = pos;
    }

    private static boolean allZero(Reader reader, long from, long to) throws IOException {
        long p = from;
        while (p < to) {
            int n = (int) Math.min(1 << 20, to - p);
            byte[] b = reader.bytes(p, n);
            for (byte x : b) {
                if (x != 0) {
                    return false;
                }
            }
            p += n;
        }
        return true;
    }

    /** Sequential reads through a 4 MiB window. */
    private static final class Reader {
        private static final int WINDOW = 4 << 20;
        private final FileChannel ch;
        private final long size;
        private final ByteBuffer window = ByteBuffer.allocate(WINDOW);
        private long windowStart = -1;
        private int windowLength;

        Reader(FileChannel ch, long size) {
            this.ch = ch;
            this.size = size;
        }

        ByteBuffer slice(long pos, int length) throws IOException {
            return ByteBuffer.wrap(bytes(pos, length));
        }

        /** Bytes in place in an array: valid until the next call. */
        record View(byte[] array, int offset) {}

        /**
         * {@code length} bytes at {@code pos}, in place in the window when they fit in half of it
         * (valid until the next call), otherwise in a new array.
         */
        View view(long pos, int length) throws IOException {
            if (length > WINDOW / 2) {
                byte[] out = new byte[length];
                readFully(ch, ByteBuffer.wrap(out), pos);
                return new View(out, 0);
            }
            fill(pos, length);
            return new View(window.array(), (int) (pos - windowStart));
        }

        private void fill(long pos, int length) throws IOException {
            if (windowStart < 0 || pos < windowStart || pos + length > windowStart + windowLength) {
                window.clear();
                int n = (int) Math.min(WINDOW, size - pos);
                window.limit(n);
                readFully(ch, window, pos);
                windowStart = pos;
                windowLength = n;
            }
        }

        byte[] bytes(long pos, int length) throws IOException {
            byte[] out = new byte[length];
            if (length > WINDOW / 2) {
                readFully(ch, ByteBuffer.wrap(out), pos);
                return out;
            }
            fill(pos, length);
            System.arraycopy(window.array(), (int) (pos - windowStart), out, 0, length);
            return out;
        }
    }

    @Override
    public long appendBlock(BlockData block) throws LedgerStorageException {
        if (readOnly) {
            throw new LedgerStorageException(
                    StorageError.IO_FAILURE,
                    blocksFile + " is opened read-only: no block can be stored");
        }
        return append(RecordFormat.record(RecordFormat.BLOCK, RecordFormat.blockPayload(block)));
    }

    @Override
    public void appendTip(BlockHash tip) throws LedgerStorageException {
        if (readOnly) {
            return; // only spares the next open some work (see "Read-only")
        }
        append(RecordFormat.record(RecordFormat.TIP, tip.toBytes()));
    }

    @Override
    public void appendInvalid(BlockHash hash, RejectReason reason) throws LedgerStorageException {
        if (readOnly) {
            return; // only spares the next open some work (see "Read-only")
        }
        ByteBuffer b = ByteBuffer.allocate(36);
        b.put(hash.toBytes()).putInt(reason.code());
        append(RecordFormat.record(RecordFormat.INVALID, b.array()));
    }

    private long append(byte[] record) throws LedgerStorageException {
        checkUsable();
        long start = end;
        try {
            int off = 0;
            while (off < record.length) {
                int n = Math.min(WRITE_CHUNK, record.length - off);
                ByteBuffer b = ByteBuffer.wrap(record, off, n);
                long p = start + off;
                while (b.hasRemaining()) {
                    p += channel.write(b, p);
                }
                off += n;
            }
            end = start + record.length;
            dirty = true;
            return start;
        } catch (IOException e) {
            fail(e);
            try {
                channel.truncate(start);
            } catch (IOException ignored) {
                // The torn record is cut off at the next open.
            }
            throw new LedgerStorageException(
                    StorageError.IO_FAILURE, blocksFile + ": write failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void sync() throws LedgerStorageException {
        if (!dirty) {
            return;
        }
        checkUsable();
        try {
            channel.force(false);
            dirty = false;
        } catch (IOException e) {
            fail(e);
            throw new LedgerStorageException(
                    StorageError.IO_FAILURE, blocksFile + ": fsync failed: " + e.getMessage(), e);
        }
    }

    private void fail(IOException e) {
        if (!failed) {
            failed = true;
            log.error(
                    "{}: I/O failure, the ledger stops accepting blocks: {}",
                    blocksFile,
                    e.toString());
        }
    }

    private void checkUsable() throws LedgerStorageException {
        if (closed) {
            throw new LedgerStorageException(StorageError.IO_FAILURE, blocksFile + " is closed");
        }
        if (failed) {
            throw new LedgerStorageException(
                    StorageError.IO_FAILURE, blocksFile + " failed earlier; reopen the ledger");
        }
    }

    @Override
    public BlockData read(long position, BlockHash expected) throws LedgerStorageException {
        try {
            ByteBuffer head = ByteBuffer.allocate(RecordFormat.HEADER_LENGTH);
            readFully(channel, head, position);
            head.flip();
            int magic = head.getInt();
            byte type = head.get();
            int length = head.getInt();
            if (magic != RecordFormat.MAGIC
                    || type != RecordFormat.BLOCK
                    || length < 0
                    || length > RecordFormat.MAX_PAYLOAD) {
                throw corrupt(position, expected, "bad record header");
            }
            ByteBuffer body = ByteBuffer.allocate(length + RecordFormat.TRAILER_LENGTH);
            readFully(channel, body, position + RecordFormat.HEADER_LENGTH);
            byte[] b = body.array();
            int crc = ByteBuffer.wrap(b).getInt(length);
            if (crc != RecordFormat.crc(type, b, 0, length)) {
                throw corrupt(position, expected, "checksum mismatch");
            }
            BlockData block = RecordFormat.decodeBlock(b, 0, length);
            if (!block.hash().equals(expected)) {
                throw corrupt(position, expected, "hash mismatch");
            }
            return block;
        } catch (IllegalArgumentException e) {
            throw corrupt(position, expected, e.getMessage());
        } catch (LedgerStorageException e) {
            throw e;
        } catch (IOException e) {
            throw new LedgerStorageException(
                    StorageError.IO_FAILURE, blocksFile + ": read failed: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean keepsSnapshots() {
        return !readOnly;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public boolean hasSnapshot() {
        return snapshot.exists();
    }

    @Override
    public byte @Nullable [] readSnapshotHead(int length) {
        return snapshot.readHead(length);
    }

    @Override
    public byte @Nullable [] readSnapshot(List<String> problems) {
        return snapshot.read(problems);
    }

    @Override
    public void writeSnapshot(byte[] payload) throws LedgerStorageException {
        checkUsable();
        if (readOnly) {
            throw new LedgerStorageException(
                    StorageError.IO_FAILURE, dir + " is opened read-only: no snapshot is written");
        }
        snapshot.write(payload);
    }

    private LedgerStorageException corrupt(long position, BlockHash expected, String why) {
        return new LedgerStorageException(
                StorageError.CORRUPT_LEDGER,
                "block " + expected.shortHex() + " (offset " + position + "): " + why);
    }

    @Override
    public long size() {
        return end;
    }

    /** The data directory. */
    public Path directory() {
        return dir;
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (!failed && dirty) {
                channel.force(false);
            }
            dirty = false;
            channel.close();
        } finally {
            releaseQuietly(lock);
        }
    }

    /** Whether a data directory holds a ledger. */
    public static boolean exists(Path dir) {
        return Files.exists(dir.resolve("network.params"));
    }

    /** Reads the network parameters stored in a data directory. */
    public static NetworkParameters readParameters(Path dir) throws LedgerStorageException {
        try {
            return NetworkParameters.decode(Files.readAllBytes(dir.resolve("network.params")));
        } catch (NoSuchFileException e) {
            throw new LedgerStorageException(StorageError.CORRUPT_LEDGER, "no ledger in " + dir);
        } catch (IOException e) {
            throw new LedgerStorageException(
                    StorageError.IO_FAILURE, "cannot read " + dir + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new LedgerStorageException(
                    StorageError.CORRUPT_LEDGER, dir + "/network.params: " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "FileBlockStore[" + dir + ", " + params.name() + ", " + end + " bytes]";
    }
}
