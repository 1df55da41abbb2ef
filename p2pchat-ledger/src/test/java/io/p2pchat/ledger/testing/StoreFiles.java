package io.p2pchat.ledger.testing;

import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.store.RecordFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

/**
 * Writes records into a stored block log as {@code FileBlockStore} appends them (a whole record
 * with its CRC32C, at the end of {@code blocks.dat}), to forge what only someone with write access
 * to a data directory could put there.
 */
public final class StoreFiles {
    private StoreFiles() {}

    /** Appends a BLOCK record holding {@code block}, as the store would after validating it. */
    public static void appendBlock(Path dataDir, BlockData block) throws IOException {
        append(dataDir, RecordFormat.record(RecordFormat.BLOCK, RecordFormat.blockPayload(block)));
    }

    /** Appends a TIP record naming {@code tip}: "the chain up to it was fully validated". */
    public static void appendTip(Path dataDir, BlockHash tip) throws IOException {
        append(dataDir, RecordFormat.record(RecordFormat.TIP, tip.toBytes()));
    }

    private static void append(Path dataDir, byte[] record) throws IOException {
        Files.write(dataDir.resolve("blocks.dat"), record, StandardOpenOption.APPEND);
    }

    /** Copies a data directory (flat: a ledger's data directory has no subdirectory). */
    public static Path copy(Path dataDir, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(dataDir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }
}
