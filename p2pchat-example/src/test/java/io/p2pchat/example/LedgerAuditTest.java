package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import io.p2pchat.example.testing.ConsoleDriver;
import io.p2pchat.example.testing.ForgedBlocks;
import io.p2pchat.example.testing.ForgedBlocks.Forgery;
import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.InProcessNode;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.ledger.IdentityTransactions;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.ChainTip;
import io.p2pchat.ledger.model.LedgerListener;
import io.p2pchat.ledger.model.NameCommitment;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.Pow;
import io.p2pchat.ledger.model.TipChangeEvent;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.node.Node;
import java.net.InetSocketAddress;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The audit commands ({@code p2pchat ledger show|whois|proof|verify}) on stores holding a block
 * forged by hand (issue 10 item 5: each header rule is run on stored blocks as on blocks from the
 * network) and their read-only open (item 6: the home is byte-identical afterwards).
 */
class LedgerAuditTest {
    /** Targets low enough that a target 256 times easier than required is still legal. */
    static final NetworkParameters PARAMS =
            NetworkParameters.builder()
                    .name("audit")
                    .trivialDifficulty()
                    .targets(Pow.targetForExpectedHashes(1024), Pow.targetForExpectedHashes(2))
                    .targetBlockInterval(Duration.ofMillis(1))
                    .genesisTimeMillis(System.currentTimeMillis() - 60_000)
                    .build();

    /** The four audit commands, with their arguments. */
    static final List<String[]> AUDITS =
            List.of(
                    new String[] {"show"},
                    new String[] {"whois", "alice"},
                    new String[] {"proof", "alice"},
                    new String[] {"verify"});

    @TempDir Path dir;

    Path home;
    ChainTip tip;

    @BeforeEach
    void buildLedger() throws Exception {
        home = Homes.init(dir, "auditor");
        LocalIdentity alice = LocalIdentity.generate(2048, new SecureRandom());
        IdentityTransactions txs = IdentityTransactions.forNetwork(PARAMS);
        try (Ledger l = Ledger.builder(PARAMS).dataDirectory(home.resolve("ledger")).open()) {
            NameCommitment name = NameCommitment.create("alice", new SecureRandom());
            submit(l, txs.register(alice, List.of(), name));
            l.miner().mineBlocks(PARAMS.nameRevealDelay()).get(30, TimeUnit.SECONDS);
            submit(l, txs.revealName(alice, alice.peerId(), 1, name));
            l.miner().mineBlocks(PARAMS.confirmations()).get(30, TimeUnit.SECONDS);
            tip = l.tip();
        }
    }

    private static void submit(Ledger l, io.p2pchat.ledger.model.LedgerTransaction tx)
            throws Exception {
        TxResult r = l.submitTransaction(tx).get(30, TimeUnit.SECONDS);
        assertThat(r.status()).as(r.message()).isEqualTo(TxResult.Status.ACCEPTED);
    }

