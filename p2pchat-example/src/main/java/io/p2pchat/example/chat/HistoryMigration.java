package io.p2pchat.example.chat;

import io.p2pchat.example.home.Unreadable;
import io.p2pchat.identity.PeerId;
import io.p2pchat.proto.HistoryEntry;
import io.p2pchat.util.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Converts a chat history written by an earlier version ({@link LegacyHistory format 1}, keyed by
 * the passphrase) to the current format ({@link ChatHistory}, keyed by the identity file's storage
 * root), so that nothing a person had is lost and nothing stays under the old key.
 *
 * <h2>Steps</h2>
 *
 * <ol>
 *   <li>{@link #prepare}, before the identity is loaded (which wipes the passphrase): finds the
 *       format 1 files and, only if there are some, derives the two keys they may be under (two
 *       scrypt, N = 2^15). Changes nothing.
 *   <li>{@link #run}, with the new key, while this process holds the home (after the ledger is
 *       open, so that no other node on the home runs): each conversation is decrypted whole and
 *       written again under the new key to a temporary file that is forced to disk and renamed over
 *       the old one, and the directory forced: a conversation is in one format or the other, never
 *       half. A file that decrypts under neither key is renamed to {@code NAME.unreadable} and
 *       kept. The salt of the old key goes last, once no format 1 file is left.
 * </ol>
 *
 * A crash at any step leaves a state the next start finishes: converted files are recognized by
 * their header, and the salt is still there until the end.
 *
 * <p>Not thread-safe; one migration per start.
 */
public final class HistoryMigration {
    private static final Logger log = LoggerFactory.getLogger(HistoryMigration.class);

    /** What a file that cannot be decrypted is renamed to: {@code NAME.unreadable}. */
    public static final String UNREADABLE_SUFFIX = Unreadable.SUFFIX;

    private static final Pattern CONVERSATION = Pattern.compile("[0-9a-f]{64}\\.log");
    private static final Pattern TEMPORARY = Pattern.compile("\\.[0-9a-f]{64}\\.log\\..*\\.tmp");
    private static final int MAX_FILES = 100_000;

    private final Path dir;
    private final List<Path> legacy;
    private final List<HistoryKey> candidates;
    private final @Nullable String problem;

    private HistoryMigration(
            Path dir, List<Path> legacy, List<HistoryKey> candidates, @Nullable String problem) {
        this.dir = dir;
        this.legacy = legacy;
        this.candidates = candidates;
        this.problem = problem;
    }

    /**
     * Looks for format 1 files in {@code historyDir} and derives their candidate keys from {@code
     * passphrase}, which the caller still owns; changes nothing. Never throws: a problem is
     * reported by {@link #run}.
     */
    public static HistoryMigration prepare(Path historyDir, char[] passphrase) {
        try {
            if (!Files.isDirectory(historyDir, LinkOption.NOFOLLOW_LINKS)) {
                return new HistoryMigration(historyDir, List.of(), List.of(), null);
            }
            List<Path> legacy = legacyFiles(historyDir);
            byte[] salt = legacy.isEmpty() ? null : salt(historyDir);
            List<HistoryKey> candidates =
                    salt == null ? List.of() : LegacyHistory.candidateKeys(passphrase, salt);
            return new HistoryMigration(historyDir, legacy, candidates, null);
        } catch (IOException e) {
            return new HistoryMigration(historyDir, List.of(), List.of(), e.toString());
        }
    }

    /**
     * Converts the files {@link #prepare} found to {@code key}, then removes the old salt; returns
     * the lines to show the person (none when there was nothing to convert). Never throws: a file
     * that cannot be converted is left as it was and the next start tries again. Wipes the old
     * keys.
     */
    public List<String> run(HistoryKey key) {
        List<String> lines = new ArrayList<>();
        try {
            if (problem != null) {
                lines.add(
                        "warning: the chat history in "
                                + dir
                                + " was not checked for files of an earlier version ("
                                + problem
                                + "); the next start tries again");
                return lines;
            }
            convert(key, lines);
        } finally {
            candidates.forEach(HistoryKey::destroy);
        }
        return lines;
    }

    private void convert(HistoryKey key, List<String> lines) {
        int converted = 0;
        int underZeroKey = 0;
        int failed = 0;
        String firstFailure = null;
        for (Path file : legacy) {
            try {
                PeerId peer = PeerId.fromHex(file.getFileName().toString().substring(0, 64));
                byte[] content = Files.readAllBytes(file);
                int index = keyIndex(content, peer);
                if (index < 0) {
                    Path aside = Unreadable.setAside(file);
                    lines.add(
                            "warning: the chat history "
                                    + file
                                    + (candidates.isEmpty()
                                            ? " cannot be decrypted (the salt of its key, "
                                                    + LegacyHistory.SALT_FILE
                                                    + ", is missing or damaged)"
                                            : " does not decrypt with this identity's"
                                                    + " passphrase")
                                    + ", so it was moved aside to "
                                    + aside
                                    + " (kept, not deleted)");
                    continue;
                }
                List<HistoryEntry> entries =
                        index == Integer.MAX_VALUE
                                ? List.of()
                                : LegacyHistory.read(content, candidates.get(index), peer)
                                        .orElseThrow();
                ChatHistory.write(file, key, peer, entries);
                converted++;
                if (index == 1) {
                    underZeroKey++;
                }
            } catch (IOException | RuntimeException e) {
                failed++;
                firstFailure = firstFailure == null ? file + ": " + e : firstFailure;
                log.warn("cannot convert the history {}", file, e);
            }
        }
        try {
            deleteTemporaryFiles();
            if (failed == 0 && legacyFiles(dir).isEmpty()) {
                boolean removed =
                        Files.deleteIfExists(dir.resolve(LegacyHistory.SALT_FILE))
                                | Files.deleteIfExists(
                                        dir.resolve(LegacyHistory.SALT_FILE + ".tmp"));
                if (removed) {
                    AtomicFiles.syncDirectory(dir);
                }
            }
        } catch (IOException e) {
            log.warn("cannot finish the history conversion in {}", dir, e);
        }
        if (converted > 0) {
            lines.add(
                    "history: "
                            + converted
                            + (converted == 1 ? " conversation" : " conversations")
                            + " re-encrypted with a key kept inside your identity file"
                            + (underZeroKey > 0
                                    ? " ("
                                            + underZeroKey
                                            + " of them were under a key that"
                                            + " earlier versions derived without your passphrase,"
                                            + " which anyone who could read this home could"
                                            + " compute)"
                                    : ""));
        }
        if (failed > 0) {
            lines.add(
                    "warning: "
                            + failed
                            + " chat history file(s) could not be re-encrypted and are kept as"
                            + " they were; the next start tries again ("
                            + firstFailure
                            + ")");
        }
    }

    /**
     * The index of the candidate key every entry of {@code content} decrypts under, {@code
     * Integer.MAX_VALUE} for a file without a complete entry (any key will do), or -1.
     */
    private int keyIndex(byte[] content, PeerId peer) {
        if (content.length < 4 + ChatHistory.NONCE + ChatHistory.TAG) {
            return Integer.MAX_VALUE;
        }
        for (int i = 0; i < candidates.size(); i++) {
            if (LegacyHistory.read(content, candidates.get(i), peer).isPresent()) {
                return i;
            }
        }
        return -1;
    }

    /** Temporary files of conversions cut short by a crash: copies, never the only one. */
    private void deleteTemporaryFiles() throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            int seen = 0;
            for (Path f : files) {
                if (++seen > MAX_FILES) {
                    break;
                }
                if (TEMPORARY.matcher(f.getFileName().toString()).matches()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /** The conversation files of {@code dir} without the current header, at most MAX_FILES. */
    private static List<Path> legacyFiles(Path dir) throws IOException {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            int seen = 0;
            for (Path f : files) {
                if (++seen > MAX_FILES) {
                    break;
                }
                if (CONVERSATION.matcher(f.getFileName().toString()).matches()
                        && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)
                        && !ChatHistory.hasHeader(f)) {
                    found.add(f);
                }
            }
        }
        found.sort(null);
        return found;
    }

    /**
     * The salt of format 1, or null if it is missing or not {@value LegacyHistory#SALT_LENGTH}
     * bytes.
     */
    private static byte @Nullable [] salt(Path dir) throws IOException {
        Path file = dir.resolve(LegacyHistory.SALT_FILE);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        byte[] salt;
        try (InputStream in = Files.newInputStream(file)) {
            salt = in.readNBytes(LegacyHistory.SALT_LENGTH + 1);
        }
        return salt.length == LegacyHistory.SALT_LENGTH ? salt : null;
    }
}
