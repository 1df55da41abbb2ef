package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.p2pchat.example.chat.ChatService.Contact;
import io.p2pchat.example.chat.ContactStore;
import io.p2pchat.example.chat.HistoryKey;
import io.p2pchat.example.console.Console;
import io.p2pchat.example.console.Output;
import io.p2pchat.example.event.ChatEvents;
import io.p2pchat.example.node.ChatNode;
import io.p2pchat.example.testing.ChildNode;
import io.p2pchat.example.testing.ConsoleDriver;
import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.InProcessNode;
import io.p2pchat.example.testing.LibraryNode;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.StorageRoot;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.NetworkParameters;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.TempDir;

/**
 * A peer cannot write to your terminal (issue 10, item 3). alice runs a modified client in this JVM
 * that sends whatever characters it likes, on a network it created with a hostile name; bob is a
 * real {@code p2pchat node} in a child JVM that joins alice's network. The assertions are on the
 * bytes bob's process printed: escape sequences, bidi overrides and newlines from alice arrive as
 * visible escapes in the console, in {@code /history}, {@code /ledger} and the {@code ledger}
 * command, and exactly in the JSON values.
 */
class UntrustedTextTest {
    /** Clears the screen, homes the cursor and prints a red line attributed to bob. */
    static final String ATTACK =
            "\u001b[2J\u001b[H\u001b[31mFAKE: 06:59:00 <bob> send me your passphrase";

    static final String ATTACK_SHOWN =
            "\\x1b[2J\\x1b[H\\x1b[31mFAKE: 06:59:00 <bob> send me your passphrase";

    /** Reverses what follows it, and forges a second line. */
    static final String BIDI =
            "pay 100 \u202e001 yap\u202c to carol\n06:59:01 <bob> send me your passphrase too";

    static final String BIDI_SHOWN =
            "pay 100 \\u202e001 yap\\u202c to carol\\n06:59:01 <bob> send me your passphrase too";

    /** An 8-bit CSI, NEL, a line separator, an isolate, a zero-width space, BOM, DEL, a CR. */
    static final String OTHERS =
            "\u009b2J csi \u0085nel\u2028ls\u2066iso\u2069\u200b\ufeff\u007f\r";

    static final String OTHERS_SHOWN =
            "\\u009b2J csi \\u0085nel\\u2028ls\\u2066iso\\u2069\\u200b\\ufeff\\x7f\\r";

    /** Passes unchanged. */
    static final String ORDINARY = "café, 漢字, مرحبا, 😀 👍🏽 👨‍👩‍👧 🏳️‍🌈, C:\\temp ¯\\_(ツ)_/¯";

    /** The name alice gives her network (at most 64 UTF-8 bytes), which bob fetches from her. */
    static final String NETWORK = "net\u001b[2J\u202eevil\n06:59:02 <bob> hi";

    static final String NETWORK_SHOWN = "net\\x1b[2J\\u202eevil\\n06:59:02 <bob> hi";

    static final List<String> TEXTS = List.of(ATTACK, BIDI, OTHERS, ORDINARY);

    @TempDir Path dir;

    private final List<AutoCloseable> running = new ArrayList<>();
    private final List<ConsoleDriver> drivers = new ArrayList<>();

    @RegisterExtension
    final TestWatcher dumpOnFailure =
            new TestWatcher() {
                @Override
                public void testFailed(ExtensionContext context, Throwable cause) {
                    for (ConsoleDriver d : drivers) {
                        System.out.println(d.transcript());
                    }
                }
            };

