package io.p2pchat.util;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;

/**
 * Creates directories and files that only their owner can access (directories {@code 0700}, files
 * {@code 0600}), with the mode given at creation, never changed afterwards, so that there is no
 * moment at which another local user can open them, whatever the umask. On file systems without
 * POSIX permissions (Windows) the defaults apply.
 *
 * <p>Only what these methods create gets the mode: an existing directory or file keeps its own.
 *
 * <p>Stateless and thread-safe.
 */
public final class PrivateFiles {
    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final FileAttribute<Set<PosixFilePermission>> FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<?>[] NONE = new FileAttribute<?>[0];

    /** Every permission of the group and of others: what a private file grants none of. */
    public static final Set<PosixFilePermission> GROUP_OR_OTHERS =
            Collections.unmodifiableSet(
                    EnumSet.of(
                            PosixFilePermission.GROUP_READ,
                            PosixFilePermission.GROUP_WRITE,
                            PosixFilePermission.GROUP_EXECUTE,
                            PosixFilePermission.OTHERS_READ,
                            PosixFilePermission.OTHERS_WRITE,
                            PosixFilePermission.OTHERS_EXECUTE));

    private PrivateFiles() {}

    /**
     * Creates {@code dir} and any missing parent with mode {@code 0700}; does nothing if it exists.
     */
    public static void createDirectories(Path dir) throws IOException {
        Path absolute = dir.toAbsolutePath();
        Path existing = absolute;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing != null && AtomicFiles.isPosix(existing)) {
            Files.createDirectories(absolute, DIRECTORY);
        } else {
            Files.createDirectories(absolute);
        }
    }

    /**
     * Opens {@code file} as {@link FileChannel#open(Path, OpenOption...)} does; if the options
     * create it, it is created with mode {@code 0600}.
     */
    public static FileChannel open(Path file, OpenOption... options) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        return FileChannel.open(file, new HashSet<>(Arrays.asList(options)), fileAttributes(dir));
    }

    /**
     * The attributes that create a file with mode {@code 0600} in {@code dir} (an existing
     * directory), for {@link FileChannel#open(Path, Set, FileAttribute[])}; none where the file
     * system has no POSIX permissions.
     */
    public static FileAttribute<?>[] fileAttributes(Path dir) throws IOException {
        return AtomicFiles.isPosix(dir) ? new FileAttribute<?>[] {FILE} : NONE;
    }
}
