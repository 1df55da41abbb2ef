package io.p2pchat.example;

import io.p2pchat.example.text.ExitCode;
import sun.misc.Signal;

/**
 * Ctrl-C (SIGINT) and SIGTERM: both stop the process with {@link ExitCode#INTERRUPTED}, after the
 * shutdown hooks ran (the node's hook prints what was saved and closes the node).
 *
 * <p>The JVM's own handlers exit with 128 + the signal's number (130 or 143), and a main thread
 * that returns a code of its own while the hooks run could win the race. So {@link #install}
 * replaces them with handlers that record the interruption first ({@link #happened}, which the main
 * thread and the error handler read) and then exit with 130 whatever the signal.
 */
final class Interruption {
    private static volatile boolean happened;

    private Interruption() {}

    /** Installs the handlers (the {@code p2pchat} process only, not tests running in a JVM). */
    static void install() {
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                Signal.handle(
                        new Signal(name),
                        s -> {
                            happened = true;
                            System.exit(ExitCode.INTERRUPTED.code());
                        });
            } catch (IllegalArgumentException e) {
                // The signal is reserved here (java -Xrs): the JVM's default applies.
            }
        }
    }

    /** Whether the process is stopping because of Ctrl-C or SIGTERM. */
    static boolean happened() {
        return happened;
    }
}
