package io.p2pchat.example.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.example.event.Event;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The console view renders each form of event as it did before events were a model. */
class OutputFormsTest {
    private static String render(Output.Mode mode, Event e) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new Output(mode, new PrintStream(bytes, true, StandardCharsets.UTF_8)).onEvent(e);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static final Event BLOCK =
            Event.of(Event.Form.BLOCK, "peers", "peer  access\nbob   FULL", "peers", 1, "x", null);

    /** A block is its lines for people, and one JSON event without null fields for programs. */
    @Test
    void block_plainAndJson() {
        assertThat(render(Output.Mode.PLAIN, BLOCK)).isEqualTo("peer  access\nbob   FULL\n");
        assertThat(render(Output.Mode.JSON, BLOCK))
                .isEqualTo("{\"event\":\"peers\",\"peers\":1}\n");
    }

    /** The JSON form (a command's --json option) is JSON in every mode, without null fields. */
    @Test
    void json_isJsonInEveryMode() {
        Map<String, Object> fields = Event.fieldMap("identity", "id", "contact", null);
        Event json = new Event("whois", "'bob'", fields, Event.Form.JSON);
        String expected = "{\"event\":\"whois\",\"identity\":\"id\"}\n";
        assertThat(render(Output.Mode.PLAIN, json)).isEqualTo(expected);
        assertThat(render(Output.Mode.JSON, json)).isEqualTo(expected);
    }

    /** A message just typed is not echoed on a terminal, but scripts and programs see it. */
    @Test
    void quietOnTerminal_onlyOffTerminal() {
        Event sent = Event.of(Event.Form.QUIET_ON_TERMINAL, "sent", "<you -> bob> hi", "to", "bob");
        assertThat(render(Output.Mode.TERMINAL, sent)).isEmpty();
        assertThat(render(Output.Mode.PLAIN, sent)).isEqualTo("<you -> bob> hi\n");
        assertThat(render(Output.Mode.JSON, sent))
                .isEqualTo("{\"event\":\"sent\",\"to\":\"bob\"}\n");
    }

    /**
     * A step is an escaped progress line for people, a progress event with its fraction in JSON.
     */
    @Test
    void step_plainLineAndJsonProgress() {
        Event step = Event.progress(Event.Form.STEP, "mining", "mining\u001b[2J block", 0.5);
        assertThat(render(Output.Mode.PLAIN, step)).isEqualTo("mining\\x1b[2J block\n");
        assertThat(render(Output.Mode.JSON, step))
                .isEqualTo(
                        "{\"event\":\"progress\",\"message\":\"mining\\u001b[2J block\","
                                + "\"fraction\":0.5,\"stage\":\"mining\"}\n");
    }
}
