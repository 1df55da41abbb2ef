package io.p2pchat.example.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.p2pchat.identity.PeerId;
import io.p2pchat.identity.StorageRoot;
import io.p2pchat.proto.ContactRecord;
import io.p2pchat.util.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contact store at rest ({@link ContactStore}): encrypted and authenticated under a key derived
 * from the identity file's storage root, refused as a whole when altered or under another key, and
 * written so that a failed write leaves the contacts as they were.
 */
class ContactStoreTest {
    @TempDir Path dir;

    private final StorageRoot root = StorageRoot.generate();
    private final PeerId bob = id();
    private final PeerId carol = id();

    private static PeerId id() {
        byte[] b = new byte[PeerId.LENGTH];
        new SecureRandom().nextBytes(b);
        return PeerId.of(b);
    }

    private ContactRecord record(PeerId id, String name) {
        return ContactRecord.newBuilder()
                .setIdentityId(ContactStore.bytes(id))
                .setName(name)
                .setKeyId(ContactStore.bytes(id))
                .setKeySeenAtMs(1)
                .setVerifiedKeyId(ContactStore.bytes(id))
                .setVerifiedAtMs(2)
                .setAddedAtMs(1)
                .build();
    }

    private Path file() {
        return dir.resolve("contacts.dat");
    }

    /** Writes bob and carol, and returns the file's bytes. */
    private byte[] written() throws IOException {
        try (ContactStore s = ContactStore.open(file(), root)) {
            assertThat(s.existed()).isFalse();
            s.putAll(List.of(record(bob, "bob"), record(carol, "carol")));
        }
        return Files.readAllBytes(file());
    }

    @Test
    void contacts_surviveReopening_inAPrivateFileWithoutTheirNames() throws Exception {
        byte[] raw = written();
        try (ContactStore s = ContactStore.open(file(), root)) {
            assertThat(s.existed()).isTrue();
            assertThat(s.all()).containsExactly(record(bob, "bob"), record(carol, "carol"));
            assertThat(s.byName("bob")).contains(record(bob, "bob"));
            assertThat(s.get(carol)).contains(record(carol, "carol"));
            assertThat(s.byName("dave")).isEmpty();
        }
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        assertThat(text).doesNotContain("bob").doesNotContain("carol");
        assertThat(text).doesNotContain(new String(bob.toBytes(), StandardCharsets.ISO_8859_1));
        assumeTrue(AtomicFiles.isPosix(dir), "POSIX permissions");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file())))
                .isEqualTo("rw-------");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(file()); // no temporary file left behind
        }
    }

    /** Every single flipped bit, a cut and an appended byte: the whole file is refused. */
    @Test
    void alteredFile_isRefusedAsAWhole() throws Exception {
        byte[] raw = written();
        for (int i = 0; i < raw.length; i++) {
            byte[] altered = raw.clone();
            altered[i] ^= (byte) (1 << (i % 8));
            assertRefused(altered);
        }
        assertRefused(java.util.Arrays.copyOf(raw, raw.length - 1));
        assertRefused(java.util.Arrays.copyOf(raw, raw.length + 1));
        assertRefused(new byte[0]);
    }

    private void assertRefused(byte[] content) throws IOException {
        Files.write(file(), content);
        assertThatThrownBy(() -> ContactStore.open(file(), root))
                .isInstanceOf(ContactStore.DamagedException.class)
                .hasMessageContaining(file().toString());
    }

    @Test
    void anotherIdentitysKey_cannotReadIt_andSaysSoWithoutSayingWhichCheckFailed()
            throws Exception {
        written();
        assertThatThrownBy(() -> ContactStore.open(file(), StorageRoot.generate()))
                .isInstanceOf(ContactStore.DamagedException.class)
                .hasMessage(
                        "contacts file "
                                + file()
                                + " cannot be decrypted: it was altered or damaged, or belongs"
                                + " to another identity");
        // The history key of the same root is another key, too (its own label).
        byte[] historyKey = root.deriveKey(HistoryKey.LABEL, ContactStore.KEY_BYTES);
        assertThatThrownBy(() -> ContactStore.open(file(), historyKey, (f, c) -> {}))
                .isInstanceOf(ContactStore.DamagedException.class);
    }

    /**
     * A write that fails (disk full, a crash before the rename) changes nothing, on disk or not.
     */
    @Test
    void failedWrite_leavesTheContactsAsTheyWere() throws Exception {
        byte[] before = written();
        byte[] key = root.deriveKey(ContactStore.KEY_LABEL, ContactStore.KEY_BYTES);
        try (ContactStore s =
                ContactStore.open(
                        file(),
                        key,
                        (f, c) -> {
                            throw new IOException("No space left on device");
                        })) {
            assertThatThrownBy(() -> s.put(record(bob, "robert"))).isInstanceOf(IOException.class);
            assertThat(s.get(bob)).contains(record(bob, "bob"));
            assertThat(s.byName("robert")).isEmpty();
        }
        assertThat(Files.readAllBytes(file())).isEqualTo(before);
        try (ContactStore s = ContactStore.open(file(), root)) {
            assertThat(s.get(bob)).contains(record(bob, "bob"));
        }
    }

    /** Each write is a new file under a fresh nonce, never an edit of the old one in place. */
    @Test
    void everyWrite_replacesTheWholeFile_underAFreshNonce() throws Exception {
        byte[] first = written();
        try (ContactStore s = ContactStore.open(file(), root)) {
            s.put(record(bob, "bob"));
        }
        byte[] second = Files.readAllBytes(file());
        assertThat(second).hasSameSizeAs(first).isNotEqualTo(first);
        assertThat(java.util.Arrays.copyOf(second, 12))
                .isEqualTo(java.util.Arrays.copyOf(first, 12));
    }

    @Test
    void twoContacts_neverHoldTheSameName_andNothingIsWrittenWhenTheyWould() throws Exception {
        byte[] before = written();
        try (ContactStore s = ContactStore.open(file(), root)) {
            assertThatThrownBy(() -> s.put(record(id(), "bob")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("two contacts would hold the name 'bob'");
            assertThat(s.all()).hasSize(2);
            // Moving a name is one write of both records.
            s.putAll(List.of(record(bob, ""), record(carol, "bob")));
            assertThat(s.byName("bob").map(ContactStore::idOf)).contains(carol);
        }
        assertThat(Files.readAllBytes(file())).isNotEqualTo(before);
    }

    @Test
    void closedStore_refusesChanges() throws Exception {
        ContactStore s = ContactStore.open(file(), root);
        s.close();
        assertThatThrownBy(() -> s.put(record(bob, "bob")))
                .isInstanceOf(IllegalStateException.class);
        assertThat(s.toString()).contains("redacted");
    }
}
