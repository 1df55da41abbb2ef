package io.p2pchat.example.testing;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drives a node's scriptable console: writes command lines to its standard input and waits, with a
 * bound, for lines on its standard output.
 */
public abstract class ConsoleDriver implements AutoCloseable {
    /** Default bound of every wait. */
    public static final Duration WAIT = Duration.ofSeconds(60);

    /** With -Dp2pchat.test.echo=true, every line is printed with a timestamp (debugging). */
    static final boolean ECHO = Boolean.getBoolean("p2pchat.test.echo");

    static final long T0 = System.nanoTime();

    protected final String name;
    protected final List<String> lines = new CopyOnWriteArrayList<>();
    protected final StringBuffer errors = new StringBuffer();
    private final java.io.ByteArrayOutputStream stdoutBytes = new java.io.ByteArrayOutputStream();

    protected ConsoleDriver(String name) {
        this.name = name;
    }

    /** The writer of the node's standard input. */
    protected abstract Writer stdin();

    /** Whether the node still runs. */
    public abstract boolean isAlive();

    /** Stops the node (best effort, bounded). */
    @Override
    public abstract void close();

    /** Sends one line to the console. */
    public void send(String line) {
        try {
            Writer w = stdin();
            w.write(line + "\n");
            w.flush();
        } catch (IOException e) {
            throw new AssertionError(name + ": cannot write to the console: " + e, e);
        }
    }

    /** Notified whenever a line arrives. */
    private final Object arrived = new Object();

