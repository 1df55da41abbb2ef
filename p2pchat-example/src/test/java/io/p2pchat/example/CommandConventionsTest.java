package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.InProcessNode;
import io.p2pchat.example.text.ExitCode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Issue 11's conventions of every command, table-driven: {@code --help} works everywhere (even
 * where options are required), prints to standard output with the exit codes and exits 0; {@code
 * --version} prints the artifact's version; and each kind of failure exits with its one code.
 */
class CommandConventionsTest {
    @TempDir Path dir;

    /** Every command and subcommand. */
    static Stream<Arguments> commands() {
        return Stream.of(
                Arguments.of(List.of()),
                Arguments.of(List.of("demo")),
                Arguments.of(List.of("init")),
                Arguments.of(List.of("node")),
                Arguments.of(List.of("ledger")),
                Arguments.of(List.of("ledger", "show")),
                Arguments.of(List.of("ledger", "verify")),
                Arguments.of(List.of("ledger", "whois")),
                Arguments.of(List.of("ledger", "proof")));
    }

    @ParameterizedTest(name = "p2pchat {0} --help")
    @MethodSource("commands")
    void help_onEveryCommand_printsUsageAndExitCodes_onStdout_andExitsZero(List<String> command)
            throws Exception {
        for (String help : List.of("--help", "-h")) {
            List<String> args = new ArrayList<>(command);
            args.add(help);
            InProcessNode n = InProcessNode.run("help", args.toArray(new String[0]));
            assertThat(n.awaitExit()).as(n.transcript()).isZero();
            assertThat(n.stderr()).isEmpty();
            String usage = ("Usage: p2pchat " + String.join(" ", command)).strip();
            assertThat(n.stdout()).startsWith(usage).contains("\nExit codes:\n");
            for (ExitCode c : ExitCode.values()) {
                assertThat(n.stdout()).containsPattern("\n  " + c.code() + " +" + firstWords(c));
            }
        }
    }

    /** {@code p2pchat help node} too (picocli's help command). */
    @Test
    void helpCommand_printsTheSubcommandsHelp() throws Exception {
        InProcessNode n = InProcessNode.run("help", "help", "node");
        assertThat(n.awaitExit()).as(n.transcript()).isZero();
        assertThat(n.stdout()).startsWith("Usage: p2pchat node").contains("Exit codes:");
    }

    @ParameterizedTest(name = "p2pchat {0} --version")
    @MethodSource("commands")
    void version_isTheArtifactsVersion(List<String> command) throws Exception {
        List<String> args = new ArrayList<>(command);
        args.add("--version");
        InProcessNode n = InProcessNode.run("version", args.toArray(new String[0]));
        assertThat(n.awaitExit()).as(n.transcript()).isZero();
        assertThat(n.stdout()).isEqualTo("p2pchat " + pomVersion());
    }

    /** One row per kind of failure: the command line and the exit code it must give. */
    record Failure(String what, ExitCode expected, String[] args, String stderr) {}

