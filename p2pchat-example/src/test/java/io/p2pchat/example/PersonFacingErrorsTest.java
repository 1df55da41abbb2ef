package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.example.node.Registration;
import io.p2pchat.example.testing.ChildNode;
import io.p2pchat.example.testing.ConsoleDriver;
import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.InProcessNode;
import io.p2pchat.example.text.ExitCode;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.ledger.IdentityTransactions;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.node.Node;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every failure a person meets is explained in a sentence, without a stack trace: wrong passphrase,
 * missing identity, port in use, unreachable peer, unknown name, and a rejected authentication with
 * its reason (unregistered, revoked, key changed). The CLI runs in this JVM; the other peers are
 * library nodes.
 */
class PersonFacingErrorsTest {
    @TempDir Path dir;

    private final List<AutoCloseable> closeLater = new ArrayList<>();
    private final List<ConsoleDriver> consoles = new ArrayList<>();

    @RegisterExtension
    final TestWatcher dumpOnFailure =
            new TestWatcher() {
                @Override
                public void testFailed(ExtensionContext context, Throwable cause) {
                    for (ConsoleDriver c : consoles) {
                        System.out.println(c.transcript());
                    }
                }
            };

    @AfterEach
    void close() throws Exception {
        for (int i = closeLater.size() - 1; i >= 0; i--) {
            closeLater.get(i).close();
        }
    }

    private InProcessNode run(String name, String... args) throws Exception {
        InProcessNode n = InProcessNode.run(name, args);
        consoles.add(n);
        return n;
    }

    private static void assertNoStackTrace(InProcessNode n) {
        assertThat(n.stderr()).doesNotContain("\tat ").doesNotContain("Exception");
    }

    @Test
    void wrongPassphrase_saysSo() throws Exception {
        Path home = Homes.init(dir, "alice");
        Path wrong = dir.resolve("wrong");
        Files.writeString(wrong, "not the passphrase");
        InProcessNode n =
                run(
                        "alice",
                        "node",
                        "--home",
                        home.toString(),
                        "--passphrase-file",
                        wrong.toString(),
                        "--genesis");
        assertThat(n.awaitExit()).isEqualTo(1);
        assertThat(n.stderr()).contains("error: Wrong passphrase for the identity in " + home);
        assertNoStackTrace(n);
    }

    @Test
    void missingIdentity_saysHowToCreateOne() throws Exception {
        Path home = dir.resolve("nobody");
        InProcessNode n =
                run(
                        "nobody",
                        "node",
                        "--home",
                        home.toString(),
                        "--passphrase-file",
                        Homes.passphraseFile(dir).toString(),
                        "--genesis");
        assertThat(n.awaitExit()).isEqualTo(1);
        assertThat(n.stderr())
                .contains("error: No identity in " + home)
                .contains("p2pchat init --home " + home + " --name NAME");
        assertNoStackTrace(n);
    }

