package io.p2pchat.example.home;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.identity.StorageRoot;
import io.p2pchat.util.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code HOME/credential.key}: the credential's state round-trips encrypted, private and atomic; a
 * file that does not decrypt is set aside with one notice and reads as none.
 */
class CredentialFileTest {
    @TempDir Path dir;

    private final StorageRoot root = StorageRoot.generate();
    private final List<String> notices = new ArrayList<>();
    private static final byte[] STATE = "seed and credential".getBytes(StandardCharsets.US_ASCII);

    private Path file() {
        return dir.resolve("credential.key");
    }

    @Test
    void saveThenLoad_roundTrips_encryptedAndPrivate() throws Exception {
        try (CredentialFile f = CredentialFile.of(file(), root, notices::add)) {
            assertThat(f.load()).isNull();
            f.save(STATE.clone());
            assertThat(f.load()).isEqualTo(STATE);
        }
        byte[] onDisk = Files.readAllBytes(file());
        assertThat(HexFormat.of().formatHex(onDisk, 0, 12))
                .isEqualTo("8950325043524544" + "00000001");
        assertThat(new String(onDisk, StandardCharsets.ISO_8859_1)).doesNotContain("seed");
        if (AtomicFiles.isPosix(dir)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file())))
                    .isEqualTo("rw-------");
        }
        // The key is the storage root's: it survives a restart (a new instance).
        try (CredentialFile again = CredentialFile.of(file(), root, notices::add)) {
            assertThat(again.load()).isEqualTo(STATE);
        }
        assertThat(notices).isEmpty();
    }

    /** Another identity's file, a flipped bit, garbage: set aside, one notice, read as none. */
    @Test
    void undecryptableFile_isSetAsideOnceWithOneNotice() throws Exception {
        try (CredentialFile other = CredentialFile.of(file(), StorageRoot.generate(), s -> {})) {
            other.save(STATE.clone());
        }
        byte[] foreign = Files.readAllBytes(file());
        try (CredentialFile f = CredentialFile.of(file(), root, notices::add)) {
            assertThat(f.load()).isNull();
            assertThat(file()).doesNotExist();
            assertThat(dir.resolve("credential.key.unreadable")).hasBinaryContent(foreign);
            assertThat(notices).hasSize(1);
            assertThat(notices.get(0))
                    .contains("credential.key could not be decrypted")
                    .contains("credential.key.unreadable");

            f.save(STATE.clone());
            byte[] tampered = Files.readAllBytes(file());
            tampered[tampered.length - 1] ^= 1;
            Files.write(file(), tampered);
            assertThat(f.load()).isNull();
            assertThat(dir.resolve("credential.key.unreadable.2")).hasBinaryContent(tampered);

            Files.write(file(), "not a credential".getBytes(StandardCharsets.US_ASCII));
            assertThat(f.load()).isNull();
            assertThat(notices).hasSize(3);
            assertThat(file()).doesNotExist();
        }
    }

    @Test
    void toString_andNotices_showNoKey() throws Exception {
        try (CredentialFile f = CredentialFile.of(file(), root, notices::add)) {
            assertThat(f.toString()).isEqualTo("CredentialFile[credential.key, key redacted]");
        }
    }
}
