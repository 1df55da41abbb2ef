package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.example.testing.InProcessNode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The README's first command: {@code p2pchat demo} runs every step and exits 0. */
class DemoTest {
    @Test
    void demo_runsEveryStep_andExitsZero_withinAMinute() throws Exception {
        long start = System.nanoTime();
        InProcessNode demo = InProcessNode.run("demo", "demo");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(demo.awaitExit()).as(demo.transcript()).isZero();
        String out = demo.stdout();
        assertThat(out)
                .contains("-- 1. Identities")
                .contains("SHA-256 of the parameters matches it: OK")
                .contains("block #1 mined by alice")
                .contains("  1. connect")
                .contains("  2. fetch keys from the ledger")
                .contains("against block #")
                .contains("  3. authenticate")
                .contains("  4. agree keys")
                .contains("on the wire: DATA record")
                .contains("(ratchet: the old key protected its 8 records")
                .containsPattern(
                        "epoch [0-9]+(: burst message| had protected [0-9]+ records? before the"
                                + " burst \\(earlier messages and acknowledgements\\), so burst"
                                + " message) [0-9] was its 8th and last record")
                .contains("(key update")
                .contains("(rekey: fresh ephemeral exchange")
                .contains("every check passed.")
                .doesNotContain("DIFFERENT")
                .doesNotContain("FAILED");
        DemoWording.assertKeyChangesPrecedeTheirEpoch(demo.lines());
        DemoWording.assertCountedNounsAgree(out);
        // No log noise: nothing on standard error.
        assertThat(demo.stderr()).isEmpty();
        System.out.println("demo took " + took.toMillis() + " ms");
    }

    /**
     * {@code demo --ui}: a page per person, printed with its token; the checks still pass; the demo
     * waits for the end of its input, then leaves.
     */
    @Test
    void demoUi_printsAPagePerPerson_andExitsZeroAtTheEndOfInput() throws Exception {
        InProcessNode demo = InProcessNode.run("demo-ui", "demo", "--ui", "--key-bits", "2048");
        assertThat(demo.awaitExit()).as(demo.transcript()).isZero();
        for (String name : java.util.List.of("alice", "bob", "carol")) {
            assertThat(demo.stdout())
                    .containsPattern(
                            name
                                    + "'s page:"
                                    + " http://127\\.0\\.0\\.1:[0-9]+/#token=[A-Za-z0-9_-]{43}");
        }
        assertThat(demo.stdout()).contains("every check passed.").contains("press Enter");
    }
}
