package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.p2pchat.example.testing.ConsoleDriver;
import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.InProcessNode;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.ledger.IdentityTransactions;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.NameCommitment;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.RegisteredAddress;
import io.p2pchat.ledger.model.TxResult;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code p2pchat ledger show|verify|whois|proof} on a ledger built here. */
class LedgerCommandTest {
    @TempDir Path dir;

    Path home;
    String tip;
    long height;
    LocalIdentity alice;

    @BeforeEach
    void buildLedger() throws Exception {
        home = Homes.init(dir, "auditor");
        NetworkParameters params =
                NetworkParameters.builder()
                        .name("audit")
                        .trivialDifficulty()
                        .targetBlockInterval(Duration.ofMillis(1))
                        .genesisTimeMillis(System.currentTimeMillis() - 60_000)
                        .build();
        alice = LocalIdentity.generate(2048, new SecureRandom());
        LocalIdentity bob = LocalIdentity.generate(2048, new SecureRandom());
        IdentityTransactions txs = IdentityTransactions.forNetwork(params);
        try (Ledger l = Ledger.builder(params).dataDirectory(home.resolve("ledger")).open()) {
            NameCommitment name = NameCommitment.create("alice", new SecureRandom());
            long expires = System.currentTimeMillis() + 86_400_000L;
            submit(
                    l,
                    txs.register(
                            alice,
                            List.of(new RegisteredAddress("127.0.0.1", 7000, expires)),
                            name));
            submit(l, txs.register(bob, List.of(), null));
            l.miner().mineBlocks(params.nameRevealDelay()).get(30, TimeUnit.SECONDS);
            submit(l, txs.revealName(alice, alice.peerId(), 1, name));
            l.miner().mineBlocks(params.confirmations()).get(30, TimeUnit.SECONDS);
            tip = l.tip().hash().toHex();
            height = l.tip().height();
        }
    }

    private static void submit(Ledger l, io.p2pchat.ledger.model.LedgerTransaction tx)
            throws Exception {
        TxResult r = l.submitTransaction(tx).get(30, TimeUnit.SECONDS);
        assertThat(r.status()).as(r.message()).isEqualTo(TxResult.Status.ACCEPTED);
    }

    private InProcessNode ledger(String... args) throws Exception {
        String[] all = new String[args.length + 3];
        all[0] = "ledger";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--home";
        all[args.length + 2] = home.toString();
        return InProcessNode.run("ledger", all);
    }

    @Test
    void showJson_isOneObject_withHeightAndTip() throws Exception {
        InProcessNode show = ledger("show", "--json");
        assertThat(show.awaitExit()).as(show.transcript()).isZero();
        assertThat(show.lines()).hasSize(1);
        JsonObject o = ConsoleDriver.parse(show.lines().get(0));
        assertThat(o.get("height").getAsLong()).isEqualTo(height);
        assertThat(o.get("tip").getAsString()).isEqualTo(tip);
        assertThat(o.get("identities").getAsInt()).isEqualTo(2);
        InProcessNode text = ledger("show");
        assertThat(text.awaitExit()).isZero();
        assertThat(text.stdout()).contains("tip:         " + tip);
    }

    @Test
    void verify_revalidatesFromGenesis_andFailsOnDamage() throws Exception {
        InProcessNode ok = ledger("verify");
        assertThat(ok.awaitExit()).as(ok.transcript()).isZero();
        assertThat(ok.stdout()).startsWith("OK: " + height + " blocks re-validated from genesis");
        InProcessNode json = ledger("verify", "--json");
        assertThat(json.awaitExit()).isZero();
        assertThat(ConsoleDriver.parse(json.lines().get(0)).get("ok").getAsBoolean()).isTrue();
        // Flip a byte in the middle of the block file: a damaged record followed by valid data.
        Path blocks = home.resolve("ledger/blocks.dat");
        try (RandomAccessFile f = new RandomAccessFile(blocks.toFile(), "rw")) {
            long at = f.length() / 3;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x40);
        }
        InProcessNode bad = ledger("verify");
        assertThat(bad.awaitExit()).isNotZero();
        assertThat(bad.stderr()).contains("is damaged").doesNotContain("\tat ");
    }

    @Test
    void whoisAndProof_byNameAndById() throws Exception {
        InProcessNode whois = ledger("whois", "alice");
        assertThat(whois.awaitExit()).as(whois.transcript()).isZero();
        assertThat(whois.stdout())
                .contains("'alice'  confirmed")
                .contains(alice.peerId().toHex())
                .contains("127.0.0.1:7000");
        InProcessNode byId = ledger("whois", alice.peerId().toHex(), "--json");
        assertThat(byId.awaitExit()).isZero();
        JsonObject o = ConsoleDriver.parse(byId.lines().get(0));
        assertThat(o.get("name").getAsString()).isEqualTo("alice");
        assertThat(o.get("revoked").getAsBoolean()).isFalse();

        InProcessNode proof = ledger("proof", "alice");
        assertThat(proof.awaitExit()).as(proof.transcript()).isZero();
        assertThat(proof.stdout())
                .contains("block:        #1 ")
                .contains("transaction:  1 of 2 in the block")
                .contains("proof:        1 hash, leaf to root")
                .contains("verified: the transaction hashes up the path");
        InProcessNode proofJson = ledger("proof", "alice", "--json");
        assertThat(proofJson.awaitExit()).isZero();
        JsonObject p = ConsoleDriver.parse(proofJson.lines().get(0));
        assertThat(p.get("verified").getAsBoolean()).isTrue();
        assertThat(p.getAsJsonArray("proof")).hasSize(1);

        InProcessNode unknown = ledger("whois", "zed");
        assertThat(unknown.awaitExit()).isEqualTo(1);
        assertThat(unknown.stderr()).contains("No identity named or with the id 'zed'");
    }

    @Test
    void noLedgerYet_saysHowToGetOne() throws Exception {
        Path empty = Homes.init(dir, "newcomer");
        InProcessNode n = InProcessNode.run("ledger", "ledger", "show", "--home", empty.toString());
        assertThat(n.awaitExit()).isEqualTo(1);
        assertThat(n.stderr()).contains("No ledger in " + empty + ": run a node there first");
    }
}
