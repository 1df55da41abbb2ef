package io.p2pchat.util;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crash-safe whole-file writes: write a temporary file in the target's directory, fsync it,
 * atomically publish it under the target name, then fsync the directory.
 *
 * <p>After a crash or an exception at any step, the target holds either its old content (or is
 * absent) or the complete new content, never a mix; the temporary file is deleted on failure. On
 * POSIX file systems the file is created with mode {@code 0600} (owner read and write only) from
 * the start, so the content is never readable by others, whatever the umask.
 *
 * <p>Without replacement, the new file is published with a hard link, which fails atomically when
 * the target exists. Where the file system has no hard links it falls back to a check followed by
 * an atomic rename, which a concurrent writer could race.
 *
 * <h2>Failure</h2>
 *
 * An {@link IOException} from the last step (the directory fsync) means the new file is already in
 * place but might not survive a power loss. On file systems where a directory cannot be opened
 * (Windows), the directory fsync is skipped: NTFS journals its metadata.
 *
 * <p>Stateless and thread-safe; concurrent writers of the same target serialize in the file system,
 * and the last rename wins.
 */
public final class AtomicFiles {
    private static final Logger log = LoggerFactory.getLogger(AtomicFiles.class);

    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    /** Writes the content of a file to the stream it is given; must not close the stream. */
    @FunctionalInterface
    public interface ContentWriter {
        /** Writes the whole content to {@code out}. */
        void writeTo(OutputStream out) throws IOException;
    }

    /** The steps of a write, in order; named for fault-injection tests. */
    enum Step {
        CREATE_TEMP,
        WRITE,
        FSYNC_FILE,
        PUBLISH,
        FSYNC_DIRECTORY
    }

    /** Test seam: runs before each step and may throw to simulate a failure there. */
    @FunctionalInterface
    interface FaultInjector {
        FaultInjector NONE = step -> {};

        void beforeStep(Step step) throws IOException;
    }

    private AtomicFiles() {}

    /**
     * Atomically writes {@code content} to {@code target}.
     *
     * @param replaceExisting whether an existing file at {@code target} is replaced; when {@code
     *     false} and the target exists, nothing is written
     * @throws FileAlreadyExistsException if {@code replaceExisting} is {@code false} and the target
     *     exists
     * @throws java.nio.file.NoSuchFileException if the target's directory does not exist
     * @throws IOException on any other I/O failure; see the class documentation for what is left
     */
    public static void write(Path target, byte[] content, boolean replaceExisting)
            throws IOException {
        Objects.requireNonNull(content, "content");
        write(target, replaceExisting, out -> out.write(content));
    }

    /**
     * Atomically writes the content produced by {@code writer} to {@code target}.
     *
     * @see #write(Path, byte[], boolean)
     */
    public static void write(Path target, boolean replaceExisting, ContentWriter writer)
            throws IOException {
        write(target, replaceExisting, writer, FaultInjector.NONE);
    }

    /**
     * Atomically replaces {@code target} with {@code content}, but only if the target still holds
     * exactly {@code expected}: a read-modify-write of a small file (an identity file whose
     * passphrase changes) that does not overwrite what another process wrote in the meantime.
     *
     * <p>The check runs just before the rename, so it narrows the race with a concurrent writer to
     * that instant; it does not close it. Both writers must use this method.
     *
     * @return true if the target was replaced; false if its content was no longer {@code expected}
     *     (or it was gone), in which case nothing was written
     * @throws IOException as {@link #write(Path, byte[], boolean)}
     */
    public static boolean replaceIfUnchanged(Path target, byte[] expected, byte[] content)
            throws IOException {
        Objects.requireNonNull(expected, "expected");
        Objects.requireNonNull(content, "content");
        try {
            write(target, true, out -> out.write(content), FaultInjector.NONE, expected);
            return true;
        } catch (ChangedMeanwhileException e) {
            return false;
        }
    }

