package io.p2pchat.ledger;

import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.store.BlockData;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The child JVM of {@link LedgerCrashTest}: opens a ledger in a data directory and mines, imports
 * blocks, or just holds it, printing protocol lines ("@@ ...") that the parent reads to time its
 * SIGKILL.
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
        switch (mode) {
            case "mine":
                for (int i = 0; i < 1_000_000; i++) {
                    say("BEGIN");
                    BlockHash h = ledger.miner().mineBlocks(1).get(60, TimeUnit.SECONDS).get(0);
                    say("ACK " + h.toHex());
                }
                break;
            case "import":
                // As the replication handler does: batches of up to 16 blocks, one fsync each.
                try (InputStream in = Files.newInputStream(Path.of(args[2]));
                        DataInputStream data = new DataInputStream(in)) {
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
                        say("BEGIN " + batch.size());
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
