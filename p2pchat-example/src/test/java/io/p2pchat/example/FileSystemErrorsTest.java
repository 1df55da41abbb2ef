package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.example.testing.ChildNode;
import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.InProcessNode;
import io.p2pchat.example.text.ExitCode;
import io.p2pchat.example.text.Explain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * File-system trouble reads as one sentence with the reason and the fix (issue 11): no exception
 * class names, no path said twice.
 */
class FileSystemErrorsTest {
    @TempDir Path dir;

    private static void assertOneSentence(String stderr, String path) {
        assertThat(stderr)
                .startsWith("error: ")
                .doesNotContain("Exception")
                .doesNotContain("\tat ")
                .doesNotContain("java.");
        String line = stderr.strip();
        assertThat(line.split(java.util.regex.Pattern.quote(path), -1).length - 1)
                .as("%s named once in: %s", path, line)
                .isEqualTo(1);
    }

    @Test
    void missingPassphraseFile() throws Exception {
        Path home = Homes.init(dir, "alice");
        Path missing = dir.resolve("no-such-file");
        InProcessNode n =
                InProcessNode.run(
                        "alice",
                        "node",
                        "--home",
                        home.toString(),
                        "--passphrase-file",
                        missing.toString());
        assertThat(n.awaitExit()).isEqualTo(ExitCode.USER_ERROR.code());
        assertThat(n.stderr())
                .contains(
                        "error: Cannot read the passphrase file "
                                + missing
                                + ": "
                                + missing
                                + " does not exist. Check the path.");
    }

    /** A path is rendered escaped too: a control character in it cannot reach the terminal. */
    @Test
    void pathWithControlCharacters_isEscaped_onOneLine() throws Exception {
        Path home = Homes.init(dir, "alice");
        Path missing = dir.resolve("no\u001b[2Jfile\nerror: forged");
        InProcessNode n =
                InProcessNode.run(
                        "alice",
                        "node",
                        "--home",
                        home.toString(),
                        "--passphrase-file",
                        missing.toString());
        assertThat(n.awaitExit()).isEqualTo(ExitCode.USER_ERROR.code());
        assertThat(n.stderr().strip())
                .doesNotContain("\n")
                .doesNotContain("\u001b")
                .contains("no\\x1b[2Jfile\\nerror: forged does not exist. Check the path.");
    }

    @Test
    void passphraseFileIsADirectory() throws Exception {
        Path home = Homes.init(dir, "alice");
        InProcessNode n =
                InProcessNode.run(
                        "alice",
                        "node",
                        "--home",
                        home.toString(),
                        "--passphrase-file",
                        dir.toString());
        assertThat(n.awaitExit()).isEqualTo(ExitCode.USER_ERROR.code());
        assertThat(n.stderr()).contains("it is a directory, not a file. Give the path of a file.");
        assertOneSentence(n.stderr(), dir.toString());
    }

    @Test
    void homeUnderAFile_cannotBeCreated() throws Exception {
        Path file = dir.resolve("plain-file");
        Files.writeString(file, "x");
        Path home = file.resolve("alice");
        InProcessNode n =
                InProcessNode.run(
                        "init",
                        "init",
                        "--home",
                        home.toString(),
                        "--name",
                        "alice",
                        "--passphrase-file",
                        Homes.passphraseFile(dir).toString(),
                        "--insecure-passphrase");
        assertThat(n.awaitExit()).isEqualTo(ExitCode.USER_ERROR.code());
        assertThat(n.stderr())
                .contains(
                        "error: Cannot create the home "
                                + home
                                + ": "
                                + file
                                + " is a file, not a directory. Choose another path, or move that"
                                + " file away.");
        assertOneSentence(n.stderr(), home.toString());
    }