    static void write(
            Path target, boolean replaceExisting, ContentWriter writer, FaultInjector injected)
            throws IOException {
        write(target, replaceExisting, writer, injected, null);
    }

    private static void write(
            Path target,
            boolean replaceExisting,
            ContentWriter writer,
            FaultInjector injected,
            byte @Nullable [] expected)
            throws IOException {
        // Each step is logged at TRACE (crash tests stop the process at a step's log line).
        FaultInjector faults =
                step -> {
                    log.trace("atomic write step {}: {}", step, target);
                    injected.beforeStep(step);
                };
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(writer, "writer");
        Path file = target.toAbsolutePath();
        Path dir = file.getParent();
        if (dir == null || file.getFileName() == null) {
            throw new IllegalArgumentException("target: " + target + " (expected: a file path)");
        }
        boolean posix = isPosix(dir);
        if (!replaceExisting && Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            // Fail before creating anything; publishNew() re-checks atomically.
            throw new FileAlreadyExistsException(file.toString());
        }

        faults.beforeStep(Step.CREATE_TEMP);
        String prefix = "." + file.getFileName() + ".";
        Path temp =
                posix
                        ? Files.createTempFile(dir, prefix, ".tmp", OWNER_ONLY)
                        : Files.createTempFile(dir, prefix, ".tmp");
        boolean published = false;
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                faults.beforeStep(Step.WRITE);
                OutputStream out = Channels.newOutputStream(channel);
                writer.writeTo(out);
                out.flush();
                faults.beforeStep(Step.FSYNC_FILE);
                channel.force(true);
            }
            faults.beforeStep(Step.PUBLISH);
            if (expected != null && !holds(file, expected)) {
                throw new ChangedMeanwhileException();
            }
            if (replaceExisting) {
                // rename(2): atomic, replaces the target.
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            } else {
                publishNew(temp, file);
            }
            published = true;
            faults.beforeStep(Step.FSYNC_DIRECTORY);
            fsyncDirectory(dir, posix);
        } finally {
            if (!published) {
                deleteQuietly(temp);
            }
        }
    }

    /** Publishes {@code temp} as {@code file}, failing if {@code file} exists. */
    private static void publishNew(Path temp, Path file) throws IOException {
        try {
            // link(2) fails with EEXIST atomically, unlike rename(2), which replaces.
            Files.createLink(file, temp);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (UnsupportedOperationException | FileSystemException e) {
            // No hard links here (FAT, some network file systems): check, then rename.
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(file.toString());
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        deleteQuietly(temp);
    }

    /** Whether {@code file} exists and holds exactly {@code expected}. */
    private static boolean holds(Path file, byte[] expected) throws IOException {
        byte[] current;
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            current = in.readNBytes(expected.length + 1);
        } catch (NoSuchFileException e) {
            return false;
        }
        return Arrays.equals(current, expected);
    }

    /** The target changed between the read and the replacement. */
    private static final class ChangedMeanwhileException extends IOException {
        private static final long serialVersionUID = 1L;

        ChangedMeanwhileException() {
            super("the file changed meanwhile");
        }
    }

    private static void fsyncDirectory(Path dir, boolean posix) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            if (posix) {
                throw e;
            }
            // Windows cannot open a directory as a file; NTFS journals the rename itself.
        }
    }

    private static void deleteQuietly(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            // Owner-only file in the target's directory; reported, not fatal.
            log.warn("Could not delete temporary file {}: {}", temp, e.toString());
        }
    }

    /**
     * Forces {@code dir}'s entries (a rename or deletion in it) to disk, as the last step of a
     * write does; skipped where a directory cannot be opened (Windows).
     */
    public static void syncDirectory(Path dir) throws IOException {
        fsyncDirectory(dir, isPosix(dir));
    }

    /** Whether the file system of {@code dir} has POSIX permissions. */
    public static boolean isPosix(Path dir) throws IOException {
        return Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class);
    }
}
