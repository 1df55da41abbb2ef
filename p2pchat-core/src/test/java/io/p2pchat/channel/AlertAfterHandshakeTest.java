package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.p2pchat.testing.EmbeddedPair;
import io.p2pchat.testing.TestIdentities;
import org.junit.jupiter.api.Test;

/**
 * What a receiver does with an alert that is not encrypted under its current key once the handshake
 * is done (docs/protocol.md §10): it is not believed; like any record that fails, it closes the
 * channel, with the receiver's own code and alert.
 */
class AlertAfterHandshakeTest {
    private static EmbeddedPair established() {
        EmbeddedPair pair = EmbeddedPair.of("alice", "bob");
        pair.handshake().orElseThrow();
        return pair;
    }

    private static void inject(EmbeddedPair pair, long epoch, AlertCode alert) {
        var frame =
                RecordWriter.plaintextFrame(
                        pair.responder.alloc(),
                        ContentType.ALERT,
                        new byte[] {(byte) alert.wireValue()});
        frame.setInt(frame.readerIndex() + 5, (int) epoch);
        EmbeddedPair.deliver(pair.responder, frame);
        pair.pump();
    }

    @Test
    void plaintextAlert_epochZero_isWrongEpoch_notThePeersAlert() {
        try (EmbeddedPair pair = established()) {
            inject(pair, 0, AlertCode.CLOSE_NOTIFY);
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.WRONG_EPOCH);
            assertThat(pair.responder.isActive()).isFalse();
            // The receiver's own alert, encrypted, reached the real peer.
            assertThat(pair.initiatorApp.failureCode()).contains(ErrorCode.PEER_ALERT);
        }
    }

    @Test
    void plaintextAlert_currentEpochNumber_isBadRecordMac() {
        try (EmbeddedPair pair = established()) {
            inject(pair, 1, AlertCode.PROTOCOL_ERROR);
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.BAD_RECORD_MAC);
            assertThat(pair.responder.isActive()).isFalse();
        }
    }

    /**
     * The one encrypted alert an initiator can receive under a key it no longer has: the
     * responder's refusal of flight 3, sealed under the responder's handshake key (epoch 0), which
     * the initiator erased when it completed. It arrives as a record of the wrong epoch.
     */
    @Test
    void responderRefusesFlightThree_initiatorReportsWrongEpoch() {
        PeerVerifier rejectAll =
                peer -> {
                    throw new PeerVerificationException(ErrorCode.IDENTITY_REVOKED, "revoked");
                };
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(TestIdentities.get("alice")).build(),
                        EmbeddedPair.context(TestIdentities.get("bob"))
                                .peerVerifier(rejectAll)
                                .build())) {
            pair.pump();
            assertThat(pair.initiatorFuture.isSuccess()).isTrue();
            pair.initiator.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1}));
            pair.pump();
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.IDENTITY_REVOKED);
            assertThat(pair.initiatorApp.failureCode()).contains(ErrorCode.WRONG_EPOCH);
            assertThat(pair.initiator.isActive()).isFalse();
        }
    }
}
