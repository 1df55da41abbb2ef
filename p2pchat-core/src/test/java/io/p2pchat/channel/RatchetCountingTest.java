package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.p2pchat.testing.EmbeddedPair;
import io.p2pchat.testing.TestIdentities;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What counts toward the ratchet bounds and when they are reached (docs/protocol.md §8.1): every
 * record of the direction, control records included, with its plaintext length; "reached" is "at
 * least equal"; the record that reaches a bound is the key's last.
 */
class RatchetCountingTest {
    private static RecordCodecCore core(Channel ch) {
        return ch.pipeline().get(RecordCodec.class).core();
    }

    private static EmbeddedPair pair(RotationPolicy policy) {
        return new EmbeddedPair(
                EmbeddedPair.context(TestIdentities.get("alice"))
                        .rotationPolicy(policy)
                        .keepAliveInterval(Duration.ofSeconds(10))
                        .build(),
                EmbeddedPair.context(TestIdentities.get("bob"))
                        .rotationPolicy(policy)
                        .keepAliveInterval(Duration.ofSeconds(10))
                        .build());
    }

    private static long sendEpoch(EmbeddedPair pair) {
        return core(pair.initiator).writerForTesting().epoch();
    }

    private static long receiveEpoch(EmbeddedPair pair) {
        return core(pair.responder).readerForTesting().epoch();
    }

    /** Lets the initiator's keep-alive send one ping (a control record), and the pong come back. */
    private static void ping(EmbeddedPair pair) {
        pair.initiator.advanceTimeBy(11, TimeUnit.SECONDS);
        pair.initiator.runScheduledPendingTasks();
        pair.pump();
    }

    @Test
    void byteBound_reachedAtExactlyTheLimit_byPlaintextBytes() {
        try (EmbeddedPair pair = pair(RotationPolicy.DEFAULT.withRatchetIntervalBytes(1024))) {
            pair.handshake().orElseThrow();
            pair.sendFromInitiator(new byte[1023]);
            assertThat(sendEpoch(pair)).isEqualTo(1);
            pair.sendFromInitiator(new byte[1]); // 1024 plaintext bytes: reached
            assertThat(sendEpoch(pair)).isEqualTo(2);
            assertThat(receiveEpoch(pair)).isEqualTo(2);
            pair.sendFromInitiator(new byte[] {7}); // under the new key, in step
            assertThat(pair.responderApp.messages).hasSize(3);
        }
    }

    @Test
    void controlRecord_countsTowardTheRecordBound() {
        try (EmbeddedPair pair = pair(RotationPolicy.DEFAULT.withRatchetIntervalRecords(2))) {
            pair.handshake().orElseThrow();
            pair.sendFromInitiator(new byte[] {1});
            assertThat(sendEpoch(pair)).isEqualTo(1);
            ping(pair); // the second record of epoch 1 is a ping
            assertThat(sendEpoch(pair)).isEqualTo(2);
            assertThat(receiveEpoch(pair)).isEqualTo(2);
            pair.sendFromInitiator(new byte[] {2});
            assertThat(pair.responderApp.messages).hasSize(2);
        }
    }

    @Test
    void controlRecord_countsTowardTheByteBound() {
        try (EmbeddedPair pair = pair(RotationPolicy.DEFAULT.withRatchetIntervalBytes(1024))) {
            pair.handshake().orElseThrow();
            pair.sendFromInitiator(new byte[1020]);
            ping(pair); // a ping's plaintext is more than 4 bytes
            assertThat(sendEpoch(pair)).isEqualTo(2);
            assertThat(receiveEpoch(pair)).isEqualTo(2);
            pair.sendFromInitiator(new byte[] {2});
            assertThat(pair.responderApp.messages).hasSize(2);
        }
    }
}
