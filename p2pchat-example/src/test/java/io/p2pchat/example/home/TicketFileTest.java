package io.p2pchat.example.home;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
 * {@code HOME/tickets.dat}: the tickets' state round-trips encrypted and private, under its own
 * key; a take deletes the file (consume once: a second take finds nothing); a file that does not
 * decrypt is set aside with one notice and reads as none.
 */
class TicketFileTest {
    @TempDir Path dir;

    private final StorageRoot root = StorageRoot.generate();
    private final List<String> notices = new ArrayList<>();
    private static final byte[] STATE = "tickets and psks".getBytes(StandardCharsets.US_ASCII);

    private Path file() {
        return dir.resolve("tickets.dat");
    }

    @Test
    void saveThenTake_roundTripsEncryptedAndPrivate_andTheFileIsGoneAfterTheTake()
            throws Exception {
        try (TicketFile f = TicketFile.of(file(), root, notices::add)) {
            assertThat(f.take()).isNull();
            f.save(STATE.clone());
        }
        byte[] onDisk = Files.readAllBytes(file());
        assertThat(HexFormat.of().formatHex(onDisk, 0, 12))
                .isEqualTo("895032505449434b" + "00000001");
        assertThat(new String(onDisk, StandardCharsets.ISO_8859_1)).doesNotContain("psks");
        if (AtomicFiles.isPosix(dir)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file())))
                    .isEqualTo("rw-------");
        }
        // A restart (a new instance) takes it, once.
        try (TicketFile again = TicketFile.of(file(), root, notices::add)) {
            assertThat(again.take()).isEqualTo(STATE);
            assertThat(file()).doesNotExist();
            assertThat(again.take()).isNull();
        }
        assertThat(notices).isEmpty();
    }

    @Test
    void theCredentialFilesKey_doesNotOpenTheTicketFile() throws Exception {
        try (TicketFile f = TicketFile.of(file(), root, notices::add)) {
            f.save(STATE.clone());
        }
        Path asCredential = dir.resolve("credential.key");
        Files.copy(file(), asCredential);
        try (CredentialFile c = CredentialFile.of(asCredential, root, notices::add)) {
            assertThat(c.load()).isNull();
        }
        assertThat(dir.resolve("credential.key.unreadable")).exists();
    }

    @Test
    void undecryptableFile_isSetAsideWithOneNotice_andReadsAsNone() throws Exception {
        try (TicketFile other = TicketFile.of(file(), StorageRoot.generate(), s -> {})) {
            other.save(STATE.clone());
        }
        byte[] foreign = Files.readAllBytes(file());
        try (TicketFile f = TicketFile.of(file(), root, notices::add)) {
            assertThat(f.take()).isNull();
            assertThat(file()).doesNotExist();
            assertThat(dir.resolve("tickets.dat.unreadable")).hasBinaryContent(foreign);
            assertThat(notices).hasSize(1);
            assertThat(notices.get(0))
                    .contains("tickets.dat could not be decrypted")
                    .contains("tickets.dat.unreadable")
                    .contains("full handshakes");
            assertThat(f.toString()).isEqualTo("TicketFile[tickets.dat, key redacted]");
        }
    }

    @Test
    void closedFile_refusesToTakeOrSave() throws Exception {
        TicketFile f = TicketFile.of(file(), root, notices::add);
        f.close();
        assertThatThrownBy(f::take).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> f.save(STATE.clone())).isInstanceOf(IllegalStateException.class);
    }
}
