package io.p2pchat.example.event;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One thing the node reports to its views: a message arrived, a peer connected, a command's answer,
 * registration progress... The same event goes to every view (the console today, a web page later),
 * and each renders it its own way.
 *
 * <p>{@code kind} is the {@code "event"} field of the console's JSON lines ({@link EventType} names
 * them all); {@code fields} are the exact values (peer-supplied text as received: a view escapes it
 * for its medium), in the order the JSON form prints them; {@code text} is the line (or lines) the
 * console shows people, already escaped for a terminal with {@code TerminalText}.
 *
 * @param kind the event's JSON name, one of {@link EventType}'s
 * @param text what people read on a console, escaped
 * @param fields the machine-readable fields, in order; values may be null
 * @param form how a console shows it
 */
public record Event(String kind, String text, Map<String, Object> fields, Form form) {

    /** How a console shows an event; a view that keeps every event as data may ignore it. */
    public enum Form {
        /** A line for people (with the time on a terminal); JSON without the null fields. */
        LINE,
        /** As {@link #LINE}, but a terminal shows nothing: the line the person typed said it. */
        QUIET_ON_TERMINAL,
        /** Lines shown as they are (a table, a record); JSON without the null fields. */
        BLOCK,
        /** A JSON object whatever the console's mode (the {@code --json} option of a command). */
        JSON,
        /** Progress of a long operation: a bar on a terminal before the prompt, else a line. */
        PROGRESS,
        /** A step of a long operation: a {@code progress} line, or JSON with its fraction. */
        STEP,
        /**
         * Detail for views that keep the node's state as data (the web page: handshake steps, new
         * blocks); a console does not print it, it shows the same facts through its commands.
         */
        DETAIL
    }

    /** An event; {@code fields} is copied (null values kept). */
    public Event {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(form, "form");
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** The event's type, or {@link EventType#OTHER} for a kind this version does not list. */
    public EventType type() {
        return EventType.of(kind);
    }

    /** An event of {@code form} with {@code fields} given as name, value, name, value... */
    public static Event of(Form form, String kind, String text, Object... fields) {
        return new Event(kind, text, fieldMap(fields), form);
    }

    /** Progress of an operation at {@code stage}, {@code fraction} between 0 and 1. */
    public static Event progress(Form form, String stage, String text, double fraction) {
        return of(
                form,
                "progress",
                text,
                "message",
                text,
                "fraction",
                Math.round(fraction * 100) / 100.0,
                "stage",
                stage);
    }

    /** {@code name, value, name, value...} as an ordered map (null values kept). */
    public static Map<String, Object> fieldMap(Object... fields) {
        if (fields.length % 2 != 0) {
            throw new IllegalArgumentException("fields come in name, value pairs");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < fields.length; i += 2) {
            m.put(String.valueOf(fields[i]), fields[i + 1]);
        }
        return m;
    }

    /** The fields as {@code name, value, name, value...}. */
    public Object[] fieldArray() {
        Object[] a = new Object[fields.size() * 2];
        int i = 0;
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            a[i++] = e.getKey();
            a[i++] = e.getValue();
        }
        return a;
    }
}
