package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.example.testing.ChildNode;
import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.text.ExitCode;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C (SIGINT) and SIGTERM stop a node with exit code 130 and one line saying what was saved and
 * how to go on (issue 11), whether it is registering (and mining) or waiting for its network. The
 * node runs in a child JVM, so that the signal and the shutdown are real.
 */
class InterruptTest {
    @TempDir Path dir;

    private ChildNode node;

    @AfterEach
    void close() {
        if (node != null) {
            node.close();
        }
    }

    /** A genesis node that does not mine waits for a block forever: stopped while registering. */
    private ChildNode registering() throws Exception {
        Path home = Homes.init(dir, "alice");
        node =
                ChildNode.start(
                        "alice",
                        home,
                        "--listen",
                        "127.0.0.1:0",
                        "--genesis",
                        "--difficulty",
                        "trivial",
                        "--no-mine");
        node.awaitLine("Registering 'alice' on the ledger: waiting for a block");
        return node;
    }

    @Test
    void ctrlC_whileRegistering_printsOneLine_andExits130() throws Exception {
        ChildNode n = registering();
        int before = n.mark();
        assertThat(n.interrupt()).isEqualTo(ExitCode.INTERRUPTED.code()).isEqualTo(130);
        List<String> after = n.lines().subList(before, n.lines().size());
        assertThat(after)
                .as(n.transcript())
                .containsExactly(
                        "stopped while registering: the ledger so far (height 0) and your name's"
                                + " commitment are saved in "
                                + dir.resolve("alice")
                                + "; run the same command again to finish the registration");
        assertThat(n.transcript()).doesNotContain("error:").doesNotContain("Exception");
    }

    @Test
    void sigterm_whileRegistering_exits130Too() throws Exception {
        ChildNode n = registering();
        assertThat(n.terminate()).isEqualTo(ExitCode.INTERRUPTED.code());
        assertThat(n.lines()).anyMatch(l -> l.startsWith("stopped while registering: "));
    }

    /** The join flow exited 130 on SIGINT and 143 on SIGTERM: both are 130 now. */
    @Test
    void sigterm_whileWaitingForTheNetwork_exits130() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            closed = s.getLocalPort();
        }
        node =
                ChildNode.start(
                        "bob",
                        Homes.init(dir, "bob"),
                        "--listen",
                        "127.0.0.1:0",
                        "--join",
                        "127.0.0.1:" + closed,
                        "--retry-delays",
                        "200,1000");
        node.awaitLine("waiting for the network:");
        assertThat(node.terminate()).isEqualTo(ExitCode.INTERRUPTED.code());
        assertThat(node.lines())
                .anyMatch(l -> l.startsWith("stopped before joining the network: no network"));
    }
}
