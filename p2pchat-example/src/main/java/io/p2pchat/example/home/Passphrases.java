package io.p2pchat.example.home;

import io.p2pchat.example.text.Explain;
import io.p2pchat.example.text.UserError;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

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
                        Explain.fileProblem("Cannot read the passphrase file " + file, e), e);
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

    /**
     * Reads the passphrase of a new identity (asking twice at a prompt) and checks its strength
     * ({@link #checkStrength}); at a prompt, a weak one is refused with the reason and asked for
     * again, at most three times.
     *
     * @param acceptWeak skip the strength check ({@code --insecure-passphrase}: test identities)
     * @throws UserError when there is no source, the entries differ, or the passphrase is weak
     */
    public static char[] readNew(Path file, boolean acceptWeak) {
        for (int attempt = 1; ; attempt++) {
            char[] p = read(file, true);
            if (acceptWeak) {
                return p;
            }
            Optional<String> weak = weakness(p);
            if (weak.isEmpty()) {
                return p;
            }
            Arrays.fill(p, '\0');
            String env = System.getenv(ENV);
            Console console = System.console();
            boolean prompting = file == null && (env == null || env.isEmpty()) && console != null;
            if (!prompting || attempt == 3) {
                String source =
                        file != null
                                ? "The passphrase in " + file
                                : prompting ? "This passphrase" : "The passphrase in $" + ENV;
                throw new UserError(source + weak.get().substring("This passphrase".length()));
            }
            console.printf("%s%n", weak.get());
        }
    }

    /** The fewest characters of a passphrase. */
    public static final int MIN_LENGTH = 12;

    /** The least estimated strength, in bits (see {@link #checkStrength}). */
    static final int MIN_BITS = 50;

    /** The fewest different characters. */
    static final int MIN_DISTINCT = 6;

    /** Rows of keys and runs of characters a guesser tries first, forwards and backwards. */
    private static final String[] SEQUENCES = {
        "abcdefghijklmnopqrstuvwxyz",
        "0123456789",
        "qwertyuiopasdfghjklzxcvbnm",
        "1234567890-=qwertyuiop[]asdfghjkl;'zxcvbnm,./",
        "qwertzuiopasdfghjklyxcvbnm",
        "azertyuiopqsdfghjklmwxcvbn",
    };

    /**
     * Passwords and phrases at the top of every guessing list (letters only, lower case: a guesser
     * tries them with digits and symbols around and in capitals too).
     */
    private static final String[] COMMON = {
        "password",
        "passphrase",
        "passwort",
        "motdepasse",
        "contrasena",
        "ppchat",
        "chat",
        "qwerty",
        "letmein",
        "iloveyou",
        "admin",
        "administrator",
        "welcome",
        "changeme",
        "secret",
        "topsecret",
        "trustno",
        "monkey",
        "dragon",
        "football",
        "baseball",
        "sunshine",
        "princess",
        "master",
        "login",
        "abc",
        "test",
        "testing",
        "default",
        "guest",
        "hello",
        "helloworld",
        "correcthorsebatterystaple",
        "alice",
        "bob",
        "carol",
    };

    /**
     * Refuses a passphrase that is easy to guess, with the reason and what makes a good one. The
     * rules, simple on purpose (zxcvbn's estimator is not maintained on Maven Central):
     *
     * <ul>
     *   <li>at least {@value #MIN_LENGTH} characters, {@value #MIN_DISTINCT} of them different;
     *   <li>not a run of the alphabet, the digits or a keyboard row (either way round), nor a
     *       shorter part repeated;
     *   <li>not a common password or phrase, whatever digits, symbols and capitals surround it;
     *   <li>an estimate of at least {@value #MIN_BITS} bits: its length times log2 of the size of
     *       the character classes it uses (26 lower-case letters, 26 capitals, 10 digits, 33 other
     *       characters). Twelve lower-case letters make 56 bits; twelve digits only 40.
     * </ul>
     *
     * Four or more unrelated words pass easily. The {@code init} command enforces it unless {@code
     * --insecure-passphrase} (test identities), and so does a change of passphrase. The passphrase
     * is not copied into a {@code String}; the copies this makes are wiped.
     *
     * @throws UserError (exit code 1) naming the rule it breaks
     */
    public static void checkStrength(char[] passphrase) {
        Optional<String> weak = weakness(passphrase);
        if (weak.isPresent()) {
            throw new UserError(weak.get());
        }
    }

    /** Why {@code passphrase} is too easy to guess, or empty. */
    static Optional<String> weakness(char[] passphrase) {
        String advice =
                " Choose one that nobody would guess: four or more unrelated words make a good"
                        + " passphrase.";
        int length = Character.codePointCount(passphrase, 0, passphrase.length);
        if (length < MIN_LENGTH) {
            return Optional.of(
                    "This passphrase is too short: it has "
                            + length
                            + " characters, and a passphrase needs at least "
                            + MIN_LENGTH
                            + "."
                            + advice);
        }
        char[] lower = new char[passphrase.length];
        char[] letters = new char[passphrase.length];
        try {
            int n = 0;
            boolean lowerCase = false;
            boolean upperCase = false;
            boolean digit = false;
            boolean other = false;
            for (int i = 0; i < passphrase.length; i++) {
                char c = passphrase[i];
                lower[i] = Character.toLowerCase(c);
                if (Character.isLetter(c)) {
                    letters[n++] = lower[i];
                }
                lowerCase |= Character.isLowerCase(c);
                upperCase |= Character.isUpperCase(c);
                digit |= c >= '0' && c <= '9';
                other |= !Character.isLetterOrDigit(c);
            }
            if (distinct(lower) < MIN_DISTINCT) {
                return Optional.of(
                        "This passphrase is too easy to guess: it has fewer than "
                                + MIN_DISTINCT
                                + " different characters."
                                + advice);
            }
            if (isSequence(lower) || period(lower) < lower.length) {
                return Optional.of(
                        "This passphrase is too easy to guess: it follows the alphabet or the"
                                + " keyboard, or repeats a shorter part."
                                + advice);
            }
            char[] core = Arrays.copyOf(letters, n);
            char[] unleet = lettersOf(lower, true);
            try {
                if (isCommon(core) || isCommon(unleet)) {
                    return Optional.of(
                            "This passphrase is too easy to guess: it is a common password or"
                                    + " phrase, which guessers try first (with digits and symbols"
                                    + " added)."
                                    + advice);
                }
            } finally {
                Arrays.fill(core, '\0');
                Arrays.fill(unleet, '\0');
            }
            int pool =
                    (lowerCase ? 26 : 0)
                            + (upperCase ? 26 : 0)
                            + (digit ? 10 : 0)
                            + (other ? 33 : 0);
            double bits = length * Math.log(Math.max(pool, 2)) / Math.log(2);
            if (bits < MIN_BITS) {
                return Optional.of(
                        "This passphrase is too easy to guess: "
                                + length
                                + " characters of so few kinds make about "
                                + (int) bits
                                + " bits, and at least "
                                + MIN_BITS
                                + " are needed."
                                + advice);
            }
            return Optional.empty();
        } finally {
            Arrays.fill(lower, '\0');
            Arrays.fill(letters, '\0');
        }
    }

    /**
     * The letters of {@code lower}, with the digits and symbols that stand for letters ("p@ssw0rd")
     * read as those letters when {@code unleet}.
     */
    private static char[] lettersOf(char[] lower, boolean unleet) {
        char[] out = new char[lower.length];
        int n = 0;
        for (char c : lower) {
            char l = unleet ? LEET.getOrDefault(c, c) : c;
            if (Character.isLetter(l)) {
                out[n++] = l;
            }
        }
        char[] result = Arrays.copyOf(out, n);
        Arrays.fill(out, '\0');
        return result;
    }

    private static final java.util.Map<Character, Character> LEET =
            java.util.Map.of(
                    '@', 'a', '4', 'a', '0', 'o', '1', 'i', '!', 'i', '3', 'e', '5', 's', '$', 's',
                    '7', 't', '+', 't');

    private static int distinct(char[] s) {
        int count = 0;
        for (int i = 0; i < s.length && count < MIN_DISTINCT; i++) {
            boolean seen = false;
            for (int j = 0; j < i && !seen; j++) {
                seen = s[j] == s[i];
            }
            count += seen ? 0 : 1;
        }
        return count;
    }

    /** The length of the shortest part that {@code s} repeats ({@code s.length} if none). */
    private static int period(char[] s) {
        for (int p = 1; p <= s.length / 2; p++) {
            boolean repeats = true;
            for (int i = p; i < s.length && repeats; i++) {
                repeats = s[i] == s[i - p];
            }
            if (repeats) {
                return p;
            }
        }
        return s.length;
    }

    /** Whether {@code s} is a piece of a sequence, or of a sequence read backwards. */
    private static boolean isSequence(char[] s) {
        for (String q : SEQUENCES) {
            String cycle = q.repeat(1 + (s.length + q.length() - 1) / q.length() + 1);
            String back = new StringBuilder(cycle).reverse().toString();
            if (indexOf(cycle, s) >= 0 || indexOf(back, s) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** Whether the letters of a passphrase are a common password, alone or repeated. */
    private static boolean isCommon(char[] core) {
        if (core.length == 0) {
            return false;
        }
        int p = period(core);
        for (String word : COMMON) {
            if (word.length() == p) {
                boolean same = true;
                for (int i = 0; i < p && same; i++) {
                    same = word.charAt(i) == core[i];
                }
                if (same) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Where {@code s} occurs in {@code text}, or -1 (no String copy of the passphrase). */
    private static int indexOf(String text, char[] s) {
        for (int i = 0; i + s.length <= text.length(); i++) {
            int j = 0;
            while (j < s.length && text.charAt(i + j) == s[j]) {
                j++;
            }
            if (j == s.length) {
                return i;
            }
        }
        return -1;
    }

    /** For tests: reads one line from stdin. */
    static char[] fromStdin() throws IOException {
        return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                .readLine()
                .toCharArray();
    }
}
