package io.p2pchat.example.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.junit.jupiter.api.Test;

/**
 * A 200 KB paste into the terminal console, key by key as a terminal without bracketed paste
 * delivers it: JLine's reader (as the console sets it up) ends the line within seconds, drops it,
 * and reads the next line normally. Without the bound, JLine redraws the growing line after every
 * character: minutes, and memory in proportion.
 */
class BoundedInputTest {
    @Test
    void overLongPaste_isDroppedQuickly_andTheNextLineIsRead() throws Exception {
        PipedInputStream in = new PipedInputStream(1 << 16);
        PipedOutputStream keys = new PipedOutputStream(in);
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
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
                            });
            long start = System.nanoTime();
            CompletableFuture<String> first =
                    CompletableFuture.supplyAsync(() -> reader.readLine("> "));
            String line = first.get(60, TimeUnit.SECONDS);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(line).isEmpty();
            assertThat(input.takeOverLong()).isTrue();
            assertThat(took).isLessThan(Duration.ofSeconds(20));
            String next =
                    CompletableFuture.supplyAsync(() -> reader.readLine("> "))
                            .get(30, TimeUnit.SECONDS);
            assertThat(next).isEqualTo("/help");
            assertThat(input.takeOverLong()).isFalse();
            typing.get(10, TimeUnit.SECONDS);
            System.out.println("200 KB paste dropped in " + took.toMillis() + " ms");
        }
    }
}
