package io.p2pchat.example.console;

import java.io.IOException;
import java.io.Reader;

/**
 * Reads the console's lines from a pipe or a file, none longer than a bound: of a longer line, only
 * its length is kept while the rest of it is read and dropped, so that a line of any size (a 100 KB
 * paste, a file without line ends) takes memory of the bound only, and time of its length.
 *
 * <p>A line ends with {@code \n}; a {@code \r} before it is dropped. Not thread-safe.
 */
final class BoundedLineReader {
    /** One line: its text, or for a line over the bound, its first characters and its length. */
    record Line(String text, long length) {
        /** Whether the line was longer than the bound (and {@link #text} only its start). */
        boolean cut() {
            return length > text.length();
        }
    }

    private final Reader in;
    private final int maxChars;
    private final char[] buffer = new char[8192];
    private int position;
    private int limit;

    /** Lines of at most {@code maxChars} characters from {@code in}. */
    BoundedLineReader(Reader in, int maxChars) {
        if (maxChars < 1) {
            throw new IllegalArgumentException("maxChars: " + maxChars + " (expected >= 1)");
        }
        this.in = in;
        this.maxChars = maxChars;
    }

    /** The next line, or null at the end of the input. */
    Line next() throws IOException {
        StringBuilder kept = new StringBuilder();
        long length = 0;
        boolean any = false;
        while (true) {
            if (position == limit) {
                limit = in.read(buffer, 0, buffer.length);
                position = 0;
                if (limit <= 0) {
                    limit = 0;
                    return any ? line(kept, length) : null;
                }
            }
            any = true;
            int start = position;
            while (position < limit && buffer[position] != '\n') {
                position++;
            }
            int n = position - start;
            int room = (int) Math.max(0, Math.min(n, maxChars + 1L - kept.length()));
            kept.append(buffer, start, room);
            length += n;
            if (position < limit) {
                position++; // the '\n'
                return line(kept, length);
            }
        }
    }

    private Line line(StringBuilder kept, long length) {
        if (length <= maxChars + 1L
                && kept.length() > 0
                && kept.charAt(kept.length() - 1) == '\r') {
            kept.setLength(kept.length() - 1);
            length--;
        }
        if (kept.length() > maxChars) {
            kept.setLength(maxChars);
        }
        return new Line(kept.toString(), length);
    }
}
