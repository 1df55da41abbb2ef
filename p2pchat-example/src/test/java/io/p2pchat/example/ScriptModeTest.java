package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.p2pchat.example.console.Console;
import io.p2pchat.example.testing.ChildNode;
import io.p2pchat.example.testing.ConsoleDriver;
import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.InProcessNode;
import io.p2pchat.example.testing.RunningNodes;
import io.p2pchat.example.text.ExitCode;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console read from a pipe (issue 11): the exit status says whether a command failed or a
 * message was still undelivered when the node left; {@code /help} and errors are JSON under {@code
 * --json}; {@code /history} alone shows the current conversation; a peer that dialled in is shown
 * at its listen address; a line of any length is refused quickly in bounded memory.
 */
class ScriptModeTest {
    @TempDir Path dir;

    @RegisterExtension final RunningNodes nodes = new RunningNodes();

    private InProcessNode node(String name, String... args) throws Exception {
        List<String> a =
                new ArrayList<>(
                        List.of(
                                "node",
                                "--home",
                                Homes.init(dir, name).toString(),
                                "--passphrase-file",
                                Homes.passphraseFile(dir).toString()));
        a.addAll(Arrays.asList(args));
        InProcessNode n = InProcessNode.start(name, a.toArray(new String[0]));
        nodes.add(n);
        return n;
    }

    @Test
    void undeliveredMessage_atTheEndOfTheScript_exitsFour_andHistoryShowsTheConversation()
            throws Exception {
        InProcessNode alice =
                node("alice", "--listen", "127.0.0.1:0", "--genesis", "--difficulty", "trivial");
        Matcher m = alice.awaitMatch(0, "listening on 127\\.0\\.0\\.1:([0-9]+)");
        String aliceAddress = "127.0.0.1:" + m.group(1);
        alice.awaitLine("ready:");
        InProcessNode bob = node("bob", "--listen", "127.0.0.1:0", "--join", aliceAddress);
        String bobPort = bob.awaitMatch(0, "listening on 127\\.0\\.0\\.1:([0-9]+)").group(1);
        bob.awaitLine("ready:");

        // bob dialled alice: alice shows where bob listens, not the port bob dialled from, and
        // does not say she syncs from him.
        String inbound = alice.awaitLine(0, "connected to you");
        assertThat(inbound)
                .contains("listens at 127.0.0.1:" + bobPort)
                .doesNotContain("syncing the ledger");
        // Not /whois polls: a failing one would count as a failed command of the script.
        alice.awaitConnectedAndConfirmed("bob");
        bob.awaitConnectedAndConfirmed("alice");

        int a0 = alice.mark();
        alice.send("/msg bob hello bob");
        alice.awaitLine(a0, "delivered to bob");
        // No argument: the current conversation (alice's /msg, bob's incoming message).
        alice.send("/history");
        alice.awaitLine(a0, "history with bob: 1 message");
        int b0 = bob.mark();
        bob.send("/history");
        bob.awaitLine(b0, "history with alice: 1 message");
        assertThat(bob.quit()).as("nothing failed, nothing pending").isZero();

        a0 = alice.mark();
        alice.send("/msg bob are you there?");
        alice.awaitLine(a0, "queued");
        assertThat(alice.endInput()).isEqualTo(ExitCode.UNDELIVERED.code()).isEqualTo(4);
        assertThat(alice.lines()).anyMatch(l -> l.contains("leaving with 1 undelivered message"));
    }

    @Test
    void failedCommand_exitsOne_andEveryLineIsJson() throws Exception {
        InProcessNode alice =
                node(
                        "alice",
                        "--json",
                        "--listen",
                        "127.0.0.1:0",
                        "--genesis",
                        "--difficulty",
                        "trivial");
        alice.awaitJson(0, "ready", o -> true);
        int a0 = alice.mark();
        alice.send("/help");
        JsonObject help = alice.awaitJson(a0, "help", o -> true);
        JsonArray commands = help.getAsJsonArray("commands");
        assertThat(commands.size()).isGreaterThan(8);
        assertThat(commands.toString())
                .contains("\"usage\":\"/history [peer] [n]\"")
                .contains("\"usage\":\"/quit\"");
        alice.send("/history");
        JsonObject none = alice.awaitJson(a0, "error", o -> true);
        assertThat(none.get("message").getAsString()).contains("no conversation yet");
        alice.send("/connect nobody");
        alice.awaitJson(a0, "error", o -> o.get("message").getAsString().contains("nobody"));
        assertThat(alice.endInput()).isEqualTo(ExitCode.USER_ERROR.code());
        for (String l : alice.lines()) {
            assertThat(ConsoleDriver.parse(l)).as(l).isNotNull();
        }
        JsonObject bye = ConsoleDriver.parse(alice.lines().get(alice.lines().size() - 1));
        assertThat(bye.get("event").getAsString()).isEqualTo("bye");
        assertThat(bye.get("failed_commands").getAsBoolean()).isTrue();
    }

    /**
     * A 100 MB line piped into a node with a 64 MB heap: refused within seconds, with the limit in
     * the message, and the node goes on (a line reader that keeps the line runs out of memory).
     */
    @Test
    void overLongLine_isRefusedQuickly_inBoundedMemory() throws Exception {
        Path home = Homes.init(dir, "alice");
        ChildNode alice =
                ChildNode.startWithHeap(
                        "alice",
                        "64m",
                        home,
                        "--passphrase-file",
                        Homes.passphraseFile(dir).toString(),
                        "--listen",
                        "127.0.0.1:0",
                        "--genesis",
                        "--difficulty",
                        "trivial");
        nodes.add(alice);
        alice.awaitLine("ready:");
        int a0 = alice.mark();
        OutputStream in = alice.rawStdin();
        byte[] chunk = new byte[1 << 20];
        Arrays.fill(chunk, (byte) 'x');
        in.write("/msg alice ".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 100; i++) {
            in.write(chunk);
        }
        in.write("\n/help\n".getBytes(StandardCharsets.UTF_8));
        in.flush();
        String refused = alice.awaitLine(a0, "error: this line is longer than");
        assertThat(refused)
                .contains(Console.MAX_LINE_CHARS + " characters")
                .contains("a message has at most 4096");
        alice.awaitLine(a0, "Commands:");
        assertThat(alice.quit()).as("the refused line is a failed command").isEqualTo(1);
        assertThat(alice.transcript()).doesNotContain("OutOfMemoryError");
    }
}
