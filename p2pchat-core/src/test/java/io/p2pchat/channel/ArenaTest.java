package io.p2pchat.channel;

import java.time.Duration;
import java.util.Optional;
import org.assertj.core.api.Assertions;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;

/**
 * Base of the adversarial suites that run in an {@link Arena}. Loopback subclasses get the sanity
 * bracket (ATTACKS A-19): a normal handshake and message exchange on the same listeners before and
 * after every test.
 */
@Tag("adversarial")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ArenaTest {
    protected Arena arena;

    /** The arena this subclass runs in. */
    protected abstract Arena newArena();

    @BeforeAll
    void openArena() {
        Awaitility.setDefaultPollDelay(Duration.ZERO);
        Awaitility.setDefaultPollInterval(Duration.ofMillis(2));
        arena = newArena();
    }

    @AfterAll
    void closeArena() {
        arena.close();
    }

    @BeforeEach
    void sanityBefore() throws Exception {
        if (arena.isLoopback()) {
            arena.sanity();
        }
    }

    @AfterEach
    void sanityAfter() throws Exception {
        if (arena.isLoopback()) {
            arena.sanity();
        }
    }

    /**
     * Asserts the alert the evil peer saw is the coarse code of {@code local}: read when the evil
     * peer can decrypt it, otherwise an encrypted 1-byte alert (17-byte fragment) it cannot read.
     */
    protected static void assertAlertFor(Optional<EvilPeer.AlertSeen> seen, ErrorCode local) {
        Assertions.assertThat(seen).as("alert sent to the peer").isPresent();
        EvilPeer.AlertSeen alert = seen.get();
        if (alert.code().isPresent()) {
            Assertions.assertThat(alert.code().get()).isEqualTo(local.alert());
        } else {
            Assertions.assertThat(alert.encrypted()).isTrue();
            Assertions.assertThat(alert.fragmentLength()).isEqualTo(17);
            Assertions.assertThat(local.alert()).isEqualTo(AlertCode.AUTH_FAILED);
        }
    }
}
