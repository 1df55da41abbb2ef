package io.p2pchat.bench;

import io.p2pchat.channel.CertificateSource;
import io.p2pchat.channel.PeerVerifier;
import io.p2pchat.identity.LocalIdentity;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The ledger's part of the bench: its figures (the keys of {@link #KEYS}), and the ledger
 * certificate authority that the p2pchat handshakes verify against, as issue 5 asks.
 *
 * <p>{@link #load()} returns {@link LedgerBenchmarks}.
 */
public interface LedgerHook extends AutoCloseable {
    /** The JSON keys this hook fills. */
    String[] KEYS = {
        "ledger_blocks_validated_per_s",
        "ledger_sync_10k_registrations_s",
        "ledger_reopen_100k_identities_s",
        "ca_verifications_per_s"
    };

    /**
     * Measures the ledger figures, finishing its fixture work by {@code deadlineNanos} ({@link
     * System#nanoTime()}) so that the suite stays bounded; a key mapped to {@code null} is reported
     * as pending with {@link #note()}. Further keys (details of the figures) may be added. Progress
     * goes to {@code log}.
     */
    Map<String, Double> run(BenchProfile profile, long deadlineNanos, PrintStream log)
            throws Exception;

    /**
     * What the figures of the last {@link #run} are of (fixture sizes), or why some are missing.
     */
    String note();

    /**
     * Registers {@code identities} on the ledger CA and confirms them, so that {@link #verifier()}
     * accepts them and {@link #certificateSource} has their certificates.
     */
    default void enroll(List<LocalIdentity> identities) throws Exception {}

    /** The verifier the p2pchat handshakes use; empty for the harness's pinned-id verifier. */
    default Optional<PeerVerifier> verifier() {
        return Optional.empty();
    }

    /** The certificate {@code identity} presents in handshakes; empty for none. */
    default Optional<CertificateSource> certificateSource(LocalIdentity identity) {
        return Optional.empty();
    }

    @Override
    default void close() {}

    /** The hook of this build: the real ledger benchmarks. */
    static LedgerHook load() {
        return new LedgerBenchmarks();
    }
}
