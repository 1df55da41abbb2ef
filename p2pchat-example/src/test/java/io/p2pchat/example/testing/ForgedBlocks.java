package io.p2pchat.example.testing;

import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.chain.ChainState;
import io.p2pchat.ledger.chain.Consensus;
import io.p2pchat.ledger.chain.LedgerServices;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.Merkle;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.Pow;
import io.p2pchat.ledger.model.RejectReason;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.store.RecordFormat;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Blocks that break one header rule, each a child of a ledger's tip, written into its block log the
 * way {@code FileBlockStore} appends records: what someone with write access to a home could do
 * (issue 10 item 5).
 */
public final class ForgedBlocks {
    private ForgedBlocks() {}

    /** The forgeries, and the rule each breaks. */
    public enum Forgery {
        /** A target 256 times easier than the retarget rule requires. */
        EASY_TARGET(RejectReason.BAD_DIFFICULTY),
        /** A timestamp equal to the median time past. */
        AT_MEDIAN_TIME_PAST(RejectReason.TIME_TOO_OLD),
        /** A timestamp three hours ahead of the clock. */
        THREE_HOURS_AHEAD(RejectReason.TIME_TOO_NEW);

        /** The rule it breaks. */
        public final RejectReason reason;

        Forgery(RejectReason reason) {
            this.reason = reason;
        }
    }

    /**
     * Appends to the ledger in {@code ledgerDir} a block breaking {@code forgery} on its tip, then,
     * if {@code tipRecord}, a tip record naming it (as an audit command used to write at open).
     *
     * @return the forged block's header
     */
    public static BlockHeader append(
            Path ledgerDir, NetworkParameters params, Forgery forgery, boolean tipRecord)
            throws Exception {
        BlockHeader parent;
        BigInteger target;
        long time;
        try (Ledger l = Ledger.builder(params).dataDirectory(ledgerDir).readOnly(true).open()) {
            ChainState chain = LedgerServices.of(l).chain();
            parent = chain.header(l.tip().hash());
            target = Consensus.expectedTarget(parent, chain::header, params);
            time = parent.timestampMillis() + 1;
            switch (forgery) {
                case EASY_TARGET -> target = target.shiftLeft(8);
                case AT_MEDIAN_TIME_PAST -> time = Consensus.medianTimePast(parent, chain::header);
                case THREE_HOURS_AHEAD ->
                        time = System.currentTimeMillis() + Duration.ofHours(3).toMillis();
            }
        }
        if (target.compareTo(params.maxTarget()) > 0) {
            throw new IllegalArgumentException("the network's maximum target is too low to forge");
        }
        BlockHeader h = null;
        for (long nonce = 0; h == null && nonce < 1_000_000; nonce++) {
            BlockHeader c =
                    BlockHeader.of(
                            BlockHeader.VERSION,
                            parent.height() + 1,
                            parent.hash(),
                            Merkle.root(List.of()),
                            time,
                            target,
                            nonce,
                            params.networkId());
            h = Pow.meets(c.hash().toBytes(), target) ? c : null;
        }
        if (h == null) {
            throw new IllegalStateException("no nonce solves the forged block");
        }
        Path blocks = ledgerDir.resolve("blocks.dat");
        BlockData block = new BlockData(h, List.of());
        byte[] record = RecordFormat.record(RecordFormat.BLOCK, RecordFormat.blockPayload(block));
        Files.write(blocks, record, StandardOpenOption.APPEND);
        if (tipRecord) {
            byte[] tip = RecordFormat.record(RecordFormat.TIP, h.hash().toBytes());
            Files.write(blocks, tip, StandardOpenOption.APPEND);
        }
        return h;
    }

    /** Copies a directory tree (a home). */
    public static Path copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
        return to;
    }

    /**
     * Every file and directory under {@code dir}, by relative path: size, modification time (ms)
     * and the SHA-256 of the content.
     */
    public static Map<String, String> fingerprint(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                byte[] content = Files.isDirectory(f) ? new byte[0] : Files.readAllBytes(f);
                out.put(
                        "/" + dir.relativize(f),
                        Files.size(f)
                                + " bytes, modified "
                                + Files.getLastModifiedTime(f).toMillis()
                                + ", sha256 "
                                + java.util.HexFormat.of().formatHex(sha.digest(content)));
            }
        }
        return out;
    }
}
