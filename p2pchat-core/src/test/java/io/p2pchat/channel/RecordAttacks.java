package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.netty.buffer.Unpooled;
import io.p2pchat.proto.ControlMessage;
import io.p2pchat.proto.KeyUpdate;
import io.p2pchat.proto.RekeyConfirm;
import io.p2pchat.proto.RekeyInit;
import io.p2pchat.proto.RekeyResponse;
import io.p2pchat.testing.TestIdentities;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ATTACKS B2, record-layer rows after the handshake: replay, reorder, drop,
 * tamper, truncation, key rotation abuse, counter exhaustion, and the
 * in-channel rekey. The honest peer is the responder and echoes every message.
 */
abstract class RecordAttacks extends ArenaTest {
    private static byte[] m(int i) {
        return ("m" + i).getBytes(StandardCharsets.UTF_8);
    }

    /** An established duel: the evil initiator has completed the handshake. */
    private Arena.Duel established(Bugs bugs) throws Exception {
        Arena.Duel d = arena.evilInitiator(bugs);
        d.evil.handshake();
        return d;
    }

    private Arena.Duel established(SecureChannelContext honest, SecureChannelContext evil)
            throws Exception {
        Arena.Duel d = arena.evilInitiator(honest, evil, Bugs.none());
        d.evil.handshake();
        return d;
    }

    /** The evil peer's bug: {@code op} applied to its {@code index}-th record of {@code type}. */
    private static Bugs onRecord(int type, int index, FrameOp op) {
        return Bugs.none().frame(FrameOp.Selector.type(type, index), op);
    }

    private static void sendAll(Arena.Duel d, int n) {
        for (int i = 0; i < n; i++) {
            d.evil.sendApplication(m(i));
        }
    }

    private static void assertDelivered(Arena.Duel d, int n) {
        d.awaitMessages(n);
        assertThat(d.honest.messages)
                .containsExactlyElementsOf(
                        IntStream.range(0, n).mapToObj(RecordAttacks::m).toList());
    }

    // ------------------------------------------------------------------ A-01 .. A-04

    /** A-01a: an earlier record of the same session, sent again. */
    @Test
    void replay_earlierRecordOfSameSession_isBadRecordMacAndNothingTwice() throws Exception {
        try (Arena.Duel d = established(Bugs.none())) {
            sendAll(d, 2);
            d.evil.writeRaw(d.evil.sent.get(d.evil.sent.size() - 2));
            d.assertClosed(ErrorCode.BAD_RECORD_MAC);
            assertDelivered(d, 2);
            assertAlertFor(d.evil.awaitAlert(), ErrorCode.BAD_RECORD_MAC);
        }
    }

    /** A-01c: a record of another session. */
    @Test
    void replay_recordFromAnotherSession_isBadRecordMac() throws Exception {
        byte[] foreign;
        try (Arena.Duel other = established(Bugs.none())) {
            other.evil.sendApplication(m(0));
            foreign = other.evil.sent.get(other.evil.sent.size() - 1);
        }
        try (Arena.Duel d = established(Bugs.none())) {
            d.evil.writeRaw(foreign);
            d.assertClosed(ErrorCode.BAD_RECORD_MAC);
            assertThat(d.honest.messages).isEmpty();
        }
    }

    /**
     * A-01b: a whole recorded initiator conversation (hello, flight 3, data) replayed to a fresh
     * responder: its fresh ephemeral changes the transcript, so flight 3 fails and nothing is
     * delivered.
     */
    @Test
    void replay_wholeRecordedInitiatorSession_givesNoSession() throws Exception {
        List<byte[]> recorded;
        try (Arena.Duel first = established(Bugs.none())) {
            sendAll(first, 3);
            assertDelivered(first, 3);
            recorded = List.copyOf(first.evil.sent);
        }
        try (Arena.Duel d = arena.evilInitiator(Bugs.none())) {
            d.evil.writeRaw(recorded.get(0));
            d.evil.expect(ContentType.HELLO);
            d.evil.expect(ContentType.HANDSHAKE);
            for (byte[] frame : recorded.subList(1, recorded.size())) {
                d.evil.writeRaw(frame);
            }
            d.assertClosed(ErrorCode.BAD_RECORD_MAC);
            d.assertNoSession();
            assertThat(d.honest.messages).isEmpty();
        }
    }

