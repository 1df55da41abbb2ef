package io.p2pchat.example.testing;

import io.p2pchat.example.P2pChat;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a p2pchat command in this JVM (no JVM start-up: faster) with its standard streams captured:
 * for commands that end by themselves and for consoles driven like a {@link ChildNode}.
 */
public final class InProcessNode extends ConsoleDriver {
    private final Writer stdin;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();

    private InProcessNode(String name, String... args) throws IOException {
        super(name);
        PipedInputStream in = new PipedInputStream(1 << 16);
        this.stdin = new OutputStreamWriter(new PipedOutputStream(in), StandardCharsets.UTF_8);
        PrintStream out = new PrintStream(new LineSink(false), true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new LineSink(true), true, StandardCharsets.UTF_8);
        Thread t =
                new Thread(
                        () -> {
                            try {
                                exit.complete(P2pChat.commandLine(in, out, err).execute(args));
                            } catch (Throwable e) {
                                exit.completeExceptionally(e);
                            }
                        },
                        "p2pchat-" + name);
        t.setDaemon(true);
        t.start();
    }

    /** Starts {@code p2pchat args...} in this JVM. */
    public static InProcessNode start(String name, String... args) throws IOException {
        return new InProcessNode(name, args);
    }

    /**
     * Starts {@code p2pchat node --home home --passphrase-file F args...} in this JVM, F being the
     * passphrase file of {@link Homes#passphraseFile(Path) dir}.
     */
    public static InProcessNode node(String name, Path home, Path dir, String... args)
            throws Exception {
        List<String> a =
                new ArrayList<>(
                        List.of(
                                "node",
                                "--home",
                                home.toString(),
                                "--passphrase-file",
                                Homes.passphraseFile(dir).toString()));
        a.addAll(List.of(args));
        return new InProcessNode(name, a.toArray(new String[0]));
    }

    /** Runs a command that ends by itself; returns its exit code, output in {@link #lines()}. */
    public static InProcessNode run(String name, String... args) throws Exception {
        InProcessNode n = new InProcessNode(name, args);
        n.stdin.close();
        n.awaitExit();
        return n;
    }

    /** What the command printed on standard error. */
    public String stderr() {
        return errors.toString();
    }

    /** Standard output as one string. */
    public String stdout() {
        return String.join("\n", lines);
    }

    @Override
    protected Writer stdin() {
        return stdin;
    }

    @Override
    public boolean isAlive() {
        return !exit.isDone();
    }

    /** Waits (bounded) for the exit code. */
    public int awaitExit() throws Exception {
        try {
            return exit.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(name + " did not end\n" + transcript());
        }
    }

    /** Closes standard input (the end of a script) and waits for the exit code. */
    public int endInput() throws Exception {
        stdin.close();
        return awaitExit();
    }

    /** Sends /quit and waits for the exit code. */
    public int quit() throws Exception {
        send("/quit");
        return awaitExit();
    }

    @Override
    public void close() {
        if (isAlive()) {
            try {
                send("/quit");
                exit.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            } catch (Exception e) {
                // best effort
            }
        }
    }

    /** Convenience for assertions. */
    public List<String> out() {
        return lines();
    }
}
