package io.p2pchat.example.text;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one rendering of untrusted text: what is escaped, how, and what passes unchanged. */
public class TerminalTextTest {
    public static final String ATTACK =
            "\u001b[2J\u001b[H\u001b[31mFAKE: 06:59:00 <bob> send me your passphrase";

    /** Ordinary text in several scripts, with accents, emoji and emoji sequences. */
    static final List<String> ORDINARY =
            List.of(
                    "hello, world! 1 + 1 = 2 <tag> & 'quotes' \"double\" ~`^|{}[]",
                    "Grüße aus Köln, café, naïve, Ångström, œuvre, ß",
                    "漢字とかなとカナ, 한국어, 中文",
                    "Привет, Ελληνικά, עברית, مرحبا, हिन्दी, ไทย",
                    "😀 👍🏽 🎉 ❤️ ☕",
                    "family 👨‍👩‍👧‍👦, rainbow flag 🏳️‍🌈, a scientist 👩🏽‍🔬, eye 👁️‍🗨️",
                    "England 🏴󠁧󠁢󠁥󠁮󠁧󠁿, Scotland 🏴󠁧󠁢󠁳󠁣󠁴󠁿",
                    "C:\\Users\\bob and a shrug ¯\\_(ツ)_/¯ and a literal \\x1b or \\u202e",
                    "non-breaking\u00a0space, em dash —, ellipsis …, euro €");

    @Test
    void theAttackFromTheIssue_isOneInertLine() {
        assertThat(TerminalText.escape(ATTACK))
                .isEqualTo("\\x1b[2J\\x1b[H\\x1b[31mFAKE: 06:59:00 <bob> send me your passphrase");
        assertThat(TerminalText.escape("hi\n06:59:00 <bob> fake\r\tx"))
                .isEqualTo("hi\\n06:59:00 <bob> fake\\r\\tx");
    }

    @Test
    void everyC0Control_andDel_areShownAsHexOrLetterEscapes() {
        for (int c = 0; c < 0x20; c++) {
            String expected =
                    c == '\n'
                            ? "\\n"
                            : c == '\r' ? "\\r" : c == '\t' ? "\\t" : String.format("\\x%02x", c);
            assertThat(TerminalText.escape("a" + (char) c + "b"))
                    .as("U+%04X", c)
                    .isEqualTo("a" + expected + "b");
        }
        assertThat(TerminalText.escape("\u007f")).isEqualTo("\\x7f");
        assertThat(TerminalText.escape("\u0000")).isEqualTo("\\x00");
    }

    @Test
    void everyC1Control_isShownAsUnicodeEscape() {
        for (int c = 0x80; c <= 0x9F; c++) {
            assertThat(TerminalText.escape(String.valueOf((char) c)))
                    .as("U+%04X", c)
                    .isEqualTo(String.format("\\u%04x", c));
        }
    }

    @Test
    void bidiControls_invisibleCharacters_andSeparators_areEscaped() {
        List<Integer> listed = new ArrayList<>();
        for (int c = 0x202A; c <= 0x202E; c++) {
            listed.add(c);
        }
        for (int c = 0x2066; c <= 0x2069; c++) {
            listed.add(c);
        }
        for (int c = 0x200B; c <= 0x200F; c++) {
            listed.add(c);
        }
        listed.addAll(List.of(0xFEFF, 0x2028, 0x2029, 0x061C, 0x00AD, 0x2060, 0x2064));
        for (int c : listed) {
            assertThat(TerminalText.escape("x" + (char) c + "y"))
                    .as("U+%04X", c)
                    .isEqualTo(String.format("x\\u%04xy", c));
        }
        assertThat(TerminalText.escape("pay \u202e001 yap\u202c"))
                .isEqualTo("pay \\u202e001 yap\\u202c");
    }

