package io.p2pchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Ed25519} against known answers: RFC 8032 §7.1 tests 1 and 2 (key from seed, signature),
 * and the first groups of Wycheproof's {@code ed25519_test.json} (C2SP/wycheproof, testvectors_v1;
 * tcId 1-3 valid, tcId 10-29 the special values of R and S, all invalid); {@code
 * WycheproofEd25519Test} runs the whole file.
 */
class Ed25519Test {
    private static final HexFormat HEX = HexFormat.of();

    /** Wycheproof's key of groups 1 and 2. */
    private static final byte[] WYCHEPROOF_PK =
            HEX.parseHex("7d4d0e7f6153a69b6242b522abbee685fda4420f8834b108c3bdae369ef549fa");

    @ParameterizedTest(name = "RFC 8032 test {index}")
    @CsvSource({
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60,"
                + "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a,,"
                + "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
                + "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb,"
                + "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c,72,"
                + "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e"
                + "458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
    })
    void sign_rfc8032Vectors_matchAndVerify(String seed, String pk, String msg, String sig) {
        byte[] message = msg == null ? new byte[0] : HEX.parseHex(msg);
        Ed25519.KeyPair key = Ed25519.fromSeed(HEX.parseHex(seed));
        assertThat(HEX.formatHex(key.publicKey())).isEqualTo(pk);
        assertThat(HEX.formatHex(key.sign(message))).isEqualTo(sig);
        assertThat(Ed25519.verify(HEX.parseHex(pk), message, HEX.parseHex(sig))).isTrue();
        byte[] flipped = HEX.parseHex(sig);
        flipped[63] ^= 0x10;
        assertThat(Ed25519.verify(HEX.parseHex(pk), message, flipped)).isFalse();
    }

    @ParameterizedTest(name = "Wycheproof valid {index}")
    @CsvSource({
        ",d4fbdb52bfa726b44d1786a8c0d171c3e62ca83c9e5bbe63de0bb2483f8fd6cc1429ab72cafc41ab56af02ff8f"
            + "cc43b99bfe4c7ae940f60f38ebaa9d311c4007",
        "78,d80737358ede548acb173ef7e0399f83392fe8125b2ce877de7975d8b726ef5b1e76632280ee38afad1212"
                + "5ea44b961bf92f1178c9fa819d020869975bcbe109",
        "54657374,7c38e026f29e14aabd059a0f2db8b0cd783040609a8be684db12f82a27774ab07a9155711ecfaf7f"
                + "99f277bad0c6ae7e39d4eef676573336a5c51eb6f946b30d"
    })
    void verify_wycheproofValid_isTrue(String msg, String sig) {
        byte[] message = msg == null ? new byte[0] : HEX.parseHex(msg);
        assertThat(Ed25519.verify(WYCHEPROOF_PK, message, HEX.parseHex(sig))).isTrue();
    }

    /** Wycheproof tcId 10-29: R and S from {0, 1, L-1, L, p-1...}; none verifies over "3f". */
    @ParameterizedTest(name = "Wycheproof invalid {index}")
    @ValueSource(
            strings = {
                "0000000000000000000000000000000000000000000000000000000000000000"
                        + "0000000000000000000000000000000000000000000000000000000000000000",
                "0000000000000000000000000000000000000000000000000000000000000000"
                        + "0100000000000000000000000000000000000000000000000000000000000000",
                "0000000000000000000000000000000000000000000000000000000000000000"
                        + "ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
                "0000000000000000000000000000000000000000000000000000000000000000"
                        + "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
                "0000000000000000000000000000000000000000000000000000000000000000"
                        + "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                "0100000000000000000000000000000000000000000000000000000000000000"
                        + "0000000000000000000000000000000000000000000000000000000000000000",
                "0100000000000000000000000000000000000000000000000000000000000000"
                        + "0100000000000000000000000000000000000000000000000000000000000000",
                "0100000000000000000000000000000000000000000000000000000000000000"
                        + "ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
                "0100000000000000000000000000000000000000000000000000000000000000"
                        + "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
                "0100000000000000000000000000000000000000000000000000000000000000"
                        + "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"
                        + "0000000000000000000000000000000000000000000000000000000000000000",
                "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"
                        + "0100000000000000000000000000000000000000000000000000000000000000",
                "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"
                        + "ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
                "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"
                        + "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
                "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"
                        + "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
                        + "0000000000000000000000000000000000000000000000000000000000000000",
                "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
                        + "0100000000000000000000000000000000000000000000000000000000000000",
                "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
                        + "ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
                "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
                        + "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
                "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
                        + "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
            })
    void verify_wycheproofSpecialValues_isFalse(String sig) {
        assertThat(Ed25519.verify(WYCHEPROOF_PK, HEX.parseHex("3f"), HEX.parseHex(sig))).isFalse();
    }

    @Test
    void verify_wrongLengths_isFalseWithoutThrowing() {
        Ed25519.KeyPair key = Ed25519.fromSeed(new byte[32]);
        byte[] sig = key.sign(new byte[] {1});
        assertThat(Ed25519.verify(key.publicKey(), new byte[] {1}, sig)).isTrue();
        assertThat(Ed25519.verify(new byte[31], new byte[] {1}, sig)).isFalse();
        assertThat(Ed25519.verify(key.publicKey(), new byte[] {1}, new byte[63])).isFalse();
        assertThat(
                        Ed25519.verify(
                                key.publicKey(), new byte[] {1}, java.util.Arrays.copyOf(sig, 65)))
                .isFalse();
    }
}
