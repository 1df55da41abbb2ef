package io.p2pchat.example;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where the passphrase of an identity comes from, in this order: {@code --passphrase-file}, the
 * {@code P2PCHAT_PASSPHRASE} environment variable (for scripts), or a prompt on the terminal.
 */
public final class Passphrases {
    /** The environment variable scripts may set. */
    public static final String ENV = "P2PCHAT_PASSPHRASE";

    private Passphrases() {}

    /**
     * Reads the passphrase.
     *
     * @param file {@code --passphrase-file}, or null
     * @param confirm ask twice when prompting (for a new identity)
     * @throws UserError when there is no source or the two entries differ
     */
    public static char[] read(Path file, boolean confirm) {
        if (file != null) {
            try {
                String text = Files.readString(file, StandardCharsets.UTF_8).strip();
                if (text.isEmpty()) {
                    throw new UserError("The passphrase file " + file + " is empty.");
                }
                return text.toCharArray();
            } catch (IOException e) {
                throw new UserError(
                        "Cannot read the passphrase file " + file + ": " + e.getMessage(), e);
            }
        }
        String env = System.getenv(ENV);
        if (env != null && !env.isEmpty()) {
            return env.toCharArray();
        }
        Console console = System.console();
        if (console == null) {
            throw new UserError(
                    "No passphrase: this is not a terminal, so set "
                            + ENV
                            + " or use --passphrase-file.");
        }
        char[] first = console.readPassword("Passphrase: ");
        if (first == null || first.length == 0) {
            throw new UserError("An empty passphrase is not allowed.");
        }
        if (confirm) {
            char[] second = console.readPassword("Repeat the passphrase: ");
            boolean same = Arrays.equals(first, second);
            if (second != null) {
                Arrays.fill(second, '\0');
            }
            if (!same) {
                Arrays.fill(first, '\0');
                throw new UserError("The two passphrases differ.");
            }
        }
        return first;
    }

    /** For tests: reads one line from stdin. */
    static char[] fromStdin() throws IOException {
        return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                .readLine()
                .toCharArray();
    }
}
