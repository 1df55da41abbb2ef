package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.p2pchat.testing.EmbeddedPair;
import io.p2pchat.testing.TestIdentities;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class KeyRotationTest {
    private static EmbeddedPair pair(RotationPolicy policy) {
        return new EmbeddedPair(
                EmbeddedPair.context(TestIdentities.get("alice"))
                        .rotationPolicy(policy)
                        .recordDigest(true)
                        .build(),
                EmbeddedPair.context(TestIdentities.get("bob"))
                        .rotationPolicy(policy)
                        .recordDigest(true)
                        .build());
    }

    private static RecordCodecCore core(io.netty.channel.Channel ch) {
        return ch.pipeline().get(RecordCodec.class).core();
    }

    @Test
    void ratchet_everyEightRecords_bothDirectionsInStep() {
        try (EmbeddedPair pair = pair(RotationPolicy.DEFAULT)) {
            pair.handshake().orElseThrow();
            // One record per flush: writes queued before a flush share a record.
            for (int i = 0; i < 20; i++) {
                pair.initiator.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {(byte) i}));
                pair.responder.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {(byte) -i}));
            }
            pair.pump();
            assertThat(pair.responderApp.messages).hasSize(20);
            assertThat(pair.initiatorApp.messages).hasSize(20);
            // 20 records at 8 per key: epochs 1 (0-7), 2 (8-15), 3 (16-19)
            assertThat(core(pair.initiator).writerForTesting().epoch()).isEqualTo(3);
            assertThat(core(pair.responder).readerForTesting().epoch()).isEqualTo(3);
            List<KeyRotatedEvent> events = pair.initiatorApp.eventsOf(KeyRotatedEvent.class);
            assertThat(events)
                    .filteredOn(e -> e.direction() == KeyRotatedEvent.Direction.OUTBOUND)
                    .hasSize(2);
            assertThat(events)
                    .filteredOn(e -> e.direction() == KeyRotatedEvent.Direction.INBOUND)
                    .hasSize(2);
            assertThat(events).allMatch(e -> e.kind() == KeyRotatedEvent.Kind.RATCHET);
        }
    }

    @Test
    void ratchet_oldSecretIsErased() {
        try (EmbeddedPair pair = pair(RotationPolicy.DEFAULT.withRatchetIntervalRecords(1))) {
            pair.handshake().orElseThrow();
            byte[] before = core(pair.initiator).writerForTesting().trafficSecretForTesting();
            pair.sendFromInitiator(new byte[] {1});
            byte[] after = core(pair.initiator).writerForTesting().trafficSecretForTesting();
            byte[] receiverNow = core(pair.responder).readerForTesting().trafficSecretForTesting();
            assertThat(after).isNotEqualTo(before);
            assertThat(receiverNow).isEqualTo(after);
            // The old secret appears nowhere in either side's live key state.
            assertThat(
                            Arrays.equals(
                                    core(pair.responder)
                                            .readerForTesting()
                                            .trafficSecretForTesting(),
                                    before))
                    .isFalse();
        }
    }

    @Test
    void ratchet_byteLimit_forcesKeyChange() {
        try (EmbeddedPair pair = pair(RotationPolicy.DEFAULT.withRatchetIntervalBytes(1024))) {
            pair.handshake().orElseThrow();
            pair.sendFromInitiator(new byte[1000]);
            assertThat(core(pair.initiator).writerForTesting().epoch()).isEqualTo(1);
            pair.sendFromInitiator(new byte[30]);
            assertThat(core(pair.initiator).writerForTesting().epoch()).isEqualTo(2);
            assertThat(core(pair.responder).readerForTesting().epoch()).isEqualTo(2);
            assertThat(pair.responderApp.messages).hasSize(2);
        }
    }

    @Test
    void ratchet_smallerOfTheTwoOffers_isUsed() {
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(TestIdentities.get("alice"))
                                .rotationPolicy(
                                        RotationPolicy.DEFAULT.withRatchetIntervalRecords(3))
                                .build(),
                        EmbeddedPair.context(TestIdentities.get("bob")).build())) {
            pair.handshake().orElseThrow();
            for (int i = 0; i < 3; i++) {
                pair.sendFromResponder(new byte[] {1});
            }
            assertThat(core(pair.responder).writerForTesting().epoch()).isEqualTo(2);
            assertThat(core(pair.initiator).readerForTesting().epoch()).isEqualTo(2);
        }
    }

    @Test
    void rotateKeys_withPeerRequest_movesBothDirections() throws Exception {
        try (EmbeddedPair pair = pair(RotationPolicy.DEFAULT)) {
            SecureSession session = pair.handshake().orElseThrow();
            var f = session.rotateKeys(true);
            pair.pump();
            assertThat(f.isSuccess()).isTrue();
            assertThat(core(pair.initiator).writerForTesting().epoch()).isEqualTo(2);
            assertThat(core(pair.responder).writerForTesting().epoch()).isEqualTo(2);
            assertThat(pair.initiatorApp.eventsOf(KeyRotatedEvent.class))
                    .extracting(KeyRotatedEvent::kind)
                    .containsOnly(KeyRotatedEvent.Kind.KEY_UPDATE);
            pair.sendFromInitiator(new byte[] {7});
            pair.sendFromResponder(new byte[] {8});
            assertThat(pair.responderApp.messages).hasSize(1);
            assertThat(pair.initiatorApp.messages).hasSize(1);
        }
    }

    @Test
    void rekey_freshExchange_changesBothDirectionsAndKeepsData() {
        try (EmbeddedPair pair = pair(RotationPolicy.DEFAULT)) {
            SecureSession session = pair.handshake().orElseThrow();
            byte[] before = core(pair.initiator).writerForTesting().trafficSecretForTesting();
            byte[] exportBefore = session.exportKeyingMaterial("test", new byte[0], 32);
            var f = session.rekey();
            // interleave application data in both directions with the rekey flights
            pair.initiator.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1}));
            pair.responder.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {2}));
            pair.pump();
            assertThat(f.isSuccess()).isTrue();
            assertThat(session.stats().rekeys()).isEqualTo(1);
            assertThat(SecureSession.of(pair.responder).orElseThrow().stats().rekeys())
                    .isEqualTo(1);
            byte[] after = core(pair.initiator).writerForTesting().trafficSecretForTesting();
            assertThat(after).isNotEqualTo(before);
            assertThat(core(pair.responder).readerForTesting().trafficSecretForTesting())
                    .isEqualTo(after);
            pair.sendFromInitiator(new byte[] {3});
            pair.sendFromResponder(new byte[] {4});
            assertThat(pair.responderApp.messages).containsExactly(new byte[] {1}, new byte[] {3});
            assertThat(pair.initiatorApp.messages).containsExactly(new byte[] {2}, new byte[] {4});
            // The exporter is fixed by the handshake.
            assertThat(session.exportKeyingMaterial("test", new byte[0], 32))
                    .isEqualTo(exportBefore);
            assertThat(pair.initiatorApp.eventsOf(KeyRotatedEvent.class))
                    .extracting(KeyRotatedEvent::kind)
                    .contains(KeyRotatedEvent.Kind.REKEY);
        }
    }

    @Test
    void rekey_bothSidesAtOnce_initiatorWinsAndBothComplete() {
        try (EmbeddedPair pair = pair(RotationPolicy.DEFAULT)) {
            SecureSession a = pair.handshake().orElseThrow();
            SecureSession b = SecureSession.of(pair.responder).orElseThrow();
            var fa = a.rekey();
            var fb = b.rekey();
            pair.pump();
            assertThat(fa.isSuccess()).isTrue();
            assertThat(fb.isSuccess()).isTrue();
            pair.sendFromInitiator(new byte[] {1});
            pair.sendFromResponder(new byte[] {2});
            assertThat(pair.responderApp.messages).hasSize(1);
            assertThat(pair.initiatorApp.messages).hasSize(1);
            assertThat(pair.responderApp.errors).isEmpty();
            assertThat(pair.initiatorApp.errors).isEmpty();
        }
    }

    @Test
    void rekey_timer_firesAfterInterval() {
        RotationPolicy policy = RotationPolicy.DEFAULT.withRekey(1L << 20, Duration.ofSeconds(30));
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(TestIdentities.get("alice"))
                                .rotationPolicy(policy)
                                .build(),
                        EmbeddedPair.context(TestIdentities.get("bob"))
                                .rotationPolicy(policy)
                                .build())) {
            SecureSession a = pair.handshake().orElseThrow();
            for (int i = 0; i < 4; i++) {
                pair.initiator.advanceTimeBy(10, TimeUnit.SECONDS);
                pair.responder.advanceTimeBy(10, TimeUnit.SECONDS);
                pair.initiator.runScheduledPendingTasks();
                pair.responder.runScheduledPendingTasks();
                pair.pump();
            }
            assertThat(a.stats().rekeys()).isGreaterThanOrEqualTo(1);
            assertThat(pair.initiator.isActive()).isTrue();
        }
    }

    @Test
    void keyUpdateFlood_isRateLimited() {
        try (EmbeddedPair pair = pair(RotationPolicy.DEFAULT)) {
            SecureSession a = pair.handshake().orElseThrow();
            for (int i = 0; i < 100; i++) {
                a.rotateKeys(false);
                pair.initiator.runPendingTasks();
            }
            pair.pump();
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.TOO_MANY_KEY_UPDATES);
            assertThat(pair.responder.isActive()).isFalse();
        }
    }

    @Test
    void recordDigest_matchesOnBothSidesAndChangesWithTraffic() {
        try (EmbeddedPair pair = pair(RotationPolicy.DEFAULT)) {
            SecureSession a = pair.handshake().orElseThrow();
            SecureSession b = SecureSession.of(pair.responder).orElseThrow();
            String empty = a.recordDigest().orElseThrow().fingerprint();
            for (int i = 0; i < 25; i++) {
                pair.sendFromInitiator(("a" + i).getBytes());
                pair.sendFromResponder(("b" + i).getBytes());
            }
            String fa = a.recordDigest().orElseThrow().fingerprint();
            assertThat(fa).isEqualTo(b.recordDigest().orElseThrow().fingerprint());
            assertThat(fa).isNotEqualTo(empty).matches("\\d{5}( \\d{5}){5}");
        }
    }

    @Test
    void exporter_sameOnBothSides_differentPerLabelAndContext() {
        try (EmbeddedPair pair = EmbeddedPair.of("alice", "bob")) {
            SecureSession a = pair.handshake().orElseThrow();
            SecureSession b = SecureSession.of(pair.responder).orElseThrow();
            byte[] x = a.exportKeyingMaterial("app auth", new byte[] {1}, 32);
            assertThat(b.exportKeyingMaterial("app auth", new byte[] {1}, 32)).isEqualTo(x);
            assertThat(a.exportKeyingMaterial("other", new byte[] {1}, 32)).isNotEqualTo(x);
            assertThat(a.exportKeyingMaterial("app auth", new byte[] {2}, 32)).isNotEqualTo(x);
            assertThat(a.exportKeyingMaterial("app auth", new byte[] {1}, 64)).hasSize(64);
        }
        // Another session gives other bytes.
        try (EmbeddedPair p1 = EmbeddedPair.of("alice", "bob");
                EmbeddedPair p2 = EmbeddedPair.of("alice", "bob")) {
            assertThat(p1.handshake().orElseThrow().exportKeyingMaterial("l", new byte[0], 32))
                    .isNotEqualTo(
                            p2.handshake()
                                    .orElseThrow()
                                    .exportKeyingMaterial("l", new byte[0], 32));
        }
    }

    @Test
    void idleTimeout_closesSilentPeer_keepAlivePreventsIt() {
        SecureChannelContext.Builder b =
                EmbeddedPair.context(TestIdentities.get("alice"))
                        .idleTimeout(Duration.ofSeconds(30))
                        .keepAliveInterval(Duration.ofSeconds(10));
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        b.build(),
                        EmbeddedPair.context(TestIdentities.get("bob"))
                                .idleTimeout(Duration.ofSeconds(30))
                                .keepAliveInterval(Duration.ofSeconds(10))
                                .build())) {
            pair.handshake().orElseThrow();
            // Both sides alive: keep-alives flow and nobody times out over 2 minutes.
            for (int i = 0; i < 24; i++) {
                pair.initiator.advanceTimeBy(5, TimeUnit.SECONDS);
                pair.responder.advanceTimeBy(5, TimeUnit.SECONDS);
                pair.initiator.runScheduledPendingTasks();
                pair.responder.runScheduledPendingTasks();
                pair.pump();
            }
            assertThat(pair.initiator.isActive()).isTrue();
            assertThat(pair.responder.isActive()).isTrue();
            // Now the link goes silent: the initiator's idle timeout fires.
            pair.tap((d, i, f) -> null);
            for (int i = 0; i < 8; i++) {
                pair.initiator.advanceTimeBy(5, TimeUnit.SECONDS);
                pair.initiator.runScheduledPendingTasks();
                pair.pump();
            }
            assertThat(pair.initiatorApp.failureCode()).contains(ErrorCode.IDLE_TIMEOUT);
            assertThat(pair.initiator.isActive()).isFalse();
        }
    }

    @Test
    void epochExhaustion_closesInsteadOfWrapping() {
        try (EmbeddedPair pair = pair(RotationPolicy.DEFAULT.withRatchetIntervalRecords(2))) {
            pair.handshake().orElseThrow();
            // Put the initiator->responder direction on the last epoch, on both sides.
            long last = io.p2pchat.channel.RecordFormat.MAX_EPOCH;
            byte[] secret = core(pair.initiator).writerForTesting().trafficSecretForTesting();
            core(pair.initiator).writerForTesting().install(last, secret.clone());
            core(pair.responder).readerForTesting().install(last, secret.clone());
            pair.sendFromInitiator(new byte[] {1});
            assertThat(pair.responderApp.messages).hasSize(1);
            pair.sendFromInitiator(new byte[] {2}); // the second record would need epoch 2^32
            assertThat(pair.initiatorApp.failureCode()).contains(ErrorCode.KEY_EXHAUSTED);
            assertThat(pair.initiator.isActive()).isFalse();
        }
    }
}
