package io.p2pchat.example.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.example.testing.LegacyHomes;
import io.p2pchat.identity.PeerId;
import io.p2pchat.identity.StorageRoot;
import io.p2pchat.proto.ChatMessage;
import io.p2pchat.proto.HistoryEntry;
import io.p2pchat.proto.HistoryEntry.Direction;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A history of format 1 (keyed by the passphrase, or in fact by the wiped passphrase array) is
 * converted whole, file by file, to the storage root's key; what cannot be decrypted is kept aside;
 * a crash between files is finished at the next run. The path through {@code p2pchat node} is in
 * {@link HistoryAtRestTest}.
 */
class HistoryMigrationTest {
    private static final String PASSPHRASE = "correct horse battery staple";
    private static final PeerId SELF = PeerId.of(filled(9));
    private static final PeerId BOB = PeerId.of(filled(1));
    private static final PeerId CAROL = PeerId.of(filled(2));
    private static final PeerId DAVE = PeerId.of(filled(3));

    @TempDir Path dir;

    private final byte[] salt = LegacyHomes.randomSalt();
    private final HistoryKey newKey = HistoryKey.of(StorageRoot.generate());

    private static byte[] filled(int v) {
        byte[] b = new byte[32];
        Arrays.fill(b, (byte) v);
        return b;
    }

    /** The key format 1 actually used: scrypt of as many zero bytes as the passphrase has. */
    private byte[] zeroKey() {
        return LegacyHomes.scrypt(new byte[PASSPHRASE.length()], salt);
    }

    private byte[] passphraseKey() {
        return LegacyHomes.scrypt(PASSPHRASE.getBytes(StandardCharsets.UTF_8), salt);
    }

    private Path file(PeerId peer) {
        return dir.resolve(peer.toHex() + ".log");
    }

    private void writeSalt() throws IOException {
        Files.write(dir.resolve("salt"), salt);
    }

    private List<String> migrate() {
        return HistoryMigration.prepare(dir, PASSPHRASE.toCharArray()).run(newKey);
    }

    private List<String> texts(PeerId peer) throws IOException {
        try (ChatHistory h = ChatHistory.open(dir, newKey, SELF, peer)) {
            return h.messages().stream().map(HistoryMigrationTest::text).toList();
        }
    }

    private static String text(HistoryEntry e) {
        try {
            return ChatMessage.parseFrom(e.getMessage()).getText();
        } catch (IOException ex) {
            throw new AssertionError(ex);
        }
    }

    private List<String> names() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * Conversations under either format 1 key (the intended one and the all-zero one), and an empty
     * one, are all converted with their entries, acknowledgements included; then the salt goes, and
     * one line says what happened.
     */
    @Test
    void run_convertsEveryConversationFromEitherKey_thenRemovesTheSalt() throws Exception {
        writeSalt();
        ChatMessage hi = LegacyHomes.message("hi bob", 1);
        LegacyHomes.writeHistoryV1(
                file(BOB),
                zeroKey(),
                BOB,
                List.of(
                        LegacyHomes.entry(Direction.SENT, hi, 1),
                        LegacyHomes.ack(hi, 2),
                        LegacyHomes.entry(
                                Direction.RECEIVED, LegacyHomes.message("hi alice", 3), 3)));
        LegacyHomes.writeHistoryV1(
                file(CAROL),
                passphraseKey(),
                CAROL,
                List.of(LegacyHomes.entry(Direction.SENT, LegacyHomes.message("carol?", 4), 4)));
        Files.write(file(DAVE), new byte[0]);

        List<String> lines = migrate();

        assertThat(lines)
                .containsExactly(
                        "history: 3 conversations re-encrypted with a key kept inside your identity"
                                + " file (1 of them were under a key that earlier versions derived"
                                + " without your passphrase, which anyone who could read this home"
                                + " could compute)");
        assertThat(texts(BOB)).containsExactly("hi bob", "hi alice");
        try (ChatHistory h = ChatHistory.open(dir, newKey, SELF, BOB)) {
            assertThat(h.unacknowledged()).isEmpty();
        }
        assertThat(texts(CAROL)).containsExactly("carol?");
        assertThat(texts(DAVE)).isEmpty();
        assertThat(names())
                .containsExactlyInAnyOrder(
                        BOB.toHex() + ".log", CAROL.toHex() + ".log", DAVE.toHex() + ".log");
    }

