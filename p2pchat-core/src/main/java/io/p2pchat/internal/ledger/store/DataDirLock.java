package io.p2pchat.internal.ledger.store;

import io.p2pchat.internal.fs.PrivateFiles;
import io.p2pchat.ledger.LedgerStorageException;
import io.p2pchat.ledger.StorageError;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive OS lock on {@code datadir/ledger.lock}, held while a ledger is open: a second
 * process, or a second ledger in this process, is refused with {@code DATADIR_LOCKED}. The OS drops
 * the lock when the process dies, so a crash never leaves the directory locked.
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
        FileLock lock;
        try {
            lock = ch.tryLock();
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