    /**
     * Waits until there are more than {@code seen} lines, at most {@code millis} (so that a caller
     * can also notice the node's end); returns at once if there already are.
     */
    private void awaitOutput(int seen, long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (arrived) {
            long left;
            while (lines.size() <= seen && (left = deadline - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(arrived, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
        }
    }

    /** Everything printed so far. */
    public List<String> lines() {
        return new ArrayList<>(lines);
    }

    /** Every byte printed on standard output so far, exactly as printed. */
    public byte[] stdoutBytes() {
        synchronized (stdoutBytes) {
            return stdoutBytes.toByteArray();
        }
    }

    /** The current end of the output, to wait for lines after it. */
    public int mark() {
        return lines.size();
    }

    /** Waits for the first line at or after {@code from} that matches. */
    public String await(int from, Predicate<String> match, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        int i = from;
        while (System.nanoTime() < deadline) {
            while (i < lines.size()) {
                String l = lines.get(i++);
                if (match.test(l)) {
                    return l;
                }
            }
            if (!isAlive() && i >= lines.size()) {
                throw new AssertionError(
                        name + " ended while waiting for " + what + "\n" + transcript());
            }
            awaitOutput(i, 100);
        }
        throw new AssertionError(
                name + ": no " + what + " within " + WAIT.toSeconds() + " s\n" + transcript());
    }

    /** Waits for {@code text} on standard error (bounded by {@link #WAIT}). */
    public void awaitStderr(String text) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (errors.indexOf(text) >= 0) {
                return;
            }
            if (!isAlive()) {
                break;
            }
            synchronized (arrived) {
                if (errors.indexOf(text) < 0) {
                    try {
                        arrived.wait(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new AssertionError("interrupted", e);
                    }
                }
            }
        }
        if (errors.indexOf(text) < 0) {
            throw new AssertionError(name + ": no '" + text + "' on stderr\n" + transcript());
        }
    }

    /** What the process printed on standard error so far. */
    public String stderrText() {
        return errors.toString();
    }

    /** Waits for a line containing {@code text}, anywhere in the output. */
    public String awaitLine(String text) {
        return await(0, l -> l.contains(text), "line containing '" + text + "'");
    }

    /** Waits for a line after {@code from} containing {@code text}. */
    public String awaitLine(int from, String text) {
        return await(from, l -> l.contains(text), "line containing '" + text + "'");
    }

    /** Waits for a line after {@code from} matching {@code regex}; returns the match. */
    public Matcher awaitMatch(int from, String regex) {
        Pattern p = Pattern.compile(regex);
        String l = await(from, s -> p.matcher(s).find(), "line matching /" + regex + "/");
        Matcher m = p.matcher(l);
        m.find();
        return m;
    }

    /** Waits for a JSON line after {@code from} with {@code "event": event} that matches. */
    public JsonObject awaitJson(int from, String event, Predicate<JsonObject> match) {
        String l =
                await(
                        from,
                        s -> {
                            JsonObject o = parse(s);
                            return o != null
                                    && o.has("event")
                                    && o.get("event").getAsString().equals(event)
                                    && match.test(o);
                        },
                        "JSON event '" + event + "'");
        return parse(l);
    }

    /**
     * Waits until this node's ledger shows {@code name} as a confirmed identity: asks {@code
     * /whois} every 250 ms, at most 120 times (blocks travel between nodes in milliseconds, but a
     * script that acts on another node's "ready" may be a little ahead of this node).
     *
     * <p>A {@code /whois} of a name not on the ledger yet is a failed command, so a script-mode
     * node polled this way may exit 1; where a test checks exit status 0 and the peer is connected,
     * use {@link #awaitConnectedAndConfirmed} instead.
     */
    public void awaitConfirmed(String name) {
        for (int i = 0; i < 120; i++) {
            int m = mark();
            send("/whois " + name);
            String l =
                    await(
                            m,
                            s ->
                                    s.contains("error:")
                                            || s.contains("\"event\":\"error\"")
                                            || s.contains("\"event\":\"whois\"")
                                            || s.contains("'" + name + "'"),
                            "an answer to /whois");
            JsonObject o = parse(l);
            boolean confirmed =
                    o != null
                            ? o.has("identity")
                                    && o.getAsJsonObject("identity")
                                                    .get("confirmations")
                                                    .getAsLong()
                                            >= o.getAsJsonObject("identity")
                                                    .get("required_confirmations")
                                                    .getAsLong()
                            : l.contains("'" + name + "'  confirmed");
            if (confirmed) {
                return;
            }
            awaitOutput(mark(), 250); // new output (a block, an event) or 250 ms, then ask again
        }
        throw new AssertionError(
                name + ": " + this.name + " never saw it confirmed\n" + transcript());
    }

    /**
     * Sends {@code command} until its answer is a line matching {@code done}: at most 120 times,
     * each answer being the first line matching {@code answer}, waiting up to 250 ms for new output
     * between tries (for state that another node's blocks bring a moment later).
     *
     * @return the line that matched {@code done}
     */
    public String awaitAnswer(
            String command, Predicate<String> answer, Predicate<String> done, String what) {
        for (int i = 0; i < 120; i++) {
            int m = mark();
            send(command);
            String l = await(m, answer, "an answer to " + command);
            if (done.test(l)) {
                return l;
            }
            awaitOutput(mark(), 250);
        }
        throw new AssertionError(name + ": never " + what + "\n" + transcript());
    }

    /**
     * Waits until {@code name} is connected to this node with full access (a confirmed identity):
     * asks {@code /peers} every 250 ms, at most 240 times. Unlike {@link #awaitConfirmed}, it never
     * makes a command fail, so the exit status of the script stays the test's to check.
     */
    public void awaitConnectedAndConfirmed(String name) {
        Pattern row = Pattern.compile("^" + Pattern.quote(name) + " +FULL ");
        for (int i = 0; i < 240; i++) {
            int m = mark();
            send("/peers");
            String l =
                    await(
                            m,
                            s ->
                                    s.contains("\"event\":\"peers\"")
                                            || s.startsWith("peer ")
                                            || s.contains("no peers connected"),
                            "an answer to /peers");
            JsonObject o = parse(l);
            boolean full = false;
            if (o != null) {
                for (var p : o.getAsJsonArray("peers")) {
                    JsonObject r = p.getAsJsonObject();
                    full |=
                            r.get("peer").getAsString().equals(name)
                                    && r.get("access").getAsString().equals("FULL");
                }
            } else if (l.startsWith("peer ")) {
                int header = m;
                while (!lines.get(header).equals(l)) {
                    header++;
                }
                for (int j = header + 1; j < lines.size() && !full; j++) {
                    full = row.matcher(lines.get(j)).find();
                }
            }
            if (full) {
                return;
            }
            awaitOutput(mark(), 250);
        }
        throw new AssertionError(
                name + ": " + this.name + " never had it connected and confirmed\n" + transcript());
    }

    /** Parses a JSON line, or null. */
    public static JsonObject parse(String line) {
        if (!line.startsWith("{")) {
            return null;
        }
        try {
            return JsonParser.parseString(line).getAsJsonObject();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Output and errors, for failure messages. */
    public String transcript() {
        return "---- "
                + name
                + " stdout ----\n"
                + String.join("\n", lines)
                + "\n---- "
                + name
                + " stderr ----\n"
                + errors;
    }

    /** An output stream that splits what is written into lines. */
    protected final class LineSink extends OutputStream {
        private final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        private final boolean toErrors;

        public LineSink(boolean toErrors) {
            this.toErrors = toErrors;
        }

        @Override
        public synchronized void write(int b) {
            if (!toErrors) {
                synchronized (stdoutBytes) {
                    stdoutBytes.write(b);
                }
            }
            if (b == '\n') {
                String l = buf.toString(StandardCharsets.UTF_8);
                buf.reset();
                if (l.endsWith("\r")) {
                    l = l.substring(0, l.length() - 1);
                }
                if (ECHO) {
                    System.out.printf(
                            "%6d %s%s: %s%n",
                            (System.nanoTime() - T0) / 1_000_000,
                            name,
                            toErrors ? " (stderr)" : "",
                            l);
                }
                if (toErrors) {
                    errors.append(l).append('\n');
                } else {
                    lines.add(l);
                }
                synchronized (arrived) {
                    arrived.notifyAll();
                }
            } else {
                buf.write(b);
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            for (int i = 0; i < len; i++) {
                write(b[off + i]);
            }
        }
    }
}
