package io.p2pchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pchat.testing.Reachability;
import java.util.Random;
import javax.crypto.Mac;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link TrafficKdf}, the ratchet's one-HMAC path, derives exactly what the generic
 * HKDF-Expand-Label of {@link KeySchedule} derives, and leaves no secret's key pads in the thread's
 * HMAC once a call returns.
 */
class TrafficKdfTest {
    private static final int SECRETS = 300;

    @ParameterizedTest
    @ValueSource(ints = {16, 32})
    void derivations_equalTheGenericKeySchedule_onRandomSecrets(int keyLength) {
        Random random = new Random(0x5EED + keyLength);
        for (int n = 0; n < SECRETS; n++) {
            byte[] secret = new byte[Hkdf.HASH_LENGTH];
            random.nextBytes(secret);
            byte[] original = secret.clone();
            byte[] key = new byte[keyLength];
            byte[] iv = new byte[AesGcm.IV_LENGTH];
            TrafficKdf.keyAndIv(secret, key, iv);
            assertThat(key).isEqualTo(KeySchedule.trafficKey(secret, keyLength));
            assertThat(iv).isEqualTo(KeySchedule.trafficIv(secret));

            byte[] next = TrafficKdf.ratchet(secret, key, iv);
            byte[] generic = KeySchedule.nextTrafficSecret(secret);
            assertThat(next).isEqualTo(generic);
            assertThat(key).isEqualTo(KeySchedule.trafficKey(generic, keyLength));
            assertThat(iv).isEqualTo(KeySchedule.trafficIv(generic));
            assertThat(secret).isEqualTo(original);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 32})
    void ratchetChain_equalsTheGenericKeySchedule(int keyLength) {
        byte[] generic = new byte[Hkdf.HASH_LENGTH];
        new Random(7).nextBytes(generic);
        byte[] secret = generic.clone();
        byte[] key = new byte[keyLength];
        byte[] iv = new byte[AesGcm.IV_LENGTH];
        for (int epoch = 0; epoch < 100; epoch++) {
            secret = TrafficKdf.ratchet(secret, key, iv);
            generic = KeySchedule.nextTrafficSecret(generic);
            assertThat(secret).isEqualTo(generic);
            assertThat(key).isEqualTo(KeySchedule.trafficKey(generic, keyLength));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 32})
    void threadsHmac_holdsNoSecretOnceACallReturns(int keyLength) {
        Random random = new Random(11);
        byte[] first = new byte[Hkdf.HASH_LENGTH];
        random.nextBytes(first);
        // The walk does see the pads of a secret the HMAC is keyed with.
        Mac mac = TrafficKdf.keyed(first);
        assertThat(Reachability.pathsTo(mac, Reachability.hmacPad(first, false))).isNotEmpty();
        assertThat(Reachability.pathsTo(mac, Reachability.hmacPad(first, true))).isNotEmpty();

        TrafficKdf.keyAndIv(first, new byte[keyLength], new byte[AesGcm.IV_LENGTH]);
        assertNoPads(mac, first);

        byte[] second = TrafficKdf.ratchet(first, new byte[keyLength], new byte[AesGcm.IV_LENGTH]);
        assertNoPads(mac, first);
        assertNoPads(mac, second);
        assertThat(Reachability.pathsTo(mac, second)).isEmpty();
    }

    private static void assertNoPads(Mac mac, byte[] secret) {
        assertThat(Reachability.pathsTo(mac, Reachability.hmacPad(secret, false))).isEmpty();
        assertThat(Reachability.pathsTo(mac, Reachability.hmacPad(secret, true))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 32})
    void rejectsWrongLengths(int keyLength) {
        byte[] secret = new byte[Hkdf.HASH_LENGTH];
        byte[] iv = new byte[AesGcm.IV_LENGTH];
        assertThatThrownBy(() -> TrafficKdf.keyAndIv(new byte[16], new byte[keyLength], iv))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TrafficKdf.keyAndIv(secret, new byte[24], iv))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TrafficKdf.ratchet(secret, new byte[keyLength], new byte[16]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