    /** records n and n+1 swapped: 0..n-1 delivered, nothing after. */
    @Test
    void reorder_recordsSwapped_deliversPrefixThenCloses() throws Exception {
        Bugs swap = onRecord(ContentType.APPLICATION_DATA, 2, FrameOp.holdUntilNext());
        try (Arena.Duel d = established(swap)) {
            sendAll(d, 5);
            d.assertClosed(ErrorCode.BAD_RECORD_MAC);
            assertDelivered(d, 2);
        }
    }

    /** record n dropped: the next record fails; the gap is a close, not silent loss. */
    @Test
    void drop_recordDropped_nextRecordClosesChannel() throws Exception {
        Bugs drop = onRecord(ContentType.APPLICATION_DATA, 1, FrameOp.drop());
        try (Arena.Duel d = established(drop)) {
            sendAll(d, 4);
            d.assertClosed(ErrorCode.BAD_RECORD_MAC);
            assertDelivered(d, 1);
        }
    }

    /** a seeded sample of bit flips over type, epoch, ciphertext and tag. */
    @ParameterizedTest(name = "bit {0}")
    @MethodSource("sampledBits")
    void tamper_bitFlipped_closesWithItsCodeAndDeliversNothingCorrupt(int bit) throws Exception {
        byte[] plaintext = "attack at dawn".getBytes(StandardCharsets.UTF_8);
        Bugs flip = onRecord(ContentType.APPLICATION_DATA, 1, FrameOp.xor(bit / 8, 1 << (bit % 8)));
        try (Arena.Duel d = established(flip)) {
            d.evil.sendApplication(m(0));
            d.evil.sendApplication(plaintext);
            ErrorCode expected;
            if (bit < 40) {
                expected = typeFlipCode(bit);
            } else if (bit < 72) {
                expected = ErrorCode.WRONG_EPOCH;
            } else {
                expected = ErrorCode.BAD_RECORD_MAC;
            }
            d.assertClosed(expected);
            assertDelivered(d, 1);
        }
    }

    private static ErrorCode typeFlipCode(int bit) {
        int type = ContentType.APPLICATION_DATA ^ (1 << (bit - 32));
        return type == ContentType.CONTROL || type == ContentType.ALERT
                ? ErrorCode.BAD_RECORD_MAC
                : ErrorCode.UNEXPECTED_MESSAGE;
    }

    static Stream<Integer> sampledBits() {
        // record of "attack at dawn": 9 header + 14 ciphertext + 16 tag bytes = 312 bits
        Random r = new Random(20261126);
        return Stream.concat(
                        IntStream.range(32, 40).boxed(),
                        Stream.concat(
                                Stream.of(40, 55, 71, 72, 100, 183, 184, 200, 250, 311),
                                IntStream.range(0, 6).map(i -> 72 + r.nextInt(240)).boxed()))
                .distinct();
    }

    // ------------------------------------------------------------------

    /**
     * the connection ends (FIN) in the middle of a record, without an authenticated close.
     */
    @Test
    void truncation_finMidRecord_isTruncatedAndPartialRecordDiscarded() throws Exception {
        Bugs half = onRecord(ContentType.APPLICATION_DATA, 2, FrameOp.truncateTo(15));
        try (Arena.Duel d = established(half)) {
            sendAll(d, 3);
            d.evil.wire().shutdownOutput();
            d.assertClosed(ErrorCode.TRUNCATED);
            assertDelivered(d, 2);
            assertThat(d.honest.closed())
                    .hasValueSatisfying(e -> assertThat(e.isClean()).isFalse());
        }
    }

    /** the connection is reset (RST) in the middle of a record. */
    @Test
    void truncation_rstMidRecord_isTruncated() throws Exception {
        Bugs half = onRecord(ContentType.APPLICATION_DATA, 1, FrameOp.truncateTo(10));
        try (Arena.Duel d = established(half)) {
            sendAll(d, 2);
            d.evil.wire().reset();
            d.assertClosed(ErrorCode.TRUNCATED);
            assertDelivered(d, 1);
        }
    }

