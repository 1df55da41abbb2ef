package io.p2pchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pchat.crypto.WycheproofVectors.SkipRule;
import io.p2pchat.crypto.WycheproofVectors.Tally;
import io.p2pchat.crypto.WycheproofVectors.Vector;
import io.p2pchat.crypto.WycheproofVectors.VectorFile;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * ATTACKS.md C-08: the books {@link WycheproofVectors.Tally} keeps fail a suite that leaves a
 * vector out, counts one twice, skips more than it declared, or has a failing check, and a failure
 * names the vector by tcId and flags.
 */
class WycheproofHarnessTest {
    private static final SkipRule RULE = new SkipRule("TEST_RULE", "for the harness test");

    /** Every file the suite uses, with its numberOfTests from the data README. */
    private static final Map<String, Integer> FILES =
            Map.ofEntries(
                    Map.entry("aes_gcm_test.json", 316),
                    Map.entry("rsa_pss_2048_sha256_mgf1_32_test.json", 108),
                    Map.entry("rsa_pss_3072_sha256_mgf1_32_test.json", 108),
                    Map.entry("rsa_pss_4096_sha256_mgf1_32_test.json", 108),
                    Map.entry("rsa_pss_2048_sha256_mgf1_32_params_test.json", 108),
                    Map.entry("rsa_pss_3072_sha256_mgf1_32_params_test.json", 108),
                    Map.entry("rsa_signature_3072_sha256_test.json", 259),
                    Map.entry("x25519_test.json", 518),
                    Map.entry("x25519_asn_test.json", 537),
                    Map.entry("hkdf_sha256_test.json", 86),
                    Map.entry("hmac_sha256_test.json", 174),
                    Map.entry("mlkem_768_test.json", 193),
                    Map.entry("mlkem_768_encaps_test.json", 265),
                    Map.entry("mlkem_768_keygen_seed_test.json", 100),
                    Map.entry("mlkem_768_semi_expanded_decaps_test.json", 9));

    @Test
    void load_everyFileOfTheSuite_holdsItsDocumentedNumberOfTests() {
        FILES.forEach(
                (name, count) -> {
                    VectorFile file = WycheproofVectors.load(name);
                    assertThat(file.numberOfTests()).as(name).isEqualTo(count);
                    assertThat(file.vectors()).as(name).hasSize(count);
                });
        assertThat(FILES.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(2997);
    }

    @Test
    void assertComplete_vectorNeitherRunNorSkipped_fails() {
        VectorFile file = WycheproofVectors.load("hkdf_sha256_test.json");
        Tally tally = file.tally();
        List<Vector> vectors = file.vectors();
        vectors.subList(1, vectors.size()).forEach(v -> tally.run(v, () -> {}));
        assertThatThrownBy(() -> tally.assertComplete(85, Map.of()))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("ran + skipped must equal numberOfTests");
    }

    @Test
    void assertComplete_vectorCountedTwice_failsNamingIt() {
        VectorFile file = WycheproofVectors.load("hkdf_sha256_test.json");
        Tally tally = file.tally();
        file.vectors().forEach(v -> tally.run(v, () -> {}));
        Vector first = file.vectors().get(0);
        tally.skip(first, RULE, () -> {});
        assertThatThrownBy(() -> tally.assertComplete(86, Map.of(RULE, 1)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("tcId " + first.tcId() + " ")
                .hasMessageContaining("accounted for twice");
    }

    @Test
    void assertComplete_moreSkipsThanDeclared_fails() {
        VectorFile file = WycheproofVectors.load("mlkem_768_semi_expanded_decaps_test.json");
        Tally tally = file.tally();
        file.vectors().forEach(v -> tally.skip(v, RULE, () -> {}));
        assertThatThrownBy(() -> tally.assertComplete(1, Map.of(RULE, 8)))
                .isInstanceOf(AssertionError.class);
    }

    @Test
    void assertComplete_failingCheck_failsNamingTcIdAndFlags() {
        VectorFile file = WycheproofVectors.load("hkdf_sha256_test.json");
        Tally tally = file.tally();
        Vector bad =
                file.vectors().stream().filter(v -> v.hasFlag("SizeTooLarge")).findFirst().get();
        for (Vector v : file.vectors()) {
            tally.run(v, () -> assertThat(v).isNotSameAs(bad));
        }
        assertThatThrownBy(() -> tally.assertComplete(86, Map.of()))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("1 failing vector(s)")
                .hasMessageContaining("tcId " + bad.tcId() + " [SizeTooLarge] invalid");
    }

    @Test
    void skip_premiseFails_countsAsAFailureOfThatVector() {
        VectorFile file = WycheproofVectors.load("mlkem_768_semi_expanded_decaps_test.json");
        Tally tally = file.tally();
        file.vectors()
                .forEach(v -> tally.skip(v, RULE, () -> assertThat(v.tcId()).isNotEqualTo(1)));
        assertThatThrownBy(() -> tally.assertComplete(0, Map.of(RULE, 9)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("tcId 1 ")
                .hasMessageContaining("skip rule TEST_RULE: premise failed");
    }
}
