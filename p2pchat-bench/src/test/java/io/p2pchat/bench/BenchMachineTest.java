package io.p2pchat.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The machine and JVM metadata of a bench run's JSON (issue 14). */
class BenchMachineTest {
    /** Every run names the CPU model, its AES-GCM features and the Java that ran it. */
    @Test
    void machine_putsCpuModelAndJavaVersionAndVendor() {
        Results results = new Results();
        BenchMain.machine(results);
        assertThat(results.asMap())
                .containsKeys(
                        "cpu_model", "cpu_aes_features", "java_version", "java_vendor", "java_vm");
        assertThat(results.asMap().get("cpu_model").toString()).isNotBlank();
        assertThat(results.asMap().get("java_version"))
                .isEqualTo(System.getProperty("java.runtime.version"));
        assertThat(results.asMap().get("java_vendor")).isEqualTo(System.getProperty("java.vendor"));
    }
}