    /** whole records, then FIN with no close alert: still reported as truncated. */
    @Test
    void truncation_finWithoutCloseNotify_isTruncatedNotClean() throws Exception {
        try (Arena.Duel d = established(Bugs.none())) {
            sendAll(d, 3);
            d.evil.wire().shutdownOutput();
            d.assertClosed(ErrorCode.TRUNCATED);
            assertDelivered(d, 3);
        }
    }

    /** A-05, control: an authenticated close is reported as a clean end. */
    @Test
    void close_authenticatedCloseNotify_isCleanEnd() throws Exception {
        try (Arena.Duel d = established(Bugs.none())) {
            sendAll(d, 1);
            d.evil.sendAlert(AlertCode.CLOSE_NOTIFY);
            await().atMost(Duration.ofSeconds(20))
                    .until(
                            () -> {
                                d.settle();
                                return d.honest.isInactive();
                            });
            assertThat(d.honest.closed()).hasValueSatisfying(e -> assertThat(e.isClean()).isTrue());
            assertThat(d.evil.awaitAlertCode()).isEqualTo(AlertCode.CLOSE_NOTIFY);
        }
    }

    // ------------------------------------------------------------------

    /** A-15a: a write split into several records, each under a new key (ratchet every record). */
    @Test
    void rotation_messageStraddlingRatchets_isDeliveredOnceInOrder() throws Exception {
        RotationPolicy everyRecord = RotationPolicy.DEFAULT.withRatchetIntervalRecords(1);
        try (Arena.Duel d =
                established(
                        arena.context(Arena.HONEST).build(),
                        arena.context(Arena.EVIL).rotationPolicy(everyRecord).build())) {
            byte[] big = new byte[200_000];
            new Random(1).nextBytes(big);
            d.channel.writeAndFlush(Unpooled.wrappedBuffer(big));
            d.settle();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            int records = 0;
            while (got.size() < big.length) {
                got.writeBytes(d.evil.receiveApplication());
                records++;
            }
            assertThat(got.toByteArray()).isEqualTo(big);
            assertThat(records).isGreaterThan(1);
            assertThat(d.evil.reader().epoch()).isEqualTo(1 + records);
        }
    }

    /** A-15b: a record under the old key after a ratchet is due. */
    @Test
    void rotation_recordUnderOldKeyAfterRatchet_isWrongEpoch() throws Exception {
        try (Arena.Duel d = established(Bugs.none().skipRatchet())) {
            sendAll(d, 9); // the ratchet is due after 8 records; the 9th is still epoch 1
            d.assertClosed(ErrorCode.WRONG_EPOCH);
            assertDelivered(d, 8);
        }
    }

    /** A-15b: a record under the old key after a key update. */
    @Test
    void rotation_recordUnderOldKeyAfterKeyUpdate_isWrongEpoch() throws Exception {
        try (Arena.Duel d = established(Bugs.none().skipRatchet())) {
            d.evil.sendKeyUpdate(false);
            d.evil.sendApplication(m(0));
            d.assertClosed(ErrorCode.WRONG_EPOCH);
            assertThat(d.honest.messages).isEmpty();
        }
    }

    /** A-15c: the key update record tampered, duplicated or replayed later. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("keyUpdateAbuse")
    void rotation_keyUpdateRecordAbused_closes(String name, FrameOp op, ErrorCode expected)
            throws Exception {
        Bugs bugs = Bugs.none().frame(FrameOp.Selector.type(ContentType.CONTROL, 0), op);
        try (Arena.Duel d = established(bugs)) {
            d.evil.sendKeyUpdate(false);
            d.evil.sendApplication(m(0));
            d.assertClosed(expected);
        }
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> keyUpdateAbuse() {
        return Stream.of(
                org.junit.jupiter.params.provider.Arguments.of(
                        "tampered", FrameOp.xor(12, 0x20), ErrorCode.BAD_RECORD_MAC),
                org.junit.jupiter.params.provider.Arguments.of(
                        "duplicated", FrameOp.duplicate(), ErrorCode.WRONG_EPOCH),
                org.junit.jupiter.params.provider.Arguments.of(
                        "dropped", FrameOp.drop(), ErrorCode.WRONG_EPOCH));
    }

    /** A-15c: a key update record replayed after the key changed. */
    @Test
    void rotation_keyUpdateReplayedLater_isWrongEpoch() throws Exception {
        try (Arena.Duel d = established(Bugs.none())) {
            d.evil.sendKeyUpdate(false);
            byte[] update = d.evil.sent.get(d.evil.sent.size() - 1);
            d.evil.sendApplication(m(0));
            d.evil.writeRaw(update);
            d.assertClosed(ErrorCode.WRONG_EPOCH);
            assertDelivered(d, 1);
        }
    }

