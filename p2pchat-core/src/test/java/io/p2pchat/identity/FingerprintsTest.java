package io.p2pchat.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FingerprintsTest {
    /** Each group is its 5-byte chunk modulo 100000, zero-padded to five digits. */
    @Test
    void groupsAreZeroPadded() {
        byte[] hash = new byte[32];
        // Groups: 0; 7; 99999; 2^40 - 1 (1099511627775 -> 27775); 100000 (-> 0); 12345.
        hash[9] = 7;
        hash[12] = 0x01;
        hash[13] = (byte) 0x86;
        hash[14] = (byte) 0x9f;
        for (int i = 15; i < 20; i++) {
            hash[i] = (byte) 0xff;
        }
        hash[22] = 0x01;
        hash[23] = (byte) 0x86;
        hash[24] = (byte) 0xa0;
        hash[28] = 0x30;
        hash[29] = 0x39;
        assertThat(Fingerprints.safetyNumber(hash))
                .isEqualTo("00000 00007 99999 27775 00000 12345");
    }

    /** The same digits as the String.format rendering it replaced, for random hashes. */
    @Test
    void matchesFormatRendering() {
        Random r = new Random(42);
        for (int n = 0; n < 500; n++) {
            byte[] hash = new byte[30 + r.nextInt(3)];
            r.nextBytes(hash);
            StringBuilder expected = new StringBuilder();
            for (int g = 0; g < 6; g++) {
                long v = 0;
                for (int i = 0; i < 5; i++) {
                    v = (v << 8) | (hash[g * 5 + i] & 0xFF);
                }
                if (g > 0) {
                    expected.append(' ');
                }
                expected.append(String.format("%05d", v % 100_000));
            }
            assertThat(Fingerprints.safetyNumber(hash)).isEqualTo(expected.toString());
        }
    }

    @Test
    void shortHashIsRefused() {
        assertThatThrownBy(() -> Fingerprints.safetyNumber(new byte[29]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