    @Test
    void exitCodes_oneMeaningEach() throws Exception {
        Path home = Homes.init(dir, "alice");
        Path wrong = dir.resolve("wrong");
        Files.writeString(wrong, "not the passphrase at all");
        String pp = Homes.passphraseFile(dir).toString();
        Path damaged = Homes.init(dir, "damaged");
        Files.writeString(damaged.resolve("identity.pem"), "-----BEGIN nothing-----\n");
        Path badLedger = Homes.init(dir, "badledger");
        Files.createDirectories(badLedger.resolve("ledger"));
        Files.write(badLedger.resolve("ledger").resolve("network.params"), new byte[] {1, 2, 3});
        for (Path p : List.of(damaged, badLedger)) {
            try (var s = Files.walk(p)) {
                for (Path f : s.toList()) {
                    Files.setPosixFilePermissions(
                            f,
                            PosixFilePermissions.fromString(
                                    Files.isDirectory(f) ? "rwx------" : "rw-------"));
                }
            }
        }
        List<Failure> table =
                List.of(
                        new Failure(
                                "an unknown option",
                                ExitCode.USAGE,
                                new String[] {"node", "--home", "h", "--bogus"},
                                "error: Unknown option: '--bogus'. Run 'p2pchat node --help' for"
                                        + " the options."),
                        new Failure(
                                "a missing required option",
                                ExitCode.USAGE,
                                new String[] {"init", "--name", "x"},
                                "Missing required option"),
                        new Failure(
                                "a bad option value",
                                ExitCode.USAGE,
                                new String[] {
                                    "node", "--home", home.toString(), "--difficulty", "x"
                                },
                                "--difficulty is 'normal' or 'trivial'"),
                        new Failure(
                                "a malformed address",
                                ExitCode.USAGE,
                                new String[] {"node", "--home", home.toString(), "--listen", "x"},
                                "--listen expects HOST:PORT"),
                        new Failure(
                                "an invalid name, quoted as typed",
                                ExitCode.USAGE,
                                new String[] {
                                    "init", "--home", dir.resolve("n").toString(), "--name", "Bad!"
                                },
                                "The name 'Bad!' is not allowed"),
                        new Failure(
                                "a key size no peer accepts",
                                ExitCode.USAGE,
                                new String[] {"demo", "--key-bits", "1000"},
                                "--key-bits must be"),
                        new Failure(
                                "ledger without a subcommand",
                                ExitCode.USAGE,
                                new String[] {"ledger"},
                                "Which one?"),
                        new Failure(
                                "a wrong passphrase",
                                ExitCode.USER_ERROR,
                                new String[] {
                                    "node",
                                    "--home",
                                    home.toString(),
                                    "--passphrase-file",
                                    wrong.toString(),
                                    "--genesis"
                                },
                                "Wrong passphrase"),
                        new Failure(
                                "a missing passphrase file",
                                ExitCode.USER_ERROR,
                                new String[] {
                                    "node",
                                    "--home",
                                    home.toString(),
                                    "--passphrase-file",
                                    dir.resolve("nope").toString()
                                },
                                "does not exist"),
                        new Failure(
                                "a home without a ledger",
                                ExitCode.USER_ERROR,
                                new String[] {"ledger", "show", "--home", home.toString()},
                                "No ledger in"),
                        new Failure(
                                "a damaged identity file",
                                ExitCode.CORRUPT_DATA,
                                new String[] {
                                    "node", "--home", damaged.toString(), "--passphrase-file", pp
                                },
                                "cannot be used"),
                        new Failure(
                                "damaged network parameters",
                                ExitCode.CORRUPT_DATA,
                                new String[] {"ledger", "show", "--home", badLedger.toString()},
                                "is damaged"));
        for (Failure f : table) {
            InProcessNode n = InProcessNode.run("exit", f.args());
            assertThat(n.awaitExit())
                    .as(f.what() + "\n" + n.transcript())
                    .isEqualTo(f.expected().code());
            assertThat(n.stderr()).as(f.what()).contains(f.stderr()).doesNotContain("\tat ");
        }
    }

    /** An exception no command explains is a bug: exit code 70, and a hint to report it. */
    @Test
    void unexpectedException_isAnInternalError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cl =
                P2pChat.commandLine(
                        new ByteArrayInputStream(new byte[0]),
                        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
        cl.addSubcommand("boom", new CommandLine(new Boom()));
        cl.setErr(cl.getErr()); // to the new subcommand too
        assertThat(cl.execute("boom")).isEqualTo(ExitCode.INTERNAL.code()).isEqualTo(70);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("error: java.lang.IllegalStateException: broken")
                .contains("internal error");
    }

    @CommandLine.Command(name = "boom")
    static final class Boom implements java.util.concurrent.Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalStateException("broken");
        }
    }

    /** The values the README and every help promise. */
    @Test
    void exitCodes_haveTheDocumentedValues() throws Exception {
        assertThat(ExitCode.values())
                .extracting(ExitCode::code)
                .containsExactly(0, 1, 2, 3, 4, 70, 130);
        String readme = Files.readString(Path.of("../README.md"));
        for (ExitCode c : ExitCode.values()) {
            assertThat(readme).contains("| " + c.code() + " |");
        }
    }

    private static String firstWords(ExitCode c) {
        String[] w = c.meaning().split(" ");
        return Pattern.quote(w[0] + (w.length > 1 ? " " + w[1] : ""));
    }

    /** The project's version, from the POM (the parent's, which the modules inherit). */
    static String pomVersion() throws Exception {
        String pom = Files.readString(Path.of("pom.xml"));
        Matcher m =
                Pattern.compile("<parent>.*?<version>([^<]+)</version>", Pattern.DOTALL)
                        .matcher(pom);
        assertThat(m.find()).isTrue();
        return m.group(1);
    }
}
