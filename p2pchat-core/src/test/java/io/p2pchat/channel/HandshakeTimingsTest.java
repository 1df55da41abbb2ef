package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.testing.LoopbackPair;
import io.p2pchat.testing.TestIdentities;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The handshake's milestones reach {@link SecureSession#handshakeTimings()} on both sides. */
class HandshakeTimingsTest {
    @Test
    void bothSides_reportEveryMilestone_nonNegativeAndInOrder() throws Exception {
        LocalIdentity alice = TestIdentities.get("alice");
        LocalIdentity bob = TestIdentities.get("bob");
        SecureChannelContext aliceCtx =
                SecureChannelContext.builder(alice)
                        .peerVerifier(PeerVerifier.insecureAcceptAny())
                        .build();
        SecureChannelContext bobCtx =
                SecureChannelContext.builder(bob)
                        .peerVerifier(PeerVerifier.insecureAcceptAny())
                        .build();
        LoopbackPair.Recorder bobApp = new LoopbackPair.Recorder();
        try (LoopbackPair pair = new LoopbackPair(bobCtx, () -> bobApp)) {
            Channel ch = pair.connect(aliceCtx, new LoopbackPair.Recorder());
            SecureSession initiator =
                    ch.pipeline()
                            .get(HandshakeHandler.class)
                            .handshakeFuture()
                            .get(10, TimeUnit.SECONDS);
            ch.writeAndFlush(Unpooled.copiedBuffer("hi", StandardCharsets.UTF_8)).sync();
            assertThat(bobApp.messages.poll(10, TimeUnit.SECONDS)).isNotNull();
            SecureSession responder = SecureSession.of(pair.nextAccepted()).orElseThrow();

            for (SecureSession s : List.of(initiator, responder)) {
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
                for (Duration phase :
                        List.of(t.keyAgreement(), t.signature(), t.peerVerification())) {
                    assertThat(phase.isNegative()).as("%s", phase).isFalse();
                }
                assertThat(t.total()).isEqualTo(t.finished()).isPositive();
            }
            ch.close().sync();
        }
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
