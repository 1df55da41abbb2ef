package io.p2pchat.channel;

import static io.p2pchat.channel.CipherSuite.X25519_AES_128_GCM_SHA256;
import static io.p2pchat.channel.CipherSuite.X25519_AES_256_GCM_SHA256;
import static io.p2pchat.channel.CipherSuite.X25519_MLKEM768_AES_128_GCM_SHA256;
import static io.p2pchat.channel.CipherSuite.X25519_MLKEM768_AES_256_GCM_SHA256;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.testing.EmbeddedPair;
import io.p2pchat.testing.TestIdentities;
import org.junit.jupiter.api.Test;

/** The responder's default preference order and how policies cut it (docs/protocol.md §5.4). */
class SuitePreferenceTest {
    private static CipherSuite negotiated(CipherSuite... offered) {
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(TestIdentities.get("alice"))
                                .cipherSuites(offered)
                                .build(),
                        EmbeddedPair.context(TestIdentities.get("bob")).build())) {
            return pair.handshake().orElseThrow().cipherSuite();
        }
    }

    @Test
    void defaultList_hybridFirst_thenAes128BeforeAes256() {
        assertThat(SecureChannelContext.DEFAULT_SUITES)
                .extracting(CipherSuite::id)
                .containsExactly(0x0101, 0x0102, 0x0001, 0x0002);
        assertThat(EmbeddedPair.context(TestIdentities.get("bob")).build().cipherSuites())
                .isEqualTo(SecureChannelContext.DEFAULT_SUITES);
    }

    @Test
    void responder_picksByItsOwnOrder_notTheOffersOrder() {
        assertThat(
                        negotiated(
                                X25519_AES_256_GCM_SHA256,
                                X25519_AES_128_GCM_SHA256,
                                X25519_MLKEM768_AES_256_GCM_SHA256))
                .isEqualTo(X25519_MLKEM768_AES_256_GCM_SHA256);
        assertThat(negotiated(X25519_AES_256_GCM_SHA256, X25519_AES_128_GCM_SHA256))
                .isEqualTo(X25519_AES_128_GCM_SHA256);
    }

    @Test
    void policies_keepTheDefaultOrder() {
        SecureChannelContext.Builder b = EmbeddedPair.context(TestIdentities.get("bob"));
        assertThat(b.requirePostQuantum(true).build().cipherSuites())
                .containsExactly(
                        X25519_MLKEM768_AES_128_GCM_SHA256, X25519_MLKEM768_AES_256_GCM_SHA256);
        b = EmbeddedPair.context(TestIdentities.get("bob"));
        assertThat(b.requireAes256(true).build().cipherSuites())
                .containsExactly(X25519_MLKEM768_AES_256_GCM_SHA256, X25519_AES_256_GCM_SHA256);
        assertThat(b.requirePostQuantum(true).build().cipherSuites())
                .containsExactly(X25519_MLKEM768_AES_256_GCM_SHA256);
    }
}
