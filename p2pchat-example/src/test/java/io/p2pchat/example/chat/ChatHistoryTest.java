package io.p2pchat.example.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.p2pchat.example.testing.LegacyHomes;
import io.p2pchat.identity.PeerId;
import io.p2pchat.identity.StorageRoot;
import io.p2pchat.proto.ChatMessage;
import io.p2pchat.proto.HistoryEntry;
import io.p2pchat.util.AtomicFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatHistoryTest {
    private static final PeerId ALICE = PeerId.of(new byte[32]);
    private static final PeerId BOB = PeerId.of(filled(1));
    private static final HistoryKey KEY = HistoryKey.ofBytes(filled(7));

    @TempDir Path dir;

    private static byte[] filled(int v) {
        byte[] b = new byte[32];
        java.util.Arrays.fill(b, (byte) v);
        return b;
    }

    private static ChatMessage message(String text) {
        byte[] id = new byte[16];
        new SecureRandom().nextBytes(id);
        return ChatMessage.newBuilder()
                .setMessageId(ByteString.copyFrom(id))
                .setSentAtMs(1)
                .setText(text)
                .build();
    }

    @Test
    void history_survivesReopen_withFingerprintAndPendingAcks() throws IOException {
        ChatMessage hi = message("hi bob");
        ChatMessage yo = message("yo alice");
        String fingerprint;
        try (ChatHistory h = ChatHistory.open(dir, KEY, ALICE, BOB)) {
            h.sent(hi, 10);
            assertThat(h.received(yo.toByteString(), 11)).isTrue();
            assertThat(h.unacknowledged()).containsExactly(hi);
            fingerprint = h.fingerprint(ALICE, BOB);
        }
        try (ChatHistory h = ChatHistory.open(dir, KEY, ALICE, BOB)) {
            assertThat(h.messages()).hasSize(2);
            assertThat(h.fingerprint(ALICE, BOB)).isEqualTo(fingerprint);
            assertThat(h.unacknowledged()).containsExactly(hi);
            assertThat(h.acknowledged(hi.getMessageId(), 12)).isTrue();
        }
        try (ChatHistory h = ChatHistory.open(dir, KEY, ALICE, BOB)) {
            assertThat(h.unacknowledged()).isEmpty();
            assertThat(h.received(yo.toByteString(), 13)).as("duplicate").isFalse();
        }
    }

    @Test
    void fingerprint_matchesThePeersView() throws IOException {
        ChatMessage hi = message("hi bob");
        ChatMessage yo = message("yo alice");
        try (ChatHistory a = ChatHistory.open(dir.resolve("a"), KEY, ALICE, BOB);
                ChatHistory b = ChatHistory.open(dir.resolve("b"), KEY, BOB, ALICE)) {
            a.sent(hi, 1);
            b.received(hi.toByteString(), 1);
            b.sent(yo, 2);
            a.received(yo.toByteString(), 2);
            assertThat(a.fingerprint(ALICE, BOB))
                    .isEqualTo(b.fingerprint(BOB, ALICE))
                    .matches("\\d{5}( \\d{5}){5}");
        }
    }

    @Test
    void file_containsNoPlaintext() throws IOException {
        try (ChatHistory h = ChatHistory.open(dir, KEY, ALICE, BOB)) {
            h.sent(message("attack at dawn"), 1);
        }
        byte[] raw = Files.readAllBytes(dir.resolve(BOB.toHex() + ".log"));
        assertThat(new String(raw, StandardCharsets.ISO_8859_1)).doesNotContain("attack at dawn");
    }

    @Test
    void tornLastEntry_isCutOff_earlierEntriesKept() throws IOException {
        try (ChatHistory h = ChatHistory.open(dir, KEY, ALICE, BOB)) {
            h.sent(message("one"), 1);
            h.sent(message("two"), 2);
        }
        Path file = dir.resolve(BOB.toHex() + ".log");
        long size = Files.size(file);
        for (long cut = size - 1; cut > size - 30; cut -= 7) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(cut);
            }
            try (ChatHistory h = ChatHistory.open(dir, KEY, ALICE, BOB)) {
                assertThat(h.messages()).extracting(e -> text(e)).containsExactly("one");
                h.sent(message("two"), 2); // the history stays writable after repair
            }
            size = Files.size(file);
        }
    }

    @Test
    void alteredEntry_isReportedAsCorruption() throws IOException {
        try (ChatHistory h = ChatHistory.open(dir, KEY, ALICE, BOB)) {
            h.sent(message("one"), 1);
        }
        Path file = dir.resolve(BOB.toHex() + ".log");
        byte[] raw = Files.readAllBytes(file);
        raw[raw.length - 3] ^= 1;
        Files.write(file, raw);
        assertThatThrownBy(() -> ChatHistory.open(dir, KEY, ALICE, BOB))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("corrupted or altered");
    }

    @Test
    void wrongKey_cannotRead() throws IOException {
        try (ChatHistory h = ChatHistory.open(dir, KEY, ALICE, BOB)) {
            h.sent(message("one"), 1);
        }
        assertThatThrownBy(() -> ChatHistory.open(dir, HistoryKey.ofBytes(filled(8)), ALICE, BOB))
                .isInstanceOf(IOException.class);
    }

    @Test
    void entriesMovedBetweenConversations_areRejected() throws IOException {
        try (ChatHistory h = ChatHistory.open(dir, KEY, ALICE, BOB)) {
            h.sent(message("for bob"), 1);
        }
        PeerId carol = PeerId.of(filled(3));
        Files.copy(dir.resolve(BOB.toHex() + ".log"), dir.resolve(carol.toHex() + ".log"));
        assertThatThrownBy(() -> ChatHistory.open(dir, KEY, ALICE, carol))
                .isInstanceOf(IOException.class);
    }

    /** The key comes from the identity's storage root: the same root reads, another does not. */
    @Test
    void keyOfRoot_sameRootReads_otherRootDoesNot() throws IOException {
        StorageRoot root = StorageRoot.generate();
        try (ChatHistory h = ChatHistory.open(dir, HistoryKey.of(root), ALICE, BOB)) {
            h.sent(message("x"), 1);
        }
        try (ChatHistory h = ChatHistory.open(dir, HistoryKey.of(root), ALICE, BOB)) {
            assertThat(h.messages()).hasSize(1);
        }
        assertThatThrownBy(
                        () ->
                                ChatHistory.open(
                                        dir, HistoryKey.of(StorageRoot.generate()), ALICE, BOB))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("corrupted or altered");
        assertThat(HistoryKey.of(root).toString()).isEqualTo("HistoryKey[redacted]");
    }

    /** A new file starts with the format 2 header and is owner-only from its creation. */
    @Test
    void newFile_startsWithHeader_ownerOnly() throws IOException {
        Path sub = dir.resolve("history");
        try (ChatHistory h = ChatHistory.open(sub, KEY, ALICE, BOB)) {
            h.sent(message("one"), 1);
        }
        Path file = sub.resolve(BOB.toHex() + ".log");
        byte[] raw = Files.readAllBytes(file);
        assertThat(java.util.Arrays.copyOf(raw, 12))
                .isEqualTo(new byte[] {(byte) 0x89, 'P', '2', 'P', 'H', 'I', 'S', 'T', 0, 0, 0, 2});
        if (AtomicFiles.isPosix(dir)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                    .isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sub)))
                    .isEqualTo("rwx------");
        }
    }

    /**
     * A file of format 1 (an earlier version's, before its conversion) is refused, never read with
     * the new key nor appended to: its bytes stay as they were.
     */
    @Test
    void formatOneFile_isRefusedAndLeftAsItWas() throws Exception {
        Path file = dir.resolve(BOB.toHex() + ".log");
        LegacyHomes.writeHistoryV1(
                file,
                filled(7),
                BOB,
                List.of(LegacyHomes.entry(HistoryEntry.Direction.SENT, message("old"), 1)));
        byte[] before = Files.readAllBytes(file);
        Files.write(dir.resolve(ALICE.toHex() + ".log"), new byte[0]);

        for (PeerId peer : List.of(BOB, ALICE)) {
            assertThatThrownBy(() -> ChatHistory.open(dir, KEY, ALICE, peer))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("not in the format of this version");
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
        assertThat(Files.size(dir.resolve(ALICE.toHex() + ".log"))).isZero();
    }

    private static String text(HistoryEntry e) {
        try {
            return ChatMessage.parseFrom(e.getMessage()).getText();
        } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
            throw new AssertionError(ex);
        }
    }
}
