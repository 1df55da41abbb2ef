package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.p2pchat.example.testing.ChildNode;
import io.p2pchat.example.testing.ConsoleDriver;
import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.Relay;
import io.p2pchat.example.testing.RunningNodes;
import io.p2pchat.example.text.ExitCode;
import io.p2pchat.identity.LocalIdentity;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes in child JVMs on loopback, driven through the scriptable console as a shell script would:
 * they form a ledger network (genesis, join), register, connect and chat.
 */
class ChatEndToEndTest {
    @TempDir Path dir;

    @RegisterExtension final RunningNodes nodes = new RunningNodes();

    private ChildNode node(String name, Path home, String... args) throws Exception {
        ChildNode n = ChildNode.start(name, home, args);
        nodes.add(n);
        return n;
    }

    /** The port a plain-mode node listens on, from its start-up line. */
    static int port(ChildNode n) {
        Matcher m = n.awaitMatch(0, "listening on 127\\.0\\.0\\.1:([0-9]+)");
        return Integer.parseInt(m.group(1));
    }

    @Test
    void threeNodes_formANetwork_registerConnectAndChat_plainAndJson() throws Exception {
        Path aliceHome = Homes.init(dir, "alice");
        Path bobHome = Homes.init(dir, "bob");
        Path carolHome = Homes.init(dir, "carol");
        ChildNode alice =
                node(
                        "alice",
                        aliceHome,
                        "--listen",
                        "127.0.0.1:0",
                        "--genesis",
                        "--difficulty",
                        "trivial");
        int alicePort = port(alice);
        ChildNode bob =
                node("bob", bobHome, "--listen", "127.0.0.1:0", "--join", "127.0.0.1:" + alicePort);
        int bobPort = port(bob);
        // carol speaks JSON, and joins through bob: any member will do. She signs her handshakes
        // with RSA, as a node from before delegated credentials: the others still talk with her.
        ChildNode carol =
                node(
                        "carol",
                        carolHome,
                        "--listen",
                        "127.0.0.1:0",
                        "--json",
                        "--no-delegated-credentials",
                        "--join",
                        "127.0.0.1:" + bobPort);
        alice.awaitLine("ready:");
        bob.awaitLine("ready:");
        JsonObject ready = carol.awaitJson(0, "ready", o -> true);
        assertThat(ready.get("name").getAsString()).isEqualTo("carol");
        assertThat(bob.lines())
                .anyMatch(
                        l ->
                                l.contains(
                                        "parameters verified against the network id that the member"
                                                + " at"));

        alice.awaitConfirmed("bob");
        alice.awaitConfirmed("carol");
        bob.awaitConfirmed("alice");
        carol.awaitConfirmed("alice");
        // bob joined through alice: they are connected already; a message goes straight through.
        int a0 = alice.mark();
        int b0 = bob.mark();
        alice.send("/connect bob");
        alice.awaitLine(a0, "bob");
        alice.send("/msg bob hello bob, this is alice");
        bob.awaitLine(b0, "<alice> hello bob, this is alice");
        alice.awaitLine(a0, "delivered to bob: hello bob, this is alice");
        bob.send("/msg alice hi alice, bob here");
        alice.awaitLine(a0, "<bob> hi alice, bob here");

        // carol opens a new channel to alice, by name, and they chat (carol in JSON).
        // (Discovery may have connected them already: the node dials registered addresses.)
        int c0 = carol.mark();
        carol.send("/connect alice");
        JsonObject connected =
                carol.awaitJson(0, "connected", o -> o.get("peer").getAsString().equals("alice"));
        assertThat(connected.get("access").getAsString()).isEqualTo("FULL");
        assertThat(connected.get("suite").getAsString())
                .isEqualTo("X25519_MLKEM768_AES_128_GCM_SHA256");
        assertThat(connected.get("signature").getAsString()).isEqualTo("rsa-pss");
        assertThat(carolHome.resolve("credential.key")).doesNotExist();
        assertThat(aliceHome.resolve("credential.key")).exists();
        carol.send("/msg alice {\"json\": \"is just text\"} from carol");
        alice.awaitLine(a0, "<carol> {\"json\": \"is just text\"} from carol");
        JsonObject delivered = carol.awaitJson(c0, "delivered", o -> true);
        assertThat(delivered.get("to").getAsString()).isEqualTo("alice");
        alice.send("/msg carol welcome, carol");
        JsonObject msg = carol.awaitJson(c0, "message", o -> true);
        assertThat(msg.get("from").getAsString()).isEqualTo("alice");
        assertThat(msg.get("text").getAsString()).isEqualTo("welcome, carol");
        // Plain text goes to the current conversation (the last /msg).
        alice.send("and a second line without a command");
        carol.awaitJson(
                c0,
                "message",
                o -> o.get("text").getAsString().equals("and a second line without a command"));

        // Fingerprints: equal on both sides, session and conversation.
        int a1 = alice.mark();
        alice.send("/fingerprint carol");
        String aliceSession =
                alice.awaitMatch(a1, "session fingerprint: +([0-9 ]{35})").group(1).strip();
        String aliceConversation =
                alice.awaitMatch(a1, "conversation fingerprint: ([0-9 ]{35})").group(1).strip();
        int c1 = carol.mark();
        carol.send("/fingerprint alice");
        JsonObject fp = carol.awaitJson(c1, "fingerprint", o -> true);
        assertThat(fp.get("session_fingerprint").getAsString()).isEqualTo(aliceSession);
        assertThat(fp.get("conversation_fingerprint").getAsString()).isEqualTo(aliceConversation);
        assertThat(fp.get("messages").getAsInt()).isEqualTo(3);

        // The ledger: one JSON line with height and tip; the same tip everywhere.
        int a2 = alice.mark();
        alice.send("/ledger --json");
        JsonObject al =
                ConsoleDriver.parse(
                        alice.await(a2, l -> l.startsWith("{\"event\":\"ledger\""), "ledger"));
        assertThat(al.get("height").getAsLong()).isPositive();
        assertThat(al.get("tip").getAsString()).matches("[0-9a-f]{64}");
        assertThat(al.get("identities").getAsInt()).isEqualTo(3);
        int c2 = carol.mark();
        carol.send("/ledger");
        JsonObject cl = carol.awaitJson(c2, "ledger", o -> true);
        assertThat(cl.get("network_id").getAsString())
                .isEqualTo(al.get("network_id").getAsString());

        // History, peers, key rotation.
        int a3 = alice.mark();
        alice.send("/history bob");
        alice.awaitLine(a3, "history with bob: 2 messages");
        alice.awaitLine(a3, "<you> hello bob, this is alice");
        alice.send("/peers");
        alice.awaitMatch(a3, "bob +FULL");
        alice.send("/rotate bob");
        alice.awaitLine(a3, "rotated keys with bob");
        alice.send("/rotate carol --rekey");
        alice.awaitLine(a3, "rekeyed with carol");
        alice.send("/msg carol after the rekey");
        carol.awaitJson(c2, "message", o -> o.get("text").getAsString().equals("after the rekey"));

        // Person-facing console errors.
        alice.send("/msg nobody hello?");
        alice.awaitLine(a3, "error: Unknown name 'nobody'");
        alice.send("/frobnicate");
        alice.awaitLine(a3, "error: unknown command /frobnicate");

        assertThat(carol.quit()).isZero();
        assertThat(bob.quit()).isZero();
        // alice's script had two failed commands (on purpose): its exit status says so.
        assertThat(alice.quit()).isEqualTo(ExitCode.USER_ERROR.code());
    }

