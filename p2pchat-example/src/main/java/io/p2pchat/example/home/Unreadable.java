package io.p2pchat.example.home;

import io.p2pchat.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Sets aside a file of the home that cannot be decrypted, so that nothing a person had is lost and
 * the client can start without it: {@code NAME} is renamed to {@code NAME.unreadable} (or {@code
 * NAME.unreadable.2}, ...) and the directory forced to disk.
 */
public final class Unreadable {
    /** What a file that cannot be decrypted is renamed to: {@code NAME.unreadable}. */
    public static final String SUFFIX = ".unreadable";

    private static final int MAX_ASIDE = 100;

    private Unreadable() {}

    /**
     * Renames {@code file} beside itself with {@link #SUFFIX}; returns the new path.
     *
     * @throws IOException if it cannot be renamed, or {@value #MAX_ASIDE} such files exist already
     */
    public static Path setAside(Path file) throws IOException {
        for (int i = 1; i <= MAX_ASIDE; i++) {
            Path aside = file.resolveSibling(file.getFileName() + SUFFIX + (i == 1 ? "" : "." + i));
            if (!Files.exists(aside, LinkOption.NOFOLLOW_LINKS)) {
                Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
                AtomicFiles.syncDirectory(file.getParent());
                return aside;
            }
        }
        throw new IOException("too many " + SUFFIX + " files beside " + file);
    }
}
