package io.p2pchat.example;

import static io.p2pchat.example.text.TerminalText.escape;

import com.google.gson.GsonBuilder;
import io.p2pchat.example.home.Home;
import io.p2pchat.example.home.HomePermissions;
import io.p2pchat.example.text.Certificates;
import io.p2pchat.example.text.ExitCode;
import io.p2pchat.example.text.Explain;
import io.p2pchat.example.text.Identities;
import io.p2pchat.example.text.Program;
import io.p2pchat.example.text.TerminalText;
import io.p2pchat.example.text.UserError;
import io.p2pchat.example.text.Words;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.LedgerCertificate;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.ChainTip;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.proto.Block;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code p2pchat ledger}: inspects and audits the local replica of the ledger. Every subcommand
 * opens it read-only ({@link Ledger.Builder#readOnly}) and changes nothing in the home: what a node
 * start would repair is only reported, as a note on standard error. The read-only open still takes
 * a (shared) lock: while a node runs on the same home, use its console's {@code /ledger} instead.
 * The network's name, display names and addresses came from peers: the text output renders them
 * with {@link TerminalText#escape}, the JSON output gives them exactly.
 */
@Command(
        name = "ledger",
        mixinStandardHelpOptions = true,
        description = "Inspect and audit the local ledger: show, verify, whois, proof.",
        subcommands = {
            LedgerCommand.Show.class,
            LedgerCommand.Verify.class,
            LedgerCommand.Whois.class,
            LedgerCommand.Proof.class
        })
final class LedgerCommand implements Callable<Integer> {
    @ParentCommand P2pChat parent;

    @Override
    public Integer call() {
        throw UserError.usage(
                "Which one? p2pchat ledger show|verify|whois NAME-OR-ID|proof NAME-OR-ID --home"
                        + " DIR");
    }

    /** Options every subcommand has. */
    abstract static class Base implements Callable<Integer> {
        @ParentCommand LedgerCommand ledgerCommand;

        @Option(names = "--home", required = true, description = "Home directory of the node.")
        Path home;

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        PrintStream out() {
            return ledgerCommand.parent.out();
        }

        void printJson(Map<String, ?> m) {
            out().println(
                            TerminalText.escapeJson(
                                    new GsonBuilder().disableHtmlEscaping().create().toJson(m)));
            out().flush();
        }

        Ledger open() {
            HomePermissions.tighten(home).ifPresent(ledgerCommand.parent.err()::println);
            Home h = new Home(home);
            Path file = h.networkParameters();
            if (!Files.exists(file)) {
                throw new UserError(
                        "No ledger in "
                                + home
                                + ": run a node there first ("
                                + Program.command()
                                + " node --home "
                                + home
                                + " --genesis, or --join HOST:PORT).");
            }
            NetworkParameters params;
            try {
                params = NetworkParameters.decode(Files.readAllBytes(file));
            } catch (IOException e) {
                throw new UserError(Explain.fileProblem("Cannot read " + file, e), e);
            } catch (IllegalArgumentException e) {
                throw new UserError(
                        file
                                + " is damaged ("
                                + escape(e.getMessage())
                                + "): run a node on this home with --join HOST:PORT to fetch the"
                                + " network again.",
                        ExitCode.CORRUPT_DATA,
                        e);
            }
            Ledger ledger;
            try {
                ledger =
                        Ledger.builder(params)
                                .dataDirectory(h.ledger())
                                .name("audit")
                                .readOnly(true)
                                .open();
            } catch (LedgerStorageException e) {
                throw new UserError(
                        Explain.ledgerOpenFailure(home, e), Explain.ledgerOpenExitCode(e), e);
            }
            // What the open found (a torn tail left in place, a stored block left out), on
            // standard error so that standard output stays one JSON object with --json.
            PrintStream err = ledgerCommand.parent.err();
            for (String event : ledger.openReport().events()) {
                err.println("note: " + event);
            }
            err.flush();
            return ledger;
        }

        IdentityRecord find(Ledger ledger, String nameOrId) {
            String s = nameOrId.strip().toLowerCase(Locale.ROOT).replace(" ", "");
            Optional<IdentityRecord> rec;
            if (s.matches("[0-9a-f]{64}")) {
                PeerId id = PeerId.fromHex(s);
                rec = ledger.identity(id);
                if (rec.isEmpty()) {
                    rec = ledger.identityByKey(id);
                }
            } else {
                rec = ledger.identityByName(s);
            }
            return rec.orElseThrow(
                    () ->
                            new UserError(
                                    "No identity named or with the id '"
                                            + nameOrId
                                            + "' on this ledger (height "
                                            + ledger.tip().height()
                                            + ")."));
        }
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            description = "The ledger's tip, height, network and latest blocks.")
    static final class Show extends Base {
        @Override
        public Integer call() throws Exception {
            try (Ledger ledger = open()) {
                NetworkParameters p = ledger.parameters();
                ChainTip tip = ledger.tip();
                List<Map<String, Object>> recent = new ArrayList<>();
                for (long h = tip.height(); h >= Math.max(1, tip.height() - 9); h--) {
                    BlockHeader header = ledger.headerAt(h).orElseThrow();
                    Map<String, Object> b = new LinkedHashMap<>();
                    b.put("height", h);
                    b.put("hash", header.hash().toHex());
                    b.put("time", Instant.ofEpochMilli(header.timestampMillis()).toString());
                    b.put("transactions", transactions(ledger, header));
                    recent.add(b);
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("height", tip.height());
                m.put("tip", tip.hash().toHex());
                m.put("network", p.name());
                m.put("network_id", p.networkIdHex());
                m.put("genesis", p.genesis().hash().toHex());
                m.put("genesis_time", Instant.ofEpochMilli(p.genesisTimeMillis()).toString());
                m.put("total_work", tip.totalWork().toString());
                m.put("identities", ledger.identityCount());
                m.put("confirmations", p.confirmations());
                m.put("block_interval_ms", p.targetBlockInterval().toMillis());
                m.put("recent_blocks", recent);
                if (json) {
                    printJson(m);
                    return 0;
                }
                PrintStream o = out();
                o.println("network:     '" + escape(p.name()) + "' " + p.networkIdHex());
                o.println("genesis:     " + m.get("genesis_time"));
                o.println("height:      " + tip.height());
                o.println("tip:         " + tip.hash().toHex());
                o.println("total work:  " + tip.totalWork() + " hashes (expected)");
                o.println("identities:  " + ledger.identityCount());
                o.println("blocks (newest first):");
                for (Map<String, Object> b : recent) {
                    o.printf(
                            "  #%-6s %s  %s  %s%n",
                            b.get("height"),
                            ((String) b.get("hash")).substring(0, 16),
                            b.get("time"),
                            Words.count((int) b.get("transactions"), "transaction"));
                }
                return 0;
            }
        }

        private static int transactions(Ledger ledger, BlockHeader header) throws Exception {
            Optional<byte[]> block = ledger.block(header.hash()).get(30, TimeUnit.SECONDS);
            return block.isEmpty() ? -1 : Block.parseFrom(block.get()).getTransactionsCount();
        }
    }

    @Command(
            name = "verify",
            mixinStandardHelpOptions = true,
            description =
                    "Re-validate the whole chain from genesis: every header, proof of work, Merkle"
                            + " root and signature. Exits non-zero on any fault.")
    static final class Verify extends Base {
        @Override
        public Integer call() throws Exception {
            long start = System.nanoTime();
            try (Ledger ledger = open()) {
                ChainTip tip = ledger.tip();
                try {
                    long blocks = ledger.verifyFully().get(10, TimeUnit.MINUTES);
                    long ms = (System.nanoTime() - start) / 1_000_000;
                    if (json) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("ok", true);
                        m.put("blocks", blocks);
                        m.put("height", tip.height());
                        m.put("tip", tip.hash().toHex());
                        m.put("identities", ledger.identityCount());
                        m.put("elapsed_ms", ms);
                        printJson(m);
                    } else {
                        out().println(
                                        "OK: "
                                                + Words.count(blocks, "block")
                                                + " re-validated from genesis to "
                                                + tip.hash().toHex()
                                                + " (height "
                                                + tip.height()
                                                + "): every header, proof of work, Merkle root and"
                                                + " transaction signature; the identity state ("
                                                + Words.count(
                                                        ledger.identityCount(),
                                                        "identity",
                                                        "identities")
                                                + ") equals a rebuild, in "
                                                + ms
                                                + " ms");
                    }
                    return 0;
                } catch (ExecutionException e) {
                    // An InvalidBlockException's message starts with its reason: "REASON: ...".
                    Throwable t = Explain.unwrap(e);
                    String why = t.getMessage();
                    if (json) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("ok", false);
                        m.put("error", why);
                        printJson(m);
                    }
                    throw new UserError("VERIFICATION FAILED: " + why, ExitCode.CORRUPT_DATA, t);
                }
            }
        }
    }

    @Command(
            name = "whois",
            mixinStandardHelpOptions = true,
            description = "An identity on the ledger, by name or peer id.")
    static final class Whois extends Base {
        @Parameters(paramLabel = "NAME-OR-ID", description = "A display name or a 64-hex peer id.")
        String target;

        @Override
        public Integer call() {
            try (Ledger ledger = open()) {
                IdentityRecord rec = find(ledger, target);
                PeerId lookedUp = Identities.peerIdOrNull(target);
                if (json) {
                    printJson(Identities.toJson(rec, ledger, lookedUp));
                } else {
                    out().println(Identities.describe(rec, ledger, lookedUp));
                }
                return 0;
            }
        }
    }

    @Command(
            name = "proof",
            mixinStandardHelpOptions = true,
            description =
                    "The certificate of an identity's current key: the transaction that installed"
                            + " it, its block, and the Merkle inclusion proof, verified.")
    static final class Proof extends Base {
        @Parameters(paramLabel = "NAME-OR-ID", description = "A display name or a 64-hex peer id.")
        String target;

        @Override
        public Integer call() throws Exception {
            try (Ledger ledger = open()) {
                IdentityRecord rec = find(ledger, target);
                Optional<LedgerCertificate> cert =
                        ledger.certificate(rec.currentKeyId()).get(30, TimeUnit.SECONDS);
                if (cert.isEmpty()) {
                    throw new UserError(
                            "No certificate: "
                                    + (rec.revoked()
                                            ? "the identity is revoked."
                                            : "its key's block is not stored here."));
                }
                Certificates checked = Certificates.check(cert.get(), ledger, rec);
                LedgerCertificate c = checked.certificate();
                boolean ok = checked.ok();
                String verdict = checked.verdict();
                List<String> path = checked.path();
                BlockHeader h = c.blockHeader();
                long conf = ledger.confirmations(c.blockHash());
                if (json) {
                    printJson(checked.toJson(rec, ledger));
                } else {
                    PrintStream o = out();
                    o.println(
                            "certificate of "
                                    + rec.displayName().map(n -> "'" + escape(n) + "' ").orElse("")
                                    + rec.id().toHex());
                    o.println("  key:          " + rec.currentKeyId().toHex());
                    o.println(
                            "  block:        #"
                                    + h.height()
                                    + " "
                                    + c.blockHash().toHex()
                                    + " ("
                                    + Words.count(conf, "confirmation")
                                    + ")");
                    o.println("  merkle root:  " + HexFormat.of().formatHex(h.merkleRoot()));
                    o.println(
                            "  transaction:  "
                                    + (c.txIndex() + 1)
                                    + " of "
                                    + c.txCount()
                                    + " in the block, "
                                    + c.transaction().length
                                    + " bytes");
                    o.println(
                            "  proof:        "
                                    + Words.count(path.size(), "hash", "hashes")
                                    + ", leaf to root");
                    for (String p : path) {
                        o.println("                " + p);
                    }
                    o.println("  " + escape(verdict));
                }
                return ok ? ExitCode.OK.code() : ExitCode.CORRUPT_DATA.code();
            }
        }
    }
}