    /**
     * A read-only home, for init and for node, through a child JVM. As root (CI), permissions do
     * not stop writes, so the home is bind-mounted read-only in a mount namespace of its own.
     */
    @Test
    void readOnlyHome() throws Exception {
        Path parent = Files.createDirectories(dir.resolve("ro"));
        Path existing = Homes.init(parent, "alice");
        Path pp = Homes.passphraseFile(dir);
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            Assumptions.assumeTrue(
                    run(readOnly(parent, List.of("true"))).exit == 0,
                    "unshare -m is not available");
        } else {
            for (Path p : List.of(existing, parent)) {
                Files.setPosixFilePermissions(
                        p, java.nio.file.attribute.PosixFilePermissions.fromString("r-x------"));
            }
        }
        String because = root ? "the file system is read-only" : "permission denied";
        try {
            Path newHome = parent.resolve("bob");
            Result init =
                    run(
                            readOnly(
                                    parent,
                                    ChildNode.command(
                                            "init",
                                            "--home",
                                            newHome.toString(),
                                            "--name",
                                            "bob",
                                            "--passphrase-file",
                                            pp.toString(),
                                            "--insecure-passphrase")));
            assertThat(init.exit).as(init.stderr).isEqualTo(ExitCode.USER_ERROR.code());
            assertThat(init.stderr)
                    .contains("error: Cannot create the home " + newHome + ": " + because)
                    .contains(root ? "Choose a place on a writable disk" : "ls -ld");
            assertOneSentence(init.stderr, newHome.toString());

            Result node =
                    run(
                            readOnly(
                                    parent,
                                    ChildNode.command(
                                            "node",
                                            "--home",
                                            existing.toString(),
                                            "--passphrase-file",
                                            pp.toString(),
                                            "--listen",
                                            "127.0.0.1:0",
                                            "--genesis",
                                            "--difficulty",
                                            "trivial")));
            assertThat(node.exit).as(node.stderr).isEqualTo(ExitCode.USER_ERROR.code());
            assertThat(node.stderr)
                    .contains("error: Cannot write " + existing.resolve("node.properties"))
                    .contains(because);
            assertThat(node.stderr).doesNotContain("Exception").doesNotContain(".tmp");
        } finally {
            if (!root) {
                for (Path p : List.of(parent, existing)) {
                    Files.setPosixFilePermissions(
                            p,
                            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
                }
            }
        }
    }

    /** The kinds of trouble that a test cannot make for real everywhere. */
    @Test
    void fileProblem_eachReasonWithItsFix() {
        String f = "/h/alice/identity.pem";
        assertThat(Explain.fileProblem("Cannot save " + f, new AccessDeniedException(f)))
                .isEqualTo(
                        "Cannot save "
                                + f
                                + ": permission denied. Check who owns it and its permissions"
                                + " (ls -ld "
                                + f
                                + "), or choose a place you own.");
        assertThat(
                        Explain.fileProblem(
                                "Cannot write /h/alice/node.properties",
                                new FileSystemException(
                                        "/h/alice/.node.properties.123.tmp",
                                        null,
                                        "Read-only file system")))
                .isEqualTo(
                        "Cannot write /h/alice/node.properties: the file system is read-only."
                                + " Choose a place on a writable disk (for a home: --home), or"
                                + " remount it read-write.");
        assertThat(
                        Explain.fileProblem(
                                "Cannot write /h/x",
                                new FileSystemException("/h/x", null, "No space left on device")))
                .isEqualTo("Cannot write /h/x: the disk is full. Free some space and try again.");
        assertThat(
                        Explain.fileProblem(
                                "Cannot read the passphrase file p",
                                new IOException(new NoSuchFileException("p"))))
                .isEqualTo("Cannot read the passphrase file p: p does not exist. Check the path.");
    }

    private record Result(int exit, String stderr) {}

    /** {@code command} with {@code dir} read-only: a private read-only bind mount, as root. */
    private static List<String> readOnly(Path dir, List<String> command) {
        if (!"root".equals(System.getProperty("user.name"))) {
            return command;
        }
        List<String> c = new ArrayList<>();
        c.addAll(
                List.of(
                        "unshare",
                        "-m",
                        "sh",
                        "-c",
                        "mount --bind -o ro \"$0\" \"$0\" && exec \"$@\"",
                        dir.toString()));
        c.addAll(command);
        return c;
    }

    private static Result run(List<String> command) throws Exception {
        Process p =
                new ProcessBuilder(command)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .start();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not end: " + command);
        }
        return new Result(p.exitValue(), new String(err, StandardCharsets.UTF_8));
    }
}
