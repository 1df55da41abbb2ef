package io.p2pchat.bench;

import io.p2pchat.identity.LocalIdentity;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark harness behind {@code ./bench}: runs the JMH ceilings and the loopback figures,
 * prints one table of absolute figures and ratios, and optionally writes them as a flat JSON
 * object.
 *
 * <pre>
 * java -jar p2pchat-bench.jar [--quick | --smoke] [--json FILE] [--only SECTION,...]
 *   sections: ceilings, bulk, rtt, handshake, heap, ledger
 * </pre>
 *
 * Sides are measured interleaved within each round (the order rotates from round to round) and the
 * median of the rounds is reported; ratios are medians of the per-round ratios, so that slow drift
 * of the shared machine cancels out. docs/benchmarks.md explains every figure.
 *
 * <p>Size: a little over 600 lines; it is the harness's one entry point (options, the sides and
 * their rounds, the JSON report), and each part is a short method.
 */
public final class BenchMain {
    /** Every section, in run order. */
    public static final List<String> SECTIONS =
            List.of("ceilings", "bulk", "rtt", "handshake", "heap", "ledger");

    /** The keys every run's JSON holds (null when a section was not run or is pending). */
    public static final List<String> REQUIRED_KEYS =
            List.of(
                    "bulk_mbps_p2pchat",
                    "bulk_mbps_tls_jdk",
                    "bulk_mbps_tls_openssl",
                    "bulk_mbps_plain",
                    "bulk_ratio_vs_tls_jdk",
                    "bulk_ratio_vs_tls_openssl",
                    "bulk_ratio_vs_plain",
                    "bulk_mbps_p2pchat_aes256",
                    "bulk_mbps_p2pchat_ratchet1",
                    "rtt_p50_us_p2pchat",
                    "rtt_p99_us_p2pchat",
                    "rtt_p999_us_p2pchat",
                    "rtt_p99_ratio_vs_tls_jdk",
                    "rtt_p99_ratio_vs_plain",
                    "rtt_p99_ratio_vs_tls_openssl",
                    "handshakes_per_s_p2pchat_1",
                    "handshakes_per_s_p2pchat_2",
                    "handshake_ratio_vs_tls_jdk_2",
                    "handshake_ratio_vs_tls_openssl_2",
                    "handshakes_per_s_p2pchat_dc_2",
                    "handshake_dc_ratio_vs_tls_openssl_2",
                    "handshakes_per_s_p2pchat_resumed_2",
                    "handshake_resumed_ratio_vs_tls_openssl_2",
                    "reconnect_p50_us_p2pchat_resumed",
                    "heap_bytes_per_idle_session",
                    "ledger_blocks_validated_per_s",
                    "ledger_sync_10k_registrations_s",
                    "ledger_reopen_100k_identities_s",
                    "ca_verifications_per_s",
                    "ceiling_aes128gcm_seal_16k_mbps",
                    "ceiling_rsa3072_sign_per_s",
                    "ceiling_rsa3072_verify_per_s",
                    "ceiling_x25519_bc_per_s",
                    "ceiling_x25519_jdk_per_s",
                    "ceiling_mlkem768_encaps_per_s",
                    "ceiling_mlkem768_decaps_per_s",
                    "record_seal_64b_ns",
                    "record_open_64b_ns",
                    "record_seal_16k_mbps",
                    "record_open_16k_mbps");

    private static final List<Side> BULK_SIDES =
            List.of(
                    Side.PLAIN,
                    Side.TLS_JDK,
                    Side.TLS_OPENSSL,
                    Side.P2PCHAT,
                    Side.P2PCHAT_AES256,
                    Side.P2PCHAT_RATCHET1);
    private static final List<Side> RTT_SIDES =
            List.of(Side.PLAIN, Side.TLS_JDK, Side.TLS_OPENSSL, Side.P2PCHAT);
    private static final List<Side> HANDSHAKE_SIDES =
            List.of(
                    Side.P2PCHAT,
                    Side.P2PCHAT_DC,
                    Side.P2PCHAT_RESUMED,
                    Side.P2PCHAT_X25519,
                    Side.TLS_JDK,
                    Side.TLS_OPENSSL);
    private static final List<Side> ANCHORS = List.of(Side.TLS_JDK, Side.TLS_OPENSSL, Side.PLAIN);

