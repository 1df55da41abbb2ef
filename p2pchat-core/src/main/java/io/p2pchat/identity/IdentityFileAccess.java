package io.p2pchat.identity;

import io.p2pchat.identity.IdentityStoreException.Reason;
import io.p2pchat.util.AtomicFiles;
import io.p2pchat.util.PrivateFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The disk side of {@link IdentityStore}: reads an identity file only if it is a regular file, not
 * open to group or others (POSIX) and within the size limit, and writes through {@link AtomicFiles}
 * (temporary file, fsync, atomic link or rename, directory fsync), so that after a failure or a
 * crash the file is either absent or complete.
 *
 * <p>Threading: stateless; its methods block on the disk.
 */
final class IdentityFileAccess {
    private IdentityFileAccess() {}

    /** Checks type, size and permissions, then reads at most the size limit. */
    static byte[] readBytes(Path file) throws IdentityStoreException {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                throw new IdentityStoreException(Reason.IO_ERROR, file + " is not a regular file");
            }
            PosixFileAttributeView posix =
                    Files.getFileAttributeView(file, PosixFileAttributeView.class);
            if (posix != null) {
                Set<PosixFilePermission> permissions = posix.readAttributes().permissions();
                if (permissions.stream().anyMatch(PrivateFiles.GROUP_OR_OTHERS::contains)) {
                    throw new IdentityStoreException(
                            Reason.INSECURE_PERMISSIONS,
                            "permissions "
                                    + PosixFilePermissions.toString(permissions)
                                    + " on "
                                    + file
                                    + " are too open: an identity file must be accessible by its"
                                    + " owner only (chmod 600 "
                                    + file
                                    + ")");
                }
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes(IdentityStore.MAX_FILE_SIZE_BYTES + 1);
            }
            if (bytes.length > IdentityStore.MAX_FILE_SIZE_BYTES) {
                throw IdentityFileErrors.corrupt(
                        file,
                        "larger than "
                                + IdentityStore.MAX_FILE_SIZE_BYTES
                                + " bytes; not an identity file",
                        null);
            }
            return bytes;
        } catch (NoSuchFileException e) {
            throw new IdentityStoreException(Reason.NOT_FOUND, "no identity file at " + file, e);
        } catch (IdentityStoreException e) {
            throw e;
        } catch (IOException e) {
            throw new IdentityStoreException(
                    Reason.IO_ERROR, "cannot read identity file " + file + ": " + e, e);
        }
    }

    /** Reads and parses a file, without decrypting it. */
    static IdentityFileFormat.StoredFile read(Path file) throws IdentityStoreException {
        return IdentityFileFormat.parse(readBytes(file), file);
    }

    /**
     * Writes {@code content} to a new file, atomically and durably, with mode {@code 0600}; never
     * replaces an existing file.
     */
    static void writeNew(Path file, byte[] content) throws IdentityStoreException {
        try {
            AtomicFiles.write(file, content, false);
        } catch (FileAlreadyExistsException e) {
            throw IdentityFileErrors.alreadyExists(file);
        } catch (NoSuchFileException e) {
            throw new IdentityStoreException(
                    Reason.IO_ERROR,
                    "cannot save identity to " + file + ": the directory does not exist",
                    e);
        } catch (IOException e) {
            throw new IdentityStoreException(
                    Reason.IO_ERROR, "cannot save identity to " + file + ": " + e, e);
        }
    }

    /**
     * Replaces {@code file} with {@code content} if it still holds {@code expected}, atomically;
     * false if it changed meanwhile. {@code what} names the activity in an error.
     */
    static boolean replaceIfUnchanged(Path file, byte[] expected, byte[] content, String what)
            throws IdentityStoreException {
        try {
            return AtomicFiles.replaceIfUnchanged(file, expected, content);
        } catch (IOException e) {
            throw new IdentityStoreException(
                    Reason.IO_ERROR, "cannot " + what + " " + file + ": " + e, e);
        }
    }
}