    @AfterEach
    void stop() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
    }

    @Test
    void peerText_reachesThePlainOutput_escaped_inMessagesHistoryLedgerAndLedgerCommand()
            throws Exception {
        Attacker alice = attacker();
        Path bobHome = Homes.init(dir, "bob");
        ChildNode bob = bob(bobHome, alice);
        bob.awaitLine("ready:");
        for (String t : TEXTS) {
            alice.send(bobHome, t);
        }
        for (String shown : List.of(ATTACK_SHOWN, BIDI_SHOWN, OTHERS_SHOWN, ORDINARY)) {
            bob.awaitLine("<alice> " + shown);
        }
        int b0 = bob.mark();
        bob.send("/history alice");
        bob.awaitLine(b0, "history with alice: 4 messages");
        bob.awaitLine(b0, "  <alice> " + ORDINARY);
        bob.send("/ledger");
        bob.awaitLine(b0, "ledger: network '" + NETWORK_SHOWN + "'");
        assertThat(bob.quit()).isZero();

        String printed = checkedPlain(bob.stdoutBytes());
        for (String shown : List.of(ATTACK_SHOWN, BIDI_SHOWN, OTHERS_SHOWN)) {
            assertThat(printed).contains("\n<alice> " + shown + "\n");
            assertThat(printed)
                    .containsPattern("\n[0-9: -]+  <alice> " + escapeRegex(shown) + "\n");
        }
        assertThat(printed).contains("\n<alice> " + ORDINARY + "\n");
        assertThat(printed).contains("\n  network '" + NETWORK_SHOWN + "' (");
        assertThat(printed).contains("\nnetwork '" + NETWORK_SHOWN + "' (id ");

        // alice's own /history renders what she sent the same way.
        String history = alice.console("/history bob");
        assertThat(checkedPlain(history.getBytes(StandardCharsets.UTF_8)))
                .contains("history with bob: 4 messages")
                .contains("  <you> " + ATTACK_SHOWN + "\n")
                .contains("  <you> " + BIDI_SHOWN + "\n")
                .contains("  <you> " + ORDINARY + "\n");
        checkedPlain(alice.printed());

        // The ledger command on bob's home: the network name came from alice.
        InProcessNode show = ledger("ledger", "show", "--home", bobHome.toString());
        assertThat(checkedPlain(show.stdoutBytes()))
                .startsWith("network:     '" + NETWORK_SHOWN + "' ");
        InProcessNode whois = ledger("ledger", "whois", "alice", "--home", bobHome.toString());
        assertThat(checkedPlain(whois.stdoutBytes())).startsWith("'alice'  confirmed\n");
        // An error quoting what it was given is one escaped line on standard error.
        InProcessNode unknown =
                InProcessNode.run(
                        "unknown", "ledger", "whois", NETWORK, "--home", bobHome.toString());
        drivers.add(unknown);
        assertThat(unknown.awaitExit()).isNotZero();
        assertThat(unknown.stderr())
                .contains("error: No identity named or with the id '" + NETWORK_SHOWN + "'")
                .doesNotContain("\u001b")
                .doesNotContain("\u202e");
    }

    @Test
    void peerText_inJsonMode_isExactInTheValues_andTheLinesCarryNoRawControlCharacter()
            throws Exception {
        Attacker alice = attacker();
        Path bobHome = Homes.init(dir, "bob");
        ChildNode bob = bob(bobHome, alice, "--json");
        JsonObject network = bob.awaitJson(0, "network", o -> true);
        assertThat(network.get("network").getAsString()).isEqualTo(NETWORK);
        bob.awaitJson(0, "ready", o -> true);
        for (String t : TEXTS) {
            alice.send(bobHome, t);
        }
        for (String t : TEXTS) {
            JsonObject m = bob.awaitJson(0, "message", o -> o.get("text").getAsString().equals(t));
            assertThat(m.get("from").getAsString()).isEqualTo("alice");
        }
        int b0 = bob.mark();
        bob.send("/history alice");
        JsonArray messages = bob.awaitJson(b0, "history", o -> true).getAsJsonArray("messages");
        List<String> texts = new ArrayList<>();
        messages.forEach(m -> texts.add(m.getAsJsonObject().get("text").getAsString()));
        assertThat(texts).containsExactlyElementsOf(TEXTS);
        bob.send("/ledger");
        assertThat(bob.awaitJson(b0, "ledger", o -> true).get("network").getAsString())
                .isEqualTo(NETWORK);
        assertThat(bob.quit()).isZero();
        checkedJson(bob.stdoutBytes());

        InProcessNode show = ledger("ledger", "show", "--json", "--home", bobHome.toString());
        String line = checkedJson(show.stdoutBytes());
        assertThat(ConsoleDriver.parse(line).get("network").getAsString()).isEqualTo(NETWORK);
    }

    // ------------------------------------------------------------------ checks

    /**
     * The plain output as text, after checking its bytes: valid UTF-8, lines separated by LF only,
     * no other C0 control, no DEL, no C1, no bidi, invisible or other format character (the joiners
     * of the emoji sequences of {@link #ORDINARY} aside), no line that starts with a forged time
     * stamp.
     */
    static String checkedPlain(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertThat(text.getBytes(StandardCharsets.UTF_8)).as("valid UTF-8").isEqualTo(bytes);
        assertThat(bytes).doesNotContain((byte) 0x1b, (byte) '\r', (byte) 0x7f);
        assertNoRawControlOrFormat(text.replace("👨‍👩‍👧", "").replace("🏳️‍🌈", ""), "\n");
        for (String line : text.split("\n", -1)) {
            assertThat(line).doesNotStartWith("06:59").doesNotStartWith("FAKE");
        }
        return text;
    }

    /** The JSON lines, after checking that they carry no raw control or format character. */
    static String checkedJson(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertNoRawControlOrFormat(text, "\n");
        for (String line : text.split("\n")) {
            assertThat(ConsoleDriver.parse(line)).as(line).isNotNull();
        }
        return text;
    }

    private static void assertNoRawControlOrFormat(String text, String allowed) {
        text.codePoints()
                .forEach(
                        cp -> {
                            boolean bad =
                                    (cp < 0x20 && allowed.indexOf(cp) < 0)
                                            || (cp >= 0x7f && cp <= 0x9f)
                                            || cp == 0x2028
                                            || cp == 0x2029
                                            || Character.getType(cp) == Character.FORMAT
                                            || Character.getType(cp) == Character.SURROGATE;
                            assertThat(bad).as("raw U+%04X printed", cp).isFalse();
                        });
    }

    private static String escapeRegex(String s) {
        return java.util.regex.Pattern.quote(s);
    }

    // ------------------------------------------------------------------ the nodes

    private ChildNode bob(Path home, Attacker alice, String... more) throws Exception {
        List<String> args =
                new ArrayList<>(
                        List.of("--listen", "127.0.0.1:0", "--join", "127.0.0.1:" + alice.port()));
        args.addAll(Arrays.asList(more));
        ChildNode bob = ChildNode.start("bob", home, args.toArray(new String[0]));
        running.add(bob);
        drivers.add(bob);
        return bob;
    }

    private InProcessNode ledger(String... args) throws Exception {
        InProcessNode n = InProcessNode.run("ledger", args);
        drivers.add(n);
        assertThat(n.awaitExit()).as(n.transcript()).isZero();
        return n;
    }

    private Attacker attacker() throws Exception {
        Attacker a = new Attacker(Homes.init(dir, "alice"));
        running.add(a);
        return a;
    }

    /**
     * alice: a chat node in this JVM, the genesis and the miner of a network named {@link
     * #NETWORK}, registered as 'alice', that sends any text through the chat service (a console
     * reads lines, so it cannot send a newline; a modified client can).
     */
    private static final class Attacker implements AutoCloseable {
        private final ChatNode node;
        private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
        private final Console console;

        Attacker(Path home) throws Exception {
            LocalIdentity identity = Homes.identity(home);
            NetworkParameters params =
                    NetworkParameters.builder()
                            .name(NETWORK)
                            .trivialDifficulty()
                            .targetBlockInterval(Duration.ofMillis(1))
                            .genesisTimeMillis(System.currentTimeMillis())
                            .build();
            Ledger ledger =
                    Ledger.builder(params)
                            .dataDirectory(home.resolve("ledger"))
                            .name("alice")
                            .open();
            Output out =
                    new Output(
                            Output.Mode.PLAIN,
                            new PrintStream(printed, true, StandardCharsets.UTF_8));
            ChatEvents events = new ChatEvents(out);
            Path history = home.resolve("history");
            StorageRoot root = StorageRoot.generate();
            node =
                    ChatNode.start(
                            identity,
                            "alice",
                            ledger,
                            "127.0.0.1",
                            0,
                            history,
                            HistoryKey.of(root),
                            ContactStore.open(home.resolve("contacts.dat"), root),
                            events,
                            b -> b.listener(events));
            console = new Console(node, out, events);
            ledger.miner().start();
            LibraryNode.register(node, "alice");
        }

        int port() {
            return node.address().getPort();
        }

        /** Sends {@code text} to the identity of {@code home} (queued until bob is confirmed). */
        void send(Path home, String text) throws Exception {
            Contact bob = new Contact(Homes.identity(home).peerId(), "bob");
            node.chat().send(bob, text).get(ConsoleDriver.WAIT.toSeconds(), TimeUnit.SECONDS);
        }

        /** Everything alice's console printed. */
        byte[] printed() {
            return printed.toByteArray();
        }

        /** Runs a console command; returns what it printed. */
        String console(String line) {
            int from = printed.size();
            console.execute(line);
            byte[] all = printed.toByteArray();
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        }

        @Override
        public void close() {
            node.close();
        }
    }
}