    @Test
    void portInUse_saysSoAndHowToChooseAnother() throws Exception {
        Path home = Homes.init(dir, "alice");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            String addr = "127.0.0.1:" + taken.getLocalPort();
            InProcessNode n =
                    run(
                            "alice",
                            "node",
                            "--home",
                            home.toString(),
                            "--passphrase-file",
                            Homes.passphraseFile(dir).toString(),
                            "--listen",
                            addr,
                            "--genesis",
                            "--difficulty",
                            "trivial");
            assertThat(n.awaitExit()).isEqualTo(1);
            assertThat(n.stderr())
                    .contains("error: Cannot listen on " + addr + ": the port is already in use")
                    .contains("--listen HOST:PORT");
            assertNoStackTrace(n);
        }
    }

    /** A joiner waits for its network (issue 10.4), saying why and when it tries again. */
    @Test
    void unreachablePeer_whenJoining_saysNobodyListens() throws Exception {
        Path home = Homes.init(dir, "bob");
        int closed = freePort();
        ChildNode n =
                ChildNode.start(
                        "bob",
                        home,
                        "--listen",
                        "127.0.0.1:0",
                        "--join",
                        "127.0.0.1:" + closed,
                        "--retry-delays",
                        "200,1000");
        consoles.add(n);
        closeLater.add(n);
        n.awaitLine(
                "waiting for the network: Nobody is listening at 127.0.0.1:"
                        + closed
                        + " (connection refused): is that node running, on that port? Next try at");
        assertThat(n.terminate()).isNotZero();
        assertThat(n.transcript()).doesNotContain("\tat ").doesNotContain("Exception");
    }

    @Test
    void consoleErrors_unreachableUnknownLockedAndRejectedAuthentications() throws Exception {
        Path aliceHome = Homes.init(dir, "alice");
        InProcessNode alice =
                InProcessNode.start(
                        "alice",
                        "node",
                        "--home",
                        aliceHome.toString(),
                        "--passphrase-file",
                        Homes.passphraseFile(dir).toString(),
                        "--listen",
                        "127.0.0.1:0",
                        "--genesis",
                        "--difficulty",
                        "trivial");
        consoles.add(alice);
        closeLater.add(alice);
        Matcher m = alice.awaitMatch(0, "listening on 127\\.0\\.0\\.1:([0-9]+)");
        InetSocketAddress aliceAddress =
                new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1)));
        alice.awaitLine("ready:");

        // Unreachable peer.
        int closed = freePort();
        int a0 = alice.mark();
        alice.send("/connect 127.0.0.1:" + closed);
        alice.awaitLine(a0, "error: Nobody is listening at 127.0.0.1:" + closed);

        // Unknown name.
        alice.send("/msg bobby are you there?");
        alice.awaitLine(
                a0, "error: Unknown name 'bobby': no identity with that name on your ledger");
        alice.send("/connect bobby");
        alice.awaitLine(a0, "error: Unknown name 'bobby'");

        // The ledger of a running node is locked: the ledger command says so. Nothing is damaged:
        // a user error, not corrupt data (issue 11's exit codes).
        InProcessNode show = run("show", "ledger", "show", "--home", aliceHome.toString());
        assertThat(show.awaitExit()).isEqualTo(ExitCode.USER_ERROR.code());
        assertThat(show.stderr()).contains("is in use by another p2pchat process (DATADIR_LOCKED)");
        InProcessNode twice =
                run(
                        "twice",
                        "node",
                        "--home",
                        aliceHome.toString(),
                        "--passphrase-file",
                        Homes.passphraseFile(dir).toString(),
                        "--listen",
                        "127.0.0.1:0");
        assertThat(twice.awaitExit()).isEqualTo(1);
        assertThat(twice.stderr()).contains("A node is already running with the home");

        NetworkParameters params =
                NetworkParameters.decode(
                        Files.readAllBytes(aliceHome.resolve("ledger/network.params")));

        // Unregistered: the handshake succeeds (the peer may sync the ledger), chat does not.
        Peer mallory = peer("mallory", params, aliceAddress, null);
        String malloryAt = "127.0.0.1:" + mallory.node.localAddress().getPort();
        int a1 = alice.mark();
        alice.send("/connect " + malloryAt);
        alice.awaitLine(a1, "is not registered on your ledger");
        alice.send("/msg " + mallory.identity.peerId().toHex() + " hello?");
        alice.awaitLine(a1, "error: No identity with peer id " + mallory.identity.peerId().toHex());

        // Revoked: registered, then revoked; the open session is closed, new ones are refused.
        new Registration(
                        mallory.node,
                        "mallory",
                        "127.0.0.1",
                        mallory.node.localAddress().getPort(),
                        new MemorySalt(),
                        (stage, text, fraction) -> {})
                .run(Duration.ofSeconds(60));
        alice.awaitConfirmed("mallory");
        LocalIdentity key = mallory.identity;
        long seq = mallory.ledger.nextSequence(key.peerId()).get(10, TimeUnit.SECONDS);
        TxResult revoke =
                mallory.node
                        .submit(
                                IdentityTransactions.forNetwork(params)
                                        .revoke(key, key.peerId(), seq))
                        .get(10, TimeUnit.SECONDS);
        assertThat(revoke.status()).isEqualTo(TxResult.Status.ACCEPTED);
        int a2 = alice.mark();
        alice.awaitLine(a2, "its key was revoked on the ledger");
        alice.send("/connect mallory");
        alice.awaitLine(a2, "error: mallory's identity was revoked on the ledger at height");
        alice.send("/connect " + malloryAt);
        alice.awaitLine(
                a2,
                "error: Connection to "
                        + malloryAt
                        + " refused: its identity was revoked on the"
                        + " ledger");

        // Key changed: bob registers 127.0.0.1:P and leaves; an impostor answers at 127.0.0.1:P.
        Peer bob = peer("bob", params, aliceAddress, null);
        int bobPort = bob.node.localAddress().getPort();
        new Registration(bob.node, "bob", "127.0.0.1", bobPort, new MemorySalt(), (s, t, f) -> {})
                .run(Duration.ofSeconds(60));
        alice.awaitConfirmed("bob");
        bob.close();
        Peer impostor = peer("impostor", params, aliceAddress, bobPort);
        int a3 = alice.mark();
        alice.send("/connect bob");
        alice.awaitLine(
                a3,
                "error: KEY CHANGED: the node at 127.0.0.1:"
                        + bobPort
                        + " is an unregistered key "
                        + impostor.identity.peerId().shortId()
                        + ", not bob");

        // Commands of this script failed (on purpose): its exit status says so.
        assertThat(alice.quit()).isEqualTo(ExitCode.USER_ERROR.code());
        assertThat(alice.stderr()).doesNotContain("\tat ");
    }

    /** A library node on the test's network, joined to alice. */
    private Peer peer(String name, NetworkParameters params, InetSocketAddress alice, Integer port)
            throws Exception {
        LocalIdentity id = LocalIdentity.generate(2048, new SecureRandom());
        Ledger ledger = Ledger.builder(params).name(name).open();
        Node node =
                Node.builder(id, ledger)
                        .listen("127.0.0.1", port == null ? 0 : port)
                        .discovery(false)
                        .build()
                        .start();
        Peer p = new Peer(id, ledger, node);
        closeLater.add(p);
        node.join(alice).get(15, TimeUnit.SECONDS);
        return p;
    }

    private static final class Peer implements AutoCloseable {
        final LocalIdentity identity;
        final Ledger ledger;
        final Node node;
        private boolean closed;

        Peer(LocalIdentity identity, Ledger ledger, Node node) {
            this.identity = identity;
            this.ledger = ledger;
            this.node = node;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                node.close();
                ledger.close();
            }
        }
    }

    private static final class MemorySalt implements Registration.SaltStore {
        private byte[] salt;

        @Override
        public byte[] load() {
            return salt;
        }

        @Override
        public void store(byte[] s) {
            salt = s.clone();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
