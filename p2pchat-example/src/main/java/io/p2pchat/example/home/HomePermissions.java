package io.p2pchat.example.home;

import io.p2pchat.example.text.Explain;
import io.p2pchat.example.text.UserError;
import io.p2pchat.util.AtomicFiles;
import io.p2pchat.util.PrivateFiles;
import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Keeps a home private, as ssh keeps {@code ~/.ssh}: the home and every directory in it {@code
 * 0700}, every file {@code 0600}. p2pchat creates them so; a home written by an earlier version
 * (directories {@code 0755}, history and settings {@code 0644}) let every local user see whom its
 * owner talks to, how often and how much.
 *
 * <p>{@link #tighten} removes every group and others permission from the home directory and from
 * what p2pchat keeps in it (the identity, the settings, the ledger, the history, the contacts, the
 * credential key and the resumption tickets; anything else in the home is left alone, and symbolic
 * links are neither followed nor changed), and says what it changed; where it cannot (the files
 * belong to someone else), it refuses with the {@code chmod} that fixes it. Nothing happens on file
 * systems without POSIX permissions.
 */
public final class HomePermissions {
    private static final int MAX_DEPTH = 8;
    private static final int MAX_ENTRIES = 100_000;

    /** Changes the permissions of one file; a seam for tests. */
    @FunctionalInterface
    public interface Chmod {
        void set(Path path, Set<PosixFilePermission> permissions) throws IOException;
    }

    private HomePermissions() {}

    /**
     * Makes {@code home} private if it is not.
     *
     * @return the line to show when something was changed, naming what was exposed
     * @throws UserError if a permission cannot be removed, with the command that does it
     */
    public static Optional<String> tighten(Path home) {
        return tighten(home, Files::setPosixFilePermissions);
    }

    public static Optional<String> tighten(Path home, Chmod chmod) {
        List<Path> open = new ArrayList<>();
        List<Set<PosixFilePermission>> modes = new ArrayList<>();
        try {
            if (!Files.isDirectory(home) || !AtomicFiles.isPosix(home)) {
                return Optional.empty();
            }
            Path root = home.toRealPath();
            Home layout = new Home(root);
            // The home itself, and what p2pchat keeps in it; anything else there is left alone.
            for (Path start :
                    List.of(
                            root,
                            layout.identity(),
                            layout.properties(),
                            layout.ledger(),
                            layout.history(),
                            layout.contacts(),
                            layout.credentialKey(),
                            layout.tickets())) {
                if (Files.exists(start, LinkOption.NOFOLLOW_LINKS)) {
                    walk(start, start.equals(root) ? 0 : MAX_DEPTH, open, modes);
                }
            }
            for (int i = 0; i < open.size(); i++) {
                Set<PosixFilePermission> mode = EnumSet.copyOf(modes.get(i));
                mode.removeAll(PrivateFiles.GROUP_OR_OTHERS);
                chmod.set(open.get(i), mode);
            }
        } catch (IOException e) {
            throw new UserError(
                    Explain.fileProblem(
                                    home
                                            + " is accessible to other users of this machine and"
                                            + " p2pchat cannot make it private",
                                    e)
                            + " Then make it private with: chmod -R go-rwx "
                            + home,
                    e);
        }
        if (open.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(
                "warning: "
                        + home
                        + " was open to other users of this machine ("
                        + open.size()
                        + (open.size() == 1 ? " entry" : " entries")
                        + ", such as "
                        + open.get(0)
                        + " "
                        + PosixFilePermissions.toString(modes.get(0))
                        + "): they could see whom you talk to and when; it is now private"
                        + " (directories 0700, files 0600)");
    }

    /** Collects the directories and regular files under {@code start} open to group or others. */
    private static void walk(
            Path start, int depth, List<Path> open, List<Set<PosixFilePermission>> modes)
            throws IOException {
        int[] visited = {0};
        Files.walkFileTree(
                start,
                EnumSet.noneOf(FileVisitOption.class),
                depth,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(
                            Path dir, BasicFileAttributes attributes) throws IOException {
                        return visitFile(dir, attributes);
                    }

                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attributes)
                            throws IOException {
                        if (attributes.isDirectory() || attributes.isRegularFile()) {
                            Set<PosixFilePermission> mode = permissions(file, attributes);
                            if (mode.stream().anyMatch(PrivateFiles.GROUP_OR_OTHERS::contains)) {
                                open.add(file);
                                modes.add(mode);
                            }
                        }
                        return ++visited[0] < MAX_ENTRIES
                                ? FileVisitResult.CONTINUE
                                : FileVisitResult.TERMINATE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) {
                        return FileVisitResult.CONTINUE; // reported by whoever reads it
                    }
                });
    }

    private static Set<PosixFilePermission> permissions(Path file, BasicFileAttributes attributes)
            throws IOException {
        return attributes instanceof PosixFileAttributes
                ? ((PosixFileAttributes) attributes).permissions()
                : Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
    }
}
