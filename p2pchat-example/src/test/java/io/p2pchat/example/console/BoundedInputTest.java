package io.p2pchat.example.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.junit.jupiter.api.Test;

/**
 * A 200 KB paste into the terminal console, key by key as a terminal without bracketed paste
 * delivers it: JLine's reader (as the console sets it up) never holds more than the limit, drops
 * the line, and reads the next line normally. Without the bound, JLine keeps and redraws the
 * growing line after every character: minutes, and memory in proportion. The test asserts what was
 * kept and what reached the screen, not a time (the timeouts only stop a hang).
 */
class BoundedInputTest {
    @Test
    void overLongPaste_isDroppedQuickly_andTheNextLineIsRead() throws Exception {
        // Own threads: the reader blocks, and Java 25's common pool has one worker on 2 CPUs, so
        // the typing queued behind the reader there and never ran.
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            pasteInto(threads);
        } finally {
            threads.shutdownNow();
        }
    }

    private static void pasteInto(ExecutorService threads) throws Exception {
        PipedInputStream in = new PipedInputStream(1 << 16);
        PipedOutputStream keys = new PipedOutputStream(in);
        CompletableFuture<Void> prompted = new CompletableFuture<>();
        Screen screen = new Screen("> ", prompted);
        try (Terminal terminal =
                TerminalBuilder.builder()
                        .system(false)
                        .streams(in, screen)
                        .type("xterm-256color")
                        .size(new Size(120, 40))
                        .encoding(StandardCharsets.UTF_8)
                        .build()) {
            LineReader reader = LineReaderBuilder.builder().terminal(terminal).build();
            BoundedInput input = BoundedInput.install(reader, 4224);
            CompletableFuture<String> first =
                    CompletableFuture.supplyAsync(() -> reader.readLine("> "), threads);
            // Typed once the reader shows its prompt (in raw mode by then), as a person types.
            prompted.get(30, TimeUnit.SECONDS);
            CompletableFuture<Void> typing =
                    CompletableFuture.runAsync(
                            () -> {
                                try {
                                    byte[] paste = new byte[200_000];
                                    java.util.Arrays.fill(paste, (byte) 'x');
                                    keys.write(paste);
                                    keys.write("\r/help\r".getBytes(StandardCharsets.UTF_8));
                                    keys.flush();
                                } catch (java.io.IOException e) {
                                    throw new java.io.UncheckedIOException(e);
                                }
                            },
                            threads);
            String line = first.get(60, TimeUnit.SECONDS);
            assertThat(line).isEmpty();
            assertThat(input.takeOverLong()).isTrue();
            assertThat(input.longestBuffer()).isLessThanOrEqualTo(4224 + 1);
            // What JLine drew for the paste: at most the kept part of it, not 200 KB redrawn.
            assertThat(screen.size()).isLessThan(100_000);
            String next =
                    CompletableFuture.supplyAsync(() -> reader.readLine("> "), threads)
                            .get(30, TimeUnit.SECONDS);
            assertThat(next).isEqualTo("/help");
            assertThat(input.takeOverLong()).isFalse();
            typing.get(10, TimeUnit.SECONDS);
        }
    }

    /** What reached the screen; completes {@code seen} once {@code text} was written to it. */
    private static final class Screen extends ByteArrayOutputStream {
        private final String text;
        private final CompletableFuture<Void> seen;

        Screen(String text, CompletableFuture<Void> seen) {
            this.text = text;
            this.seen = seen;
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            super.write(b, off, len);
            check();
        }

        @Override
        public synchronized void write(int b) {
            super.write(b);
            check();
        }

        private void check() {
            if (!seen.isDone() && toString(StandardCharsets.UTF_8).contains(text)) {
                seen.complete(null);
            }
        }
    }
}
