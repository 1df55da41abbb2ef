package io.p2pchat.ledger;

import static io.p2pchat.ledger.BlockValidationTest.submit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.OpenReport;
import io.p2pchat.ledger.model.Pow;
import io.p2pchat.ledger.model.RejectReason;
import io.p2pchat.ledger.model.StorageError;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.testing.ChainBuilder;
import io.p2pchat.ledger.testing.StoreFiles;
import io.p2pchat.ledger.testing.TxFactory;
import io.p2pchat.testing.SettableClock;
import io.p2pchat.testing.TestIdentities;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A block that breaks a header rule, written into a copy of a real store by hand (issue 10 item 5),
 * is checked at reopen and by {@link Ledger#verifyFully()} by the very rules a block from the
 * network is: it never becomes the tip, is never served, and is named with its rule; and a
 * read-only open (the audit) changes nothing on disk (item 6).
 */
class StoredHeaderRulesTest {
    /** Targets low enough that a target 256 times easier than the expected one is still legal. */
    static final NetworkParameters PARAMS =
            NetworkParameters.builder()
                    .name("stored-rules")
                    .trivialDifficulty()
                    .targets(Pow.targetForExpectedHashes(1024), Pow.targetForExpectedHashes(2))
                    .build();

    static final int BLOCKS = 12;
    static final long HOUR = Duration.ofHours(1).toMillis();

    final SettableClock clock = new SettableClock(PARAMS.genesisTimeMillis() + HOUR);
    final ChainBuilder chain = new ChainBuilder(PARAMS);

    @TempDir Path tmp;
    Path real;
    List<Map<?, ?>> state;

    /** The three forgeries of the issue, each a child of the real tip. */
    enum Forgery {
        /** A target 256 times easier than the retarget rule requires (P4). */
        EASY_TARGET(RejectReason.BAD_DIFFICULTY),
        /** A timestamp equal to the median time past (P5). */
        AT_MEDIAN_TIME_PAST(RejectReason.TIME_TOO_OLD),
        /** A timestamp three hours ahead of the clock (P7, temporary). */
        THREE_HOURS_AHEAD(RejectReason.TIME_TOO_NEW);

        final RejectReason reason;

        Forgery(RejectReason reason) {
            this.reason = reason;
        }
    }

    @BeforeEach
    void buildRealStore() throws Exception {
        real = tmp.resolve("real");
        TxFactory f = new TxFactory(PARAMS);
        try (Ledger l = open(real)) {
            String parent = "genesis";
            for (int i = 1; i <= BLOCKS; i++) {
                ChainBuilder.Spec b = chain.block("b" + i).on(parent);
                if (i <= 3) {
                    b.tx(f.register(TestIdentities.get("stored" + i)));
                }
                BlockResult r = submit(l, b.build());
                assertThat(r.status()).as(r.message()).isEqualTo(BlockResult.Status.CONNECTED);
                parent = "b" + i;
            }
            state = l.service().chain().stateSnapshot();
        }
    }

    Ledger open(Path dir) throws LedgerStorageException {
        return Ledger.builder(PARAMS).clock(clock).dataDirectory(dir).open();
    }

    Ledger openReadOnly(Path dir) throws LedgerStorageException {
        return Ledger.builder(PARAMS).clock(clock).dataDirectory(dir).readOnly(true).open();
    }

    BlockData forge(Forgery forgery) {
        ChainBuilder.Spec spec = chain.block("forged-" + forgery).on("b" + BLOCKS);
        switch (forgery) {
            case EASY_TARGET -> {
                BigInteger easy = chain.expectedTarget("b" + BLOCKS).shiftLeft(8);
                assertThat(easy).isLessThanOrEqualTo(PARAMS.maxTarget());
                spec.target(easy);
            }
            case AT_MEDIAN_TIME_PAST -> spec.timestamp(chain.medianTimePast("b" + BLOCKS));
            case THREE_HOURS_AHEAD -> spec.timestamp(clock.millis() + 3 * HOUR);
        }
        return spec.build();
    }

    /** A copy of the real store with the forged block appended, and a tip record naming it. */
    Path forgedStore(Forgery forgery, BlockData forged, boolean tipRecord) throws Exception {
        Path dir = StoreFiles.copy(real, tmp.resolve(forgery + "-" + tipRecord));
        StoreFiles.appendBlock(dir, forged);
        if (tipRecord) {
            // As an audit command used to write at open, making the forged tip permanent.
            StoreFiles.appendTip(dir, forged.hash());
        }
        return dir;
    }

    /** What the network path says of the block: a ledger holding the real chain, fed it. */
    BlockResult networkVerdict(BlockData forged) throws Exception {
        try (Ledger l = Ledger.builder(PARAMS).clock(clock).open()) {
            for (int i = 1; i <= BLOCKS; i++) {
                submit(l, chain.get("b" + i));
            }
            return submit(l, forged);
        }
    }

    static Stream<Arguments> forgeries() {
        return Stream.of(Forgery.values())
                .flatMap(f -> Stream.of(Arguments.of(f, false), Arguments.of(f, true)));
    }

    @ParameterizedTest(name = "{0}, tip record {1}")
    @MethodSource("forgeries")
    void forgedBlock_isNeverTheTip_isNamedWithItsRule_andFailsVerify(
            Forgery forgery, boolean tipRecord) throws Exception {
        BlockData forged = forge(forgery);
        BlockResult network = networkVerdict(forged);
        assertThat(network.status()).isEqualTo(BlockResult.Status.REJECTED);
        assertThat(network.reason()).isEqualTo(forgery.reason);
        Path dir = forgedStore(forgery, forged, tipRecord);
        BlockHash realTip = chain.get("b" + BLOCKS).hash();
        for (boolean readOnly : new boolean[] {false, true}) {
            try (Ledger l = readOnly ? openReadOnly(dir) : open(dir)) {
                assertThat(l.tip().hash()).as("readOnly " + readOnly).isEqualTo(realTip);
                assertThat(l.service().chain().stateSnapshot()).isEqualTo(state);
                assertThat(l.openReport().rejectedBlocks()).hasSize(1);
                OpenReport.RejectedBlock rejected = l.openReport().rejectedBlocks().get(0);
                assertThat(rejected.hash()).isEqualTo(forged.hash());
                assertThat(rejected.height()).isEqualTo(BLOCKS + 1);
                assertThat(rejected.reason()).isEqualTo(forgery.reason);
                assertThat(rejected.moreWorkThanTip()).isTrue();
                assertThat(rejected.fault()).isTrue();
                // In the network path's words: "REASON: explanation".
                assertThat(network.message()).isEqualTo(forgery.reason + ": " + rejected.detail());
                assertThat(rejected.describe())
                        .startsWith(forgery.reason + ": stored block " + forged.hash().toHex())
                        .contains("at height " + (BLOCKS + 1) + ": " + rejected.detail());
                assertThat(l.openReport().events())
                        .contains("REJECTED_STORED_BLOCK: " + rejected.describe());
                // Never served, and rejected again as the network path rejects it.
                assertThat(l.block(forged.hash()).get()).isEmpty();
                if (!readOnly) {
                    BlockResult again = submit(l, forged);
                    assertThat(again.status()).isEqualTo(BlockResult.Status.REJECTED);
                    assertThat(again.reason()).isEqualTo(forgery.reason);
                    assertThat(again.misbehaving()).isEqualTo(network.misbehaving());
                }
                assertThatThrownBy(() -> l.verifyFully().get())
                        .isInstanceOf(ExecutionException.class)
                        .cause()
                        .isInstanceOfSatisfying(
                                InvalidBlockException.class,
                                e -> assertThat(e.reason()).isEqualTo(forgery.reason))
                        .hasMessage(rejected.describe());
            }
        }
    }

    @Test
    void blockAheadOfTheClock_isUsedAtALaterOpen_onceTheClockHasReachedIt() throws Exception {
        BlockData ahead = forge(Forgery.THREE_HOURS_AHEAD);
        Path dir = forgedStore(Forgery.THREE_HOURS_AHEAD, ahead, true);
        try (Ledger l = open(dir)) {
            assertThat(l.tip().hash()).isEqualTo(chain.get("b" + BLOCKS).hash());
        }
        // Not permanently invalid: once the local clock is within 2 h of its timestamp, it is a
        // valid block, as it would be when sent again over the network.
        clock.advance(HOUR + 1);
        try (Ledger l = open(dir)) {
            assertThat(l.openReport().rejectedBlocks()).isEmpty();
            assertThat(l.tip().hash()).isEqualTo(ahead.hash());
            assertThat(l.verifyFully().get()).isEqualTo(BLOCKS + 1);
        }
    }

    @Test
    void blockAheadOfTheClock_onALighterBranch_isReported_butNoFault() throws Exception {
        // As a node keeps the block it mined while its clock ran more than 2 h ahead, on a branch
        // the network outworked, once its clock is corrected (ATTACKS N-07, then N-09).
        BlockData ahead =
                chain.block("ahead")
                        .on("b" + (BLOCKS - 1))
                        .timestamp(clock.millis() + 3 * HOUR)
                        .build();
        Path dir = StoreFiles.copy(real, tmp.resolve("lighter"));
        StoreFiles.appendBlock(dir, ahead);
        try (Ledger l = open(dir)) {
            assertThat(l.tip().hash()).isEqualTo(chain.get("b" + BLOCKS).hash());
            OpenReport.RejectedBlock r = l.openReport().rejectedBlocks().get(0);
            assertThat(r.hash()).isEqualTo(ahead.hash());
            assertThat(r.reason()).isEqualTo(RejectReason.TIME_TOO_NEW);
            assertThat(r.moreWorkThanTip()).isFalse();
            assertThat(r.fault()).isFalse();
            assertThat(l.verifyFully().get()).isEqualTo(BLOCKS);
        }
    }

    @Test
    void forgedBlockUnderValidBlocks_leavesThemOut_andTheChainFallsBackToItsParent()
            throws Exception {
        // A forged block followed by a valid-looking child and a tip record naming the child.
        BlockData forged = forge(Forgery.AT_MEDIAN_TIME_PAST);
        BlockData child = chain.block("child").on("forged-" + Forgery.AT_MEDIAN_TIME_PAST).build();
        Path dir = forgedStore(Forgery.AT_MEDIAN_TIME_PAST, forged, false);
        StoreFiles.appendBlock(dir, child);
        StoreFiles.appendTip(dir, child.hash());
        try (Ledger l = open(dir)) {
            assertThat(l.tip().hash()).isEqualTo(chain.get("b" + BLOCKS).hash());
            assertThat(l.openReport().rejectedBlocks())
                    .extracting(OpenReport.RejectedBlock::hash)
                    .containsExactly(forged.hash());
            assertThat(l.block(child.hash()).get()).isEmpty();
        }
    }

    // ------------------------------------------------------------------ read-only (item 6)

    /** Every file of a directory: name, size, modification time and SHA-256 of its content. */
    static Map<String, String> fingerprint(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                FileTime modified = Files.getLastModifiedTime(f);
                String content =
                        Files.isDirectory(f)
                                ? "dir"
                                : HexFormat.of()
                                        .formatHex(
                                                MessageDigest.getInstance("SHA-256")
                                                        .digest(Files.readAllBytes(f)));
                out.put(
                        dir.relativize(f).toString(),
                        Files.size(f) + " " + modified.toMillis() + " " + content);
            }
        }
        return out;
    }

    @Test
    void readOnlyOpen_changesNothing_evenWhereANormalOpenWritesOrRepairs() throws Exception {
        // A forged tip (a normal open writes a tip record for the fallback), a torn tail (a normal
        // open cuts it) and no snapshot (a normal close writes one).
        BlockData forged = forge(Forgery.EASY_TARGET);
        Path dir = forgedStore(Forgery.EASY_TARGET, forged, true);
        Files.delete(dir.resolve("state.snap"));
        byte[] torn = new byte[100];
        torn[0] = 0x50; // "P2LR" magic, then a record cut short
        torn[1] = 0x32;
        torn[2] = 0x4C;
        torn[3] = 0x52;
        torn[4] = 1; // a BLOCK record of 65 536 bytes
        torn[6] = 1;
        Files.write(dir.resolve("blocks.dat"), torn, StandardOpenOption.APPEND);
        Map<String, String> before = fingerprint(dir);
        try (Ledger l = openReadOnly(dir)) {
            assertThat(l.openReport().readOnly()).isTrue();
            assertThat(l.openReport().truncatedBytes()).isEqualTo(torn.length);
            assertThat(l.openReport().events())
                    .anyMatch(e -> e.startsWith("TRUNCATED_TAIL") && e.contains("left in place"));
            assertThat(l.tip().hash()).isEqualTo(chain.get("b" + BLOCKS).hash());
            // A node may not start meanwhile.
            assertThatThrownBy(() -> open(dir))
                    .isInstanceOfSatisfying(
                            LedgerStorageException.class,
                            e -> assertThat(e.error()).isEqualTo(StorageError.DATADIR_LOCKED));
            // Nothing can be stored.
            assertThatThrownBy(() -> submit(l, chain.block("b13").on("b12").build()))
                    .hasMessageContaining("read-only");
        }
        assertThat(fingerprint(dir)).isEqualTo(before);
        // A normal open repairs what the read-only one reported.
        try (Ledger l = open(dir)) {
            assertThat(l.openReport().truncatedBytes()).isEqualTo(torn.length);
        }
        assertThat(fingerprint(dir)).isNotEqualTo(before);
        try (Ledger l = open(dir)) {
            assertThat(l.openReport().truncatedBytes()).isZero();
        }
    }

    @Test
    void readOnlyOpen_whileANodeHoldsTheLedger_isDatadirLocked() throws Exception {
        try (Ledger l = open(real)) {
            assertThatThrownBy(() -> openReadOnly(real))
                    .isInstanceOfSatisfying(
                            LedgerStorageException.class,
                            e -> assertThat(e.error()).isEqualTo(StorageError.DATADIR_LOCKED));
            assertThat(l.tip().height()).isEqualTo(BLOCKS);
        }
    }
}
