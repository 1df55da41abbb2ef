package io.p2pchat.example.console;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.p2pchat.example.event.Event;
import io.p2pchat.example.event.EventListener;
import io.p2pchat.example.event.EventSink;
import io.p2pchat.example.text.TerminalText;
import java.io.PrintStream;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jline.reader.LineReader;

/**
 * Where the node's console writes, in one of three forms: an interactive terminal (lines appear
 * above the prompt, which JLine redraws, so incoming messages never garble what is being typed),
 * plain lines for scripts, or JSON lines ({@code --json}).
 *
 * <p>Every event has a text for people and fields for machines; the mode picks one. Thread-safe:
 * events come from the console, the chat thread and the ledger.
 *
 * <h2>Untrusted text</h2>
 *
 * Callers render every string that came from outside (a peer's message, a name, an address, an
 * exception's message) with {@link TerminalText#escape} where they embed it in a line, so that a
 * newline in it cannot start a line of its own. As a backstop, every line printed in the terminal
 * and plain forms goes through {@link TerminalText#escape} again (which leaves escaped text as it
 * is): a line this class prints holds no control or format character, and texts for people separate
 * their lines with {@code \n} only. In the JSON form the values stay exact, and the printed line is
 * made terminal-safe by {@link TerminalText#escapeJson}.
 *
 * <h2>The console as a view</h2>
 *
 * This is the console's view of the node's {@link Event}s: subscribed to the {@link
 * io.p2pchat.example.event.EventBus} it renders each one by its {@link Event.Form}, as terminal or
 * plain lines or as one JSON line. Used directly as an {@link EventSink} (before the bus exists, or
 * in a test), it renders on the caller's thread.
 *
 * <p>Threading: every rendering method is {@code synchronized} on this object, which guards the
 * progress-bar state; the bus calls it on its console thread, and the shutdown hook calls {@link
 * #finish}.
 */
public final class Output implements EventSink, EventListener {
    /** The three forms. */
    public enum Mode {
        /** A person at a terminal: timestamps, the prompt redrawn below. */
        TERMINAL,
        /** One plain line per event, for scripts reading stdout. */
        PLAIN,
        /** One JSON object per line, with an {@code "event"} field. */
        JSON
    }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    private final Mode mode;
    private final PrintStream out;
    private volatile LineReader reader;
    private static final java.util.regex.Pattern MINING_RATE =
            java.util.regex.Pattern.compile(", mining [0-9.]+ MH/s");

    private boolean progressShown; // guarded by this
    private String lastProgress = ""; // guarded by this
    private String lastProgressStage = ""; // guarded by this
    private boolean finished; // guarded by this

    /** An output of {@code mode} on {@code out}. */
    public Output(Mode mode, PrintStream out) {
        this.mode = Objects.requireNonNull(mode, "mode");
        this.out = Objects.requireNonNull(out, "out");
    }

    /** Renders {@code e} now, on the caller's thread. */
    @Override
    public void publish(Event e) {
        switch (e.form()) {
            case LINE -> event(e.kind(), e.text(), e.fieldArray());
            case QUIET_ON_TERMINAL -> {
                if (mode != Mode.TERMINAL) {
                    event(e.kind(), e.text(), e.fieldArray());
                }
            }
            case BLOCK -> {
                if (mode == Mode.JSON) {
                    event(e.kind(), "", e.fieldArray());
                } else {
                    text(e.text());
                }
            }
            case JSON -> json(withKind(e));
            case PROGRESS -> progressEvent(e);
            case STEP -> {
                if (mode == Mode.JSON) {
                    progress(e.text(), fraction(e), "stage", e.fields().get("stage"));
                } else {
                    event("progress", TerminalText.escape(e.text()));
                }
            }
            case DETAIL -> {
                // the page's view of the node; the console shows the same through its commands
            }
        }
    }

    /**
     * Progress as published (every change, every mining tick): a bar redrawn on a terminal; for a
     * script, a line (or JSON event) only when the text changes other than by the mining rate, and
     * in plain mode one line for the whole "submitted" stage.
     */
    private synchronized void progressEvent(Event e) {
        String stage = String.valueOf(e.fields().get("stage"));
        if (mode == Mode.TERMINAL) {
            progress(e.text(), fraction(e), "stage", stage);
            return;
        }
        String text = MINING_RATE.matcher(e.text()).replaceAll("");
        String key = stage + "\0" + text;
        if (key.equals(lastProgress)) {
            return;
        }
        lastProgress = key;
        String previousStage = lastProgressStage;
        lastProgressStage = stage;
        if (mode == Mode.JSON) {
            progress(e.text(), fraction(e), "stage", stage);
        } else if (!stage.equals(previousStage) || !stage.equals("submitted")) {
            info(text);
        }
    }