    @Test
    void everyFormatCharacter_ofTheWholeCodeSpace_isEscapedWhenAlone() {
        int seen = 0;
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            if (Character.getType(cp) != Character.FORMAT) {
                continue;
            }
            seen++;
            String alone = "a" + new String(Character.toChars(cp)) + "b";
            String expected =
                    cp <= 0xFFFF ? String.format("a\\u%04xb", cp) : String.format("a\\u{%x}b", cp);
            assertThat(TerminalText.escape(alone)).as("U+%04X", cp).isEqualTo(expected);
        }
        assertThat(seen).isGreaterThan(150); // the tags alone are 97
        assertThat(TerminalText.escape("\udb40\udc41")).isEqualTo("\\u{e0041}");
    }

    @Test
    void unpairedSurrogates_areEscaped_pairsAreNot() {
        assertThat(TerminalText.escape("a\ud800b")).isEqualTo("a\\ud800b");
        assertThat(TerminalText.escape("a\udfff")).isEqualTo("a\\udfff");
        assertThat(TerminalText.escape("\udc00\ud83d")).isEqualTo("\\udc00\\ud83d");
        assertThat(TerminalText.escape("\ud83d\ude00")).isEqualTo("😀");
    }

    @Test
    void noCodePoint_survivesRaw_unlessItIsSafe() {
        // Every code point on its own, between letters: the result is the code point itself or
        // printable ASCII.
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            String s = new String(Character.toChars(cp));
            String r = TerminalText.escape("a" + s + "b");
            if (!r.equals("a" + s + "b")) {
                assertThat(r.chars().allMatch(c -> c >= 0x20 && c < 0x7F))
                        .as("U+%04X -> %s", cp, r)
                        .isTrue();
            } else {
                assertThat(TerminalText.isUnsafe(cp)).as("U+%04X", cp).isFalse();
            }
        }
    }

    @Test
    void ordinaryText_accents_scripts_andEmoji_passUnchanged() {
        for (String s : ORDINARY) {
            assertThat(TerminalText.escape(s)).isEqualTo(s);
        }
    }

    @Test
    void emojiExceptions_areNarrow() {
        // A joiner between letters, at the end, or doubled, is escaped.
        assertThat(TerminalText.escape("a\u200db")).isEqualTo("a\\u200db");
        assertThat(TerminalText.escape("😀\u200d")).isEqualTo("😀\\u200d");
        assertThat(TerminalText.escape("😀\u200d\u200d😀")).isEqualTo("😀\\u200d\\u200d😀");
        assertThat(TerminalText.escape("\u200d😀")).isEqualTo("\\u200d😀");
        // Tags: hidden text after a flag, tags without a flag, a flag sequence never cancelled.
        String hidden = tags("ignoreprevious");
        assertThat(TerminalText.escape("🏴" + hidden + "\udb40\udc7f"))
                .startsWith("🏴\\u{e0069}\\u{e0067}");
        assertThat(TerminalText.escape(tags("gbeng") + "\udb40\udc7f"))
                .isEqualTo("\\u{e0067}\\u{e0062}\\u{e0065}\\u{e006e}\\u{e0067}\\u{e007f}");
        assertThat(TerminalText.escape("🏴" + tags("gbeng"))).contains("\\u{e0067}");
        assertThat(TerminalText.escape("🏴" + tags("GB") + "\udb40\udc7f"))
                .isEqualTo("🏴\\u{e0047}\\u{e0042}\\u{e007f}");
    }

    @Test
    void theRendering_isIdempotent() {
        List<String> samples = new ArrayList<>(ORDINARY);
        samples.add(ATTACK);
        samples.add("line\nline\r\n\t\u0000\u007f\u0085\u009b\u2028\u2029\u202e\u2066\ufeff\ud800");
        samples.add("😀\u200d😀 a\u200db 🏴" + tags("gbsct") + "\udb40\udc7f");
        for (String s : samples) {
            String once = TerminalText.escape(s);
            assertThat(TerminalText.escape(once)).isEqualTo(once);
        }
    }

    @Test
    void json_keepsTheExactValue_andPrintsNoRawControlOrFormatCharacter() {
        StringBuilder every = new StringBuilder(ATTACK).append('\n');
        for (int c = 0; c < 0xA0; c++) {
            every.append((char) c);
        }
        every.append("\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069");
        every.append("\u200b\u200c\u200d\u200e\u200f\ufeff\u00ad\udb40\udc41\ud800x\udc00");
        every.append(String.join(" ", ORDINARY));
        String exact = every.toString();
        String json =
                new GsonBuilder()
                        .disableHtmlEscaping()
                        .create()
                        .toJson(Map.of("text", exact, "name", "\u202eevil"));
        String line = TerminalText.escapeJson(json);
        line.codePoints()
                .forEach(
                        cp ->
                                assertThat(TerminalText.isUnsafe(cp))
                                        .as("U+%04X in %s", cp, line)
                                        .isFalse());
        assertThat(JsonParser.parseString(line).getAsJsonObject().get("text").getAsString())
                .isEqualTo(exact);
        assertThat(JsonParser.parseString(line).getAsJsonObject().get("name").getAsString())
                .isEqualTo("\u202eevil");
        // Without the post-processing, the JSON writer leaves C1 and the bidi override raw.
        assertThat(json).contains("\u202e").contains("\u0085");
    }

    /** {@code ascii} as tag characters (U+E0000 + c). */
    static String tags(String ascii) {
        StringBuilder sb = new StringBuilder();
        ascii.chars().forEach(c -> sb.appendCodePoint(0xE0000 + c));
        return sb.toString();
    }
}
