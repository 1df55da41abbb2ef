package io.p2pchat.ledger.store;

import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.StorageError;
import io.p2pchat.util.PrivateFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.jspecify.annotations.Nullable;

/**
 * An exclusive OS lock on {@code datadir/ledger.lock}, held while a ledger is open: a second
 * process, or a second ledger in this process, is refused with {@code DATADIR_LOCKED}. The OS drops
 * the lock when the process dies, so a crash never leaves the directory locked. A read-only open
 * takes a shared lock instead ({@link #acquireShared}).
 */
final class DataDirLock {
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static DataDirLock acquire(Path dir) throws LedgerStorageException {
        Path file = dir.resolve("ledger.lock");
        FileChannel ch;
        try {
            ch = PrivateFiles.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new LedgerStorageException(
                    StorageError.IO_FAILURE, "cannot open " + file + ": " + e.getMessage(), e);
        }
        return lock(dir, file, ch, false);
    }

    /**
     * A shared lock on the existing lock file, for a read-only open: refused while a ledger holds
     * the exclusive lock, and holding off one that tries meanwhile; read-only opens in several
     * processes share it (within one process, as for the exclusive lock, a directory is open once).
     * Creates nothing: null when there is no lock file (no ledger ever opened there for writing).
     */
    static @Nullable DataDirLock acquireShared(Path dir) throws LedgerStorageException {
        Path file = dir.resolve("ledger.lock");
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new LedgerStorageException(
                    StorageError.IO_FAILURE, "cannot open " + file + ": " + e.getMessage(), e);
        }
        return lock(dir, file, ch, true);
    }

    /** Takes the lock on {@code ch}, or closes it and refuses with {@code DATADIR_LOCKED}. */
    private static DataDirLock lock(Path dir, Path file, FileChannel ch, boolean shared)
            throws LedgerStorageException {
        FileLock lock;
        try {
            lock = ch.tryLock(0, Long.MAX_VALUE, shared);
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            closeQuietly(ch);
            throw new LedgerStorageException(
                    StorageError.IO_FAILURE, "cannot lock " + file + ": " + e.getMessage(), e);
        }
        if (lock == null) {
            closeQuietly(ch);
            throw new LedgerStorageException(
                    StorageError.DATADIR_LOCKED, dir + " is in use by another process or ledger");
        }
        return new DataDirLock(ch, lock);
    }

    void release() {
        try {
            lock.release();
        } catch (IOException e) {
            // Closing the channel releases it too.
        }
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // nothing more to do
        }
    }
}
