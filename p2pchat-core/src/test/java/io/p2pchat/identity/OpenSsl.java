package io.p2pchat.identity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the {@code openssl} command line, for compatibility tests; bounded to 30 s per call. */
final class OpenSsl {
    private OpenSsl() {}

    /** Whether an {@code openssl} runs here. */
    static boolean available() {
        try {
            run("version");
            return true;
        } catch (IOException | AssertionError e) {
            return false;
        }
    }

    /** Runs {@code openssl args...}; returns its standard output, or fails with its error. */
    static String run(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Process process =
                new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE).start();
        process.getOutputStream().close();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("openssl did not end: " + command);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted", e);
        }
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new AssertionError("openssl " + String.join(" ", args) + " failed: " + err);
        }
        return out;
    }
}