    private static double fraction(Event e) {
        return e.fields().get("fraction") instanceof Number n ? n.doubleValue() : 0;
    }

    private static Map<String, Object> withKind(Event e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", e.kind());
        m.putAll(e.fields());
        return m;
    }

    @Override
    public void onEvent(Event e) {
        publish(e);
    }

    /** The mode. */
    public Mode mode() {
        return mode;
    }

    /** From now on, terminal lines are printed above {@code reader}'s prompt. */
    public void attach(LineReader reader) {
        this.reader = reader;
    }

    /**
     * An event.
     *
     * @param kind the {@code "event"} field of the JSON form
     * @param text the line people read
     * @param fields further JSON fields, in order (null values are left out)
     */
    @Override
    public synchronized void event(String kind, String text, Object... fields) {
        if (finished) {
            return;
        }
        endProgress();
        if (mode == Mode.JSON) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", kind);
            for (int i = 0; i + 1 < fields.length; i += 2) {
                if (fields[i + 1] != null) {
                    m.put(String.valueOf(fields[i]), fields[i + 1]);
                }
            }
            out.println(TerminalText.escapeJson(GSON.toJson(m)));
            out.flush();
            return;
        }
        lines(mode == Mode.TERMINAL ? LocalTime.now().format(TIME) + " " + text : text);
    }

    /** Prints a JSON object on its own line, whatever the mode (for {@code --json} options). */
    public synchronized void json(Map<String, ?> object) {
        if (finished) {
            return;
        }
        endProgress();
        String s = TerminalText.escapeJson(GSON.toJson(object));
        if (reader != null) {
            reader.printAbove(s);
        } else {
            out.println(s);
            out.flush();
        }
    }

    /** Lines people read (a table, help), printed as they are; JSON mode prints them too. */
    public synchronized void text(String text) {
        if (finished) {
            return;
        }
        endProgress();
        lines(text);
    }

    /** An informational line: one line, whatever {@code text} holds. */
    @Override
    public void info(String text) {
        event("info", TerminalText.escape(text), "message", text);
    }

    /** An error, explained: one line, whatever {@code text} holds. */
    @Override
    public void error(String text) {
        event("error", "error: " + TerminalText.escape(text), "message", text);
    }

    /**
     * A progress bar redrawn in place on a terminal (before the prompt exists), a plain line in
     * plain mode (the caller prints only changes), a {@code progress} event in JSON mode.
     */
    public synchronized void progress(String text, double fraction, Object... fields) {
        if (finished) {
            return;
        }
        if (mode == Mode.TERMINAL && reader == null) {
            int width = 24;
            int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * width);
            String bar = "#".repeat(filled) + ".".repeat(width - filled);
            // The carriage return and the erase-line sequence are ours; the text is escaped.
            out.print("\r\033[2K[" + bar + "] " + TerminalText.escape(text));
            out.flush();
            progressShown = true;
            return;
        }
        if (mode == Mode.JSON) {
            Object[] all = new Object[fields.length + 4];
            all[0] = "message";
            all[1] = text;
            all[2] = "fraction";
            all[3] = Math.round(fraction * 100) / 100.0;
            System.arraycopy(fields, 0, all, 4, fields.length);
            event("progress", text, all);
            return;
        }
        line(text);
    }

    /**
     * The last event: printed on a line of its own, after which this output prints nothing more
     * (for the line a stopped process leaves). On a terminal, a progress bar stays and the line
     * goes below it; otherwise the line the cursor is on (where the terminal echoed {@code ^C}) is
     * erased first.
     */
    public synchronized void finish(String kind, String text, Object... fields) {
        if (finished) {
            return;
        }
        if (mode == Mode.TERMINAL && reader == null && !progressShown) {
            out.print("\r\033[2K");
        }
        event(kind, text, fields);
        finished = true;
    }

    private void endProgress() {
        if (progressShown) {
            out.println();
            out.flush();
            progressShown = false;
        }
    }

    private void lines(String text) {
        for (String l : text.split("\n", -1)) {
            line(l);
        }
    }

    private void line(String raw) {
        String s = TerminalText.escape(raw);
        LineReader r = reader;
        if (r != null) {
            r.printAbove(s);
        } else {
            out.println(s);
            out.flush();
        }
    }
}
