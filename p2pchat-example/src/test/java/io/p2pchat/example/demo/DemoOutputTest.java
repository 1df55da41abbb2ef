package io.p2pchat.example.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The demo prints through the same rendering as the console: a name, an address or an error from
 * one of its nodes cannot put a control sequence on the terminal (no peer can inject into the demo,
 * whose three nodes run in one process, so this is the unit-level check).
 */
class DemoOutputTest {
    @Test
    void everyDemoLine_isEscaped() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Narrator demo = new Narrator(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        demo.say("    carol received the listen address 127.0.0.1:1\u001b[2J\n\u202eforged");
        demo.say("    'café 😀' registered");
        assertThat(bytes.toString(StandardCharsets.UTF_8))
                .isEqualTo(
                        "    carol received the listen address 127.0.0.1:1\\x1b[2J\\n"
                                + "\\u202eforged\n"
                                + "    'café 😀' registered\n");
    }
}
