package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.p2pchat.example.testing.ChildNode;
import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.InProcessNode;
import io.p2pchat.example.text.ExitCode;
import io.p2pchat.identity.IdentityStore;
import io.p2pchat.identity.IdentityStoreException;
import io.p2pchat.identity.PeerId;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code p2pchat passphrase}: the identity file re-encrypted, and what it refuses. */
class PassphraseCommandTest {
    @TempDir Path dir;

    private Path file(String name, String content) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, content);
        return f;
    }

    private static InProcessNode passphrase(Path home, Path oldFile, Path newFile)
            throws Exception {
        return InProcessNode.run(
                "passphrase",
                "passphrase",
                "--home",
                home.toString(),
                "--passphrase-file",
                oldFile.toString(),
                "--new-passphrase-file",
                newFile.toString());
    }

    @Test
    void change_thenOnlyTheNewPassphraseOpensIt_throughTheNodeToo() throws Exception {
        Path home = Homes.init(dir, "alice");
        PeerId key = Homes.identity(home).peerId();
        Path old = Homes.passphraseFile(dir);
        Path next = file("new-passphrase", "a much better passphrase");
        InProcessNode run = passphrase(home, old, next);
        assertThat(run.awaitExit()).as(run.transcript()).isZero();
        assertThat(run.stdout()).contains("only the new one opens it now");
        Homes.assertPrivate(home);

        IdentityStoreException e =
                catchThrowableOfType(
                        () ->
                                IdentityStore.create()
                                        .load(
                                                home.resolve("identity.pem"),
                                                Homes.PASSPHRASE.toCharArray()),
                        IdentityStoreException.class);
        assertThat(e.reason())
                .isEqualTo(IdentityStoreException.Reason.WRONG_PASSPHRASE_OR_TAMPERED);
        assertThat(
                        IdentityStore.create()
                                .load(
                                        home.resolve("identity.pem"),
                                        "a much better passphrase".toCharArray())
                                .peerId())
                .isEqualTo(key);

        // The node: the old passphrase (in the environment) is refused, the new one opens it.
        try (ChildNode refused = ChildNode.start("old", home, "--listen", "127.0.0.1:0")) {
            assertThat(refused.awaitExit()).isNotZero();
            assertThat(refused.stderrText()).contains("Wrong passphrase");
        }
        try (ChildNode ok =
                ChildNode.start(
                        "new",
                        home,
                        "--passphrase-file",
                        next.toString(),
                        "--listen",
                        "127.0.0.1:0",
                        "--genesis",
                        "--difficulty",
                        "trivial")) {
            ok.awaitLine("ready:");
            assertThat(ok.quit()).isZero();
        }
    }

    @Test
    void weakNewPassphrase_isRefused_andTheOldOneStillOpensIt() throws Exception {
        Path home = Homes.init(dir, "alice");
        byte[] before = Files.readAllBytes(home.resolve("identity.pem"));
        InProcessNode run =
                passphrase(home, Homes.passphraseFile(dir), file("weak", "password123"));
        assertThat(run.awaitExit()).as(run.transcript()).isEqualTo(ExitCode.USER_ERROR.code());
        assertThat(run.stderr()).contains("Nothing was changed.");
        assertThat(Files.readAllBytes(home.resolve("identity.pem"))).isEqualTo(before);
    }

    @Test
    void wrongOldPassphrase_changesNothing() throws Exception {
        Path home = Homes.init(dir, "alice");
        byte[] before = Files.readAllBytes(home.resolve("identity.pem"));
        InProcessNode run =
                passphrase(home, file("wrong", "not the passphrase"), file("new", "another one"));
        assertThat(run.awaitExit()).isEqualTo(1);
        assertThat(run.stderr()).contains("Wrong passphrase").contains("nothing was changed");
        assertThat(Files.readAllBytes(home.resolve("identity.pem"))).isEqualTo(before);
    }

    @Test
    void refusedWhileANodeRuns_andDuringAnUnfinishedRotation() throws Exception {
        Path home = Homes.init(dir, "alice");
        Path old = Homes.passphraseFile(dir);
        Path next = file("new", "another passphrase");
        byte[] before = Files.readAllBytes(home.resolve("identity.pem"));
        try (ChildNode node =
                ChildNode.start(
                        "alice",
                        home,
                        "--listen",
                        "127.0.0.1:0",
                        "--genesis",
                        "--difficulty",
                        "trivial")) {
            node.awaitLine("ready:");
            InProcessNode run = passphrase(home, old, next);
            assertThat(run.awaitExit()).isEqualTo(1);
            assertThat(run.stderr()).contains("A node is running on");
            assertThat(node.quit()).isZero();
        }
        assertThat(Files.readAllBytes(home.resolve("identity.pem"))).isEqualTo(before);

        Files.writeString(home.resolve("identity.next.pem"), "pending");
        InProcessNode run = passphrase(home, old, next);
        assertThat(run.awaitExit()).isEqualTo(1);
        assertThat(run.stderr()).contains("key rotation is unfinished");
        assertThat(Files.readAllBytes(home.resolve("identity.pem"))).isEqualTo(before);
    }

    @Test
    void fileSystemErrors_areEscaped() throws Exception {
        Path home = Homes.init(dir, "alice");
        Path missing = dir.resolve("no\u001b[31msuch-file");
        InProcessNode run = passphrase(home, Homes.passphraseFile(dir), missing);
        assertThat(run.awaitExit()).isEqualTo(1);
        assertThat(run.stderr())
                .contains("Cannot read the passphrase file")
                .doesNotContain("\u001b");
    }
}
