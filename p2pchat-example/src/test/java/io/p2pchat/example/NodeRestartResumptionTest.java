package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.p2pchat.example.testing.ChildNode;
import io.p2pchat.example.testing.ConsoleDriver;
import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.InProcessNode;
import io.p2pchat.example.testing.RunningNodes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resumption tickets across restarts of real nodes (HOME/tickets.dat, docs/security.md): after a
 * clean stop ({@code /quit}, or SIGTERM through the shutdown hook) the reconnect resumes, whether
 * the node that restarted holds the ticket or issued it; the file is gone once the node started
 * (consume once); after a kill -9 the next start does a full handshake; a damaged file is set aside
 * as {@code .unreadable} with one line and the node runs.
 *
 * <p>Bob advertises an address nobody listens at, so that only bob dials (alice's redials of him
 * fail): each reconnect is bob's, and which side holds the ticket is known.
 */
class NodeRestartResumptionTest {
    private static final String RESUMED = "resumption-ticket";

    @TempDir Path dir;

    @RegisterExtension final RunningNodes nodes = new RunningNodes();

    private InProcessNode inProcess(String name, Path home, String... more) throws Exception {
        List<String> a = new ArrayList<>(List.of("--json"));
        a.addAll(List.of(more));
        return nodes.add(InProcessNode.node(name, home, dir, a.toArray(new String[0])));
    }

    /** A node in its own JVM, for the signals. */
    private ChildNode child(String name, Path home, String... more) throws Exception {
        List<String> a = new ArrayList<>(List.of("--json"));
        a.addAll(List.of(more));
        return nodes.add(ChildNode.start(name, home, a.toArray(new String[0])));
    }

    /** Bob's arguments: any port, an advertised address nobody listens at. */
    private static String[] bob(String... more) {
        List<String> a = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--advertise"));
        a.add("127.0.0.1:9");
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    /** The {@code signature} of the next {@code connected} event of {@code keyHex} at {@code n}. */
    private static String connectedSignature(ConsoleDriver n, int from, String keyHex) {
        JsonObject o =
                n.awaitJson(from, "connected", e -> e.get("key_id").getAsString().equals(keyHex));
        return o.get("signature").getAsString();
    }

    @Test
    void restarts_cleanOnesResumeInBothRoles_aKillDoesAFullHandshake_aDamagedFileIsSetAside()
            throws Exception {
        Path aliceHome = Homes.init(dir, "alice");
        Path bobHome = Homes.init(dir, "bob");
        String alice = Homes.identity(aliceHome).peerId().toHex();
        String bobKey = Homes.identity(bobHome).peerId().toHex();
        Path bobTickets = bobHome.resolve("tickets.dat");
        Path aliceTickets = aliceHome.resolve("tickets.dat");
        int alicePort = IdentityLifecycleTest.freePort();
        String aliceAddress = "127.0.0.1:" + alicePort;
        InProcessNode a =
                inProcess(
                        "alice",
                        aliceHome,
                        "--listen",
                        aliceAddress,
                        "--genesis",
                        "--difficulty",
                        "trivial");
        a.awaitJson(0, "ready", o -> true);
        InProcessNode b = inProcess("bob", bobHome, bob("--join", aliceAddress));
        b.awaitJson(0, "ready", o -> true);
        a.awaitConnectedAndConfirmed("bob");
        assertThat(connectedSignature(b, 0, alice)).isNotEqualTo(RESUMED);

        // Bob, the holder, stops cleanly and restarts: he resumes with the ticket he kept.
        assertThat(b.quit()).isZero();
        assertThat(bobTickets).exists();
        ChildNode b2 = child("bob2", bobHome, bob());
        b2.awaitJson(0, "started", o -> true);
        assertThat(bobTickets).as("taken and deleted at the start").doesNotExist();
        assertThat(connectedSignature(b2, 0, alice)).isEqualTo(RESUMED);
        int p = b2.mark();
        b2.send("/peers");
        JsonObject peers = b2.awaitJson(p, "peers", o -> true);
        assertThat(peers.getAsJsonArray("peers").get(0).getAsJsonObject().get("signature"))
                .as("/peers says how the peer proved itself")
                .hasToString("\"" + RESUMED + "\"");

        // Alice, the issuer, stops cleanly and restarts: bob's redial resumes with the ticket
        // she issued before her stop.
        assertThat(a.quit()).isZero();
        assertThat(aliceTickets).exists();
        int m = b2.mark();
        InProcessNode a2 = inProcess("alice2", aliceHome, "--listen", aliceAddress);
        assertThat(connectedSignature(a2, 0, bobKey)).isEqualTo(RESUMED);
        assertThat(aliceTickets).doesNotExist();
        assertThat(connectedSignature(b2, m, alice)).isEqualTo(RESUMED);

        // SIGTERM: the shutdown hook stops the node cleanly, and saves.
        b2.terminate();
        assertThat(bobTickets).exists();
        ChildNode b3 = child("bob3", bobHome, bob());
        assertThat(connectedSignature(b3, 0, alice)).isEqualTo(RESUMED);

        // kill -9: nothing saved (the file went at the start), so a full handshake, and it works.
        b3.kill();
        assertThat(bobTickets).doesNotExist();
        InProcessNode b4 = inProcess("bob4", bobHome, bob());
        assertThat(connectedSignature(b4, 0, alice)).isNotEqualTo(RESUMED);
        int c = a2.mark();
        b4.send("/msg alice after the crash");
        a2.awaitJson(c, "message", o -> o.get("text").getAsString().equals("after the crash"));

        // A damaged file: set aside with one line; the node starts and connects (in full).
        assertThat(b4.quit()).isZero();
        byte[] saved = Files.readAllBytes(bobTickets);
        saved[saved.length - 1] ^= 1;
        Files.write(bobTickets, saved);
        InProcessNode b5 = inProcess("bob5", bobHome, bob());
        b5.awaitLine("tickets.dat could not be decrypted");
        assertThat(bobHome.resolve("tickets.dat.unreadable")).hasBinaryContent(saved);
        assertThat(bobTickets).doesNotExist();
        assertThat(connectedSignature(b5, 0, alice)).isNotEqualTo(RESUMED);
        assertThat(
                        new String(
                                Files.readAllBytes(bobHome.resolve("tickets.dat.unreadable")),
                                StandardCharsets.ISO_8859_1))
                .startsWith("\u0089P2PTICK");
    }
}
