package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
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
        Optional<Path> java = java24OrLater();
        assumeTrue(java.isPresent(), "no JDK 24 or later found (set " + JAVA24 + " to its home)");
        runsTheDemo(java.get());
    }

    /** The environment variable or system property naming a JDK 24 or later's home. */
    static final String JAVA24 = "P2PCHAT_TEST_JAVA24";

    /**
     * The {@code java} of a JDK 24 or later: {@value #JAVA24}, else the first under /usr/lib/jvm
     * whose {@code release} file says so. (p2pchat-core's tests find one the same way, in its
     * test-jar; this module does not use that jar, whose logging configuration would replace this
     * module's.)
     */
    static Optional<Path> java24OrLater() throws IOException {
        String given = System.getProperty(JAVA24, System.getenv(JAVA24));
        List<Path> homes = new ArrayList<>();
        if (given != null && !given.isBlank()) {
            homes.add(Path.of(given));
        } else if (Files.isDirectory(Path.of("/usr/lib/jvm"))) {
            try (DirectoryStream<Path> all = Files.newDirectoryStream(Path.of("/usr/lib/jvm"))) {
                all.forEach(homes::add);
            }
            homes.sort(null);
        }
        for (Path home : homes) {
            Properties release = new Properties();
            try (Reader r = Files.newBufferedReader(home.resolve("release"))) {
                release.load(r);
            } catch (IOException e) {
                continue; // not a JDK home
            }
            String version = release.getProperty("JAVA_VERSION", "0").replace("\"", "");
            Path java = home.resolve("bin/java");
            int feature;
            try {
                feature = Runtime.Version.parse(version).feature();
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (feature >= 24 && Files.isExecutable(java)) {
                return Optional.of(java);
            }
        }
        return Optional.empty();
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

    /**
     * The jar lets JLine load its native terminal library without the JVM's "restricted method"
     * warnings (JDK 22 and later print four lines at each start of a console otherwise; seen in a
     * terminal on Java 25). Java 17 ignores the attribute.
     */
    @Test
    void shadedJar_enablesNativeAccessForJLine() throws IOException {
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile("target/p2pchat.jar")) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Enable-Native-Access"))
                    .isEqualTo("ALL-UNNAMED");
        }
    }
}
