package io.p2pchat.example.home;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pchat.example.testing.InProcessNode;
import io.p2pchat.example.text.ExitCode;
import io.p2pchat.example.text.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The strength check of a new passphrase (issue 11): length and a simple estimate, a clear reason,
 * and an explicit opt-out for test identities.
 */
class PassphraseStrengthTest {
    @TempDir Path dir;

    @ParameterizedTest(name = "''{0}'' is refused: {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "hunter2           | too short: it has 7 characters",
                "elevenchars       | too short: it has 11 characters",
                "aaaaaaaaaaaaaaaa  | fewer than 6 different characters",
                "abababababababab  | fewer than 6 different characters",
                "abcdefghijklmnop  | follows the alphabet or the keyboard",
                "ponmlkjihgfedcba  | follows the alphabet or the keyboard",
                "1234567890123456  | follows the alphabet or the keyboard",
                "qwertyuiopasdf    | follows the alphabet or the keyboard",
                "abcdefabcdefabcdef | repeats a shorter part",
                "Password123456!   | a common password",
                "P@ssw0rd-P@ssw0rd | a common password",
                "correct horse battery staple | a common password",
                "847261938475      | about 39 bits, and at least 50",
            })
    void weak(String passphrase, String reason) {
        assertThatThrownBy(() -> Passphrases.checkStrength(passphrase.toCharArray()))
                .isInstanceOf(UserError.class)
                .hasMessageContaining(reason)
                .hasMessageContaining("four or more unrelated words");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "tangerine wobbly kettle",
                "mauve-otter-syllabus-drift",
                "Vq7#pL2m!xR9",
                "8472619384752601",
                "zèbre café œuvre",
            })
    void strong(String passphrase) {
        Passphrases.checkStrength(passphrase.toCharArray());
    }

    /** Runs {@code p2pchat init} for alice with the passphrase in {@code file}. */
    private InProcessNode init(Path file, String... more) throws Exception {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "init",
                                "--home",
                                dir.resolve("alice").toString(),
                                "--name",
                                "alice",
                                "--key-bits",
                                "2048",
                                "--passphrase-file",
                                file.toString()));
        args.addAll(List.of(more));
        return InProcessNode.run("init", args.toArray(new String[0]));
    }

    /** The person's path: init refuses a weak passphrase and writes no identity. */
    @Test
    void init_refusesAWeakPassphrase_andWritesNothing() throws Exception {
        Path file = dir.resolve("weak");
        Files.writeString(file, "password1234");
        InProcessNode n = init(file);
        assertThat(n.awaitExit()).isEqualTo(ExitCode.USER_ERROR.code());
        assertThat(n.stderr())
                .contains("error: The passphrase in " + file + " is too easy to guess")
                .contains("common password");
        assertThat(dir.resolve("alice").resolve("identity.pem")).doesNotExist();
    }

    /** A test identity opts out explicitly. */
    @Test
    void init_withInsecurePassphrase_acceptsAWeakOne() throws Exception {
        Path file = dir.resolve("weak");
        Files.writeString(file, "test");
        InProcessNode n = init(file, "--insecure-passphrase");
        assertThat(n.awaitExit()).as(n.transcript()).isZero();
        assertThat(dir.resolve("alice").resolve("identity.pem")).exists();
    }
}
