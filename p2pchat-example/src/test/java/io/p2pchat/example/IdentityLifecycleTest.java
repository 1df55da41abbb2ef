package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.p2pchat.example.home.KeyFiles;
import io.p2pchat.example.testing.ChildNode;
import io.p2pchat.example.testing.ConsoleDriver;
import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.InProcessNode;
import io.p2pchat.example.testing.RunningNodes;
import io.p2pchat.identity.PeerId;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The identity lifecycle through the console of real node processes (issue 11): a key rotation
 * while chatting, a revocation, a crash at each step of a rotation, new addresses, a name claimed
 * late. The nodes that only reopen or present a copied home run in this JVM.
 */
class IdentityLifecycleTest {
    @TempDir Path dir;

    @RegisterExtension final RunningNodes nodes = new RunningNodes();

    private ChildNode node(String name, Path home, String... args) throws Exception {
        return node(name, home, List.of(), args);
    }

    private ChildNode node(String name, Path home, List<String> jvm, String... args)
            throws Exception {
        ChildNode n = ChildNode.start(name, home, jvm, args);
        nodes.add(n);
        return n;
    }

    /**
     * A node in this JVM, running the same command: for the nodes that only reopen or present a
     * home (never killed, never stopped by the command they run), it saves a JVM start, which was
     * most of their time (1 to 1.5 s each on a loaded two-core machine).
     */
    private InProcessNode inProcess(String name, Path home, String... args) throws Exception {
        List<String> a = new ArrayList<>(List.of("node", "--home", home.toString()));
        a.add("--passphrase-file");
        a.add(Homes.passphraseFile(dir).toString());
        a.addAll(List.of(args));
        return nodes.add(InProcessNode.start(name, a.toArray(new String[0])));
    }

