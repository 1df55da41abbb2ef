package io.p2pchat.example.event;

import io.p2pchat.example.text.TerminalText;
import java.time.Duration;
import java.util.Map;

/**
 * Where the node, the chat and the commands report what happens: an {@link EventBus} (every view)
 * or, in a test or before the views exist, one view directly. The default methods build the common
 * events, so that the same event reads the same wherever it is made.
 */
@FunctionalInterface
public interface EventSink {
    /** Reports {@code event}; never blocks on a view. */
    void publish(Event event);

    /**
     * Waits, at most {@code max}, until the views have shown what was published so far (a sink that
     * renders at once has nothing to wait for).
     *
     * @return false on time-out
     */
    default boolean flush(Duration max) throws InterruptedException {
        return true;
    }

    /**
     * A {@link Event.Form#LINE} event.
     *
     * @param kind the {@code "event"} field of the JSON form
     * @param text the line people read, escaped
     * @param fields further fields as name, value pairs (a null value is left out of the line)
     */
    default void event(String kind, String text, Object... fields) {
        publish(Event.of(Event.Form.LINE, kind, text, fields));
    }

    /** An informational line: one line, whatever {@code text} holds. */
    default void info(String text) {
        event("info", TerminalText.escape(text), "message", text);
    }

    /** An error, explained: one line, whatever {@code text} holds. */
    default void error(String text) {
        event("error", "error: " + TerminalText.escape(text), "message", text);
    }

    /** Lines people read as they are (a table), with {@code fields} for programs. */
    default void block(String kind, String text, Object... fields) {
        publish(Event.of(Event.Form.BLOCK, kind, text, fields));
    }

    /**
     * A record (an identity, the ledger's status): lines for people, a JSON object for programs, or
     * always the JSON object when {@code json} (a command's option).
     */
    default void record(String kind, String text, Map<String, Object> fields, boolean json) {
        publish(new Event(kind, text, fields, json ? Event.Form.JSON : Event.Form.BLOCK));
    }

    /** Progress of a long operation, {@code fraction} between 0 and 1. */
    default void progress(String stage, String text, double fraction) {
        publish(Event.progress(Event.Form.PROGRESS, stage, text, fraction));
    }
}
