package io.p2pchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** {@link TranscriptHash#sha256()} hands out independent, fresh digests (clones of a prototype). */
class TranscriptHashSha256Test {
    private static final String SHA256_ABC =
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    @Test
    void sha256_eachDigestIsFreshAndIndependent() {
        MessageDigest first = TranscriptHash.sha256();
        first.update("something else".getBytes(StandardCharsets.US_ASCII));
        MessageDigest second = TranscriptHash.sha256();
        assertThat(second).isNotSameAs(first);
        byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
        assertThat(HexFormat.of().formatHex(second.digest(abc))).isEqualTo(SHA256_ABC);
        // The first digest's state was untouched by the second, and the next one starts empty.
        first.reset();
        assertThat(HexFormat.of().formatHex(first.digest(abc))).isEqualTo(SHA256_ABC);
        assertThat(HexFormat.of().formatHex(TranscriptHash.sha256().digest(abc)))
                .isEqualTo(SHA256_ABC);
        assertThat(HexFormat.of().formatHex(TranscriptHash.sha256(abc))).isEqualTo(SHA256_ABC);
    }
}
