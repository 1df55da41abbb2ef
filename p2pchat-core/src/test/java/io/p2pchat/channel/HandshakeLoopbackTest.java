package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.testing.LoopbackPair;
import io.p2pchat.testing.TestIdentities;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HandshakeLoopbackTest {
    @Test
    void handshake_overLoopback_succeedsAndCarriesData() throws Exception {
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
        LoopbackPair.Recorder aliceApp = new LoopbackPair.Recorder();
        try (LoopbackPair pair = new LoopbackPair(bobCtx, () -> bobApp)) {
            LoopbackPair.Connection c = pair.connectAndHandshake(aliceCtx, aliceApp);
            Channel ch = c.channel();
            SecureSession session = c.handshake().get(10, TimeUnit.SECONDS);
            assertThat(session.peerId()).isEqualTo(bob.peerId());
            ch.writeAndFlush(Unpooled.copiedBuffer("hello bob", StandardCharsets.UTF_8)).sync();
            byte[] got = bobApp.messages.poll(10, TimeUnit.SECONDS);
            assertThat(new String(got, StandardCharsets.UTF_8)).isEqualTo("hello bob");
            Channel bobCh = pair.nextAccepted();
            SecureSession bobSession = SecureSession.of(bobCh).orElseThrow();
            assertThat(bobSession.peerId()).isEqualTo(alice.peerId());
            assertThat(bobSession.sessionFingerprint()).isEqualTo(session.sessionFingerprint());
            // Both sides timed their handshake's milestones.
            HandshakeTimingsTest.assertMilestones(session);
            HandshakeTimingsTest.assertMilestones(bobSession);
            ch.close().sync();
        }
    }
}