    /** A-15c: an empty control message, an empty control record, an oversized key update. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedControls")
    void rotation_malformedControlMessage_closes(String name, byte[] plaintext, ErrorCode expected)
            throws Exception {
        try (Arena.Duel d = established(Bugs.none())) {
            d.evil.sendRaw(ContentType.CONTROL, plaintext);
            d.assertClosed(expected);
            assertAlertFor(d.evil.awaitAlert(), expected);
        }
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> malformedControls() {
        byte[] padded =
                ControlMessage.newBuilder()
                        .setKeyUpdate(
                                KeyUpdate.newBuilder()
                                        .setUnknownFields(
                                                com.google.protobuf.UnknownFieldSet.newBuilder()
                                                        .addField(
                                                                15,
                                                                com.google.protobuf.UnknownFieldSet
                                                                        .Field.newBuilder()
                                                                        .addLengthDelimited(
                                                                                ByteString.copyFrom(
                                                                                        new byte
                                                                                                [30_000]))
                                                                        .build())
                                                        .build()))
                        .build()
                        .toByteArray();
        return Stream.of(
                org.junit.jupiter.params.provider.Arguments.of(
                        "empty record", new byte[0], ErrorCode.UNEXPECTED_MESSAGE),
                org.junit.jupiter.params.provider.Arguments.of(
                        "empty oneof",
                        ControlMessage.getDefaultInstance().toByteArray(),
                        ErrorCode.UNEXPECTED_MESSAGE),
                org.junit.jupiter.params.provider.Arguments.of(
                        "garbage", new byte[] {(byte) 0xFF, 0}, ErrorCode.MALFORMED),
                org.junit.jupiter.params.provider.Arguments.of(
                        "key update padded to 30 KB", padded, ErrorCode.MALFORMED));
    }

    /** A-15d: two key updates back to back in one write, then data under epoch 3. */
    @Test
    void rotation_twoKeyUpdatesInOneWrite_bothApplyNoLoss() throws Exception {
        try (Arena.Duel d = established(Bugs.none())) {
            d.evil.cork().sendKeyUpdate(false).sendKeyUpdate(false).sendApplication(m(0)).uncork();
            assertThat(d.evil.receiveApplication()).isEqualTo(m(0)); // the echo
            assertDelivered(d, 1);
            assertThat(d.evil.writer().epoch()).isEqualTo(3);
        }
    }

