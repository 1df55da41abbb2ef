package io.p2pchat.bench;

import io.p2pchat.ledger.testing.LedgerPerf;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Child JVM of the reopen measurement: opens a ledger data directory once in a fresh JVM, as a node
 * does when it starts, and prints {@code OPEN <seconds> <snapshot height>}.
 *
 * <pre>
 * java ... io.p2pchat.bench.ReopenPeer DIR IDENTITIES
 * </pre>
 */
public final class ReopenPeer {
    private ReopenPeer() {}

    /** Entry point. */
    public static void main(String[] args) throws Exception {
        LedgerPerf.Reopen r = LedgerPerf.reopen(Path.of(args[0]), Integer.parseInt(args[1]));
        System.out.printf(Locale.ROOT, "OPEN %.6f %d%n", r.seconds(), r.snapshotHeight());
        System.out.flush();
        System.exit(0);
    }
}
