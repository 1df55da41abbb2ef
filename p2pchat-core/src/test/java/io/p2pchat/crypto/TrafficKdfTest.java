package io.p2pchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pchat.testing.Reachability;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link TrafficKdf}, the ratchet's one-HMAC path, derives exactly what the generic
 * HKDF-Expand-Label of {@link KeySchedule} derives, and wipes the HMAC's copy of the secret (its
 * key pads) when the secret changes and on destroy.
 */
class TrafficKdfTest {
    private static final int SECRETS = 300;

    @ParameterizedTest
    @ValueSource(ints = {16, 32})
    void derivations_equalTheGenericKeySchedule_onRandomSecrets(int keyLength) {
        Random random = new Random(0x5EED + keyLength);
        TrafficKdf kdf = new TrafficKdf(keyLength);
        for (int n = 0; n < SECRETS; n++) {
            byte[] secret = new byte[Hkdf.HASH_LENGTH];
            random.nextBytes(secret);
            kdf.init(secret);
            byte[] key = new byte[keyLength];
            byte[] iv = new byte[AesGcm.IV_LENGTH];
            kdf.trafficKey(key);
            kdf.trafficIv(iv);
            assertThat(key).isEqualTo(KeySchedule.trafficKey(secret, keyLength));
            assertThat(iv).isEqualTo(KeySchedule.trafficIv(secret));
            assertThat(kdf.nextTrafficSecret()).isEqualTo(KeySchedule.nextTrafficSecret(secret));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 32})
    void ratchetChain_equalsTheGenericKeySchedule(int keyLength) {
        byte[] generic = new byte[Hkdf.HASH_LENGTH];
        new Random(7).nextBytes(generic);
        TrafficKdf kdf = new TrafficKdf(keyLength);
        kdf.init(generic);
        for (int epoch = 0; epoch < 100; epoch++) {
            byte[] next = kdf.nextTrafficSecret();
            generic = KeySchedule.nextTrafficSecret(generic);
            assertThat(next).isEqualTo(generic);
            kdf.init(next);
            byte[] key = new byte[keyLength];
            kdf.trafficKey(key);
            assertThat(key).isEqualTo(KeySchedule.trafficKey(generic, keyLength));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 32})
    void keyPads_goneOnceTheNextSecretIsKeyed_andOnDestroy(int keyLength) {
        Random random = new Random(11);
        byte[] first = new byte[Hkdf.HASH_LENGTH];
        byte[] second = new byte[Hkdf.HASH_LENGTH];
        random.nextBytes(first);
        random.nextBytes(second);
        TrafficKdf kdf = new TrafficKdf(keyLength);
        kdf.init(first);
        kdf.trafficKey(new byte[keyLength]);
        // The walk does see the pads of the secret the HMAC holds.
        assertThat(Reachability.pathsTo(kdf, Reachability.hmacPad(first, false))).isNotEmpty();
        assertThat(Reachability.pathsTo(kdf, Reachability.hmacPad(first, true))).isNotEmpty();

        kdf.init(second);
        kdf.trafficIv(new byte[AesGcm.IV_LENGTH]);
        assertThat(Reachability.pathsTo(kdf, Reachability.hmacPad(first, false))).isEmpty();
        assertThat(Reachability.pathsTo(kdf, Reachability.hmacPad(first, true))).isEmpty();
        assertThat(Reachability.pathsTo(kdf, Reachability.hmacPad(second, false))).isNotEmpty();

        kdf.destroy();
        assertThat(Reachability.pathsTo(kdf, Reachability.hmacPad(second, false))).isEmpty();
        assertThat(Reachability.pathsTo(kdf, Reachability.hmacPad(second, true))).isEmpty();
        assertThat(Reachability.pathsTo(kdf, second)).isEmpty();
        assertThatThrownBy(kdf::nextTrafficSecret).isInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 32})
    void refusesToDerive_beforeASecret_andRejectsWrongLengths(int keyLength) {
        TrafficKdf kdf = new TrafficKdf(keyLength);
        assertThatThrownBy(() -> kdf.trafficKey(new byte[keyLength]))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> kdf.init(new byte[16]))
                .isInstanceOf(IllegalArgumentException.class);
        kdf.init(new byte[Hkdf.HASH_LENGTH]);
        assertThatThrownBy(() -> kdf.trafficKey(new byte[keyLength == 16 ? 32 : 16]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TrafficKdf(24)).isInstanceOf(IllegalArgumentException.class);
        assertThat(kdf.toString()).isEqualTo("TrafficKdf[key redacted]");
    }
}
