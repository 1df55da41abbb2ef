package io.p2pchat.ledger;

import io.p2pchat.proto.Block;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
                try (InputStream in = Files.newInputStream(Path.of(args[2]));
                        DataInputStream data = new DataInputStream(in)) {
                    while (true) {
                        int len;
                        try {
                            len = data.readInt();
                        } catch (EOFException eof) {
                            break;
                        }
                        byte[] b = new byte[len];
                        data.readFully(b);
                        String hash =
                                BlockHeader.decode(Block.parseFrom(b).getHeader().toByteArray())
                                        .hash()
                                        .toHex();
                        say("BEGIN " + hash);
                        BlockResult r = ledger.submitBlock(b).get(60, TimeUnit.SECONDS);
                        say("ACK " + hash + " " + r.status());
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
