package io.p2pchat.example.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import io.p2pchat.example.text.TerminalText;
import io.p2pchat.example.text.TerminalTextTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The output's backstop: no line it prints in any form carries a raw control or format char. */
class OutputTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    private Output output(Output.Mode mode) {
        return new Output(mode, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    }

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void plain_escapesEveryLine_evenTextACallerForgotToEscape() {
        Output out = output(Output.Mode.PLAIN);
        out.event("message", "<alice> " + TerminalTextTest.ATTACK, "text", "ignored");
        out.text("history\n  <alice> pay \u202e001 yap\u0085");
        out.info("one line\n06:59:00 <bob> forged");
        out.error("reason\r\u009b2J");
        out.progress("block\u001b[1A", 0.5);
        assertThat(printed())
                .isEqualTo(
                        "<alice> \\x1b[2J\\x1b[H\\x1b[31mFAKE: 06:59:00 <bob> send me your"
                                + " passphrase\n"
                                + "history\n"
                                + "  <alice> pay \\u202e001 yap\\u0085\n"
                                + "one line\\n06:59:00 <bob> forged\n"
                                + "error: reason\\r\\u009b2J\n"
                                + "block\\x1b[1A\n");
    }

    @Test
    void terminalProgressBar_keepsItsOwnControls_butEscapesTheText() {
        Output out = output(Output.Mode.TERMINAL);
        out.progress("Registering 'x\u001b[2J'", 0.5);
        assertThat(printed())
                .isEqualTo("\r\u001b[2K[############............] Registering 'x\\x1b[2J'");
    }

    @Test
    void json_valuesExact_lineWithoutRawControlOrFormatCharacter() {
        Output out = output(Output.Mode.JSON);
        String text = TerminalTextTest.ATTACK + "\n\u202e\u0085\u2066\u007f\ufeff 😀";
        out.event("message", "ignored", "text", text);
        out.json(Map.of("network", text));
        String[] lines = printed().split("\n");
        assertThat(lines).hasSize(2);
        for (String l : lines) {
            l.codePoints().forEach(cp -> assertThat(TerminalText.isUnsafe(cp)).isFalse());
        }
        assertThat(JsonParser.parseString(lines[0]).getAsJsonObject().get("text").getAsString())
                .isEqualTo(text);
        assertThat(JsonParser.parseString(lines[1]).getAsJsonObject().get("network").getAsString())
                .isEqualTo(text);
    }
}