    /**
     * A file that decrypts under neither key is renamed aside with its bytes, never deleted, and
     * the person is told; the others are converted and the salt removed.
     */
    @Test
    void run_fileUnderAnotherKey_movedAsideUntouchedAndSaidSo() throws Exception {
        writeSalt();
        LegacyHomes.writeHistoryV1(
                file(BOB),
                filled(42),
                BOB,
                List.of(LegacyHomes.entry(Direction.SENT, LegacyHomes.message("lost?", 1), 1)));
        byte[] before = Files.readAllBytes(file(BOB));
        Path aside = dir.resolve(BOB.toHex() + ".log" + HistoryMigration.UNREADABLE_SUFFIX);

        List<String> lines = migrate();

        assertThat(lines)
                .containsExactly(
                        "warning: the chat history "
                                + file(BOB)
                                + " does not decrypt with this identity's passphrase, so it was"
                                + " moved aside to "
                                + aside
                                + " (kept, not deleted)");
        assertThat(Files.readAllBytes(aside)).isEqualTo(before);
        assertThat(names()).containsExactly(aside.getFileName().toString());
    }

    /**
     * A crash between two files leaves one converted, one not, the salt, and the temporary file of
     * a write cut short: the next run converts the rest, leaves the converted file alone, and
     * clears the leftovers.
     */
    @Test
    void run_afterCrashBetweenFiles_finishesTheJob() throws Exception {
        writeSalt();
        try (ChatHistory h = ChatHistory.open(dir, newKey, SELF, BOB)) {
            h.sent(LegacyHomes.message("converted before the crash", 1), 1);
        }
        byte[] converted = Files.readAllBytes(file(BOB));
        LegacyHomes.writeHistoryV1(
                file(CAROL),
                zeroKey(),
                CAROL,
                List.of(LegacyHomes.entry(Direction.SENT, LegacyHomes.message("not yet", 2), 2)));
        Path leftover = dir.resolve("." + CAROL.toHex() + ".log.8817264.tmp");
        Files.write(leftover, new byte[] {1, 2, 3});

        List<String> lines = migrate();

        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).startsWith("history: 1 conversation re-encrypted");
        assertThat(Files.readAllBytes(file(BOB))).isEqualTo(converted);
        assertThat(texts(CAROL)).containsExactly("not yet");
        assertThat(names()).containsExactly(BOB.toHex() + ".log", CAROL.toHex() + ".log");
    }

    /** A torn last entry (format 1 cut it off on open too) is left out; the rest is converted. */
    @Test
    void run_tornLastEntry_convertedWithoutIt() throws Exception {
        writeSalt();
        LegacyHomes.writeHistoryV1(
                file(BOB),
                zeroKey(),
                BOB,
                List.of(
                        LegacyHomes.entry(Direction.SENT, LegacyHomes.message("whole", 1), 1),
                        LegacyHomes.entry(Direction.SENT, LegacyHomes.message("torn", 2), 2)));
        byte[] raw = Files.readAllBytes(file(BOB));
        Files.write(file(BOB), Arrays.copyOf(raw, raw.length - 5));

        migrate();

        assertThat(texts(BOB)).containsExactly("whole");
    }

    /**
     * Without conversations of format 1 there is nothing to say: a salt left by an earlier version
     * (or by a crash after the last file) is removed quietly, and current files are not touched.
     */
    @Test
    void run_onlySaltAndCurrentFiles_removesSaltQuietly() throws Exception {
        writeSalt();
        try (ChatHistory h = ChatHistory.open(dir, newKey, SELF, BOB)) {
            h.sent(LegacyHomes.message("current", 1), 1);
        }
        byte[] before = Files.readAllBytes(file(BOB));

        assertThat(migrate()).isEmpty();

        assertThat(names()).containsExactly(BOB.toHex() + ".log");
        assertThat(Files.readAllBytes(file(BOB))).isEqualTo(before);
    }

    /** Without its salt a format 1 file cannot be decrypted: it is kept aside, with the reason. */
    @Test
    void run_saltMissing_fileMovedAsideWithTheReason() throws Exception {
        LegacyHomes.writeHistoryV1(
                file(BOB),
                zeroKey(),
                BOB,
                List.of(LegacyHomes.entry(Direction.SENT, LegacyHomes.message("x", 1), 1)));

        List<String> lines = migrate();

        assertThat(lines).singleElement().asString().contains("salt of its key, salt, is missing");
        assertThat(names()).containsExactly(BOB.toHex() + ".log.unreadable");
    }

    /** A missing history directory: nothing to do, nothing created. */
    @Test
    void run_noHistoryDirectory_doesNothing() {
        Path none = dir.resolve("none");

        assertThat(HistoryMigration.prepare(none, PASSPHRASE.toCharArray()).run(newKey)).isEmpty();
        assertThat(none).doesNotExist();
    }
}
