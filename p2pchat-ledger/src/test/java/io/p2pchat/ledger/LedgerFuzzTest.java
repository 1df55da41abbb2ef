package io.p2pchat.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.ledger.chain.BlockValidator;
import io.p2pchat.ledger.chain.IdentityState;
import io.p2pchat.ledger.chain.SignatureCache;
import io.p2pchat.ledger.chain.StateDelta;
import io.p2pchat.ledger.chain.Tx;
import io.p2pchat.ledger.chain.TxRules;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.testing.ChainBuilder;
import io.p2pchat.ledger.testing.TxFactory;
import io.p2pchat.testing.FixedEntropy;
import io.p2pchat.testing.SettableClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Jazzer fuzz targets of the ledger (ATTACKS F-09, issue 6): block decoding and validation (every
 * header, body and state rule, signatures included), transaction decoding and rules, and the
 * on-disk store loader (random bytes as a block file).
 *
 * <p>The contract: only the declared exceptions ({@link InvalidBlockException} for blocks and
 * transactions, {@link LedgerStorageException} for the store) ever escape; a block file that opens
 * serves only blocks that fully re-validate; repair mode always opens. Deterministic: fixed network
 * parameters, a fixed clock and fixed identities. Seeds are in {@code
 * src/test/resources/io/p2pchat/ledger/LedgerFuzzTestInputs/<method>/} and run in every build;
 * {@code ./fuzz [seconds] blockDecodeAndValidate ...} fuzzes for a bounded time.
 */
@Tag("adversarial")
class LedgerFuzzTest {
    static final NetworkParameters PARAMS =
            NetworkParameters.builder()
                    .name("fuzz")
                    .nonce(new byte[32])
                    .genesisTimeMillis(1_767_225_600_000L)
                    .trivialDifficulty()
                    .nameRevealDelay(1)
                    .targetBlockInterval(Duration.ofMillis(100))
                    .build();

    static final SettableClock CLOCK = new SettableClock(PARAMS.genesisTimeMillis() + 3_600_000);

    /** Fixed identities (their keys depend on the seed strings only). */
    static final class Ids {
        static final LocalIdentity ALICE =
                LocalIdentity.generate(2048, new FixedEntropy("ledger fuzz alice"));
        static final LocalIdentity BOB =
                LocalIdentity.generate(2048, new FixedEntropy("ledger fuzz bob"));
    }

    /** Decodes and fully validates a block on top of genesis with an empty identity state. */
    @FuzzTest(maxDuration = "5m")
    void blockDecodeAndValidate(byte[] data) {
        BlockValidator v = new BlockValidator(PARAMS, CLOCK, new SignatureCache(16));
        try {
            BlockData b = BlockData.decode(data);
            v.checkHeaderContextFree(b.header());
            v.checkHeaderContextual(
                    b.header(), h -> h.equals(PARAMS.genesis().hash()) ? PARAMS.genesis() : null);
            List<Tx> txs = v.checkBody(b);
            StateDelta d = v.connect(b.header(), txs, new IdentityState(), true);
            assertThat(txs).hasSize(b.transactions().size());
            assertThat(d).isNotNull();
        } catch (InvalidBlockException e) {
            assertThat(e.reason()).isNotNull();
        }
    }

    /** Decodes a transaction and runs its stateless and state rules on an empty state. */
    @FuzzTest(maxDuration = "5m")
    void transactionDecodeAndRules(byte[] data) {
        SignatureCache sigs = new SignatureCache(16);
        try {
            Tx tx = Tx.decode(data, PARAMS);
            TxRules.checkStateless(tx, PARAMS, sigs);
            TxRules.apply(
                    tx,
                    new StateDelta(new IdentityState()),
                    1,
                    CLOCK.millis(),
                    PARAMS.genesis().hash(),
                    0,
                    PARAMS,
                    sigs,
                    true);
            // Accepted on an empty state: only a registration can be.
            assertThat(tx.kind()).isEqualTo(Tx.Kind.REGISTER);
        } catch (InvalidBlockException e) {
            assertThat(e.reason()).isNotNull();
        }
    }

