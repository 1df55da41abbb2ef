package io.p2pchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pchat.crypto.WycheproofVectors.Tally;
import io.p2pchat.crypto.WycheproofVectors.Vector;
import io.p2pchat.crypto.WycheproofVectors.VectorFile;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * ATTACKS.md C-05: Wycheproof HKDF-SHA-256 through {@link Hkdf#derive}. The 83 valid output key
 * materials match; the 3 {@code SizeTooLarge} requests (more than 255 * 32 = 8160 bytes) throw
 * {@link IllegalArgumentException}; and each {@code EmptySalt} vector gives the same output with a
 * salt of 32 zero bytes (RFC 5869 §2.2).
 */
class WycheproofHkdfTest {
    @Test
    void derive_wycheproofVectors_matchOrRejectOversizedOutput() {
        VectorFile file = WycheproofVectors.load("hkdf_sha256_test.json");
        Tally tally = file.tally();
        for (Vector v : file.vectors()) {
            tally.run(v, () -> check(v));
        }
        tally.assertComplete(86, Map.of());
        assertThat(file.vectors()).filteredOn(v -> v.hasFlag("EmptySalt")).hasSize(23);
        assertThat(file.vectors()).filteredOn(v -> v.hasFlag("SizeTooLarge")).hasSize(3);
    }

    private static void check(Vector v) {
        byte[] salt = v.hex("salt");
        byte[] ikm = v.hex("ikm");
        byte[] info = v.hex("info");
        int size = v.integer("size");
        switch (v.result()) {
            case VALID:
                assertThat(Hkdf.derive(salt, ikm, info, size)).as("okm").isEqualTo(v.hex("okm"));
                if (v.hasFlag("EmptySalt")) {
                    assertThat(salt).isEmpty();
                    assertThat(Hkdf.derive(new byte[Hkdf.HASH_LENGTH], ikm, info, size))
                            .as("okm with 32 zero bytes of salt")
                            .isEqualTo(v.hex("okm"));
                }
                break;
            case INVALID:
                assertThat(size).as("size").isGreaterThan(Hkdf.MAX_OUTPUT_LENGTH);
                assertThatThrownBy(() -> Hkdf.derive(salt, ikm, info, size))
                        .isInstanceOf(IllegalArgumentException.class);
                break;
            default:
                throw new AssertionError("no policy for result " + v.result());
        }
    }
}
