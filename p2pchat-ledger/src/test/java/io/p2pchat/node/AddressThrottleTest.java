package io.p2pchat.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The rate limit that replaced address bans (docs/protocol.md §11.1), on a settable clock. */
class AddressThrottleTest {
    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong(1_000 * SECOND);
    private final AddressThrottle throttle =
            new AddressThrottle(now::get, 3, Duration.ofSeconds(1), Duration.ofSeconds(60), 100);

    private void advanceMillis(long ms) {
        now.addAndGet(ms * 1_000_000L);
    }

    @Test
    void fewFailures_everyConnectionAdmitted() {
        throttle.failed("10.0.0.1");
        throttle.failed("10.0.0.1");
        for (int i = 0; i < 100; i++) {
            assertThat(throttle.tryAdmit("10.0.0.1")).isTrue();
        }
        assertThat(throttle.isThrottled("10.0.0.1")).isFalse();
    }

    @Test
    void repeatedFailures_oneConnectionPerSpacing_otherAddressesUnaffected() {
        for (int i = 0; i < 3; i++) {
            throttle.failed("10.0.0.1");
        }
        assertThat(throttle.isThrottled("10.0.0.1")).isTrue();
        assertThat(throttle.tryAdmit("10.0.0.1")).isFalse();
        assertThat(throttle.tryAdmit("10.0.0.2")).isTrue();

        advanceMillis(999);
        assertThat(throttle.tryAdmit("10.0.0.1")).isFalse();
        advanceMillis(1);
        assertThat(throttle.tryAdmit("10.0.0.1")).isTrue();
        assertThat(throttle.tryAdmit("10.0.0.1")).isFalse(); // the next one waits a spacing again
        advanceMillis(1_000);
        assertThat(throttle.tryAdmit("10.0.0.1")).isTrue();
        assertThat(throttle.refused()).isEqualTo(3);
    }

    @Test
    void failuresForgotten_afterTheMemoryWithoutAnother() {
        for (int i = 0; i < 3; i++) {
            throttle.failed("10.0.0.1");
            advanceMillis(30_000); // each within a minute of the next: remembered
        }
        assertThat(throttle.isThrottled("10.0.0.1")).isTrue();
        advanceMillis(30_000); // a minute after the last failure
        assertThat(throttle.isThrottled("10.0.0.1")).isFalse();
        assertThat(throttle.tryAdmit("10.0.0.1")).isTrue();
        assertThat(throttle.tryAdmit("10.0.0.1")).isTrue();
    }

    @Test
    void capacity_forgetsTheLeastRecentlySeenAddress() {
        AddressThrottle small =
                new AddressThrottle(now::get, 1, Duration.ofSeconds(1), Duration.ofSeconds(60), 2);
        small.failed("a");
        small.failed("b");
        small.failed("c");
        assertThat(small.size()).isEqualTo(2);
        assertThat(small.isThrottled("a")).isFalse();
        assertThat(small.isThrottled("c")).isTrue();
    }
}