    /**
     * Random bytes as the records of a block file (after a valid file header): the ledger opens or
     * fails with a {@link LedgerStorageException}; what opens fully re-validates; repair mode
     * always opens.
     */
    @FuzzTest(maxDuration = "5m")
    void storeLoader(byte[] records) throws Exception {
        Path dir = Files.createTempDirectory("ledger-fuzz");
        try {
            writeDataDir(dir, records);
            try (Ledger l = Ledger.builder(PARAMS).clock(CLOCK).dataDirectory(dir).open()) {
                assertThat(l.verifyFully().get()).isEqualTo(l.tip().height());
            } catch (LedgerStorageException e) {
                assertThat(e.error()).isNotNull();
            }
            writeDataDir(dir, records);
            try (Ledger l =
                    Ledger.builder(PARAMS)
                            .clock(CLOCK)
                            .dataDirectory(dir)
                            .repairCorruption(true)
                            .open()) {
                assertThat(l.verifyFully().get()).isEqualTo(l.tip().height());
            }
        } finally {
            deleteTree(dir);
        }
    }

    static void writeDataDir(Path dir, byte[] records) throws IOException {
        Files.write(dir.resolve("network.params"), PARAMS.encode());
        ByteBuffer header = ByteBuffer.allocate(44);
        header.put("P2PLEDG1".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .putInt(1)
                .put(PARAMS.networkId());
        byte[] file = Arrays.copyOf(header.array(), 44 + records.length);
        System.arraycopy(records, 0, file, 44, records.length);
        Files.write(dir.resolve("blocks.dat"), file);
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder())
                    .forEach(
                            p -> {
                                try {
                                    Files.deleteIfExists(p);
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            });
        }
    }

    /**
     * Writes the seeds ({@code -Dp2pchat.writeSeeds=<src/test/resources>}): valid blocks and
     * transactions of each kind, and a block file of a short chain with a tip record.
     */
    @Test
    @EnabledIfSystemProperty(named = "p2pchat.writeSeeds", matches = ".+")
    void writeSeeds() throws Exception {
        Path root =
                Path.of(System.getProperty("p2pchat.writeSeeds"))
                        .resolve("io/p2pchat/ledger/LedgerFuzzTestInputs");
        TxFactory f = new TxFactory(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        LedgerTransaction regA = f.register(Ids.ALICE);
        LedgerTransaction regB = f.register(Ids.BOB);
        BlockData empty = c.block("empty").build();
        BlockData two = c.block("two").tx(regA, regB).build();
        seed(root, "blockDecodeAndValidate", "empty", empty.toProto().toByteArray());
        seed(root, "blockDecodeAndValidate", "two-registrations", two.toProto().toByteArray());
        seed(root, "transactionDecodeAndRules", "register", regA.bytes());
        seed(
                root,
                "transactionDecodeAndRules",
                "update",
                f.update(Ids.ALICE, Ids.ALICE.peerId(), 1, TxFactory.address("10.0.0.1", 9))
                        .bytes());
        seed(
                root,
                "transactionDecodeAndRules",
                "revoke",
                f.revoke(Ids.ALICE, Ids.ALICE.peerId(), 1).bytes());
        Path dir = Files.createTempDirectory("ledger-fuzz-seed");
        try {
            try (Ledger l = Ledger.builder(PARAMS).clock(CLOCK).dataDirectory(dir).open()) {
                BlockValidationTest.assertConnected(l, two);
                BlockValidationTest.assertConnected(l, c.block("next").on("two").build());
            }
            byte[] file = Files.readAllBytes(dir.resolve("blocks.dat"));
            seed(root, "storeLoader", "two-blocks", Arrays.copyOfRange(file, 44, file.length));
            seed(root, "storeLoader", "empty", new byte[0]);
        } finally {
            deleteTree(dir);
        }
    }

    private static void seed(Path root, String method, String name, byte[] bytes)
            throws IOException {
        Path d = root.resolve(method);
        Files.createDirectories(d);
        Files.write(d.resolve(name), bytes);
    }
}
