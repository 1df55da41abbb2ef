package io.p2pchat.example.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A node in a child JVM on the test class path: {@code p2pchat node --home HOME ARGS}, with the
 * passphrase in the environment and the console on its standard input and output.
 */
public final class ChildNode extends ConsoleDriver {
    private final Process process;
    private final Writer stdin;
    private final List<Thread> pumps = new ArrayList<>();

    private ChildNode(String name, Process process) {
        super(name);
        this.process = process;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        pumps.add(pump(process.getInputStream(), new LineSink(false), name + "-out"));
        pumps.add(pump(process.getErrorStream(), new LineSink(true), name + "-err"));
    }

    /** The command line that runs p2pchat with {@code args} in a child JVM. */
    public static List<String> command(String... args) {
        return command(List.of(), args);
    }

    /**
     * The command line that runs p2pchat with {@code args} in a child JVM of at most {@code heap}.
     */
    public static List<String> commandWithHeap(String heap, String... args) {
        return command(List.of("-Xmx" + heap), args);
    }

    /** The command line that runs p2pchat with {@code args} in a child JVM with {@code jvmArgs}. */
    public static List<String> command(List<String> jvmArgs, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The C2 AVX-512 workaround of this build host (docs/ledger.md, "Known JVM issue").
        cmd.add("-XX:+UnlockDiagnosticVMOptions");
        cmd.add("-XX:ArrayOperationPartialInlineSize=0");
        cmd.add("-Xmx256m");
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.p2pchat.example.P2pChat");
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Starts {@code p2pchat node --home home args...}. */
    public static ChildNode start(String name, Path home, String... args) throws IOException {
        return start(name, home, List.of(), args);
    }

    /** Starts {@code p2pchat node --home home args...} in a JVM of at most {@code heap}. */
    public static ChildNode startWithHeap(String name, String heap, Path home, String... args)
            throws IOException {
        return start(name, home, List.of("-Xmx" + heap), args);
    }

    /** Starts {@code p2pchat node --home home args...} in a JVM with {@code jvmArgs}. */
    public static ChildNode start(String name, Path home, List<String> jvmArgs, String... args)
            throws IOException {
        List<String> a = new ArrayList<>(List.of("node", "--home", home.toString()));
        a.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command(jvmArgs, a.toArray(new String[0])));
        pb.environment().put("P2PCHAT_PASSPHRASE", Homes.PASSPHRASE);
        return new ChildNode(name, pb.start());
    }

    private static Thread pump(InputStream in, java.io.OutputStream sink, String threadName) {
        Thread t =
                new Thread(
                        () -> {
                            byte[] buf = new byte[8192];
                            try (in) {
                                int n;
                                while ((n = in.read(buf)) >= 0) {
                                    sink.write(buf, 0, n);
                                }
                            } catch (IOException e) {
                                // the process ended
                            }
                        },
                        threadName);
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Override
    protected Writer stdin() {
        return stdin;
    }

    @Override
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Sends /quit and waits (bounded) for the exit code. */
    public int quit() throws InterruptedException {
        send("/quit");
        return awaitExit();
    }

    /** Closes standard input (end of the script) and waits for the exit code. */
    public int endInput() throws InterruptedException, IOException {
        stdin.close();
        return awaitExit();
    }

    /** Waits (bounded) for the process to end. */
    public int awaitExit() throws InterruptedException {
        if (!process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(name + " did not exit\n" + transcript());
        }
        // Everything the process printed is read before its exit is reported.
        for (Thread t : pumps) {
            t.join(TimeUnit.SECONDS.toMillis(10));
        }
        return process.exitValue();
    }

    /** Sends SIGTERM and waits (bounded) for the exit code. */
    public int terminate() throws InterruptedException {
        // Through the handle: Process.destroy() would also close our end of its output pipes,
        // losing what the node prints while it shuts down.
        process.toHandle().destroy();
        return awaitExit();
    }

    /** Sends SIGINT (what Ctrl-C sends) and waits (bounded) for the exit code. */
    public int interrupt() throws InterruptedException, IOException {
        Process kill =
                new ProcessBuilder("kill", "-INT", Long.toString(process.pid()))
                        .redirectErrorStream(true)
                        .start();
        if (!kill.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -INT " + process.pid() + " failed");
        }
        return awaitExit();
    }

    /** Standard input of the process, for a test that writes more than lines. */
    public java.io.OutputStream rawStdin() {
        return process.getOutputStream();
    }

    /** Kills the process (SIGKILL): the peer sees the connection drop mid-session. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
