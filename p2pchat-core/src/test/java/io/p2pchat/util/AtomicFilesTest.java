package io.p2pchat.util;

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

    /** replaceIfUnchanged replaces a file that still holds what was read. */
    @Test
    void replaceIfUnchanged_sameContent_replaces() throws IOException {
        Path target = dir.resolve("f");
        Files.write(target, OLD);

        assertThat(AtomicFiles.replaceIfUnchanged(target, OLD, NEW)).isTrue();

        assertThat(Files.readAllBytes(target)).isEqualTo(NEW);
        assertThat(leftovers()).isEmpty();
    }

    /**
     * replaceIfUnchanged leaves a file that another writer changed (or removed) since it was read,
     * writes nothing and says so.
     */
    @Test
    void replaceIfUnchanged_changedOrMissing_returnsFalseAndWritesNothing() throws IOException {
        Path target = dir.resolve("f");
        byte[] other = "someone else's content\n".getBytes(StandardCharsets.UTF_8);
        Files.write(target, other);
        byte[] longer = (new String(OLD, StandardCharsets.UTF_8) + "x").getBytes();

        assertThat(AtomicFiles.replaceIfUnchanged(target, OLD, NEW)).isFalse();
        Files.write(target, longer);
        assertThat(AtomicFiles.replaceIfUnchanged(target, OLD, NEW)).isFalse();
        assertThat(Files.readAllBytes(target)).isEqualTo(longer);
        Files.delete(target);
        assertThat(AtomicFiles.replaceIfUnchanged(target, OLD, NEW)).isFalse();
        assertThat(target).doesNotExist();
        assertThat(leftovers()).isEmpty();
    }

    /** PrivateFiles creates missing directories 0700 and files 0600, whatever the umask. */
    @Test
    void privateFiles_createDirectoriesAndFile_ownerOnly() throws IOException {
        assumeTrue(AtomicFiles.isPosix(dir));
        Path nested = dir.resolve("a").resolve("b");

        PrivateFiles.createDirectories(nested);
        PrivateFiles.open(
                        nested.resolve("f"),
                        java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.WRITE)
                .close();
        PrivateFiles.createDirectories(nested); // exists: nothing happens

        for (Path p : List.of(dir.resolve("a"), nested)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p)))
                    .isEqualTo("rwx------");
        }
        assertThat(
                        PosixFilePermissions.toString(
                                Files.getPosixFilePermissions(nested.resolve("f"))))
                .isEqualTo("rw-------");
    }

    /** Files in the directory other than the target "f". */
    private List<Path> leftovers() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> !p.getFileName().toString().equals("f")).toList();
        }
    }
}
