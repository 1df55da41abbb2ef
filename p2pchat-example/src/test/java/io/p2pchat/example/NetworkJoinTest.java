package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.p2pchat.example.home.Home;
import io.p2pchat.example.testing.ChildNode;
import io.p2pchat.example.testing.ConsoleDriver;
import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.InProcessNode;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.NetworkParameters;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.TempDir;

/**
 * Joining a network as a person does it (issue 10.4): nothing is written to a new home before the
 * network answered and the node could start; a joiner never mines, registers or says ready before
 * it has synced from a member, retries with backoff while no member answers, and joins when the
 * member comes up; Ctrl-C while waiting leaves the home as it was.
 */
class NetworkJoinTest {
    @TempDir Path dir;

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
        for (int i = consoles.size() - 1; i >= 0; i--) {
            consoles.get(i).close();
        }
    }

    private InProcessNode start(String name, Path home, String... args) throws Exception {
        InProcessNode n = InProcessNode.node(name, home, dir, args);
        consoles.add(n);
        return n;
    }

    private InProcessNode seed(int port) throws Exception {
        InProcessNode alice =
                start(
                        "alice",
                        Homes.init(dir, "alice"),
                        "--listen",
                        "127.0.0.1:" + port,
                        "--genesis",
                        "--difficulty",
                        "trivial");
        alice.awaitLine("ready:");
        return alice;
    }

    private static Properties properties(Path home) {
        return new Home(home).load();
    }

    private static void assertNothingWritten(Path home) {
        assertThat(home.resolve("ledger")).doesNotExist();
        assertThat(properties(home))
                .doesNotContainKeys("join", "network.state", "listen")
                .containsEntry("name", home.getFileName().toString());
    }

    /** (a) The seed answers, but the joiner's own port is taken: reported before any write. */
    @Test
    void portInUse_onANewHome_writesNothingAndSaysThePortIsTaken() throws Exception {
        int seedPort = freePort();
        seed(seedPort);
        Path home = Homes.init(dir, "bob");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            String addr = "127.0.0.1:" + taken.getLocalPort();
            InProcessNode bob =
                    start("bob", home, "--listen", addr, "--join", "127.0.0.1:" + seedPort);
            assertThat(bob.awaitExit()).isEqualTo(1);
            assertThat(bob.stderr())
                    .contains("error: Cannot listen on " + addr + ": the port is already in use")
                    .contains("No network was written to the home.");
            assertThat(bob.stdout()).doesNotContain("network '");
        }
        assertNothingWritten(home);
    }

    /**
     * (b) and (c): a joiner whose seed is not up yet retries with backoff, saying where and when,
     * and neither mines, registers nor says ready; when the seed comes up on that address, it
     * syncs, then registers and says ready, and only then stores the network and the join address.
     */
    @Test
    void joinerStartedBeforeItsSeed_waitsRetrying_thenJoinsWhenTheSeedComesUp() throws Exception {
        int seedPort = freePort();
        String seedAddr = "127.0.0.1:" + seedPort;
        Path home = Homes.init(dir, "bob");
        InProcessNode bob =
                start(
                        "bob",
                        home,
                        "--listen",
                        "127.0.0.1:0",
                        "--join",
                        seedAddr,
                        "--retry-delays",
                        "200,1000");
        String retry =
                "waiting for the network: Nobody is listening at "
                        + seedAddr.replace(".", "\\.")
                        + " \\(connection refused\\).* Next try at [0-9]{2}:[0-9]{2}:[0-9]{2}"
                        + " \\(in [0-9.]+ s\\); Ctrl-C to stop\\.";
        Matcher first = bob.awaitMatch(0, retry);
        bob.awaitMatch(bob.lines().indexOf(first.group()) + 1, retry);
        assertThat(bob.isAlive()).isTrue();
        assertThat(bob.stdout()).doesNotContain("ready:").doesNotContain("register");
        assertNothingWritten(home);

        InProcessNode alice = seed(seedPort);
        String synced = bob.awaitLine("synced with the network: ledger height");
        String ready = bob.awaitLine("ready: 'bob' can chat");
        List<String> out = bob.lines();
        int syncedAt = out.indexOf(synced);
        for (int i = 0; i < syncedAt; i++) {
            assertThat(out.get(i))
                    .as("before the first sync")
                    .doesNotContainIgnoringCase("regist")
                    .doesNotContainIgnoringCase("mined")
                    .doesNotContain("ready:");
        }
        assertThat(out.indexOf(ready)).isGreaterThan(syncedAt);
        // bob's registration is on alice's chain: bob built on the network's chain, not its own.
        alice.awaitConnectedAndConfirmed("bob");

        // (c) The home now has the network and the join address.
        Properties p = properties(home);
        assertThat(p).containsEntry("join", seedAddr).containsEntry("network.state", "joined");
        assertThat(home.resolve("ledger").resolve("network.params")).exists();
        assertThat(bob.quit()).isZero();
        assertThat(alice.quit()).isZero();

        // A home that has synced once restarts with nobody to answer: it waits a little, says it
        // keeps trying in the background, and starts with its copy.
        InProcessNode again = start("bob-again", home, "--retry-delays", "200,1000");
        again.awaitLine("joining the network through " + seedAddr);
        again.awaitLine("keeps trying in the background");
        again.awaitLine("ready: 'bob' can chat");
        assertThat(again.quit()).isZero();

        // A home whose first join never finished (killed while waiting) keeps waiting: without
        // --join it says what to do; it never starts alone.
        Properties unfinished = properties(home);
        unfinished.setProperty("network.state", "joining");
        unfinished.remove("join");
        new Home(home).store(unfinished);
        InProcessNode unjoined = start("bob-unjoined", home, "--retry-delays", "200,1000");
        assertThat(unjoined.awaitExit()).isEqualTo(1);
        assertThat(unjoined.stderr())
                .contains("has not finished joining its network")
                .contains("--join HOST:PORT");
        assertThat(unjoined.stdout()).doesNotContain("ready:");
    }

    /**
     * The second try: a home that an older version left with the network's parameters, a
     * ledger of nothing but genesis and the join address (written before any sync). With its seed
     * down, it waits and says so instead of mining alone; when the seed is back, it joins.
     */
    @Test
    void homeLeftBeforeItsFirstSync_doesNotStartAlone_andJoinsWhenTheSeedIsBack() throws Exception {
        int seedPort = freePort();
        String seedAddr = "127.0.0.1:" + seedPort;
        InProcessNode alice = seed(seedPort);
        assertThat(alice.quit()).isZero();
        Path aliceHome = dir.resolve("alice");
        Path home = Homes.init(dir, "carol");
        NetworkParameters params =
                NetworkParameters.decode(
                        Files.readAllBytes(aliceHome.resolve("ledger").resolve("network.params")));
        Ledger.builder(params).dataDirectory(home.resolve("ledger")).open().close();
        Properties p = properties(home);
        p.setProperty("join", seedAddr);
        new Home(home).store(p);

        InProcessNode carol =
                start("carol", home, "--listen", "127.0.0.1:0", "--retry-delays", "200,1000");
        carol.awaitLine("waiting for the network: Nobody is listening at " + seedAddr);
        int m = carol.mark();
        carol.awaitLine(m, "waiting for the network: Nobody is listening at " + seedAddr);
        assertThat(carol.stdout()).doesNotContain("ready:").doesNotContainIgnoringCase("regist");

        InProcessNode back = start("alice-back", aliceHome, "--listen", seedAddr);
        back.awaitLine("ready:");
        carol.awaitLine("synced with the network");
        carol.awaitLine("ready: 'carol' can chat");
        back.awaitConfirmed("carol");
        assertThat(properties(home)).containsEntry("network.state", "joined");
        assertThat(carol.quit()).isZero();
    }

    /** The --json form: one retry event per attempt, with the address and the next try. */
    @Test
    void json_oneRetryEventPerAttempt() throws Exception {
        int port = freePort();
        Path home = Homes.init(dir, "carol");
        InProcessNode carol =
                start(
                        "carol",
                        home,
                        "--json",
                        "--listen",
                        "127.0.0.1:0",
                        "--join",
                        "127.0.0.1:" + port,
                        "--retry-delays",
                        "100,200");
        JsonObject e1 = carol.awaitJson(0, "retry", o -> true);
        JsonObject e2 =
                carol.awaitJson(
                        0,
                        "retry",
                        o -> o.get("attempt").getAsInt() > e1.get("attempt").getAsInt());
        for (JsonObject e : List.of(e1, e2)) {
            assertThat(e.get("stage").getAsString()).isEqualTo("parameters");
            assertThat(e.get("address").getAsString()).isEqualTo("127.0.0.1:" + port);
            assertThat(e.get("next_try").getAsString()).matches("[0-9T:.\\-]+Z");
            assertThat(e.get("next_try_in_ms").getAsLong()).isBetween(1L, 200L);
        }
        assertNothingWritten(home);
    }

    /**
     * Ctrl-C (SIGTERM) while no member answers: one line says nothing was written, the exit code is
     * not 0, and the home is as it was.
     */
    @Test
    void sigtermWhileWaiting_saysNothingWasWritten() throws Exception {
        int port = freePort();
        Path home = Homes.init(dir, "dave");
        ChildNode dave =
                ChildNode.start(
                        "dave",
                        home,
                        "--listen",
                        "127.0.0.1:0",
                        "--join",
                        "127.0.0.1:" + port,
                        "--retry-delays",
                        "200,1000");
        consoles.add(dave);
        dave.awaitLine("waiting for the network: Nobody is listening at 127.0.0.1:" + port);
        assertThat(dave.terminate()).isNotZero();
        assertThat(dave.lines())
                .contains(
                        "stopped before joining the network: no network was written to "
                                + home
                                + ", so the same command starts over");
        assertNothingWritten(home);
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
