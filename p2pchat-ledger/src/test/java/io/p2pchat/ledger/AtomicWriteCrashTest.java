package io.p2pchat.ledger;

import static io.p2pchat.ledger.StartupCrashTest.child;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.identity.IdentityStore;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.verify.TofuVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ATTACKS S-05: a process that dies at each step of an atomic file update (write temp, fsync,
 * publish, fsync directory), for the two files written through {@code AtomicFiles}: the identity
 * key file and the TOFU known-peers file. The child ({@link HaltingChild}) halts at the step's
 * TRACE line, before the step runs. Afterwards the file holds its old or its new content, never a
 * mix, and the next run works. (Exceptions at each step, not crashes: {@code AtomicFilesTest}.)
 */
class AtomicWriteCrashTest {
    static List<Path> temps(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    /** A temporary file left by the crash holds the key encrypted, readable by the owner only. */
    static void assertLeftoversOwnerOnly(Path dir) throws Exception {
        for (Path t : temps(dir)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(t)))
                    .isEqualTo("rw-------");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"CREATE_TEMP", "WRITE", "FSYNC_FILE", "PUBLISH", "FSYNC_DIRECTORY"})
    void identityFile_crashAtStep_isAbsentOrComplete_nextSaveWorks(String step, @TempDir Path dir)
            throws Exception {
        StartupCrashTest.Run r = child("atomic write step " + step, "identity-save", dir);
        assertThat(r.halted()).as(r.output()).isTrue();
        Path file = dir.resolve("identity.pem");
        IdentityStore store = IdentityStore.builder().scryptLog2N(10).build();
        LocalIdentity expected = HaltingChild.fixed(0);
        if (Files.exists(file)) {
            // Published before the crash: complete, and the right key.
            assertThat(step).isEqualTo("FSYNC_DIRECTORY");
            assertThat(store.load(file, "pw".toCharArray()).peerId()).isEqualTo(expected.peerId());
        } else {
            StartupCrashTest.Run again = child("-", "identity-save", dir);
            assertThat(again.output()).as(again.output()).contains("@@ SAVED");
            assertThat(store.load(file, "pw".toCharArray()).peerId()).isEqualTo(expected.peerId());
        }
        assertLeftoversOwnerOnly(dir);
    }

    @ParameterizedTest
    @ValueSource(strings = {"CREATE_TEMP", "WRITE", "FSYNC_FILE", "PUBLISH", "FSYNC_DIRECTORY"})
    void knownPeersFile_crashAtStep_holdsOldOrNewEntries_nextRunWorks(
            String step, @TempDir Path dir) throws Exception {
        // The old content: peer 1 remembered.
        assertThat(child("-", "tofu-remember", dir, "1").output()).contains("@@ REMEMBERED");
        Path file = dir.resolve("known_peers");
        String old = Files.readString(file);
        // The update that remembers peer 2 dies at this step.
        StartupCrashTest.Run r = child("atomic write step " + step, "tofu-remember", dir, "2");
        assertThat(r.halted()).as(r.output()).isTrue();
        String now = Files.readString(file);
        String peer2 = HaltingChild.fixed(2).peerId().toHex();
        if (step.equals("FSYNC_DIRECTORY")) {
            assertThat(now).startsWith(old.substring(0, old.indexOf('\n'))).contains(peer2);
        } else {
            assertThat(now).isEqualTo(old);
        }
        TofuVerifier.open(file); // parses: no torn content
        // The next run remembers peer 2 (or finds it remembered).
        assertThat(child("-", "tofu-remember", dir, "2").output()).contains("@@ REMEMBERED");
        assertThat(Files.readString(file))
                .contains(peer2)
                .contains(HaltingChild.fixed(1).peerId().toHex());
    }
}
