package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.p2pchat.testing.Jdks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The runnable jar that {@code ./p2pchat} starts (built by the shade plugin before this runs, in
 * the integration-test phase): {@code java -jar p2pchat.jar demo} exits 0.
 */
class DemoJarIT {
    @Test
    void shadedJar_runsTheDemo() throws IOException, InterruptedException {
        runsTheDemo(Path.of(System.getProperty("java.home"), "bin", "java"));
    }

    /**
     * The same jar on a JDK 24 or later, when one is installed (README.md advises a recent JDK):
     * Java 25 runs {@code CompletableFuture}'s default pool with two workers on two CPUs, where the
     * demo's three registrations once waited on each other until it failed.
     */
    @Test
    void shadedJar_runsTheDemo_onAJdk24OrLater() throws IOException, InterruptedException {
        Optional<Path> java = Jdks.java24OrLater();
        assumeTrue(
                java.isPresent(),
                "no JDK 24 or later found (set " + Jdks.JAVA24 + " to its bin/java or its home)");
        runsTheDemo(java.get());
    }

    private static void runsTheDemo(Path java) throws IOException, InterruptedException {
        Path jar = Path.of("target/p2pchat.jar");
        assertThat(jar).exists();
        Path log = Files.createTempFile("p2pchat-demo", ".log");
        Process p =
                new ProcessBuilder(
                                List.of(
                                        java.toString(),
                                        "-XX:+UnlockDiagnosticVMOptions",
                                        "-XX:ArrayOperationPartialInlineSize=0",
                                        "-jar",
                                        jar.toString(),
                                        "demo"))
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        boolean done = p.waitFor(120, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        assertThat(done).as(out).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("every check passed.");
    }

    /** The jar says which version it is: the POM's, filled in at the build. */
    @Test
    void shadedJar_printsItsVersion() throws Exception {
        Process p =
                new ProcessBuilder(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-jar",
                                "target/p2pchat.jar",
                                "--version")
                        .redirectErrorStream(true)
                        .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out.strip()).isEqualTo("p2pchat " + CommandConventionsTest.pomVersion());
    }
}