    /** For profiling one side alone ({@code --sides p2pchat}); null runs every side. */
    private static Set<String> sideFilter;

    private final BenchProfile profile;
    private final Set<String> sections;
    private final PrintStream log;
    private final Results results = new Results();

    private BenchMain(BenchProfile profile, Set<String> sections, PrintStream log) {
        this.profile = profile;
        this.sections = sections;
        this.log = log;
    }

    /** Command-line entry point. */
    public static void main(String[] args) throws Exception {
        BenchProfile profile = BenchProfile.FULL;
        Path json = null;
        Set<String> sections = new LinkedHashSet<>(SECTIONS);
        Set<String> onlySides = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick":
                    profile = BenchProfile.QUICK;
                    break;
                case "--smoke":
                    profile = BenchProfile.SMOKE;
                    break;
                case "--json":
                    if (i + 1 >= args.length) {
                        usage("--json needs a file");
                    }
                    json = Paths.get(args[++i]);
                    break;
                case "--only":
                    if (i + 1 >= args.length) {
                        usage("--only needs a list of sections");
                    }
                    sections = new LinkedHashSet<>(Arrays.asList(args[++i].split(",")));
                    if (!SECTIONS.containsAll(sections)) {
                        usage("unknown section in " + sections + " (expected: " + SECTIONS + ")");
                    }
                    break;
                case "--sides":
                    if (i + 1 >= args.length) {
                        usage("--sides needs a list of sides");
                    }
                    onlySides = new LinkedHashSet<>(Arrays.asList(args[++i].split(",")));
                    break;
                case "-h":
                case "--help":
                    usage(null);
                    break;
                default:
                    usage("unknown argument: " + args[i]);
            }
        }
        if (onlySides != null) {
            sideFilter = onlySides;
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BenchMain bench =
                new BenchMain(
                        profile,
                        sections,
                        new PrintStream(System.err, true, StandardCharsets.UTF_8));
        Path jsonFile = json;
        // If ./bench's time limit stops the run (a very loaded machine), still print and write
        // what was measured; figures not reached are null with a note.
        Thread partial =
                new Thread(
                        () -> {
                            if (!bench.finished) {
                                bench.log.println(
                                        "[bench] stopped by the time limit: partial results");
                                bench.fillMissing("not reached: stopped by the time limit");
                                report(out, bench.results, jsonFile);
                            }
                        });
        Runtime.getRuntime().addShutdownHook(partial);
        Results r = bench.runAll();
        bench.finished = true;
        report(out, r, jsonFile);
        System.exit(0);
    }

    private static void report(PrintStream out, Results r, Path json) {
        out.print(Table.render(r));
        if (json != null) {
            try {
                r.writeJson(json);
                out.println("JSON written to " + json);
            } catch (IOException e) {
                out.println("JSON not written: " + e);
            }
        }
    }

    private volatile boolean finished;

    /** Required keys not measured get a pending note. */
    private void fillMissing(String note) {
        for (String key : REQUIRED_KEYS) {
            if (!results.asMap().containsKey(key)) {
                results.putPending(key, note);
            }
        }
    }

    private static void usage(String error) {
        PrintStream err = System.err;
        if (error != null) {
            err.println("bench: " + error);
        }
        err.println(
                "usage: bench [--quick | --smoke] [--json FILE] [--only SECTION,...] [--sides"
                        + " SIDE,...]\n"
                        + "  sections: "
                        + String.join(", ", SECTIONS));
        System.exit(error == null ? 0 : 2);
    }

    /**
     * Runs {@code sections} with {@code profile} and returns every figure; keys of sections not run
     * are present with {@code null}. Progress goes to {@code log}.
     */
    public static Results run(BenchProfile profile, Set<String> sections, PrintStream log)
            throws Exception {
        return new BenchMain(profile, sections, log).runAll();
    }

    private Results runAll() throws Exception {
        try (LedgerHook ledger = LedgerHook.load()) {
            return runAll(ledger);
        }
    }

    /** The time a profile's run must end by (./bench kills it a little later). */
    private static long limitSeconds(BenchProfile profile) {
        if (profile == BenchProfile.FULL) {
            return 900;
        }
        return profile == BenchProfile.QUICK ? 180 : 120;
    }

    /** Seconds the ledger figures may take, fixtures included. */
    private long ledgerBudget() {
        if (profile == BenchProfile.FULL) {
            return 360;
        }
        return profile == BenchProfile.QUICK ? 50 : 30;
    }

    private Results runAll(LedgerHook ledger) throws Exception {
        long start = System.nanoTime();
        // Fixture work stops in time for the results to be written before ./bench's limit.
        long deadline = start + TimeUnit.SECONDS.toNanos(limitSeconds(profile) - 15);
        context();
        if (sections.contains("ceilings")) {
            log.println("[bench] JMH ceilings (" + profile.name() + ")");
            Ceilings.run(profile, results);
        }
        // The ledger runs before the loopback figures, within its own share of the time limit, so
        // that building its fixtures on a first run cannot crowd out the headline figures.
        long ledgerDeadline =
                Math.min(deadline, System.nanoTime() + TimeUnit.SECONDS.toNanos(ledgerBudget()));
        try {
            ledger(ledger, ledgerDeadline);
        } catch (RuntimeException e) {
            log.println("[bench] ledger failed: " + e);
            for (String key : LedgerHook.KEYS) {
                results.putPending(key, "failed: " + e.getMessage());
            }
        }
        boolean loopback =
                sections.contains("bulk")
                        || sections.contains("rtt")
                        || sections.contains("handshake")
                        || sections.contains("heap");
        if (loopback) {
            log.println("[bench] generating RSA-3072 identities");
            SecureRandom random = new SecureRandom();
            LocalIdentity server = LocalIdentity.generate(3072, random);
            LocalIdentity client = LocalIdentity.generate(3072, random);
            log.println("[bench] registering both identities on the handshakes' ledger CA");
            ledger.enroll(List.of(server, client));
            Endpoints ep = new Endpoints(server, client, ledger);
            log.println("[bench] JIT warm-up of AES-GCM");
            double rate =
                    JitWarmup.run(
                            io.netty.buffer.ByteBufAllocator.DEFAULT,
                            Math.min(3000, profile.warmupPassMillis()),
                            Math.min(20_000, 10 * profile.warmupPassMillis()));
            log.printf(
                    Locale.ROOT, "[bench] AES-GCM records after warm-up: %.0f MB/s%n", rate / 1e6);
            try (Loopback loop = new Loopback()) {
                if (sections.contains("bulk")) {
                    bulk(loop, ep);
                }
                if (sections.contains("rtt")) {
                    rtt(loop, ep);
                }
                if (sections.contains("handshake")) {
                    handshakes(loop, ep, ledger);
                }
                if (sections.contains("heap")) {
                    heap(loop, ep);
                }
            }
        }
        derived();
        for (String key : REQUIRED_KEYS) {
            if (!results.asMap().containsKey(key)) {
                results.put(key, Double.NaN);
            }
        }
        results.put("run_seconds", Math.round((System.nanoTime() - start) / 1e9));
        return results;
    }

    private void context() {
        results.putText("profile", profile.name());
        results.putText("cpu", cpuModel());
        results.put("cores", Runtime.getRuntime().availableProcessors());
        results.putText(
                "jdk",
                System.getProperty("java.vm.name")
                        + " "
                        + System.getProperty("java.runtime.version"));
        results.putText(
                "jvm_flags",
                String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        results.putText("openssl", Endpoints.openSslStatus());
        machine(results);
        results.putText(
                "units",
                "mbps = 10^6 bytes of application payload per second; us = microseconds;"
                        + " ratios = p2pchat / anchor (median of per-round ratios)");
    }

    // ---------------------------------------------------------------- bulk

    private void bulk(Loopback loop, Endpoints ep) throws Exception {
        List<Side> sides = available(ep, BULK_SIDES);
        log.println("[bench] bulk 16 KiB: warm-up");
        for (Side s : sides) {
            // Unrecorded; warms up until steady, up to 4 warm-up passes long.
            BulkBench.run(
                    loop,
                    ep,
                    s,
                    profile.warmupPassMillis(),
                    4 * profile.warmupPassMillis(),
                    profile.bulkWarmupMillis());
        }
        Map<Side, double[]> rounds = new EnumMap<>(Side.class);
        Map<Side, double[]> perCpu = new EnumMap<>(Side.class);
        for (int r = 0; r < profile.rounds(); r++) {
            for (Side s : rotate(sides, r)) {
                BulkBench.Bulk v =
                        BulkBench.run(
                                loop,
                                ep,
                                s,
                                profile.bulkWarmupMillis(),
                                profile.bulkMeasureMillis());
                rounds.computeIfAbsent(s, k -> new double[profile.rounds()])[r] = v.mbps();
                perCpu.computeIfAbsent(s, k -> new double[profile.rounds()])[r] =
                        v.mbPerCpuSecond();
                log.printf(
                        Locale.ROOT,
                        "[bench] bulk round %d %-18s %9.1f MB/s %9.1f MB per CPU-second%n",
                        r + 1,
                        s.label(),
                        v.mbps(),
                        v.mbPerCpuSecond());
            }
        }
        for (Side s : BULK_SIDES) {
            double[] v = rounds.get(s);
            results.put("bulk_mbps_" + s.key(), v == null ? Double.NaN : Stats.median(v));
            results.put(
                    "bulk_noise_pct_" + s.key(),
                    v == null ? Double.NaN : 100 * Stats.halfSpread(v));
            results.put("bulk_mb_per_cpu_s_" + s.key(), median(perCpu.get(s)));
        }
        for (Side a : ANCHORS) {
            results.put("bulk_ratio_vs_" + a.key(), roundRatio(rounds, Side.P2PCHAT, a, false));
            results.put(
                    "bulk_aes256_ratio_vs_" + a.key(),
                    roundRatio(rounds, Side.P2PCHAT_AES256, a, false));
            results.put(
                    "bulk_ratchet1_ratio_vs_" + a.key(),
                    roundRatio(rounds, Side.P2PCHAT_RATCHET1, a, false));
            results.put("bulk_cpu_ratio_vs_" + a.key(), roundRatio(perCpu, Side.P2PCHAT, a, false));
        }
    }

    // ---------------------------------------------------------------- rtt

    private void rtt(Loopback loop, Endpoints ep) throws Exception {
        List<Side> sides = available(ep, RTT_SIDES);
        log.println("[bench] ping-pong 100 B: warm-up");
        for (Side s : sides) {
            RttBench.run(loop, ep, s, 0, profile.warmupPassMillis());
        }
        Map<Side, double[]> p50 = new EnumMap<>(Side.class);
        Map<Side, double[]> p99 = new EnumMap<>(Side.class);
        Map<Side, double[]> p999 = new EnumMap<>(Side.class);
        for (int r = 0; r < profile.rounds(); r++) {
            for (Side s : rotate(sides, r)) {
                RttBench.Rtt v =
                        RttBench.run(
                                loop, ep, s, profile.rttWarmupMillis(), profile.rttMeasureMillis());
                p50.computeIfAbsent(s, k -> new double[profile.rounds()])[r] = v.p50();
                p99.computeIfAbsent(s, k -> new double[profile.rounds()])[r] = v.p99();
                p999.computeIfAbsent(s, k -> new double[profile.rounds()])[r] = v.p999();
                log.printf(
                        Locale.ROOT,
                        "[bench] rtt round %d %-18s p50 %6.1f p99 %6.1f p999 %7.1f us (%d"
                                + " samples)%n",
                        r + 1,
                        s.label(),
                        v.p50(),
                        v.p99(),
                        v.p999(),
                        v.samples());
            }
        }
        for (Side s : RTT_SIDES) {
            results.put("rtt_p50_us_" + s.key(), median(p50.get(s)));
            results.put("rtt_p99_us_" + s.key(), median(p99.get(s)));
            results.put("rtt_p999_us_" + s.key(), median(p999.get(s)));
        }
        for (Side a : ANCHORS) {
            results.put("rtt_p50_ratio_vs_" + a.key(), roundRatio(p50, Side.P2PCHAT, a, false));
            results.put("rtt_p99_ratio_vs_" + a.key(), roundRatio(p99, Side.P2PCHAT, a, false));
        }
    }

    // ---------------------------------------------------------------- handshakes

    private void handshakes(Loopback loop, Endpoints ep, LedgerHook ledger) throws Exception {
        List<Side> sides = available(ep, HANDSHAKE_SIDES);
        results.putText(
                "handshake_verifier",
                ledger.verifier().isPresent()
                        ? "ledger CA: LedgerPeerVerifier (k confirmations) with stapled"
                                + " LedgerCertificates"
                        : "pinned peer id");
        // The handshake path runs much code once per handshake (protobuf, Bouncy Castle's X25519
        // and ML-KEM, HKDF, Netty's channel set-up): C2 needs a few thousand handshakes to settle,
        // and on 2 cores it otherwise competes with the handshakes it compiles
        // (docs/benchmarks.md).
        int warmup = Math.max(profile.handshakeWarmupMillis(), 3 * profile.warmupPassMillis());
        log.println("[bench] handshakes: warm-up, " + warmup + " ms per side");
        for (Side s : sides) {
            HandshakeBench.run(loop, ep, s, 2, profile.handshakeWarmupMillis(), warmup);
        }
        long failures = 0;
        for (int clients = 1; clients <= 2; clients++) {
            Map<Side, double[]> rounds = new EnumMap<>(Side.class);
            for (int r = 0; r < profile.rounds(); r++) {
                for (Side s : rotate(sides, r)) {
                    HandshakeBench.Rate v =
                            HandshakeBench.run(
                                    loop,
                                    ep,
                                    s,
                                    clients,
                                    profile.handshakeWarmupMillis(),
                                    profile.handshakeMeasureMillis());
                    failures += v.failures();
                    rounds.computeIfAbsent(s, k -> new double[profile.rounds()])[r] = v.perSecond();
                    log.printf(
                            Locale.ROOT,
                            "[bench] handshakes round %d %-18s %d client(s) %7.1f /s%n",
                            r + 1,
                            s.label(),
                            clients,
                            v.perSecond());
                }
            }
            for (Side s : HANDSHAKE_SIDES) {
                results.put("handshakes_per_s_" + s.key() + "_" + clients, median(rounds.get(s)));
            }
            for (Side a : List.of(Side.TLS_JDK, Side.TLS_OPENSSL)) {
                results.put(
                        "handshake_ratio_vs_" + a.key() + "_" + clients,
                        roundRatio(rounds, Side.P2PCHAT, a, false));
                results.put(
                        "handshake_x25519_ratio_vs_" + a.key() + "_" + clients,
                        roundRatio(rounds, Side.P2PCHAT_X25519, a, false));
                results.put(
                        "handshake_dc_ratio_vs_" + a.key() + "_" + clients,
                        roundRatio(rounds, Side.P2PCHAT_DC, a, false));
                results.put(
                        "handshake_resumed_ratio_vs_" + a.key() + "_" + clients,
                        roundRatio(rounds, Side.P2PCHAT_RESUMED, a, false));
            }
        }
        results.put("handshake_failures", failures);
        reconnects(loop, ep);
    }

    /** Connect-to-first-byte latency of resumed reconnects (issue 14). */
    private void reconnects(Loopback loop, Endpoints ep) throws Exception {
        double[] p50 = new double[profile.rounds()];
        for (int r = 0; r < profile.rounds(); r++) {
            ReconnectBench.Latency v =
                    ReconnectBench.run(
                            loop, ep, Side.P2PCHAT_RESUMED, profile.handshakeMeasureMillis());
            p50[r] = v.p50();
            log.printf(
                    Locale.ROOT,
                    "[bench] reconnect round %d resumed p50 %7.1f us (%d samples, %d resumed)%n",
                    r + 1,
                    v.p50(),
                    v.samples(),
                    v.resumed());
        }
        results.put("reconnect_p50_us_p2pchat_resumed", median(p50));
    }

    // ---------------------------------------------------------------- heap

    private void heap(Loopback loop, Endpoints ep) throws Exception {
        int[] counts = profile.heapSessions();
        log.println("[bench] idle-session heap: " + Arrays.toString(counts));
        Map<Integer, Double> p2p = HeapBench.run(loop, ep, Side.P2PCHAT, counts);
        Map<Integer, Double> plain = HeapBench.run(loop, ep, Side.PLAIN, new int[] {counts[0]});
        double last = Double.NaN;
        for (Map.Entry<Integer, Double> e : p2p.entrySet()) {
            results.put("heap_bytes_per_idle_session_" + label(e.getKey()), e.getValue());
            last = e.getValue();
        }
        results.put("heap_bytes_per_idle_session", last);
        results.putText("heap_sessions", Arrays.toString(counts) + " (figure = the largest count)");
        results.put("heap_bytes_per_idle_session_plain_" + label(counts[0]), plain.get(counts[0]));
    }

    private static String label(int count) {
        return count % 1000 == 0 ? (count / 1000) + "k" : Integer.toString(count);
    }

    // ---------------------------------------------------------------- ledger

    private void ledger(LedgerHook ledger, long deadline) throws Exception {
        if (!sections.contains("ledger")) {
            if (!results.asMap().containsKey(LedgerHook.KEYS[0])) {
                for (String key : LedgerHook.KEYS) {
                    results.putPending(key, "not run (--only)");
                }
            }
            return;
        }
        log.println("[bench] ledger (" + profile.name() + ")");
        Map<String, Double> figures = ledger.run(profile, deadline, log);
        for (Map.Entry<String, Double> e : figures.entrySet()) {
            if (e.getValue() != null) {
                results.put(e.getKey(), e.getValue());
            }
        }
        for (String key : LedgerHook.KEYS) {
            if (figures.get(key) == null) {
                results.putPending(key, ledger.note());
            }
        }
        results.putText("ledger_note", ledger.note());
    }

    // ---------------------------------------------------------------- derived

    private void derived() {
        double sign = results.get("ceiling_rsa3072_sign_per_s");
        double cores = results.get("cores");
        // Two RSA-3072 signatures per mutual handshake, one per side, on every core.
        results.put("handshake_ceiling_rsa_sign_per_s", sign * cores / 2);
        results.putRatio(
                "handshake_fraction_of_rsa_ceiling_2",
                "handshakes_per_s_p2pchat_2",
                "handshake_ceiling_rsa_sign_per_s");
        double aes = results.get("ceiling_aes128gcm_seal_16k_mbps");
        results.put("bulk_fraction_of_aes_ceiling", results.get("bulk_mbps_p2pchat") / aes);
    }

    // ---------------------------------------------------------------- helpers

    private static List<Side> available(Endpoints ep, List<Side> sides) {
        List<Side> out = new ArrayList<>();
        if (sideFilter != null) {
            // An explicit --sides list may name experiment sides outside the default lists.
            sides = Arrays.asList(Side.values());
        }
        for (Side s : sides) {
            if (ep.available(s) && (sideFilter == null || sideFilter.contains(s.key()))) {
                out.add(s);
            }
        }
        return out;
    }

    /** {@code sides} rotated by {@code round}, so that no side always runs first. */
    private static List<Side> rotate(List<Side> sides, int round) {
        List<Side> out = new ArrayList<>(sides);
        java.util.Collections.rotate(out, -round % Math.max(1, sides.size()));
        return out;
    }

    private static double median(double[] v) {
        return v == null ? Double.NaN : Stats.median(v);
    }

    /** Median over rounds of {@code mine[r] / anchor[r]}. */
    private static double roundRatio(
            Map<Side, double[]> rounds, Side mine, Side anchor, boolean invert) {
        double[] a = rounds.get(mine);
        double[] b = rounds.get(anchor);
        if (a == null || b == null) {
            return Double.NaN;
        }
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = invert ? b[i] / a[i] : a[i] / b[i];
        }
        return Stats.median(r);
    }

    /**
     * The machine and JVM the figures belong to (issue 14): the CPU model and the AES-GCM features
     * its flags offer (which decide the JDK's and BoringSSL's AES-GCM code paths), the Java version
     * and vendor that ran every side, and the ML-KEM-768 provider p2pchat chose on it.
     */
    static void machine(Results results) {
        results.putText("cpu_model", cpuModel());
        results.putText("cpu_aes_features", cpuAesFeatures());
        results.putText("java_version", System.getProperty("java.runtime.version"));
        results.putText("java_vendor", System.getProperty("java.vendor"));
        results.putText("java_vm", System.getProperty("java.vm.name"));
        results.putText("mlkem768_provider", io.p2pchat.crypto.MlKem768.provider());
    }

    /** Which of the CPU flags that AES-GCM code paths key on this CPU has, from /proc/cpuinfo. */
    private static String cpuAesFeatures() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    Set<String> flags =
                            Set.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
                    List<String> present = new ArrayList<>();
                    for (String f :
                            List.of("aes", "pclmulqdq", "avx2", "avx512f", "vaes", "vpclmulqdq")) {
                        if (flags.contains(f)) {
                            present.add(f);
                        }
                    }
                    return String.join(" ", present);
                }
            }
        } catch (IOException e) {
            // not Linux: fall through
        }
        return "unknown";
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }
}
