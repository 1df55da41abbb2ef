package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pchat.crypto.AesGcm;
import io.p2pchat.crypto.KeySchedule;
import io.p2pchat.testing.Reachability;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A direction's ratchet (one HMAC keyed once per secret) seals byte for byte what keys derived by
 * the generic {@link KeySchedule} seal, epoch after epoch, and its destruction leaves no secret
 * behind.
 */
class DirectionKeysTest {
    private static final byte[] AAD = {1, 2, 3, 4, 5};
    private static final byte[] PLAINTEXT =
            "ratchet".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    @ParameterizedTest
    @ValueSource(ints = {16, 32})
    void ratchet_sealsWhatTheGenericKeyScheduleKeys(int keyLength) {
        byte[] generic = new byte[32];
        new Random(keyLength).nextBytes(generic);
        DirectionKeys keys = new DirectionKeys(keyLength);
        keys.install(1, generic.clone());
        for (long epoch = 1; epoch <= 40; epoch++) {
            assertThat(keys.epoch()).isEqualTo(epoch);
            assertThat(keys.trafficSecretCopy()).isEqualTo(generic);
            AesGcm reference = new AesGcm();
            reference.init(
                    KeySchedule.trafficKey(generic, keyLength), KeySchedule.trafficIv(generic));
            assertThat(seal(keys.aead(), epoch)).isEqualTo(seal(reference, epoch));
            reference.destroy();
            keys.ratchet();
            generic = KeySchedule.nextTrafficSecret(generic);
        }
        keys.destroy();
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 32})
    void destroy_leavesNoSecret(int keyLength) {
        byte[] first = new byte[32];
        new Random(3).nextBytes(first);
        DirectionKeys keys = new DirectionKeys(keyLength);
        keys.install(1, first.clone());
        keys.ratchet();
        byte[] current = keys.trafficSecretCopy();
        // The walk does see the secret in use, and no longer the retired one.
        assertThat(Reachability.pathsTo(keys, current)).isNotEmpty();
        assertThat(Reachability.pathsTo(keys, first)).isEmpty();

        keys.destroy();
        assertThat(keys.trafficSecretCopy()).isNull();
        assertThat(Reachability.pathsTo(keys, current)).isEmpty();
        assertThatThrownBy(keys::ratchet).isInstanceOf(IllegalStateException.class);
    }

    private static byte[] seal(AesGcm aead, long seq) {
        byte[] out = new byte[PLAINTEXT.length + AesGcm.TAG_LENGTH];
        aead.seal(seq, AAD, 0, AAD.length, PLAINTEXT, 0, PLAINTEXT.length, out, 0);
        return out;
    }
}
