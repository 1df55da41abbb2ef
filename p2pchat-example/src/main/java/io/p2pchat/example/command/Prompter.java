package io.p2pchat.example.command;

import org.jspecify.annotations.Nullable;

/** Asks the person a question in the middle of a command (a passphrase, a confirmation). */
@FunctionalInterface
public interface Prompter {
    /**
     * The line the person answered {@code prompt} with, or null when they gave none (Ctrl-C,
     * Ctrl-D, the page closed).
     *
     * @param secret the answer is not shown while typed (a passphrase)
     */
    @Nullable String readLine(String prompt, boolean secret);
}
