package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.p2pchat.crypto.KeySchedule;
import io.p2pchat.testing.EmbeddedPair;
import io.p2pchat.testing.Reachability;
import io.p2pchat.testing.TestIdentities;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A retired epoch's AES key is gone from the record state as soon as the next key is installed, not
 * only when the next record is sealed or opened (issue 10, item 8): the JDK's cipher kept the last
 * key it used, raw and expanded, until its next initialisation, which on an idle channel may be
 * hours away. Likewise the last key once the channel closes.
 */
class RetiredKeyTest {
    private static Object writerState(Channel ch) {
        return core(ch).writerForTesting();
    }

    private static Object readerState(Channel ch) {
        return core(ch).readerForTesting();
    }

    private static RecordCodecCore core(Channel ch) {
        return ch.pipeline().get(RecordCodec.class).core();
    }

    private static EmbeddedPair pair(CipherSuite suite) {
        RotationPolicy everyRecord = RotationPolicy.DEFAULT.withRatchetIntervalRecords(1);
        return new EmbeddedPair(
                EmbeddedPair.context(TestIdentities.get("alice"))
                        .cipherSuites(suite)
                        .rotationPolicy(everyRecord)
                        .build(),
                EmbeddedPair.context(TestIdentities.get("bob"))
                        .cipherSuites(suite)
                        .rotationPolicy(everyRecord)
                        .build());
    }

    @ParameterizedTest
    @EnumSource(
            value = CipherSuite.class,
            names = {"X25519_AES_128_GCM_SHA256", "X25519_AES_256_GCM_SHA256"})
    void ratchet_retiredKeyIsNoLongerReachableOnEitherSide(CipherSuite suite) {
        try (EmbeddedPair pair = pair(suite)) {
            pair.handshake().orElseThrow();
            byte[] epoch1 =
                    KeySchedule.trafficKey(
                            core(pair.initiator).writerForTesting().trafficSecretForTesting(),
                            suite.keyLengthBytes());
            // One record under epoch 1, which the sender and receiver each pass through the
            // JDK cipher, and after which both move to epoch 2.
            pair.sendFromInitiator(new byte[] {1});
            assertThat(core(pair.initiator).writerForTesting().epoch()).isEqualTo(2);
            assertThat(core(pair.responder).readerForTesting().epoch()).isEqualTo(2);

            assertThat(Reachability.pathsTo(writerState(pair.initiator), epoch1)).isEmpty();
            assertThat(Reachability.pathsTo(readerState(pair.responder), epoch1)).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = CipherSuite.class,
            names = {"X25519_AES_128_GCM_SHA256"})
    void close_lastKeyIsNoLongerReachable(CipherSuite suite) {
        try (EmbeddedPair pair = pair(suite)) {
            pair.handshake().orElseThrow();
            pair.sendFromInitiator(new byte[] {1});
            byte[] current =
                    KeySchedule.trafficKey(
                            core(pair.initiator).writerForTesting().trafficSecretForTesting(),
                            suite.keyLengthBytes());
            pair.sendFromInitiator(new byte[] {2}); // the cipher now held `current`, then the next
            Object writer = writerState(pair.initiator);
            byte[] last =
                    KeySchedule.trafficKey(
                            core(pair.initiator).writerForTesting().trafficSecretForTesting(),
                            suite.keyLengthBytes());
            // The walk does see a key the cipher holds: the installed one.
            assertThat(Reachability.pathsTo(writer, last))
                    .anySatisfy(path -> assertThat(path).contains("cipher.spi"));
            assertThat(Reachability.pathsTo(writer, current)).isEmpty();

            pair.initiator.close();
            pair.pump();
            assertThat(Reachability.pathsTo(writer, last)).isEmpty();
        }
    }
}