    private static InProcessNode ledger(Path home, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("ledger"));
        all.addAll(List.of(args));
        all.addAll(List.of("--home", home.toString()));
        return InProcessNode.run("ledger", all.toArray(new String[0]));
    }

    /** A copy of the home whose block log ends with a forged block (and a tip record naming it). */
    private Path forgedHome(Forgery forgery, boolean tipRecord, BlockHeader[] forged)
            throws Exception {
        Path copy = ForgedBlocks.copyTree(home, dir.resolve(forgery + "-" + tipRecord));
        forged[0] = ForgedBlocks.append(copy.resolve("ledger"), PARAMS, forgery, tipRecord);
        return copy;
    }

    @ParameterizedTest
    @EnumSource(Forgery.class)
    void verify_failsOnAForgedBlock_namingItsHashHeightAndRule(Forgery forgery) throws Exception {
        for (boolean tipRecord : new boolean[] {false, true}) {
            BlockHeader[] forged = new BlockHeader[1];
            Path h = forgedHome(forgery, tipRecord, forged);
            InProcessNode verify = ledger(h, "verify");
            assertThat(verify.awaitExit()).as(verify.transcript()).isEqualTo(3);
            assertThat(verify.stderr())
                    .contains(
                            "VERIFICATION FAILED: "
                                    + forgery.reason
                                    + ": stored block "
                                    + forged[0].hash().toHex()
                                    + " at height "
                                    + forged[0].height()
                                    + ": block "
                                    + forged[0].hash().shortHex())
                    .doesNotContain("\tat ");
            assertThat(verify.stdout()).doesNotContain("OK:");
            InProcessNode json = ledger(h, "verify", "--json");
            assertThat(json.awaitExit()).isEqualTo(3);
            JsonObject o = ConsoleDriver.parse(json.lines().get(0));
            assertThat(o.get("ok").getAsBoolean()).isFalse();
            assertThat(o.get("error").getAsString()).contains(forged[0].hash().toHex());
            // The other audit commands see the real tip and say which block was left out.
            InProcessNode show = ledger(h, "show", "--json");
            assertThat(show.awaitExit()).as(show.transcript()).isZero();
            assertThat(ConsoleDriver.parse(show.lines().get(0)).get("tip").getAsString())
                    .isEqualTo(tip.hash().toHex());
            assertThat(show.stderr())
                    .contains("note: REJECTED_STORED_BLOCK: " + forgery.reason)
                    .contains(forged[0].hash().toHex());
        }
    }

    @Test
    void auditCommands_changeNothingInTheHome_normalTornAndForged() throws Exception {
        Path normal = home;
        Path torn = ForgedBlocks.copyTree(home, dir.resolve("torn"));
        Path blocks = torn.resolve("ledger/blocks.dat");
        byte[] all = Files.readAllBytes(blocks);
        Files.write(blocks, java.util.Arrays.copyOf(all, all.length - 40)); // the tip record, cut
        Path forged = forgedHome(Forgery.EASY_TARGET, true, new BlockHeader[1]);
        // No snapshot: a normal open would write one at close.
        Files.delete(forged.resolve("ledger/state.snap"));
        for (Path h : List.of(normal, torn, forged)) {
            for (String[] command : AUDITS) {
                Map<String, String> before = ForgedBlocks.fingerprint(h);
                InProcessNode n = ledger(h, command);
                int exit = n.awaitExit();
                assertThat(exit)
                        .as(h.getFileName() + " " + command[0] + "\n" + n.transcript())
                        .isEqualTo(h == forged && command[0].equals("verify") ? 3 : 0);
                assertThat(ForgedBlocks.fingerprint(h))
                        .as(h.getFileName() + " " + command[0])
                        .isEqualTo(before);
                if (h == torn) {
                    assertThat(n.stderr())
                            .contains("note: TRUNCATED_TAIL")
                            .contains("the next node start cuts them");
                }
            }
        }
    }

    @Test
    void auditCommands_workInAHomeTheyCannotWrite() throws Exception {
        assumeTrue(
                FileSystems.getDefault().supportedFileAttributeViews().contains("posix"),
                "POSIX permissions");
        Set<PosixFilePermission> readOnly = PosixFilePermissions.fromString("r-x------");
        Set<PosixFilePermission> homeBefore = Files.getPosixFilePermissions(home);
        Path ledgerDir = home.resolve("ledger");
        Set<PosixFilePermission> ledgerBefore = Files.getPosixFilePermissions(ledgerDir);
        Files.setPosixFilePermissions(ledgerDir, readOnly);
        Files.setPosixFilePermissions(home, readOnly);
        try {
            // (Run as root, the permissions do not stop writes; the fingerprint check does.)
            Map<String, String> before = ForgedBlocks.fingerprint(home);
            for (String[] command : AUDITS) {
                InProcessNode n = ledger(home, command);
                assertThat(n.awaitExit()).as(command[0] + "\n" + n.transcript()).isZero();
            }
            assertThat(ForgedBlocks.fingerprint(home)).isEqualTo(before);
        } finally {
            Files.setPosixFilePermissions(home, homeBefore);
            Files.setPosixFilePermissions(ledgerDir, ledgerBefore);
        }
    }

    @Test
    void nodeStartedOnAForgedHome_neitherAdoptsNorPassesOnTheBlock() throws Exception {
        BlockHeader[] forged = new BlockHeader[1];
        Path h = forgedHome(Forgery.EASY_TARGET, true, forged);
        try (InProcessNode node =
                InProcessNode.start(
                        "node",
                        "node",
                        "--home",
                        h.toString(),
                        "--passphrase-file",
                        Homes.passphraseFile(dir).toString(),
                        "--listen",
                        "127.0.0.1:0")) {
            node.awaitLine(
                    "note: the ledger holds a block it does not use: BAD_DIFFICULTY: stored block "
                            + forged[0].hash().toHex());
            Matcher m = node.awaitMatch(0, "listening on 127\\.0\\.0\\.1:([0-9]+)");
            // It starts from the real tip, under the forged block's height, and mines on it.
            assertThat(node.awaitMatch(0, "ledger height ([0-9]+)").group(1))
                    .isEqualTo(Long.toString(tip.height()));
            node.awaitLine("ready:");
            int at = node.mark();
            node.send("/ledger --json");
            JsonObject status = node.awaitJson(at, "ledger", o -> true);
            long height = status.get("height").getAsLong();
            assertThat(height).isGreaterThan(forged[0].height());

            // A new peer syncs from it: the node's chain, never the forged block.
            LocalIdentity id = LocalIdentity.generate(2048, new SecureRandom());
            try (Ledger peerLedger = Ledger.builder(PARAMS).name("peer").open()) {
                CompletableFuture<ChainTip> synced = new CompletableFuture<>();
                peerLedger.addListener(
                        new LedgerListener() {
                            @Override
                            public void onTipChanged(TipChangeEvent e) {
                                if (e.newTip().height() >= height) {
                                    synced.complete(e.newTip());
                                }
                            }
                        });
                try (Node peer =
                        Node.builder(id, peerLedger)
                                .listen("127.0.0.1", 0)
                                .discovery(false)
                                .build()
                                .start()) {
                    peer.join(new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1))))
                            .get(15, TimeUnit.SECONDS);
                    synced.get(30, TimeUnit.SECONDS);
                    assertThat(peerLedger.headerAt(tip.height()).orElseThrow().hash())
                            .isEqualTo(tip.hash());
                    assertThat(peerLedger.headerAt(forged[0].height()).orElseThrow().hash())
                            .isNotEqualTo(forged[0].hash());
                    assertThat(peerLedger.block(forged[0].hash()).get(10, TimeUnit.SECONDS))
                            .isEmpty();
                }
            }
        }
    }
}
