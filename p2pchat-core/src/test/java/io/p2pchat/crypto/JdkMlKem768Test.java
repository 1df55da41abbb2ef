package io.p2pchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.p2pchat.testing.Jdks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The choice between the JDK's ML-KEM-768 and Bouncy Castle's ({@link MlKem768#PROVIDER_PROPERTY}),
 * and the JDK's against the Wycheproof vectors and against Bouncy Castle.
 *
 * <p>The build runs on Java 17, which has no ML-KEM; the JDK's is checked in a child JVM of a JDK
 * 24 or later when one is found ({@link Jdks#java24OrLater}), and skipped with that reason when
 * none is. On such a JDK the in-process tests run the JDK's directly too.
 */
class JdkMlKem768Test {
    @Test
    void select_bcOrAutoOrJdk_andNothingElse() {
        assertThat(MlKem768.select("bc")).isNull();
        assertThat(MlKem768.select(" BC ")).isNull();
        assertThatThrownBy(() -> MlKem768.select("openssl"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("expected auto, bc or jdk, not openssl");
        JdkMlKem768 auto = MlKem768.select(null);
        if (Runtime.version().feature() < 24) {
            assertThat(auto).isNull();
            assertThat(MlKem768.provider()).isEqualTo("Bouncy Castle");
            assertThatThrownBy(() -> MlKem768.select("jdk"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("this JDK has no usable ML-KEM-768");
        } else {
            assertThat(auto).isNotNull();
            assertThat(MlKem768.select("jdk")).isNotNull();
        }
    }

    @Test
    void onThisJdk_whenItHasMlKem_itInteroperatesWithBouncyCastle() throws Exception {
        JdkMlKem768 jdk = JdkMlKem768.load();
        assumeTrue(jdk != null, "this JDK has no ML-KEM-768 (JDK 24+); the child JVM test runs it");
        crossCheck(jdk, 25);
    }

    /**
     * On a JDK 24 or later, in a child JVM: the default choice is the JDK's, it passes the three
     * Wycheproof files as Bouncy Castle does, and it interoperates with Bouncy Castle both ways.
     */
    @Test
    void onAJdk24OrLater_theJdksMlKemPassesTheVectorsAndInteroperates() throws Exception {
        Optional<Path> java = Jdks.java24OrLater();
        assumeTrue(
                java.isPresent(),
                "no JDK 24 or later found (set " + Jdks.JAVA24 + " to its bin/java or its home)");
        List<String> cmd = new ArrayList<>();
        cmd.add(java.get().toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(JdkMlKemCheck.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out;
        try {
            out = p.getInputStream().readAllBytes();
        } finally {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        String text = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(text).isZero();
        assertThat(text)
                .as(text)
                .contains("provider JDK")
                .contains("vectors keygen, decapsulation, encapsulation: passed")
                .contains("cross-checked with Bouncy Castle: 25");
    }

    /**
     * {@code n} random seeds and messages: the JDK's keys, ciphertexts and secrets equal Bouncy
     * Castle's for the same randomness, and each decapsulates the other's ciphertexts.
     */
    static void crossCheck(JdkMlKem768 jdk, int n) throws Exception {
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < n; i++) {
            byte[] seed = new byte[MlKem768.SEED_LENGTH];
            byte[] m = new byte[MlKem768.MESSAGE_LENGTH];
            random.nextBytes(seed);
            random.nextBytes(m);
            MlKem768.KeyPair a = MlKem768.fromSeed(seed.clone(), jdk);
            MlKem768.KeyPair b = MlKem768.fromSeed(seed.clone(), null);
            assertThat(a.encapsulationKey()).isEqualTo(b.encapsulationKey());
            MlKem768.Encapsulation byJdk = MlKem768.encapsulate(a.encapsulationKey(), m, jdk);
            MlKem768.Encapsulation byBc = MlKem768.encapsulate(b.encapsulationKey(), m, null);
            assertThat(byJdk.ciphertext()).isEqualTo(byBc.ciphertext());
            assertThat(byJdk.sharedSecret()).isEqualTo(byBc.sharedSecret());
            assertThat(b.decapsulate(byJdk.ciphertext())).isEqualTo(byJdk.sharedSecret());
            assertThat(a.decapsulate(byBc.ciphertext())).isEqualTo(byBc.sharedSecret());
            MlKem768.Encapsulation fresh = MlKem768.encapsulate(b.encapsulationKey(), random);
            assertThat(a.decapsulate(fresh.ciphertext())).isEqualTo(fresh.sharedSecret());
            a.destroy();
            b.destroy();
        }
    }

    /**
     * The child JVM's side of {@link
     * #onAJdk24OrLater_theJdksMlKemPassesTheVectorsAndInteroperates}.
     */
    static final class JdkMlKemCheck {
        private JdkMlKemCheck() {}

        public static void main(String[] args) throws Exception {
            @Nullable JdkMlKem768 jdk = MlKem768.inUse();
            System.out.println("java " + Runtime.version() + ", provider " + MlKem768.provider());
            if (jdk == null) {
                System.exit(2);
                return;
            }
            WycheproofMlKem768Test.keygenVectors(jdk);
            WycheproofMlKem768Test.decapsulationVectors(jdk);
            WycheproofMlKem768Test.encapsulationVectors(jdk);
            System.out.println("vectors keygen, decapsulation, encapsulation: passed");
            crossCheck(jdk, 25);
            System.out.println("cross-checked with Bouncy Castle: 25");
        }
    }
}
