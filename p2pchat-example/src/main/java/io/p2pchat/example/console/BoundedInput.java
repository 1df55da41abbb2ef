package io.p2pchat.example.console;

import org.jline.reader.LineReader;
import org.jline.reader.Widget;

/**
 * Bounds the line a person types or pastes into the terminal console. Without it, JLine keeps every
 * character of a paste in its buffer and redraws the whole buffer after each one: a 100 KB paste
 * (from a terminal without bracketed paste, which delivers it key by key) took minutes and more
 * than a gigabyte.
 *
 * <p>Once the buffer holds {@code maxChars} characters, the next character empties it and every
 * further character up to the end of the line is dropped, at the cost of a key press each; the line
 * read then is empty, and {@link #takeOverLong()} says it was over-long. A bracketed paste (one
 * widget call with the whole paste, which JLine reads in one piece) that makes the buffer over-long
 * is dropped the same way.
 */
final class BoundedInput {
    private final LineReader reader;
    private final int maxChars;
    private volatile boolean overLong;
    private volatile int longestBuffer;

    private BoundedInput(LineReader reader, int maxChars) {
        this.reader = reader;
        this.maxChars = maxChars;
    }

    /** Replaces the widgets of {@code reader} that insert text with bounded ones. */
    static BoundedInput install(LineReader reader, int maxChars) {
        BoundedInput b = new BoundedInput(reader, maxChars);
        Widget selfInsert = reader.getWidgets().get(LineReader.SELF_INSERT);
        Widget paste = reader.getWidgets().get(LineReader.BEGIN_PASTE);
        reader.getWidgets().put(LineReader.SELF_INSERT, () -> b.insert(selfInsert));
        if (paste != null) {
            reader.getWidgets().put(LineReader.BEGIN_PASTE, () -> b.insert(paste));
        }
        return b;
    }

    private boolean insert(Widget original) {
        if (overLong) {
            return true; // the rest of an over-long line: dropped
        }
        boolean done = original.apply();
        int length = reader.getBuffer().length();
        if (length > longestBuffer) {
            longestBuffer = length;
        }
        if (length > maxChars) {
            overLong = true;
            reader.getBuffer().clear();
        }
        return done;
    }

    /** The longest the line buffer has been (for tests: what the console kept in memory). */
    int longestBuffer() {
        return longestBuffer;
    }

    /** Whether the line just read was over-long (and was dropped); resets the state. */
    boolean takeOverLong() {
        boolean was = overLong;
        overLong = false;
        return was;
    }
}
