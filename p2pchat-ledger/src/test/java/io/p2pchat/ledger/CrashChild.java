package io.p2pchat.ledger;

import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.store.BlockData;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The child JVM of {@link LedgerCrashTest}: opens a ledger in a data directory and mines, imports
 * blocks, or just holds it, printing protocol lines ("@@ ...") that the parent reads to time its
 * SIGKILL. After each "BEGIN" it waits for the parent's go (a line on stdin), so that the parent,
 * however loaded, times its kill from the start of the block it aims at, never from a line the
 * child printed long before.
 */
public final class CrashChild {
    static final NetworkParameters PARAMS =
            NetworkParameters.builder()
                    .name("crash")
                    .nonce(new byte[32])
                    .genesisTimeMillis(1_767_225_600_000L)
                    .trivialDifficulty()
                    .targetBlockInterval(Duration.ofMillis(1))
                    .build();

    private CrashChild() {}

    static void say(String line) {
        System.out.println("@@ " + line);
        System.out.flush();
    }

    /** Says "BEGIN ..." and waits until the parent has read it. */
    static void begin(BufferedReader parent, String line) throws IOException {
        say(line);
        if (parent.readLine() == null) {
            throw new EOFException("parent gone");
        }
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path dir = Path.of(args[1]);
        Ledger ledger;
        try {
            ledger = Ledger.builder(PARAMS).dataDirectory(dir).open();
        } catch (LedgerStorageException e) {
            say("OPEN_FAILED " + e.error());
            System.exit(3);
            return;
        }
        say("READY " + ledger.tip().height());
        BufferedReader parent =
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        switch (mode) {
            case "mine":
                for (int i = 0; i < 1_000_000; i++) {
                    begin(parent, "BEGIN");
                    BlockHash h = ledger.miner().mineBlocks(1).get(60, TimeUnit.SECONDS).get(0);
                    say("ACK " + h.toHex());
                }
                break;
            case "import":
                // As the replication handler does: ask for the blocks after the tip (the file is
                // one chain from genesis, so the block at height h is the h-th record), then
                // batches of up to 16 blocks, one fsync each. Starting after the tip means every
                // batch is written, so a kill after any BEGIN lands in a real write.
                try (InputStream in = Files.newInputStream(Path.of(args[2]));
                        DataInputStream data = new DataInputStream(in)) {
                    for (long h = ledger.tip().height(); h > 0; h--) {
                        data.skipNBytes(data.readInt());
                    }
                    boolean end = false;
                    while (!end) {
                        List<BlockData> batch = new ArrayList<>();
                        while (batch.size() < 16) {
                            int len;
                            try {
                                len = data.readInt();
                            } catch (EOFException eof) {
                                end = true;
                                break;
                            }
                            byte[] b = new byte[len];
                            data.readFully(b);
                            batch.add(BlockData.decode(b));
                        }
                        if (batch.isEmpty()) {
                            break;
                        }
                        begin(parent, "BEGIN " + batch.size());
                        List<BlockResult> results =
                                ledger.service().submitBlocks(batch).get(60, TimeUnit.SECONDS);
                        for (BlockResult r : results) {
                            say("ACK " + r.hash().toHex() + " " + r.status());
                        }
                    }
                }
                say("DONE");
                break;
            case "hold":
                System.in.read();
                break;
            default:
                throw new IllegalArgumentException(mode);
        }
        ledger.close();
    }
}
