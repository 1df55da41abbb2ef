package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.netty.channel.Channel;
import io.p2pchat.testing.LoopbackPair;
import io.p2pchat.testing.TestIdentities;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Network binding of the handshake: unbound joiners and network discovery (protocol.md §5.9). */
class UnboundInitiatorHandshakeTest {
    static final byte[] NETWORK = filled((byte) 7);
    static final byte[] OTHER = filled((byte) 9);

    static byte[] filled(byte b) {
        byte[] id = new byte[32];
        Arrays.fill(id, b);
        return id;
    }

    static SecureChannelContext.Builder ctx(String name) {
        return SecureChannelContext.builder(TestIdentities.get(name))
                .peerVerifier(PeerVerifier.insecureAcceptAny());
    }

    /** Runs a handshake; returns {initiator session, responder session} or throws its failure. */
    static SecureSession[] handshake(SecureChannelContext initiator, SecureChannelContext responder)
            throws Exception {
        try (LoopbackPair pair = new LoopbackPair(responder, LoopbackPair.Recorder::new)) {
            LoopbackPair.Connection c =
                    pair.connectAndHandshake(initiator, new LoopbackPair.Recorder());
            Channel ch = c.channel();
            SecureSession i = c.handshake().get(10, TimeUnit.SECONDS);
            Channel accepted = pair.nextAccepted();
            // The responder completes after verifying flight 3; its handler is then gone.
            SecureSession r =
                    await().atMost(Duration.ofSeconds(10))
                            .until(() -> SecureSession.of(accepted).orElse(null), x -> x != null);
            ch.close().sync();
            return new SecureSession[] {i, r};
        }
    }

    @Test
    void discoveringInitiator_withResponderAcceptingUnbound_learnsTheNetworkId() throws Exception {
        SecureSession[] s =
                handshake(
                        ctx("joiner").discoverNetwork(true).build(),
                        ctx("member").networkId(NETWORK).acceptUnboundInitiators(true).build());
        assertThat(s[0].peerNetworkId()).isEqualTo(NETWORK);
        assertThat(s[1].peerNetworkId()).isEmpty();
        assertThat(s[0].sessionFingerprint()).isEqualTo(s[1].sessionFingerprint());
    }

    @Test
    void boundChannel_reportsTheSharedNetworkId() throws Exception {
        SecureSession[] s =
                handshake(
                        ctx("a").networkId(NETWORK).build(),
                        ctx("b").networkId(NETWORK).acceptUnboundInitiators(true).build());
        assertThat(s[0].peerNetworkId()).isEqualTo(NETWORK);
        assertThat(s[1].peerNetworkId()).isEqualTo(NETWORK);
    }

    @Test
    void unboundInitiator_toStrictResponder_failsWrongNetwork() {
        assertFailsWith(
                ctx("joiner").discoverNetwork(true).build(),
                ctx("member").networkId(NETWORK).build(),
                ErrorCode.PEER_ALERT);
    }

    @Test
    void strictUnboundInitiator_refusesABoundResponder() {
        // Without discoverNetwork an unbound initiator still insists on an unbound responder.
        assertFailsWith(
                ctx("joiner").build(),
                ctx("member").networkId(NETWORK).acceptUnboundInitiators(true).build(),
                ErrorCode.WRONG_NETWORK);
    }

    @Test
    void acceptUnbound_stillRefusesAnotherNetwork() {
        // The responder refuses (WRONG_NETWORK there); the initiator sees its alert.
        assertFailsWith(
                ctx("a").networkId(OTHER).build(),
                ctx("b").networkId(NETWORK).acceptUnboundInitiators(true).build(),
                ErrorCode.PEER_ALERT);
    }

    @Test
    void discoveringResponder_isNoSuchThing() {
        // DISCOVER applies to initiators only: a discovering responder refuses bound initiators.
        assertFailsWith(
                ctx("a").networkId(NETWORK).build(),
                ctx("b").discoverNetwork(true).build(),
                ErrorCode.PEER_ALERT);
    }

    @Test
    void builder_rejectsContradictoryNetworkOptions() {
        assertThatThrownBy(() -> ctx("a").acceptUnboundInitiators(true).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("needs a networkId");
        assertThatThrownBy(() -> ctx("a").networkId(NETWORK).discoverNetwork(true).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("empty networkId");
    }

    private static void assertFailsWith(
            SecureChannelContext initiator, SecureChannelContext responder, ErrorCode code) {
        assertThatThrownBy(() -> handshake(initiator, responder))
                .isInstanceOf(ExecutionException.class)
                .satisfies(e -> assertThat(ErrorCode.of(e.getCause())).isEqualTo(code));
    }
}