    /** A-15e: a rotation requested while application writes are pending (unflushed). */
    @Test
    void rotation_whileWritesPending_keepsOrderNoLoss() throws Exception {
        try (Arena.Duel d = established(Bugs.none())) {
            SecureSession session =
                    await().until(
                                    () -> {
                                        d.settle();
                                        return d.honest.session();
                                    },
                                    java.util.Optional::isPresent)
                            .orElseThrow();
            d.channel
                    .eventLoop()
                    .submit(
                            () -> {
                                for (int i = 0; i < 5; i++) {
                                    d.channel.write(Unpooled.wrappedBuffer(m(i)));
                                }
                                session.rotateKeys(true);
                                for (int i = 5; i < 10; i++) {
                                    d.channel.write(Unpooled.wrappedBuffer(m(i)));
                                }
                                d.channel.flush();
                            });
            d.settle();
            // Writes queued before a flush may share records: compare the byte stream.
            java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < 10; i++) {
                expected.writeBytes(m(i));
            }
            java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
            while (received.size() < expected.size()) {
                received.writeBytes(d.evil.receiveApplication());
            }
            assertThat(received.toByteArray()).isEqualTo(expected.toByteArray());
            d.evil.sendApplication(m(0));
            await().atMost(Duration.ofSeconds(20))
                    .until(
                            () -> {
                                d.settle();
                                return d.honest.messages.size() == 1;
                            });
            assertThat(d.honest.failureCode()).isEmpty();
        }
    }

    /** A-15f: 10,000 key updates in one burst are rate limited. */
    @Test
    void rotation_tenThousandKeyUpdatesInBurst_isTooManyKeyUpdates() throws Exception {
        try (Arena.Duel d = established(Bugs.none())) {
            d.evil.cork();
            for (int i = 0; i < 10_000; i++) {
                d.evil.sendKeyUpdate(false);
            }
            d.evil.uncork();
            d.assertClosed(ErrorCode.TOO_MANY_KEY_UPDATES);
            assertThat(d.evil.awaitAlertCode()).isEqualTo(AlertCode.RESOURCE_LIMIT);
        }
    }

    // ------------------------------------------------------------------

    /** the receive epoch at its maximum: the next key change closes instead of wrapping. */
    @Test
    void exhaustion_receiveEpochAtMaximum_closesWithKeyExhausted() throws Exception {
        try (Arena.Duel d = established(Bugs.none())) {
            d.awaitSession();
            byte[] secret = d.evil.writer().trafficSecretForTesting();
            d.evil.writer().install(RecordFormat.MAX_EPOCH, secret.clone());
            d.onHonestLoop(
                    () ->
                            d.channel
                                    .pipeline()
                                    .get(RecordCodec.class)
                                    .core()
                                    .readerForTesting()
                                    .install(RecordFormat.MAX_EPOCH, secret.clone()));
            d.evil.bugs(Bugs.none().skipRatchet());
            sendAll(d, 8);
            d.assertClosed(ErrorCode.KEY_EXHAUSTED);
            assertDelivered(d, 7);
            assertAlertFor(d.evil.awaitAlert(), ErrorCode.KEY_EXHAUSTED);
        }
    }

    // ------------------------------------------------------------------

    private static ControlMessage rekeyInit(byte[] share, byte[] ek, byte[] sender) {
        RekeyInit.Builder b =
                RekeyInit.newBuilder()
                        .setX25519Share(ByteString.copyFrom(share))
                        .setSenderPeerId(ByteString.copyFrom(sender));
        if (ek != null) {
            b.setMlkem768EncapsulationKey(ByteString.copyFrom(ek));
        }
        return ControlMessage.newBuilder().setRekeyInit(b).build();
    }

    /** A-21a,b: rekey flights that are malformed, out of place, or name another identity. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("rekeyAbuse")
    void rekey_abusedFlight_closesWithItsCode(String name, FieldMod mod, ErrorCode expected)
            throws Exception {
        try (Arena.Duel d = established(Bugs.none())) {
            d.evil.bugs(Bugs.none().field(Bugs.Msg.CONTROL, mod));
            d.evil.startRekey();
            d.assertClosed(expected);
            assertAlertFor(d.evil.awaitAlert(), expected);
        }
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> rekeyAbuse() {
        byte[] other = TestIdentities.get("alice").peerId().toBytes();
        return Stream.of(
                org.junit.jupiter.params.provider.Arguments.of(
                        "other identity",
                        FieldMod.set("rekey_init.sender_peer_id", other),
                        ErrorCode.IDENTITY_CHANGED),
                org.junit.jupiter.params.provider.Arguments.of(
                        "no identity",
                        FieldMod.clear("rekey_init.sender_peer_id"),
                        ErrorCode.IDENTITY_CHANGED),
                org.junit.jupiter.params.provider.Arguments.of(
                        "share 31 bytes",
                        FieldMod.truncate("rekey_init.x25519_share", 31),
                        ErrorCode.BAD_KEY_SHARE),
                org.junit.jupiter.params.provider.Arguments.of(
                        "share all zero",
                        FieldMod.set("rekey_init.x25519_share", new byte[32]),
                        ErrorCode.BAD_KEY_SHARE),
                org.junit.jupiter.params.provider.Arguments.of(
                        "ek truncated",
                        FieldMod.truncate("rekey_init.mlkem768_encapsulation_key", 1000),
                        ErrorCode.BAD_KEY_SHARE),
                org.junit.jupiter.params.provider.Arguments.of(
                        "ek not reduced",
                        FieldMod.set(
                                "rekey_init.mlkem768_encapsulation_key",
                                Material.filled(1184, 0xFF)),
                        ErrorCode.BAD_KEY_SHARE));
    }

    /** A-21a: a rekey flight that is tampered in transit or replayed. */
    @Test
    void rekey_initRecordTamperedOrReplayed_closes() throws Exception {
        try (Arena.Duel d = established(onRecord(ContentType.CONTROL, 0, FrameOp.xor(30, 1)))) {
            d.evil.startRekey();
            d.assertClosed(ErrorCode.BAD_RECORD_MAC);
        }
        try (Arena.Duel d = established(onRecord(ContentType.CONTROL, 0, FrameOp.duplicate()))) {
            d.evil.startRekey();
            d.assertClosed(ErrorCode.BAD_RECORD_MAC);
        }
    }

    /** A-21a: a second rekey init while the first awaits its confirm, and stray responses. */
    @Test
    void rekey_outOfPlaceFlights_areUnexpectedMessages() throws Exception {
        byte[] me = Arena.EVIL.peerId().toBytes();
        try (Arena.Duel d = established(Bugs.none())) {
            d.evil.startRekey();
            d.evil.sendControl(rekeyInit(new byte[32], null, me));
            d.assertClosed(ErrorCode.UNEXPECTED_MESSAGE);
        }
        try (Arena.Duel d = established(Bugs.none())) {
            d.evil.sendControl(
                    ControlMessage.newBuilder()
                            .setRekeyResponse(
                                    RekeyResponse.newBuilder()
                                            .setX25519Share(ByteString.copyFrom(new byte[32]))
                                            .setSenderPeerId(ByteString.copyFrom(me)))
                            .build());
            d.assertClosed(ErrorCode.UNEXPECTED_MESSAGE);
        }
        try (Arena.Duel d = established(Bugs.none())) {
            d.evil.sendControl(
                    ControlMessage.newBuilder()
                            .setRekeyConfirm(RekeyConfirm.getDefaultInstance())
                            .build());
            d.assertClosed(ErrorCode.UNEXPECTED_MESSAGE);
        }
    }

    /** A-21c: a flood of complete rekeys is rate limited. */
    @Test
    void rekey_flood_isTooManyKeyUpdates() throws Exception {
        try (Arena.Duel d = established(Bugs.none())) {
            int completed = 0;
            for (int i = 0; i < 40 && !d.honest.isInactive(); i++) {
                d.evil.startRekey();
                d.settle();
                EvilPeer.Inbound in = d.evil.receive();
                if (in.type() != ContentType.CONTROL) {
                    break;
                }
                completed++;
            }
            d.assertClosed(ErrorCode.TOO_MANY_KEY_UPDATES);
            assertThat(completed).isBetween(30, 39);
        }
    }

    /**
     * A-21d: application data interleaved with a rekey in both directions: no loss, no duplication,
     * and records under the old keys are refused afterwards.
     */
    @Test
    void rekey_interleavedWithDataBothWays_noLossAndOldKeysUnusable() throws Exception {
        try (Arena.Duel d = established(Bugs.none())) {
            d.evil.sendApplication(m(0));
            byte[] oldRecord = d.evil.sent.get(d.evil.sent.size() - 1);
            d.evil.startRekey();
            d.evil.sendApplication(m(1)); // old key, after the init
            d.settle();
            List<byte[]> echoes = new java.util.ArrayList<>();
            boolean rekeyed = false;
            for (int i = 0; i < 10 && (echoes.size() < 2 || !rekeyed); i++) {
                EvilPeer.Inbound in = d.evil.receive();
                if (in.type() == ContentType.APPLICATION_DATA) {
                    echoes.add(in.plaintext());
                } else if (in.type() == ContentType.CONTROL) {
                    rekeyed = true;
                }
            }
            d.evil.sendApplication(m(2)); // new key
            assertThat(d.evil.receiveApplication()).isEqualTo(m(2));
            assertThat(echoes).containsExactly(m(0), m(1));
            assertDelivered(d, 3);
            SecureSession honest = d.honest.session().orElseThrow();
            assertThat(honest.stats().rekeys()).isEqualTo(1);
            d.evil.writeRaw(oldRecord);
            d.assertClosed(ErrorCode.WRONG_EPOCH);
            assertDelivered(d, 3);
        }
    }

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return Arrays.copyOf(b, b.length);
    }
}
