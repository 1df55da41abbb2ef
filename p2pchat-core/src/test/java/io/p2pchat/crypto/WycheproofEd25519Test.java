package io.p2pchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.crypto.WycheproofVectors.Tally;
import io.p2pchat.crypto.WycheproofVectors.Vector;
import io.p2pchat.crypto.WycheproofVectors.VectorFile;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every vector of Wycheproof's {@code ed25519_test.json} through {@link Ed25519#verify}, the check
 * of every delegated credential's handshake signature (docs/protocol.md 5.10 check 8): the 88 valid
 * signatures verify, and the 63 invalid ones (special values of R and S, truncated or padded
 * signatures, a non-canonical R, S + nL and other malleated S, S just above the bound) do not. The
 * file has no {@code acceptable} vector, so no policy choice is left open.
 */
class WycheproofEd25519Test {
    @Test
    void verify_allWycheproofVectors_matchTheirResult() {
        VectorFile file = WycheproofVectors.load("ed25519_test.json");
        assertThat(file.algorithm()).isEqualTo("EDDSA");
        Tally tally = file.tally();
        for (Vector v : file.vectors()) {
            tally.run(v, () -> check(v));
        }
        tally.assertComplete(151, Map.of());
        assertThat(file.vectors())
                .filteredOn(v -> v.result() == WycheproofVectors.Result.VALID)
                .hasSize(88);
        assertThat(file.vectors()).filteredOn(v -> v.hasFlag("SignatureMalleability")).hasSize(8);
    }

    private static void check(Vector v) {
        byte[] pk = v.group().hex("publicKey", "pk");
        boolean verified = Ed25519.verify(pk, v.hex("msg"), v.hex("sig"));
        switch (v.result()) {
            case VALID -> assertThat(verified).as("valid signature verifies").isTrue();
            case INVALID -> assertThat(verified).as("invalid signature is refused").isFalse();
            default -> throw new AssertionError("no policy for result " + v.result());
        }
    }
}
