package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.p2pchat.testing.LoopbackPair;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Resumption over real sockets on 127.0.0.1 (docs/protocol.md 5.11): with the feature on at both
 * ends each reconnect after the first resumes and carries data; with it off at either end, in
 * either role, every connection runs the full handshake.
 */
class ResumptionLoopbackTest {
    private static SecureChannelContext context(
            io.p2pchat.identity.LocalIdentity id, boolean resumption) {
        return SecureChannelContext.builder(id)
                .peerVerifier(PeerVerifier.insecureAcceptAny())
                .networkId(ResumptionTest.NETWORK)
                .resumption(resumption)
                .build();
    }

    static SecureSession session(LoopbackPair.Recorder app) throws Exception {
        Object event = app.events.poll(20, TimeUnit.SECONDS);
        assertThat(event).isInstanceOf(HandshakeCompletionEvent.class);
        return ((HandshakeCompletionEvent) event).session().orElseThrow();
    }

    @ParameterizedTest(name = "initiator {0}, responder {1}")
    @CsvSource({"true, true", "true, false", "false, true"})
    void reconnects_resumeIffBothSidesHaveIt(boolean initiatorOn, boolean responderOn)
            throws Exception {
        SecureChannelContext ci = context(ResumptionTest.ALICE, initiatorOn);
        SecureChannelContext cr = context(ResumptionTest.BOB, responderOn);
        LoopbackPair.Recorder[] responderApps = new LoopbackPair.Recorder[1];
        try (LoopbackPair pair =
                new LoopbackPair(
                        cr,
                        () -> {
                            responderApps[0] = new LoopbackPair.Recorder();
                            return responderApps[0];
                        })) {
            for (int n = 0; n < 3; n++) {
                LoopbackPair.Recorder app = new LoopbackPair.Recorder();
                Channel ch = pair.connect(ci, app);
                SecureSession is = session(app);
                SecureSession rs = session(responderApps[0]);
                boolean expectResumed = n > 0 && initiatorOn && responderOn;
                assertThat(is.resumed()).isEqualTo(expectResumed);
                assertThat(rs.resumed()).isEqualTo(expectResumed);
                assertThat(is.peerId()).isEqualTo(ResumptionTest.BOB.peerId());
                assertThat(rs.peerId()).isEqualTo(ResumptionTest.ALICE.peerId());
                ch.writeAndFlush(Unpooled.copiedBuffer("ping " + n, StandardCharsets.UTF_8));
                assertThat(responderApps[0].messages.poll(10, TimeUnit.SECONDS))
                        .asString(StandardCharsets.UTF_8)
                        .isEqualTo("ping " + n);
                if (initiatorOn && responderOn) {
                    ResumptionTest.awaitTicketFromBob(ci);
                }
                ch.close().sync();
            }
        }
    }
}
