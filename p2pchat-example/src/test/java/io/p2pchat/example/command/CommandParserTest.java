package io.p2pchat.example.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pchat.example.command.CommandSyntaxException.Reason;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The console's lines become typed commands; malformed ones are rejected with their usage. */
class CommandParserTest {
    private final CommandParser parser = new CommandParser();

    private Command parse(String line) throws CommandSyntaxException {
        return parser.parse(line).orElseThrow();
    }

    /** Blank lines and comments are no command at all. */
    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "# a comment", "  #/quit"})
    void parse_blankOrComment_isEmpty(String line) throws Exception {
        assertThat(parser.parse(line)).isEmpty();
    }

    /** A line without a slash is a text for the current conversation, stripped. */
    @Test
    void parse_plainText_isSay() throws Exception {
        assertThat(parse("  hello there  ")).isEqualTo(new Command.Say("hello there"));
    }

    /** Every command and its aliases, with their arguments. */
    @Test
    void parse_commands_areTyped() throws Exception {
        assertThat(parse("/whois bob --json")).isEqualTo(new Command.Whois("bob", true));
        assertThat(parse("/WHOIS bob")).isEqualTo(new Command.Whois("bob", false));
        assertThat(parse("/msg bob  hi  there ")).isEqualTo(new Command.Msg("bob", "hi  there"));
        assertThat(parse("/m bob hi")).isEqualTo(new Command.Msg("bob", "hi"));
        assertThat(parse("/c 127.0.0.1:7000")).isEqualTo(new Command.Connect("127.0.0.1:7000"));
        assertThat(parse("/rotate --rekey bob")).isEqualTo(new Command.Rotate("bob", true));
        assertThat(parse("/rotate bob")).isEqualTo(new Command.Rotate("bob", false));
        assertThat(parse("/history")).isEqualTo(new Command.History(null, 20));
        assertThat(parse("/history 50")).isEqualTo(new Command.History(null, 50));
        assertThat(parse("/history bob 0")).isEqualTo(new Command.History("bob", 1));
        assertThat(parse("/fp bob")).isEqualTo(new Command.Fingerprint("bob"));
        assertThat(parse("/verify bob")).isEqualTo(new Command.Verify("bob"));
        assertThat(parse("/accept bob")).isEqualTo(new Command.Accept("bob"));
        assertThat(parse("/ledger --json")).isEqualTo(new Command.Ledger(true));
        assertThat(parse("/peers")).isEqualTo(new Command.Peers());
        assertThat(parse("/?")).isEqualTo(new Command.Help());
        assertThat(parse("/exit")).isEqualTo(new Command.Quit());
        assertThat(parse("/identity rotate --key-bits 3072"))
                .isEqualTo(new Command.Identity("rotate", List.of("--key-bits", "3072"), false));
        assertThat(parse("/id --json")).isEqualTo(new Command.Identity("", List.of(), true));
        assertThat(parse("/identity REVOKE --yes"))
                .isEqualTo(new Command.Identity("revoke", List.of("--yes"), false));
    }

    /** Missing or malformed arguments are rejected with the command's usage. */
    @ParameterizedTest
    @CsvSource(
            delimiterString = " => ",
            value = {
                "/connect => usage: /connect <name|peer-id|host:port>",
                "/msg bob => usage: /msg <name|peer-id> <text>",
                "/msg bob     => usage: /msg <name|peer-id> <text>",
                "/fingerprint => usage: /fingerprint <name|peer-id>",
                "/rotate --rekey => usage: /rotate <name|peer-id> [--rekey]",
                "/history bob 5 6 => usage: /history [name|peer-id] [n] (default: the current"
                        + " conversation)",
                "/history bob many => usage: /history [name|peer-id] [n] (default: the current"
                        + " conversation)",
                "/whois --json => usage: /whois <name|peer-id> [--json]",
                "/verify => usage: /verify <name|peer-id>",
                "/accept => usage: /accept <name|peer-id>"
            })
    void parse_badArguments_failsWithUsage(String line, String usage) {
        assertThatThrownBy(() -> parser.parse(line))
                .isInstanceOfSatisfying(
                        CommandSyntaxException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.USAGE))
                .hasMessage(usage);
    }

    /** An unknown command is named in the error, and nothing runs. */
    @Test
    void parse_unknownCommand_failsAsUnknown() {
        assertThatThrownBy(() -> parser.parse("/frobnicate now"))
                .isInstanceOfSatisfying(
                        CommandSyntaxException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_COMMAND))
                .hasMessage("unknown command /frobnicate: /help lists them");
    }
}
