package io.p2pchat.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Other JDKs installed beside the one running the tests, for tests that must also run on a newer
 * runtime (the build and CI run Java 17; README.md advises a recent JDK for bulk, and Java 25
 * behaves differently in places: its ML-KEM, its AES-GCM, its common pool).
 */
public final class Jdks {
    /**
     * The system property or environment variable naming a JDK 24 or later: its {@code bin/java} or
     * its home.
     */
    public static final String JAVA24 = "P2PCHAT_TEST_JAVA24";

    private Jdks() {}

    /**
     * A {@code java} launcher of a JDK 24 or later: {@value #JAVA24} if set, else the first JDK
     * under {@code /usr/lib/jvm} whose {@code release} file says 24 or later; empty when there is
     * none (a test then skips, saying so).
     */
    public static Optional<Path> java24OrLater() throws IOException {
        String given = System.getProperty(JAVA24, System.getenv(JAVA24));
        if (given != null && !given.isBlank()) {
            Path p = Path.of(given);
            return Optional.of(Files.isDirectory(p) ? p.resolve("bin/java") : p);
        }
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(jvms)) {
            return homes.sorted()
                    .filter(h -> feature(h.resolve("release")) >= 24)
                    .map(h -> h.resolve("bin/java"))
                    .filter(Files::isExecutable)
                    .findFirst();
        }
    }

    /** The feature version in a JDK's {@code release} file, or 0. */
    private static int feature(Path release) {
        try {
            for (String line : Files.readAllLines(release, StandardCharsets.UTF_8)) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    return Integer.parseInt(v.split("[.+-]")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }
}
