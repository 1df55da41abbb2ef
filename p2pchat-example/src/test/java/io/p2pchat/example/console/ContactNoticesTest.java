package io.p2pchat.example.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.p2pchat.example.chat.ChatService;
import io.p2pchat.example.chat.ChatService.Contact;
import io.p2pchat.example.event.ChatEvents;
import io.p2pchat.identity.PeerId;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The notices of a name that now belongs to another identity and of a contact's changed key: framed
 * lines for people, one distinct JSON event each for programs ({@code name_changed}, {@code
 * key_changed}).
 */
class ContactNoticesTest {
    private static final PeerId KNOWN = id(1);
    private static final PeerId IMPOSTOR = id(2);
    private static final PeerId NEW_KEY = id(3);

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    private static PeerId id(int b) {
        byte[] x = new byte[PeerId.LENGTH];
        Arrays.fill(x, (byte) b);
        return PeerId.of(x);
    }

    private ChatEvents events(Output.Mode mode) {
        return new ChatEvents(
                new Output(mode, new PrintStream(bytes, true, StandardCharsets.UTF_8)));
    }

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void nameChanged_plain_isFramedAndSaysNothingWasSentAndWhatToDo() {
        events(Output.Mode.PLAIN)
                .onNameChanged(
                        new ChatService.NameChange(
                                "bob", KNOWN, IMPOSTOR, ChatService.Seen.ON_SEND));
        String[] lines = printed().split("\n");
        assertThat(lines[0]).matches("!{72}");
        assertThat(lines[lines.length - 1]).matches("!{72}");
        assertThat(Arrays.copyOfRange(lines, 1, lines.length - 1))
                .allMatch(l -> l.startsWith("!! "));
        assertThat(printed())
                .contains("NAME CHANGED: on your ledger, 'bob' is now ANOTHER identity.")
                .contains("the bob you knew:  identity " + KNOWN.fingerprint())
                .contains("'bob' now:  identity " + IMPOSTOR.fingerprint())
                .contains("NOTHING WAS SENT to 'bob'.")
                .contains("/accept bob")
                .contains("/msg " + KNOWN.toHex() + " <text>");
    }

    @Test
    void nameChanged_json_isItsOwnEvent() {
        events(Output.Mode.JSON)
                .onNameChanged(
                        new ChatService.NameChange(
                                "bob", KNOWN, IMPOSTOR, ChatService.Seen.ON_LEDGER));
        JsonObject o = JsonParser.parseString(printed().strip()).getAsJsonObject();
        assertThat(o.get("event").getAsString()).isEqualTo("name_changed");
        assertThat(o.get("name").getAsString()).isEqualTo("bob");
        assertThat(o.get("former_identity_id").getAsString()).isEqualTo(KNOWN.toHex());
        assertThat(o.get("identity_id").getAsString()).isEqualTo(IMPOSTOR.toHex());
        assertThat(o.get("seen").getAsString()).isEqualTo("on_ledger");
        assertThat(o.get("sent").getAsBoolean()).isFalse();
    }

    @Test
    void keyChanged_heldOrNot_plainAndJson() {
        Contact bob = new Contact(KNOWN, "bob");
        events(Output.Mode.PLAIN)
                .onKeyChanged(new ChatService.KeyChange(bob, KNOWN, NEW_KEY, 5, true, true));
        assertThat(printed())
                .contains("KEY CHANGED: bob's key is not the one you knew.")
                .contains("before: key " + KNOWN.fingerprint())
                .contains("now:    key " + NEW_KEY.fingerprint())
                .contains("a rotation signed by the old key")
                .contains("NOTHING MORE IS SENT to bob until you compare and /verify bob");
        bytes.reset();
        events(Output.Mode.JSON)
                .onKeyChanged(new ChatService.KeyChange(bob, KNOWN, NEW_KEY, 5, false, false));
        JsonObject o = JsonParser.parseString(printed().strip()).getAsJsonObject();
        assertThat(o.get("event").getAsString()).isEqualTo("key_changed");
        assertThat(o.get("identity_id").getAsString()).isEqualTo(KNOWN.toHex());
        assertThat(o.get("previous_key_id").getAsString()).isEqualTo(KNOWN.toHex());
        assertThat(o.get("key_id").getAsString()).isEqualTo(NEW_KEY.toHex());
        assertThat(o.get("rotation").getAsBoolean()).isFalse();
        assertThat(o.get("held").getAsBoolean()).isFalse();
        assertThat(o.get("changed_at_ms").getAsLong()).isEqualTo(5);
    }
}