    @Test
    void restartedNode_findsItsHistoryAndLedgerIntact_andGetsWhatWasSentMeanwhile()
            throws Exception {
        Path aliceHome = Homes.init(dir, "alice");
        Path bobHome = Homes.init(dir, "bob");
        ChildNode alice =
                node(
                        "alice",
                        aliceHome,
                        "--listen",
                        "127.0.0.1:0",
                        "--genesis",
                        "--difficulty",
                        "trivial");
        int alicePort = port(alice);
        String join = "127.0.0.1:" + alicePort;
        ChildNode bob = node("bob", bobHome, "--listen", "127.0.0.1:0", "--json", "--join", join);
        alice.awaitLine("ready:");
        bob.awaitJson(0, "ready", o -> true);
        // Without /whois polls that fail while bob's name is on its way (the exit status of
        // alice's script is checked below).
        alice.awaitConnectedAndConfirmed("bob");
        bob.awaitConfirmed("alice");
        alice.send("/msg bob first message");
        bob.awaitJson(0, "message", o -> o.get("text").getAsString().equals("first message"));
        bob.send("/msg alice first reply");
        alice.awaitLine("delivered to bob: first message");
        alice.awaitLine("<bob> first reply");
        int b0 = bob.mark();
        bob.send("/ledger");
        JsonObject before = bob.awaitJson(b0, "ledger", o -> true);
        assertThat(bob.quit()).isZero();
        alice.awaitLine("disconnected from bob");

        // While bob is away: alice's message waits in her history.
        int a0 = alice.mark();
        alice.send("/msg bob sent while you were away");
        alice.awaitLine(a0, "queued: bob is not connected");

        ChildNode again = node("bob again", bobHome, "--json", "--join", join);
        JsonObject started = again.awaitJson(0, "started", o -> true);
        // The ledger came back from disk: at least the height it had (alice may have mined more).
        assertThat(started.get("height").getAsLong())
                .isGreaterThanOrEqualTo(before.get("height").getAsLong());
        again.awaitJson(0, "ready", o -> true);
        again.awaitJson(
                0, "message", o -> o.get("text").getAsString().equals("sent while you were away"));
        alice.awaitLine(a0, "delivered to bob: sent while you were away");
        int r0 = again.mark();
        again.send("/history alice");
        JsonObject history = again.awaitJson(r0, "history", o -> true);
        assertThat(history.get("total").getAsInt()).isEqualTo(3);
        List<String> texts = new ArrayList<>();
        history.getAsJsonArray("messages")
                .forEach(m -> texts.add(m.getAsJsonObject().get("text").getAsString()));
        assertThat(texts)
                .containsExactly("first message", "first reply", "sent while you were away");
        // Still the same conversation on both sides.
        again.send("/fingerprint alice");
        JsonObject fp = again.awaitJson(r0, "fingerprint", o -> true);
        int a1 = alice.mark();
        alice.send("/fingerprint bob");
        String conv =
                alice.awaitMatch(a1, "conversation fingerprint: ([0-9 ]{35})").group(1).strip();
        assertThat(fp.get("conversation_fingerprint").getAsString()).isEqualTo(conv);
        assertThat(again.quit()).isZero();
        assertThat(alice.quit()).isZero();

        // The ledger on disk verifies from genesis.
        var verify =
                io.p2pchat.example.testing.InProcessNode.run(
                        "verify", "ledger", "verify", "--home", bobHome.toString());
        assertThat(verify.awaitExit()).as(verify.transcript()).isZero();
        assertThat(verify.stdout()).startsWith("OK: ");
    }

