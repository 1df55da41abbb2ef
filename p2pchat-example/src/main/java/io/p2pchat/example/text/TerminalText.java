package io.p2pchat.example.text;

/**
 * Renders untrusted text (a peer's message, a name or an address from the ledger, a network name
 * fetched from a member, the message of an exception) so that it cannot act on a terminal: no
 * escape sequence reaches it, no newline forges a second line, no bidirectional override reorders
 * what follows.
 *
 * <h2>The rendering of {@link #escape}</h2>
 *
 * Every character below is replaced by a visible ASCII escape; everything else, letters of any
 * script, accents, punctuation and emoji, passes unchanged.
 *
 * <table>
 *   <caption>Escaped characters</caption>
 *   <tr><th>characters</th><th>shown as</th></tr>
 *   <tr><td>line feed, carriage return, tab</td><td>{@code \n}, {@code \r}, {@code \t}</td></tr>
 *   <tr><td>other C0 controls U+0000-U+001F, DEL U+007F</td>
 *       <td>{@code \xHH}: ESC as {@code \x1b}</td></tr>
 *   <tr><td>C1 controls U+0080-U+009F</td><td><code>&#92;u0080</code> to <code>&#92;u009f</code></td></tr>
 *   <tr><td>line and paragraph separators U+2028, U+2029</td>
 *       <td><code>&#92;u2028</code>, <code>&#92;u2029</code></td></tr>
 *   <tr><td>format characters (general category Cf): the bidi embeddings and overrides
 *       U+202A-U+202E, the isolates U+2066-U+2069, the marks U+200E, U+200F, U+061C, the zero-width
 *       characters U+200B-U+200D, U+2060-U+2064, U+FEFF, the soft hyphen U+00AD, the tags
 *       U+E0000-U+E007F, and the others</td>
 *       <td><code>&#92;u202e</code>; beyond the BMP <code>&#92;u{e0041}</code></td></tr>
 *   <tr><td>unpaired surrogates</td><td><code>&#92;ud800</code></td></tr>
 * </table>
 *
 * Hex digits are lower case. Format characters pass in the two places where emoji are built with
 * them, and only there: a zero-width joiner between two emoji (the families, the rainbow flag) and
 * the tag characters of a subdivision flag (U+1F3F4, 1 to 7 tag digits or letters, U+E007F).
 * Neither can reorder text or move the cursor.
 *
 * <h2>The backslash is not escaped</h2>
 *
 * A peer who types the four characters {@code \x1b} is shown the same as one who sent a real ESC.
 * Both are inert on the screen, which is the property that matters; a program that needs the exact
 * text reads the {@code --json} output. In exchange, ordinary text with backslashes (paths, {@code
 * ¯\_(ツ)_/¯}) stays as typed, and the rendering is idempotent ({@code escape(escape(s)) ==
 * escape(s)}): text escaped where it is embedded in a line can go through the output's backstop
 * again without being doubled.
 *
 * <h2>JSON</h2>
 *
 * {@link #escapeJson} keeps JSON values exact: in a serialized JSON text it replaces every
 * character of the list above (here without the emoji exceptions) by a JSON <code>&#92;uXXXX</code>
 * escape, which a JSON parser turns back into the same character. The JSON writer escapes the C0
 * controls already, but leaves DEL, C1, the separators and format characters raw.
 */
public final class TerminalText {
    private static final int ZWJ = 0x200D;
    private static final int BLACK_FLAG = 0x1F3F4;
    private static final int CANCEL_TAG = 0xE007F;
    private static final int MAX_FLAG_TAGS = 7;

    private TerminalText() {}

