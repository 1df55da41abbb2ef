package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./p2pchat} launcher (issue 11): it rebuilds only when a source file or POM is newer
 * than the jar (never for build output such as {@code mvn install} writes under {@code target/}),
 * and while it builds, what is typed on the terminal is not echoed. The launcher is copied into a
 * scratch tree; its {@code stale} function is run by sourcing it, and the build runs a stand-in
 * {@code mvn} on a pseudo-terminal ({@code script}).
 */
class LauncherTest {
    @TempDir Path root;

    private Path jar;
    private final Instant built = Instant.now().minusSeconds(3600);

    @BeforeEach
    void tree() throws Exception {
        Files.copy(
                Path.of("../p2pchat"),
                root.resolve("p2pchat"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        for (String f :
                List.of(
                        "pom.xml",
                        "p2pchat-proto/pom.xml",
                        "p2pchat-proto/src/main/proto/p2pchat.proto",
                        "p2pchat-core/pom.xml",
                        "p2pchat-core/src/main/java/io/p2pchat/Node.java",
                        "p2pchat-example/pom.xml",
                        "p2pchat-example/src/main/java/io/p2pchat/example/P2pChat.java",
                        "p2pchat-example/src/main/resources/logback.xml")) {
            write(f, built.minusSeconds(60));
        }
        jar = write("p2pchat-example/target/p2pchat.jar", built);
    }

    private Path write(String file, Instant time) throws Exception {
        Path p = root.resolve(file);
        Files.createDirectories(p.getParent());
        Files.writeString(p, file);
        Files.setLastModifiedTime(p, FileTime.from(time));
        return p;
    }

    private String stale() throws Exception {
        Process p =
                new ProcessBuilder(
                                "bash",
                                "-c",
                                "source \"$1\"; if stale; then echo stale; else echo fresh; fi",
                                "_",
                                root.resolve("p2pchat").toString())
                        .redirectErrorStream(true)
                        .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out.strip();
    }

    @Test
    void upToDate_isFresh() throws Exception {
        assertThat(stale()).isEqualTo("fresh");
    }

    @Test
    void buildOutput_newerThanTheJar_doesNotMakeItStale() throws Exception {
        Instant later = built.plusSeconds(60);
        write("p2pchat-proto/target/classes/io/p2pchat/proto/Block.class", later);
        write("p2pchat-core/target/p2pchat-core-0.1.0-SNAPSHOT.jar", later);
        write("p2pchat-example/target/classes/io/p2pchat/example/P2pChat.class", later);
        write("p2pchat-proto/target/maven-archiver/pom.properties", later);
        assertThat(stale()).isEqualTo("fresh");
    }

    @Test
    void aNewerSourceOrPom_makesItStale() throws Exception {
        for (String f :
                List.of(
                        "p2pchat-proto/src/main/proto/p2pchat.proto",
                        "p2pchat-core/src/main/java/io/p2pchat/Node.java",
                        "p2pchat-example/src/main/resources/logback.xml",
                        "p2pchat-example/pom.xml",
                        "pom.xml")) {
            tree();
            Files.setLastModifiedTime(root.resolve(f), FileTime.from(built.plusSeconds(60)));
            assertThat(stale()).as(f).isEqualTo("stale");
        }
    }

    @Test
    void noJar_isStale() throws Exception {
        Files.delete(jar);
        assertThat(stale()).isEqualTo("stale");
    }

    /**
     * On a terminal, echo is off while Maven runs (a passphrase typed ahead would show) and on
     * again afterwards, even when the build fails.
     */
    @Test
    void duringTheBuild_theTerminalDoesNotEcho() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "no script(1)");
        Files.delete(jar);
        Path bin = Files.createDirectories(root.resolve("bin"));
        Path mvn = bin.resolve("mvn");
        Files.writeString(
                mvn, "#!/bin/sh\nprintf 'MVN-STTY: '; stty -a | tr '\\n' ' '; echo\nexit 1\n");
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwx------"));
        ProcessBuilder pb =
                new ProcessBuilder(
                        "script",
                        "-qec",
                        "bash '"
                                + root.resolve("p2pchat")
                                + "' --version; printf 'AFTER-STTY: '; stty -a | tr '\\n' ' '",
                        "/dev/null");
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        int during = out.indexOf("MVN-STTY:");
        int after = out.indexOf("AFTER-STTY:");
        assertThat(during).as(out).isNotNegative();
        assertThat(after).as(out).isGreaterThan(during);
        assertThat(out.substring(during, after)).containsPattern("\\s-echo\\s");
        assertThat(out.substring(after)).containsPattern("\\secho\\s");
        assertThat(out).contains("p2pchat: the build failed");
    }
}
