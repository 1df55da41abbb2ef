package io.p2pchat.internal.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AtomicFilesTest {
    private static final byte[] OLD = "old content\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] NEW =
            "new content, longer than the old\n".getBytes(StandardCharsets.UTF_8);

    @TempDir Path dir;

    /** A new file gets the content and, on POSIX, mode 0600. */
    @Test
    void write_newFile_hasContentAndOwnerOnlyMode() throws IOException {
        Path target = dir.resolve("f");

        AtomicFiles.write(target, NEW, false);

        assertThat(Files.readAllBytes(target)).isEqualTo(NEW);
        assumeTrue(AtomicFiles.isPosix(dir));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
                .isEqualTo("rw-------");
    }

    /** With replacement, an existing file is replaced whole. */
    @Test
    void write_replaceExisting_replacesContent() throws IOException {
        Path target = dir.resolve("f");
        Files.write(target, OLD);

        AtomicFiles.write(target, NEW, true);

        assertThat(Files.readAllBytes(target)).isEqualTo(NEW);
        assertThat(leftovers()).isEmpty();
    }

    /** Without replacement, an existing file is kept and the write fails. */
    @Test
    void write_noReplaceOverExisting_throwsAndKeepsOldContent() throws IOException {
        Path target = dir.resolve("f");
        Files.write(target, OLD);

        assertThatThrownBy(() -> AtomicFiles.write(target, NEW, false))
                .isInstanceOf(FileAlreadyExistsException.class);

        assertThat(Files.readAllBytes(target)).isEqualTo(OLD);
        assertThat(leftovers()).isEmpty();
    }

    /** A failure at any step leaves the old or the new content, never a mix, and no temp file. */
    @ParameterizedTest
    @EnumSource(AtomicFiles.Step.class)
    void write_failureAtStep_leavesOldOrNewAndNoTempFile(AtomicFiles.Step failing)
            throws IOException {
        Path target = dir.resolve("f");
        Files.write(target, OLD);

        assertThatThrownBy(
                        () ->
                                AtomicFiles.write(
                                        target,
                                        true,
                                        out -> out.write(NEW),
                                        step -> {
                                            if (step == failing) {
                                                throw new IOException("injected at " + step);
                                            }
                                        }))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("injected at " + failing);

        byte[] expected = failing == AtomicFiles.Step.FSYNC_DIRECTORY ? NEW : OLD;
        assertThat(Files.readAllBytes(target)).isEqualTo(expected);
        assertThat(leftovers()).isEmpty();
    }

    /** A writer that fails half way leaves the old file and no temp file. */
    @Test
    void write_writerFailsMidway_leavesOldContentAndNoTempFile() throws IOException {
        Path target = dir.resolve("f");
        Files.write(target, OLD);

        assertThatThrownBy(
                        () ->
                                AtomicFiles.write(
                                        target,
                                        true,
                                        out -> {
                                            out.write(NEW, 0, 5);
                                            throw new IOException("disk full");
                                        }))
                .hasMessage("disk full");

        assertThat(Files.readAllBytes(target)).isEqualTo(OLD);
        assertThat(leftovers()).isEmpty();
    }

    /** A missing directory is reported, and nothing is created. */
    @Test
    void write_missingDirectory_throwsNoSuchFile() {
        Path target = dir.resolve("missing").resolve("f");

        assertThatThrownBy(() -> AtomicFiles.write(target, NEW, false))
                .isInstanceOf(NoSuchFileException.class);
        assertThat(Files.exists(target.getParent())).isFalse();
    }

    /** Files in the directory other than the target "f". */
    private List<Path> leftovers() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> !p.getFileName().toString().equals("f")).toList();
        }
    }
}
