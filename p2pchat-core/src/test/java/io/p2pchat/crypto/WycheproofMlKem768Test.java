package io.p2pchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pchat.crypto.WycheproofVectors.SkipRule;
import io.p2pchat.crypto.WycheproofVectors.Tally;
import io.p2pchat.crypto.WycheproofVectors.Vector;
import io.p2pchat.crypto.WycheproofVectors.VectorFile;
import java.security.InvalidKeyException;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * ATTACKS.md C-07: Wycheproof ML-KEM-768 (FIPS 203) through {@link MlKem768}.
 *
 * <ul>
 *   <li>keygen: {@code fromSeed(d || z).encapsulationKey()} is the vector's {@code ek}. The
 *       expanded {@code dk} is not compared: the wrapper keeps only the seed and never exposes it;
 *   <li>decapsulation: valid {@code K} match, including the implicit-rejection cases (random or
 *       bit-flipped ciphertexts, {@code Strcmp}), where the result is FIPS 203's pseudorandom key
 *       and not an error; seeds that are not 64 bytes and ciphertexts that are not 1088 bytes are
 *       refused;
 *   <li>encapsulation with explicit {@code m}: valid {@code K} and {@code c} match; every invalid
 *       encapsulation key (not reduced mod q, {@code ModulusOverflow}, wrong length) is refused
 *       with {@link InvalidKeyException}.
 * </ul>
 *
 * The semi-expanded decapsulation file is skipped under {@link #EXPANDED_DK}.
 */
class WycheproofMlKem768Test {
    static final SkipRule EXPANDED_DK =
            new SkipRule(
                    "EXPANDED_DK_NOT_ACCEPTED",
                    "the vectors give an expanded 2400-byte decapsulation key; MlKem768 builds keys"
                            + " only from the 64-byte seed (fromSeed refuses anything else)");

    @Test
    void fromSeed_wycheproofKeygenVectors_giveTheExpectedEncapsulationKey() {
        keygenVectors(MlKem768.inUse());
    }

    @Test
    void decapsulate_wycheproofVectors_matchKeyOrRejectWrongLengths() {
        decapsulationVectors(MlKem768.inUse());
    }

    @Test
    void encapsulate_wycheproofVectors_matchOrRejectInvalidKeys() {
        encapsulationVectors(MlKem768.inUse());
    }

    /**
     * The keygen vectors through {@code provider} (null: Bouncy Castle). Also run on a JDK 24+
     * child JVM by {@link JdkMlKem768Test}.
     */
    static void keygenVectors(@Nullable JdkMlKem768 provider) {
        VectorFile file = WycheproofVectors.load("mlkem_768_keygen_seed_test.json");
        Tally tally = file.tally();
        for (Vector v : file.vectors()) {
            tally.run(
                    v,
                    () -> {
                        assertThat(v.group().string("parameterSet")).isEqualTo("ML-KEM-768");
                        assertThat(MlKem768.fromSeed(v.hex("seed"), provider).encapsulationKey())
                                .isEqualTo(v.hex("ek"));
                    });
        }
        tally.assertComplete(100, Map.of());
    }

    /** The decapsulation vectors through {@code provider} (null: Bouncy Castle). */
    static void decapsulationVectors(@Nullable JdkMlKem768 provider) {
        VectorFile file = WycheproofVectors.load("mlkem_768_test.json");
        Tally tally = file.tally();
        for (Vector v : file.vectors()) {
            tally.run(v, () -> checkDecaps(v, provider));
        }
        tally.assertComplete(193, Map.of());
    }

    /** The encapsulation vectors through {@code provider} (null: Bouncy Castle). */
    static void encapsulationVectors(@Nullable JdkMlKem768 provider) {
        VectorFile file = WycheproofVectors.load("mlkem_768_encaps_test.json");
        Tally tally = file.tally();
        for (Vector v : file.vectors()) {
            tally.run(v, () -> checkEncaps(v, provider));
        }
        tally.assertComplete(265, Map.of());
        assertThat(file.vectors())
                .filteredOn(v -> v.comment().equals("Public key not reduced"))
                .hasSize(100);
        assertThat(file.vectors()).filteredOn(v -> v.hasFlag("ModulusOverflow")).hasSize(12);
    }

    @Test
    void semiExpandedDecaps_wycheproofVectors_skippedBecauseTheWrapperTakesOnlySeeds() {
        VectorFile file = WycheproofVectors.load("mlkem_768_semi_expanded_decaps_test.json");
        Tally tally = file.tally();
        for (Vector v : file.vectors()) {
            byte[] dk = v.hex("dk");
            tally.skip(
                    v,
                    EXPANDED_DK,
                    () ->
                            assertThatThrownBy(() -> MlKem768.fromSeed(dk))
                                    .isInstanceOf(IllegalArgumentException.class));
        }
        tally.assertComplete(0, Map.of(EXPANDED_DK, 9));
    }

    private static void checkDecaps(Vector v, @Nullable JdkMlKem768 provider) throws Exception {
        assertThat(v.group().string("parameterSet")).isEqualTo("ML-KEM-768");
        byte[] seed = v.hex("seed");
        byte[] c = v.hex("c");
        switch (v.result()) {
            case VALID:
                {
                    MlKem768.KeyPair kp = MlKem768.fromSeed(seed, provider);
                    if (v.has("ek")) {
                        assertThat(kp.encapsulationKey()).as("ek").isEqualTo(v.hex("ek"));
                    }
                    assertThat(kp.decapsulate(c)).as("K").isEqualTo(v.hex("K"));
                    break;
                }
            case INVALID:
                if (seed.length != MlKem768.SEED_LENGTH) {
                    assertThatThrownBy(() -> MlKem768.fromSeed(seed, provider))
                            .isInstanceOf(IllegalArgumentException.class);
                } else {
                    assertThat(c.length).as("c length").isNotEqualTo(MlKem768.CIPHERTEXT_LENGTH);
                    MlKem768.KeyPair kp = MlKem768.fromSeed(seed, provider);
                    assertThatThrownBy(() -> kp.decapsulate(c))
                            .isInstanceOf(InvalidKeyException.class);
                }
                break;
            default:
                throw new AssertionError("no policy for result " + v.result());
        }
    }

    private static void checkEncaps(Vector v, @Nullable JdkMlKem768 provider) throws Exception {
        assertThat(v.group().string("parameterSet")).isEqualTo("ML-KEM-768");
        byte[] ek = v.hex("ek");
        byte[] m = v.hex("m");
        switch (v.result()) {
            case VALID:
                {
                    MlKem768.Encapsulation e = MlKem768.encapsulate(ek, m, provider);
                    assertThat(e.sharedSecret()).as("K").isEqualTo(v.hex("K"));
                    assertThat(e.ciphertext()).as("c").isEqualTo(v.hex("c"));
                    break;
                }
            case INVALID:
                assertThatThrownBy(() -> MlKem768.encapsulate(ek, m, provider))
                        .isInstanceOf(InvalidKeyException.class);
                break;
            default:
                throw new AssertionError("no policy for result " + v.result());
        }
    }
}