    @Test
    void eavesdropperOnTheWire_seesNoMessageTextNameOrKey() throws Exception {
        Path aliceHome = Homes.init(dir, "alice");
        Path bobHome = Homes.init(dir, "bob");
        ChildNode alice =
                node(
                        "alice",
                        aliceHome,
                        "--listen",
                        "127.0.0.1:0",
                        "--genesis",
                        "--difficulty",
                        "trivial");
        int alicePort = port(alice);
        try (Relay relay = new Relay(new InetSocketAddress("127.0.0.1", alicePort))) {
            // bob reaches alice only through the relay: parameters, ledger, chat.
            ChildNode bob =
                    node(
                            "bob",
                            bobHome,
                            "--listen",
                            "127.0.0.1:0",
                            "--join",
                            "127.0.0.1:" + relay.port());
            alice.awaitLine("ready:");
            bob.awaitLine("ready:");
            alice.awaitConnectedAndConfirmed("bob");
            bob.awaitConfirmed("alice");
            String secret = "the eagle lands at midnight 7f3a";
            String reply = "understood, bringing the umbrella";
            bob.send("/msg alice " + secret);
            alice.awaitLine("<bob> " + secret);
            bob.awaitLine("delivered to alice");
            alice.send("/msg bob " + reply);
            bob.awaitLine("<alice> " + reply);
            int b0 = bob.mark();
            bob.send("/peers");
            bob.awaitLine(b0, "127.0.0.1:" + relay.port());
            assertThat(bob.quit()).isZero();
            assertThat(alice.quit()).isZero();

            byte[] wire = concat(relay.toTarget(), relay.fromTarget());
            assertThat(relay.connections()).isGreaterThanOrEqualTo(2); // parameters, then bound
            assertThat(wire.length).isGreaterThan(10_000);
            List<byte[]> forbidden = new ArrayList<>();
            for (String s : List.of(secret, reply, "eagle", "umbrella", "alice", "bob")) {
                forbidden.add(s.getBytes(StandardCharsets.UTF_8));
            }
            for (Path home : List.of(aliceHome, bobHome)) {
                LocalIdentity id = Homes.identity(home);
                forbidden.add(id.subjectPublicKeyInfo()); // identities travel encrypted
                forbidden.add(Arrays.copyOf(id.publicKey().getModulus().toByteArray(), 64));
                RSAPrivateCrtKey k = (RSAPrivateCrtKey) id.privateKey();
                forbidden.add(Arrays.copyOf(k.getPrivateExponent().toByteArray(), 32));
                forbidden.add(Arrays.copyOf(k.getPrimeP().toByteArray(), 32));
                forbidden.add(Arrays.copyOf(id.peerId().toBytes(), 16));
            }
            for (byte[] f : forbidden) {
                assertThat(indexOf(wire, f))
                        .as("%s on the wire", new String(f, StandardCharsets.ISO_8859_1))
                        .isEqualTo(-1);
            }
            // It is p2pchat framing throughout: only hellos in clear, then encrypted records.
            assertThat(plaintextFrameTypes(relay.toTarget())).containsOnly(1);
            assertThat(plaintextFrameTypes(relay.fromTarget())).containsOnly(1);
        }
    }

    /** Content types of the frames that are not encrypted (HELLO = 1, plaintext ALERT = 5). */
    static List<Integer> plaintextFrameTypes(byte[] stream) {
        // The relay concatenates connections; each starts with a HELLO. Walk the frames.
        List<Integer> types = new ArrayList<>();
        int i = 0;
        while (i + 9 <= stream.length) {
            long len =
                    ((stream[i] & 0xFFL) << 24)
                            | ((stream[i + 1] & 0xFFL) << 16)
                            | ((stream[i + 2] & 0xFFL) << 8)
                            | (stream[i + 3] & 0xFFL);
            int type = stream[i + 4];
            if (len < 5 || i + 4 + len > stream.length) {
                break;
            }
            if (type == 1 || (type == 5 && len == 6)) {
                types.add(type);
            }
            i += (int) (4 + len);
        }
        return types;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
