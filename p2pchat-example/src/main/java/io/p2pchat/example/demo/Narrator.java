package io.p2pchat.example.demo;

import static io.p2pchat.example.text.TerminalText.escape;

import java.io.PrintStream;
import java.time.Duration;

/**
 * The demo's voice: prints its lines (escaped), titles and sections, and keeps whether every check
 * passed. Shared by the demo's parts; {@link #say} is synchronized (a node's thread may report a
 * problem while the demo speaks).
 */
final class Narrator {
    /** The longest the demo waits for any one thing. */
    static final Duration WAIT = Duration.ofSeconds(20);

    /** The indentation of a step's details. */
    static final String INDENT = "    ";

    private final PrintStream out;
    private volatile boolean ok = true;

    Narrator(PrintStream out) {
        this.out = out;
    }

    /** Prints a line; a line break or control character in it is shown escaped (a backstop). */
    synchronized void say(String line) {
        out.println(escape(line));
        out.flush();
    }

    void title(String text) {
        say(text);
        say("=".repeat(text.length()));
    }

    void section(String text) {
        say("");
        say("-- " + text + " " + "-".repeat(Math.max(3, 76 - text.length())));
    }

    /** Says that a check failed, unless {@code condition}; the demo then exits 1. */
    void check(boolean condition, String what) {
        if (!condition) {
            fail();
            say(INDENT + "! check failed: " + what);
        }
    }

    /** Something failed: the demo exits 1. */
    void fail() {
        ok = false;
    }

    /** Whether every check passed so far. */
    boolean ok() {
        return ok;
    }

    static String pad(String s, int width) {
        return s.length() >= width ? s + " " : s + " ".repeat(width - s.length());
    }

    static String seconds(long nanos) {
        return String.format("%.1f s", nanos / 1e9);
    }

    static String millis(long nanos) {
        return (nanos / 1_000_000) + " ms";
    }
}
