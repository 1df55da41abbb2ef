package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link HandshakeTimings}: its invariants here; both sides of a real handshake report every
 * milestone in {@link HandshakeLoopbackTest}, through {@link #assertMilestones}.
 */
class HandshakeTimingsTest {
    /** Every milestone of {@code s}'s handshake is there, non-negative and in order. */
    static void assertMilestones(SecureSession s) {
        HandshakeTimings t = s.handshakeTimings().orElseThrow();
        List<Duration> milestones =
                List.of(
                        t.helloReceived(),
                        t.keyAgreed(),
                        t.authReceived(),
                        t.signatureVerified(),
                        t.peerVerified(),
                        t.finished());
        assertThat(milestones).doesNotContainNull().isSorted();
        assertThat(t.hello().isNegative()).isFalse();
        for (Duration phase : List.of(t.keyAgreement(), t.signature(), t.peerVerification())) {
            assertThat(phase.isNegative()).as("%s", phase).isFalse();
        }
        assertThat(t.total()).isEqualTo(t.finished()).isPositive();
    }

    @Test
    void outOfOrderMilestones_areRefused() {
        Duration one = Duration.ofMillis(1);
        Duration two = Duration.ofMillis(2);
        assertThatThrownBy(() -> new HandshakeTimings(two, one, two, two, two, two))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HandshakeTimings(one.negated(), one, one, one, one, one))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void recorder_withoutMilestones_clampsToOrder() {
        HandshakeTimings.Recorder r = new HandshakeTimings.Recorder();
        r.start();
        HandshakeTimings t = r.timings();
        assertThat(t.helloReceived()).isZero();
        assertThat(t.finished().isNegative()).isFalse();
    }
}
