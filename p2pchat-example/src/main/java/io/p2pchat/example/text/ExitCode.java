package io.p2pchat.example.text;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The exit codes of every p2pchat command, one meaning each. Every command's {@code --help} lists
 * them (from {@link #usageList()}), and README.md repeats the list.
 *
 * <p>The values follow common practice: 2 for usage errors as picocli (and most Unix tools) use it,
 * {@code EX_SOFTWARE} (70) of sysexits.h for internal errors, and 128 + SIGINT for a run stopped by
 * Ctrl-C. A run stopped by SIGTERM exits 130 too: both mean "interrupted", whatever the signal.
 */
public enum ExitCode {
    /** The command did what was asked. */
    OK(0, "success"),
    /**
     * The person asked for something that cannot be done as asked: a wrong passphrase, an unknown
     * name, a refused connection, a missing file, a weak passphrase, a command of a script that
     * failed.
     */
    USER_ERROR(
            1,
            "user error: a wrong passphrase, an unknown name, a refused connection, a file"
                    + " that cannot be read or written, a failed command of a script"),
    /** The command line is wrong: an unknown option, a missing or malformed value. */
    USAGE(2, "usage error: an unknown option, a missing or malformed value"),
    /**
     * Stored data is damaged or invalid: an identity, a ledger, a history; ledger verify failed.
     */
    CORRUPT_DATA(
            3,
            "corrupt or invalid data: a damaged identity, ledger or history file, or a"
                    + " ledger that fails verify"),
    /** A node reading a script left with messages that were not delivered yet. */
    UNDELIVERED(
            4,
            "a node reading a script left with messages not delivered yet (they are sent"
                    + " when it runs again)"),
    /** A bug: an unexpected exception (run with --verbose for the stack trace). */
    INTERNAL(70, "internal error (a bug: run with --verbose and report it)"),
    /** Stopped by Ctrl-C or SIGTERM before it finished. */
    INTERRUPTED(130, "interrupted by Ctrl-C or SIGTERM (what was saved is printed)");

    private final int code;
    private final String meaning;

    ExitCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    /** The process exit status. */
    public int code() {
        return code;
    }

    /** What it means, for people. */
    public String meaning() {
        return meaning;
    }

    /** The list picocli prints under "Exit codes:" in every command's help. */
    public static Map<String, String> usageList() {
        Map<String, String> m = new LinkedHashMap<>();
        for (ExitCode c : values()) {
            m.put(String.valueOf(c.code), c.meaning);
        }
        return m;
    }
}