    static int port(ConsoleDriver n, int from) {
        Matcher m = n.awaitMatch(from, "listening on 127\\.0\\.0\\.1:([0-9]+)");
        return Integer.parseInt(m.group(1));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private ChildNode genesis(String name, Path home, int port) throws Exception {
        return node(
                name,
                home,
                "--listen",
                "127.0.0.1:" + port,
                "--genesis",
                "--difficulty",
                "trivial");
    }

    private static JsonObject whoisJson(ChildNode n, String target) {
        return whoisAnswer(n, target).getAsJsonObject("identity");
    }

    private static JsonObject whoisAnswer(ChildNode n, String target) {
        int m = n.mark();
        n.send("/whois " + target + " --json");
        return n.awaitJson(m, "whois", o -> true);
    }

    @Test
    void rotateThenChat_oldKeyRefused_newKeyAccepted_historyIntact() throws Exception {
        Path aliceHome = Homes.init(dir, "alice");
        Path bobHome = Homes.init(dir, "bob");
        int alicePort = freePort();
        ChildNode alice = genesis("alice", aliceHome, alicePort);
        alice.awaitLine("ready:");
        ChildNode bob =
                node("bob", bobHome, "--listen", "127.0.0.1:0", "--join", "127.0.0.1:" + alicePort);
        bob.awaitLine("ready:");
        alice.awaitConnectedAndConfirmed("bob");
        bob.awaitConfirmed("alice");
        int b0 = bob.mark();
        alice.send("/msg bob before the rotation");
        bob.awaitLine(b0, "<alice> before the rotation");
        PeerId oldKey = Homes.identity(aliceHome).peerId();

        // A copy of alice's home with the old key, to try it after the rotation.
        assertThat(alice.quit()).isZero();
        // The delegated credential is kept encrypted in the home, for the key in use.
        Path credential = aliceHome.resolve("credential.key");
        byte[] oldCredential = Files.readAllBytes(credential);
        assertThat(Homes.credentialKeyId(aliceHome)).contains(oldKey);
        Path oldHome = dir.resolve("alice-old");
        copyTree(aliceHome, oldHome);
        int b1 = bob.mark();
        alice = node("alice2", aliceHome, "--listen", "127.0.0.1:" + alicePort);
        alice.awaitLine("ready:");
        alice.awaitConnectedAndConfirmed("bob");
        // The restart took the stored credential: nothing new was signed or written.
        assertThat(credential).hasBinaryContent(oldCredential);
        // bob redials the address he joined through, or alice (who knows bob) dials him first.
        bob.awaitMatch(b1, "connected to alice|alice connected to you");

        int a0 = alice.mark();
        b0 = bob.mark();
        alice.send("/identity rotate");
        Matcher rotated = alice.awaitMatch(a0, "key rotated: ([0-9a-f]{16}) -> ([0-9a-f]{16})");
        assertThat(rotated.group(1)).isEqualTo(oldKey.shortId());
        PeerId newKey = Homes.identity(aliceHome).peerId();
        assertThat(rotated.group(2)).isEqualTo(newKey.shortId());
        assertThat(newKey).isNotEqualTo(oldKey);
        assertThat(aliceHome.resolve("identity.next.pem")).doesNotExist();
        assertThat(aliceHome.resolve("identity.prev.pem")).doesNotExist();
        // The old key's credential is no longer stored (nor offered): the new key's replaced it.
        assertThat(Homes.credentialKeyId(aliceHome)).contains(newKey);
        // bob is told of the rotation when it reaches his chain; the old key's session stays
        // sync-only until alice's new key connects (the rotation's grace), then closes.
        bob.awaitLine(
                b0,
                "peer "
                        + oldKey.shortId()
                        + " rotated its key to "
                        + newKey.shortId()
                        + " on the ledger; the old key's session closes once the new one"
                        + " connects");
        // bob's client remembers alice's key and says loudly that it changed.
        bob.awaitLine(b0, "KEY CHANGED: alice's key is not the one you knew.");
        bob.awaitLine(b0, "Your ledger records a rotation signed by the old key");

        // Chat goes on under the new key; the conversation is the same.
        bob.awaitConfirmed("alice");
        alice.send("/msg bob after the rotation");
        bob.awaitLine(b0, "<alice> after the rotation");
        bob.send("/msg alice welcome back");
        alice.awaitLine(a0, "<bob> welcome back");
        int h = bob.mark();
        bob.send("/history alice");
        bob.awaitLine(h, "before the rotation");
        bob.awaitLine(h, "after the rotation");
        JsonObject byOld = whoisJson(bob, oldKey.toHex());
        assertThat(byOld.get("state").getAsString()).isEqualTo("rotated");
        assertThat(byOld.get("identity_id").getAsString()).isEqualTo(oldKey.toHex());
        assertThat(byOld.get("key_id").getAsString()).isEqualTo(newKey.toHex());
        assertThat(byOld.getAsJsonArray("key_history")).hasSize(2);
        assertThat(byOld.get("identity_state").getAsString()).isEqualTo("active");
        assertThat(whoisJson(bob, "alice").get("state").getAsString()).isEqualTo("active");
        // The certificate /whois gives is the rotation's: it installs the new key, and verifies.
        JsonObject certificate = whoisAnswer(bob, "alice").getAsJsonObject("certificate");
        assertThat(certificate.get("key_id").getAsString()).isEqualTo(newKey.toHex());
        assertThat(certificate.get("verified").getAsBoolean()).isTrue();
        assertThat(certificate.get("block_header").getAsString()).hasSize(2 * 156);
        assertThat(certificate.get("block_height").getAsLong())
                .isEqualTo(byOld.get("key_height").getAsLong());
        assertThat(whoisJson(bob, newKey.toHex()).get("state").getAsString()).isEqualTo("active");

        // After a restart on the new key, both sides still compute the same conversation.
        assertThat(alice.quit()).isZero();
        alice = node("alice3", aliceHome, "--listen", "127.0.0.1:" + alicePort);
        alice.awaitLine("ready:");
        alice.awaitConnectedAndConfirmed("bob");
        assertThat(conversationFingerprint(alice, "bob"))
                .isEqualTo(conversationFingerprint(bob, "alice"));

        // The old key is refused: bob dials a node that still presents it.
        InProcessNode old =
                inProcess(
                        "alice-old",
                        oldHome,
                        "--listen",
                        "127.0.0.1:0",
                        "--no-mine",
                        "--retry-delays",
                        "60000,60000");
        int oldPort = port(old, 0);
        int c = bob.mark();
        bob.send("/connect 127.0.0.1:" + oldPort);
        bob.awaitLine(c, "KEY CHANGED");
        // ... though it offered the old key's stored credential, still within its validity.
        assertThat(oldHome.resolve("credential.key")).hasBinaryContent(oldCredential);
    }

    @Test
    void revoke_thenPeersRefuse_whoisShowsIt_andTheHomeRefusesToStart() throws Exception {
        Path aliceHome = Homes.init(dir, "alice");
        Path bobHome = Homes.init(dir, "bob");
        int alicePort = freePort();
        ChildNode alice = genesis("alice", aliceHome, alicePort);
        alice.awaitLine("ready:");
        ChildNode bob =
                node(
                        "bob",
                        bobHome,
                        "--listen",
                        "127.0.0.1:0",
                        "--json",
                        "--join",
                        "127.0.0.1:" + alicePort);
        bob.awaitJson(0, "ready", o -> true);
        alice.awaitConnectedAndConfirmed("bob");
        PeerId key = Homes.identity(aliceHome).peerId();
        // A copy of the home from before the revocation, to present the key afterwards.
        assertThat(alice.quit()).isZero();
        byte[] credential = Files.readAllBytes(aliceHome.resolve("credential.key"));
        assertThat(aliceHome.resolve("tickets.dat")).exists();
        Path copy = dir.resolve("alice-copy");
        copyTree(aliceHome, copy);
        int b1 = bob.mark();
        alice = node("alice2", aliceHome, "--listen", "127.0.0.1:" + alicePort);
        alice.awaitLine("ready:");
        alice.awaitConnectedAndConfirmed("bob");
        // bob redials the address he joined through, and a message goes through: the
        // connection the revocation travels over is up (a duplicate dialed by both sides is
        // settled by then).
        bob.awaitJson(b1, "connected", o -> o.get("peer").getAsString().equals("alice"));
        alice.send("/msg bob one last thing");
        bob.awaitJson(b1, "message", o -> o.get("text").getAsString().equals("one last thing"));

        // A script must say --yes.
        int a0 = alice.mark();
        alice.send("/identity revoke");
        alice.awaitLine(a0, "add --yes");
        assertThat(alice.isAlive()).isTrue();

        int b0 = bob.mark();
        alice.send("/identity revoke --yes");
        String revoked = alice.awaitLine(a0, "revoked at block #");
        assertThat(revoked).contains("init --home NEWDIR --name NAME");
        assertThat(alice.awaitExit()).isZero();
        // The revoked key's delegated credential is removed from the home, and its resumption
        // tickets are not saved at the stop that follows.
        assertThat(aliceHome.resolve("credential.key")).doesNotExist();
        assertThat(aliceHome.resolve("tickets.dat")).doesNotExist();
        bob.awaitJson(b0, "revoked", o -> o.get("key_id").getAsString().equals(key.toHex()));
        JsonObject w = whoisJson(bob, "alice");
        assertThat(w.get("state").getAsString()).isEqualTo("revoked");
        assertThat(w.get("revoked_at_height").getAsLong()).isPositive();
        int c = bob.mark();
        bob.send("/msg alice are you there?");
        assertThat(bob.awaitJson(c, "error", o -> true).get("message").getAsString())
                .contains("revoked");

        // The revoked key is refused: bob dials a node that still presents it.
        InProcessNode stale = inProcess("alice-copy", copy, "--listen", "127.0.0.1:0", "--no-mine");
        int stalePort = port(stale, 0);
        c = bob.mark();
        bob.send("/connect 127.0.0.1:" + stalePort);
        assertThat(bob.awaitJson(c, "error", o -> true).get("message").getAsString())
                .contains("its identity was revoked on the ledger");
        // ... though it offered its stored credential, signed before the revocation.
        assertThat(copy.resolve("credential.key")).hasBinaryContent(credential);

        // The home refuses to start, saying what to do.
        InProcessNode again = inProcess("alice-again", aliceHome, "--listen", "127.0.0.1:0");
        assertThat(again.awaitExit()).isNotZero();
        assertThat(again.stderrText())
                .contains("was revoked on the ledger at height " + w.get("revoked_at_height"))
                .contains("init --home NEWDIR --name NAME");
    }

    /** kill -9 at each step of a rotation: the home opens and ends on the ledger's key. */
    @ParameterizedTest
    @ValueSource(strings = {"next-saved", "submitted", "on-chain", "prev-saved", "promoted"})
    void crashAtEachStepOfARotation_leavesAHomeThatOpens(String step) throws Exception {
        Path home = Homes.init(dir, "alice");
        PeerId oldKey = Homes.identity(home).peerId();
        ChildNode a =
                node(
                        "alice-" + step,
                        home,
                        List.of("-D" + KeyFiles.PAUSE_PROPERTY + "=" + step),
                        "--listen",
                        "127.0.0.1:0",
                        "--genesis",
                        "--difficulty",
                        "trivial");
        a.awaitLine("ready:");
        a.send("/identity rotate");
        a.awaitStderr("test-hook: paused at " + step);
        a.kill();
        assertThat(home.resolve("identity.pem")).exists();
        assertThat(
                        home.resolve("identity.next.pem").toFile().exists()
                                || home.resolve("identity.prev.pem").toFile().exists())
                .as("a rotation file is left at " + step)
                .isTrue();

        // Only the killed node needs a JVM of its own; the one that reopens the home does not.
        InProcessNode b =
                inProcess("alice-after-" + step, home, "--listen", "127.0.0.1:0", "--json");
        JsonObject keyLine =
                b.awaitJson(0, "info", o -> o.get("message").getAsString().startsWith("identity:"));
        assertThat(keyLine.get("message").getAsString()).isNotBlank();
        b.awaitJson(0, "ready", o -> true);
        int m = b.mark();
        b.send("/identity");
        JsonObject id = b.awaitJson(m, "identity", o -> true);
        PeerId onDisk = Homes.identity(home).peerId();
        assertThat(id.get("key_id").getAsString()).isEqualTo(onDisk.toHex());
        assertThat(id.get("identity_id").getAsString()).isEqualTo(oldKey.toHex());
        assertThat(id.get("state").getAsString()).isEqualTo("active");
        assertThat(id.get("rotation_pending_key_id")).isNull();
        assertThat(onDisk).isNotEqualTo(oldKey);
        assertThat(home.resolve("identity.next.pem")).doesNotExist();
        assertThat(home.resolve("identity.prev.pem")).doesNotExist();
        assertThat(b.quit()).isZero();
    }

    @Test
    void newAddresses_andANameClaimedLater_inJson() throws Exception {
        Path aliceHome = Homes.init(dir, "alice");
        // carol asks for a name that alice holds: she is registered without one.
        Path carolHome = Homes.init(dir, "carol");
        Files.writeString(carolHome.resolve("node.properties"), "name=alice\n");
        ChildNode alice = genesis("alice", aliceHome, 0);
        int alicePort = port(alice, 0);
        alice.awaitLine("ready:");
        ChildNode carol =
                node(
                        "carol",
                        carolHome,
                        "--listen",
                        "127.0.0.1:0",
                        "--json",
                        "--join",
                        "127.0.0.1:" + alicePort);
        carol.awaitJson(0, "ready", o -> o.get("name") == null);
        int m = carol.mark();
        carol.send("/identity name alice");
        assertThat(carol.awaitJson(m, "error", o -> true).get("message").getAsString())
                .contains("belongs to another identity");
        m = carol.mark();
        carol.send("/identity name carol");
        carol.awaitJson(m, "name_committed", o -> true);
        carol.awaitJson(m, "name_revealed", o -> true);
        carol.awaitJson(m, "named", o -> o.get("name").getAsString().equals("carol"));
        alice.awaitConfirmed("carol");
        m = carol.mark();
        carol.send("/identity name carol2");
        assertThat(carol.awaitJson(m, "error", o -> true).get("message").getAsString())
                .contains("already has the name 'carol'");

        int a0 = alice.mark();
        alice.send("/identity address 127.0.0.1:" + alicePort + " 127.0.0.2:" + alicePort);
        alice.awaitLine(a0, "registered addresses are now");
        JsonObject w = whoisJson(alice, "alice");
        List<String> hosts = new ArrayList<>();
        for (JsonElement e : w.getAsJsonArray("addresses")) {
            hosts.add(e.getAsJsonObject().get("host").getAsString());
        }
        assertThat(hosts).containsExactly("127.0.0.1", "127.0.0.2");
    }

    private static String conversationFingerprint(ChildNode n, String peer) {
        int m = n.mark();
        n.send("/fingerprint " + peer);
        return n.awaitMatch(m, "conversation fingerprint: +([0-9 ]+) \\(").group(1);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else if (!p.getFileName().toString().equals("ledger.lock")) {
                    Files.copy(p, t);
                }
            }
        }
    }
}
