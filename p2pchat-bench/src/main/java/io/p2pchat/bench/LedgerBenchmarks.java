package io.p2pchat.bench;

import io.p2pchat.channel.CertificateSource;
import io.p2pchat.channel.PeerVerifier;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.ledger.IdentityTransactions;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.LedgerCertificateSource;
import io.p2pchat.ledger.LedgerPeerVerifier;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.RegisteredAddress;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.ledger.testing.LedgerPerf;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The ledger figures of the bench, measured through the public ledger and node API by the same
 * fixtures and runs as p2pchat-core's opt-in {@code LedgerPerformanceTest} ({@link LedgerPerf},
 * from that module's test jar), and the ledger certificate authority of the p2pchat handshakes.
 *
 * <ul>
 *   <li>{@code ledger_blocks_validated_per_s}: blocks of one registration each (every RSA signature
 *       verified) submitted with {@code Ledger.submitBlock} to a new in-memory ledger; median of
 *       the rounds.
 *   <li>{@code ledger_sync_10k_registrations_s}: a new node joins a node holding 10,000
 *       registrations (20 blocks of 500) over loopback, from {@code Node.join} to equal tips;
 *       median of the runs.
 *   <li>{@code ledger_reopen_100k_identities_s}: {@code Ledger.open()} of a data directory of
 *       100,000 identities in a fresh child JVM (a node starting), state snapshot present; median
 *       of the runs. Also the same without the snapshot ({@code _rebuild_s}) and in this warm JVM
 *       ({@code _warm_s}).
 *   <li>{@code ca_verifications_per_s}: {@link LedgerPeerVerifier#verify} of registered peers with
 *       their stapled certificates, on one thread, against that 100,000-identity ledger.
 * </ul>
 *
 * Signed registrations (RSA-2048, minutes for 100,000) and the reopened data directory are kept in
 * {@code p2pchat-bench/target/ledger-fixtures} (or {@code -Dbench.ledgerFixtures=DIR}); a first run
 * signs what is missing, and stops signing at its deadline so that the suite stays bounded (the
 * figures then say they are of smaller fixtures, and the next run goes on from the cache). The
 * quick profile uses smaller fixtures and says so.
 */
final class LedgerBenchmarks implements LedgerHook {
    /** Registrations per block of the synced chain, as in LedgerPerformanceTest. */
    static final int SYNC_PER_BLOCK = 500;

    /** Time kept for the measurements after the fixture work, of the suite's deadline. */
    private static long measureReserveSeconds(BenchProfile profile) {
        return profile == BenchProfile.FULL ? 90 : 25;
    }

    private volatile String note = "not run";
    private PrintStream log = System.err;
    private Ledger ca;
    private LedgerPeerVerifier verifier;

    @Override
    public String note() {
        return note;
    }

    // ---------------------------------------------------------------- the handshakes' CA

    @Override
    public void enroll(List<LocalIdentity> identities) throws Exception {
        ca = Ledger.builder(LedgerPerf.PARAMS).name("bench-ca").open();
        IdentityTransactions txs = IdentityTransactions.forNetwork(LedgerPerf.PARAMS);
        for (LocalIdentity id : identities) {
            LedgerTransaction reg =
                    txs.register(
                            id,
                            List.of(new RegisteredAddress("127.0.0.1", 1, Long.MAX_VALUE)),
                            null);
            TxResult r = ca.submitTransaction(reg).get(1, TimeUnit.MINUTES);
            if (r.status() != TxResult.Status.ACCEPTED) {
                throw new IllegalStateException("registration refused: " + r);
            }
        }
        // The registrations' block and k - 1 more: exactly k confirmations.
        ca.miner().mineBlocks(LedgerPerf.PARAMS.confirmations()).get(2, TimeUnit.MINUTES);
        verifier = LedgerPeerVerifier.builder(ca).build();
        for (LocalIdentity id : identities) {
            long conf =
                    ca.confirmations(
                            ca.identity(id.peerId()).orElseThrow().currentKeyRecord().block());
            if (conf < verifier.confirmations()) {
                throw new IllegalStateException("identity confirmed by " + conf + " blocks only");
            }
        }
    }

    @Override
    public Optional<PeerVerifier> verifier() {
        return Optional.ofNullable(verifier);
    }

    @Override
    public Optional<CertificateSource> certificateSource(LocalIdentity identity) {
        return ca == null
                ? Optional.empty()
                : Optional.of(LedgerCertificateSource.of(ca, identity.peerId()));
    }

    @Override
    public void close() {
        if (ca != null) {
            ca.close();
            ca = null;
        }
    }

    // ---------------------------------------------------------------- the figures

    @Override
    public Map<String, Double> run(BenchProfile profile, long deadlineNanos, PrintStream log)
            throws Exception {
        this.log = log;
        BenchProfile.LedgerSizes z = profile.ledger();
        boolean temporary = profile == BenchProfile.SMOKE;
        Path dir = temporary ? Files.createTempDirectory("bench-ledger") : fixturesDirectory();
        try {
            return measure(profile, z, dir, deadlineNanos);
        } finally {
            if (temporary) {
                LedgerPerf.deleteRecursively(dir);
            }
        }
    }

    private Map<String, Double> measure(
            BenchProfile profile, BenchProfile.LedgerSizes z, Path dir, long deadlineNanos)
            throws Exception {
        int wanted =
                Math.max(z.reopenIdentities(), Math.max(z.syncRegistrations(), z.validateBlocks()));
        // The smoke profile's fixtures are tiny: no deadline. Otherwise signing stops in time.
        long signDeadline =
                profile == BenchProfile.SMOKE
                        ? Long.MAX_VALUE
                        : deadlineNanos - TimeUnit.SECONDS.toNanos(measureReserveSeconds(profile));
        long t = System.nanoTime();
        List<LedgerTransaction> regs =
                LedgerPerf.cachedRegistrations(
                        dir.resolve("registrations.bin"), wanted, signDeadline);
        log("%d signed registrations ready in %.1f s", regs.size(), (System.nanoTime() - t) / 1e9);
        if (regs.size() < 100) {
            throw new IllegalStateException(
                    "only "
                            + regs.size()
                            + " signed registrations before the deadline: too few to measure");
        }
        int validate = Math.min(z.validateBlocks(), regs.size());
        int sync = Math.min(z.syncRegistrations(), regs.size());
        int reopen = Math.min(z.reopenIdentities(), regs.size());
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("ledger_validate_blocks", (double) validate);
        m.put("ledger_sync_registrations", (double) sync);
        m.put("ledger_reopen_identities", (double) reopen);

        // Blocks validated per second.
        List<byte[]> ones = LedgerPerf.serializedBlocks(regs.subList(0, validate), 1);
        // One discarded round first: the validation path JIT-compiles before it is measured.
        LedgerPerf.blocksValidatedPerSecond(ones);
        double[] rates = new double[z.validateRuns()];
        for (int r = 0; r < rates.length; r++) {
            rates[r] = LedgerPerf.blocksValidatedPerSecond(ones);
            log("validate round %d: %.0f blocks/s", r + 1, rates[r]);
        }
        m.put("ledger_blocks_validated_per_s", Stats.median(rates));

        // A new node syncs the registrations.
        List<byte[]> synced = LedgerPerf.serializedBlocks(regs.subList(0, sync), SYNC_PER_BLOCK);
        double[] syncs = new double[z.syncRuns()];
        for (int r = 0; r < syncs.length; r++) {
            syncs[r] = LedgerPerf.syncSeconds(synced, sync);
            log("sync round %d: %d registrations in %.2f s", r + 1, sync, syncs[r]);
        }
        m.put("ledger_sync_10k_registrations_s", Stats.median(syncs));

        // Reopen: the data directory (built once, cached), then cold child JVMs.
        t = System.nanoTime();
        Path ledgerDir =
                LedgerPerf.ledgerDirectory(
                        dir.resolve("ledger-" + reopen), regs.subList(0, reopen));
        log("%d-identity data directory ready in %.1f s", reopen, (System.nanoTime() - t) / 1e9);
        // One unrecorded open: writes the snapshot if the directory predates it, warms the page
        // cache as for any restart.
        childOpen(ledgerDir, reopen);
        double[] cold = new double[z.reopenRuns()];
        long snapshotHeight = 0;
        for (int r = 0; r < cold.length; r++) {
            double[] o = childOpen(ledgerDir, reopen);
            cold[r] = o[0];
            snapshotHeight = (long) o[1];
            log("reopen round %d: %.3f s (snapshot at height %d)", r + 1, o[0], snapshotHeight);
        }
        m.put("ledger_reopen_100k_identities_s", Stats.median(cold));
        m.put("ledger_reopen_snapshot_height", (double) snapshotHeight);
        // Without the snapshot (after a crash before any clean close, or a lost snapshot).
        Path snap = ledgerDir.resolve("state.snap");
        Path aside = ledgerDir.resolve("state.snap.bench");
        Files.move(snap, aside, StandardCopyOption.REPLACE_EXISTING);
        try {
            double[] o = childOpen(ledgerDir, reopen);
            log("reopen without snapshot: %.3f s", o[0]);
            m.put("ledger_reopen_100k_identities_rebuild_s", o[0]);
        } finally {
            Files.move(aside, snap, StandardCopyOption.REPLACE_EXISTING);
        }
        double[] warm = new double[2];
        for (int r = 0; r < warm.length; r++) {
            warm[r] = LedgerPerf.reopen(ledgerDir, reopen).seconds();
        }
        m.put("ledger_reopen_100k_identities_warm_s", Stats.median(warm));

        // CA verifications against the reopened ledger.
        try (Ledger l = Ledger.builder(LedgerPerf.PARAMS).dataDirectory(ledgerDir).open()) {
            double v =
                    LedgerPerf.caVerificationsPerSecond(
                            l, regs.subList(0, Math.min(1000, reopen)), z.caMillis());
            log("CA verifications: %.0f /s", v);
            m.put("ca_verifications_per_s", v);
        }

        boolean full = reopen == 100_000 && sync == 10_000 && validate == z.validateBlocks();
        note =
                String.format(
                        Locale.ROOT,
                        "%s: %d blocks of one registration validated, a new node syncs %d"
                                + " registrations, reopen of %d identities (cold child JVM,"
                                + " state snapshot at height %d)%s",
                        profile.name(),
                        validate,
                        sync,
                        reopen,
                        snapshotHeight,
                        full
                                ? ""
                                : "; smaller than the issue's 10k/100k fixtures"
                                        + (regs.size() < wanted
                                                ? " (signing stopped at the suite's deadline;"
                                                        + " run again to complete the cache)"
                                                : ""));
        return m;
    }

    /** Opens {@code dir} in a fresh JVM; returns {seconds, snapshot height}. */
    private static double[] childOpen(Path dir, int identities) throws Exception {
        List<String> cmd =
                ChildJvm.command(
                        List.of(),
                        ReopenPeer.class,
                        dir.toAbsolutePath().toString(),
                        Integer.toString(identities));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line;
        try (BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            line = out.readLine();
        } finally {
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
        }
        if (line == null || !line.startsWith("OPEN ")) {
            throw new IllegalStateException("reopen child said " + line);
        }
        String[] f = line.split(" ");
        return new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2])};
    }

    /**
     * {@code target/ledger-fixtures} next to this jar (or classes), or {@code
     * bench.ledgerFixtures}.
     */
    private static Path fixturesDirectory() throws Exception {
        String configured = System.getProperty("bench.ledgerFixtures");
        if (configured != null) {
            return Paths.get(configured);
        }
        Path code =
                Paths.get(
                        LedgerBenchmarks.class
                                .getProtectionDomain()
                                .getCodeSource()
                                .getLocation()
                                .toURI());
        return code.getParent().resolve("ledger-fixtures");
    }

    private void log(String format, Object... args) {
        log.printf(Locale.ROOT, "[bench] ledger: " + format + "%n", args);
    }
}
