package io.p2pchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.crypto.WycheproofVectors.Tally;
import io.p2pchat.crypto.WycheproofVectors.Vector;
import io.p2pchat.crypto.WycheproofVectors.VectorFile;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * ATTACKS.md C-06: Wycheproof HMAC-SHA-256 through {@link HmacSha256}, which computes the
 * handshake's Finished values.
 *
 * <ul>
 *   <li>256-bit tags: {@link HmacSha256#verify} accepts exactly the valid ones;
 *   <li>128-bit (truncated) tags: p2pchat never truncates, and {@code verify} refuses any tag that
 *       is not 32 bytes, valid or not. The test compares the prefix of {@link HmacSha256#mac} with
 *       {@link MessageDigest#isEqual}, the constant-time compare {@code verify} itself uses.
 * </ul>
 *
 * All 108 {@code ModifiedTag} vectors are rejected.
 */
class WycheproofHmacSha256Test {
    @Test
    void hmac_wycheproofVectors_acceptExactlyTheValidTags() {
        VectorFile file = WycheproofVectors.load("hmac_sha256_test.json");
        Tally tally = file.tally();
        for (Vector v : file.vectors()) {
            tally.run(v, () -> check(v));
        }
        tally.assertComplete(174, Map.of());
        assertThat(file.vectors()).filteredOn(v -> v.hasFlag("ModifiedTag")).hasSize(108);
    }

    private static void check(Vector v) {
        int tagBytes = v.group().integer("tagSize") / 8;
        byte[] key = v.hex("key");
        byte[] msg = v.hex("msg");
        byte[] tag = v.hex("tag");
        assertThat(tag).as("tag length").hasSize(tagBytes);
        boolean expected;
        switch (v.result()) {
            case VALID:
                expected = true;
                break;
            case INVALID:
                expected = false;
                break;
            default:
                throw new AssertionError("no policy for result " + v.result());
        }
        if (tagBytes == HmacSha256.TAG_LENGTH) {
            assertThat(HmacSha256.verify(key, msg, tag)).as("verify").isEqualTo(expected);
            assertThat(Arrays.equals(HmacSha256.mac(key, msg), tag)).as("mac").isEqualTo(expected);
        } else {
            byte[] prefix = Arrays.copyOf(HmacSha256.mac(key, msg), tagBytes);
            assertThat(MessageDigest.isEqual(prefix, tag)).as("truncated mac").isEqualTo(expected);
            assertThat(HmacSha256.verify(key, msg, tag)).as("verify of a truncated tag").isFalse();
        }
    }
}
