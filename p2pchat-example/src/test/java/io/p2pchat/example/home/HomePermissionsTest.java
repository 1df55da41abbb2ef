package io.p2pchat.example.home;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.InProcessNode;
import io.p2pchat.example.testing.LegacyHomes;
import io.p2pchat.example.text.UserError;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.util.AtomicFiles;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A home is private: what p2pchat creates is 0700/0600 from the start (see {@code
 * HistoryAtRestTest} for {@code init} and {@code node}), and a home an earlier version left open
 * (0755/0644) is tightened by the commands that use it, with a warning, or refused with the fix.
 */
class HomePermissionsTest {
    @TempDir Path dir;

    @BeforeEach
    void posixOnly() throws Exception {
        assumeTrue(AtomicFiles.isPosix(dir), "POSIX permissions");
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    /**
     * An open home: every group and others bit of the home and of p2pchat's files goes; symbolic
     * links are not followed, and what else the person keeps in the home is not touched.
     */
    @Test
    void tighten_openHome_makesItPrivateAndSaysWhatWasOpen() throws Exception {
        Path home = dir.resolve("home");
        Files.createDirectories(home.resolve("history"));
        Files.writeString(home.resolve("node.properties"), "name=x\n");
        Files.writeString(home.resolve("history").resolve("a.log"), "x");
        Path outside = dir.resolve("outside.txt");
        Files.writeString(outside, "not p2pchat's");
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rw-r--r--"));
        Files.createSymbolicLink(home.resolve("history").resolve("link"), outside);
        Path notes = home.resolve("notes.txt");
        Files.writeString(notes, "the person's own file");
        Files.setPosixFilePermissions(notes, PosixFilePermissions.fromString("rw-r--r--"));
        LegacyHomes.openUp(home.resolve("history"));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(
                home.resolve("node.properties"), PosixFilePermissions.fromString("rw-rw-rw-"));
        Files.writeString(home.resolve("contacts.dat"), "x");
        Files.setPosixFilePermissions(
                home.resolve("contacts.dat"), PosixFilePermissions.fromString("rw-r--r--"));

        String line = HomePermissions.tighten(home).orElseThrow();

        assertThat(line)
                .startsWith("warning: " + home + " was open to other users of this machine (5")
                .contains("it is now private (directories 0700, files 0600)");
        assertThat(mode(home)).isEqualTo("rwx------");
        assertThat(mode(home.resolve("history"))).isEqualTo("rwx------");
        assertThat(mode(home.resolve("history").resolve("a.log"))).isEqualTo("rw-------");
        assertThat(mode(home.resolve("node.properties"))).isEqualTo("rw-------");
        assertThat(mode(home.resolve("contacts.dat"))).isEqualTo("rw-------");
        assertThat(mode(outside)).as("not followed").isEqualTo("rw-r--r--");
        assertThat(mode(notes)).as("not p2pchat's").isEqualTo("rw-r--r--");
        assertThat(HomePermissions.tighten(home)).as("nothing left to say").isEmpty();
    }

    /** Where a permission cannot be changed (someone else's file), the command says how. */
    @Test
    void tighten_cannotChange_refusesWithTheChmodCommand() throws Exception {
        Path home = dir.resolve("home");
        Files.createDirectories(home);
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-x---"));

        assertThatThrownBy(
                        () ->
                                HomePermissions.tighten(
                                        home,
                                        (p, m) -> {
                                            throw new AccessDeniedException(
                                                    p.toString(), null, "Operation not permitted");
                                        }))
                .isInstanceOf(UserError.class)
                .hasMessageStartingWith(home + " is accessible to other users of this machine")
                .hasMessageEndingWith("make it private with: chmod -R go-rwx " + home);
    }

    /** {@code p2pchat ledger} on an open home tightens it too, warning on standard error. */
    @Test
    void ledgerCommand_openHome_tightenedWithWarningOnStderr() throws Exception {
        Path home = Homes.init(dir, "auditor");
        NetworkParameters params =
                NetworkParameters.builder()
                        .name("audit")
                        .trivialDifficulty()
                        .targetBlockInterval(Duration.ofMillis(1))
                        .genesisTimeMillis(System.currentTimeMillis() - 60_000)
                        .build();
        Ledger.builder(params).dataDirectory(home.resolve("ledger")).open().close();
        LegacyHomes.openUp(home);

        InProcessNode show = InProcessNode.run("show", "ledger", "show", "--home", home.toString());

        assertThat(show.awaitExit()).as(show.transcript()).isZero();
        assertThat(show.stderr()).contains("warning: " + home + " was open to other users");
        assertThat(show.stdout()).doesNotContain("warning");
        Homes.assertPrivate(home);
    }
}