    /** {@code text} with every character of the list escaped visibly; null as "null". */
    public static String escape(String text) {
        if (text == null) {
            return "null";
        }
        if (isSafe(text)) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length() + 16);
        int prev = -1;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (cp == BLACK_FLAG) {
                int end = flagTagsEnd(text, next);
                if (end > next) {
                    sb.append(text, i, end);
                    prev = CANCEL_TAG;
                    i = end;
                    continue;
                }
            }
            if (!isUnsafe(cp)
                    || (cp == ZWJ
                            && joinsEmoji(prev)
                            && next < text.length()
                            && isEmoji(text.codePointAt(next)))) {
                sb.appendCodePoint(cp);
            } else {
                appendEscape(sb, cp);
            }
            prev = cp;
            i = next;
        }
        return sb.toString();
    }

    /**
     * A serialized JSON text with every character of the list replaced by its JSON escape (<code>
     * &#92;u202e</code>): still valid JSON, with the same values, and printable on a terminal. Such
     * characters occur only inside JSON strings, since the JSON syntax outside them is ASCII.
     */
    public static String escapeJson(String json) {
        if (isSafe(json)) {
            return json;
        }
        StringBuilder sb = new StringBuilder(json.length() + 16);
        for (int i = 0; i < json.length(); ) {
            int cp = json.codePointAt(i);
            int n = Character.charCount(cp);
            if (isUnsafe(cp)) {
                for (int j = i; j < i + n; j++) {
                    sb.append(String.format("\\u%04x", (int) json.charAt(j)));
                }
            } else {
                sb.appendCodePoint(cp);
            }
            i += n;
        }
        return sb.toString();
    }

    /** Whether {@code cp} is in the list, emoji exceptions aside. */
    public static boolean isUnsafe(int cp) {
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            return true;
        }
        if (cp < 0xA0) {
            return false; // printable ASCII: the common case
        }
        // The bidi controls and invisible characters are Cf in the JDK's Unicode data; they are
        // listed too, so that this list does not depend on the JDK's Unicode version.
        if ((cp >= 0x202A && cp <= 0x202E)
                || (cp >= 0x2066 && cp <= 0x2069)
                || (cp >= 0x200B && cp <= 0x200F)
                || cp == 0xFEFF
                || cp == 0x2028
                || cp == 0x2029) {
            return true;
        }
        int type = Character.getType(cp);
        return type == Character.FORMAT
                || type == Character.SURROGATE
                || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR;
    }

    private static boolean isSafe(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7F) {
                return false;
            }
        }
        return true;
    }

    private static void appendEscape(StringBuilder sb, int cp) {
        switch (cp) {
            case '\n' -> sb.append("\\n");
            case '\r' -> sb.append("\\r");
            case '\t' -> sb.append("\\t");
            default -> {
                if (cp < 0x20 || cp == 0x7F) {
                    sb.append(String.format("\\x%02x", cp));
                } else if (cp <= 0xFFFF) {
                    sb.append(String.format("\\u%04x", cp));
                } else {
                    sb.append(String.format("\\u{%x}", cp));
                }
            }
        }
    }

    /** An emoji, or what may end one before a joiner: a skin tone, the emoji presentation VS16. */
    private static boolean joinsEmoji(int cp) {
        return cp >= 0 && (isEmoji(cp) || cp == 0xFE0F || (cp >= 0x1F3FB && cp <= 0x1F3FF));
    }

    private static boolean isEmoji(int cp) {
        return Character.getType(cp) == Character.OTHER_SYMBOL;
    }

    /**
     * The end of a subdivision flag's tags starting at {@code from} (after U+1F3F4): 1 to 7 tag
     * digits or small letters, then CANCEL TAG; {@code from} when there is no such sequence.
     */
    private static int flagTagsEnd(String s, int from) {
        int i = from;
        int tags = 0;
        while (i < s.length() && tags <= MAX_FLAG_TAGS) {
            int cp = s.codePointAt(i);
            if (cp == CANCEL_TAG) {
                return tags >= 1 ? i + Character.charCount(cp) : from;
            }
            boolean tagDigitOrLetter =
                    (cp >= 0xE0030 && cp <= 0xE0039) || (cp >= 0xE0061 && cp <= 0xE007A);
            if (!tagDigitOrLetter) {
                return from;
            }
            tags++;
            i += Character.charCount(cp);
        }
        return from;
    }
}
