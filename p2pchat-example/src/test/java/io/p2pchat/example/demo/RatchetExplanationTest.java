package io.p2pchat.example.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.channel.KeyRotatedEvent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The demo's claim about the ratchet matches docs/protocol.md §8.1: the record that reaches the
 * bound is the old key's last, counting every record of the direction, not only the burst's.
 */
class RatchetExplanationTest {
    private static WireTap.Record data(long epoch) {
        return new WireTap.Record(WireTap.DATA, epoch, 100, "00");
    }

    private static KeyRotatedEvent ratchet(long epoch) {
        return new KeyRotatedEvent(
                KeyRotatedEvent.Direction.OUTBOUND, epoch, KeyRotatedEvent.Kind.RATCHET);
    }

    @Test
    void threeEarlierRecords_makeTheFifthBurstMessageTheLast() {
        List<Object> t = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            t.add(data(1));
        }
        t.add(ratchet(2));
        for (int i = 0; i < 3; i++) {
            t.add(data(2));
        }
        assertThat(Messages.explainRatchets(t))
                .containsExactly(
                        "epoch 1 had protected 3 records before the burst (earlier messages and"
                                + " acknowledgements), so burst message 5 was its 8th and last"
                                + " record, and burst message 6 the first under epoch 2");
    }

    @Test
    void controlRecords_countToo() {
        List<Object> t = new ArrayList<>();
        t.add(data(3));
        t.add(new WireTap.Record(WireTap.CONTROL, 3, 40, "00"));
        for (int i = 0; i < 6; i++) {
            t.add(data(3));
        }
        t.add(ratchet(4));
        t.add(data(4));
        assertThat(Messages.explainRatchets(t))
                .containsExactly(
                        "epoch 3: burst message 7 was its 8th and last record, and burst message"
                                + " 8 the first under epoch 4");
    }

    @Test
    void aChangeAfterTheLastMessage_saysTheNextRecordUsesTheNewKey() {
        List<Object> t = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            t.add(data(1));
        }
        t.add(ratchet(2));
        assertThat(Messages.explainRatchets(t))
                .containsExactly(
                        "epoch 1: burst message 8 was its 8th and last record, and the next"
                                + " record is the first under epoch 2");
    }
}
