package io.p2pchat.bench;

import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.verify.CertificateSource;
import io.p2pchat.verify.PeerVerifier;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * <b>HOOK for the ledger certificate authority</b> (branch {@code ledger}, not merged yet).
 *
 * <p>When the ledger lands, implement this interface in a class {@code LedgerBenchmarks} that:
 *
 * <ol>
 *   <li>measures, with the real ledger, every key of {@link #KEYS} (blocks validated per second,
 *       seconds to sync 10k registrations into a new node, seconds to reopen a 100k-identity
 *       ledger, CA certificate verifications per second) and returns them from {@link #run};
 *   <li>returns from {@link #verifier()} and {@link #certificateSource} the ledger CA's verifier
 *       and each identity's ledger certificate, so that the handshake figures include the ledger-CA
 *       verification, as issue 5 asks;
 * </ol>
 *
 * then return it from {@link #load()}. Until then {@link #load()} returns the pending hook, whose
 * figures are {@code null} with a "pending" note, and the handshakes use a pinned-id verifier.
 */
public interface LedgerHook {
    /** The JSON keys this hook fills. */
    String[] KEYS = {
        "ledger_blocks_validated_per_s",
        "ledger_sync_10k_registrations_s",
        "ledger_reopen_100k_identities_s",
        "ca_verifications_per_s"
    };

    /** Measures the ledger figures; a key mapped to {@code null} is reported as pending. */
    Map<String, Double> run(BenchProfile profile) throws Exception;

    /** Why figures are missing, or empty when all were measured. */
    String note();

    /** The verifier the p2pchat handshakes use; empty for the harness's pinned-id verifier. */
    default Optional<PeerVerifier> verifier() {
        return Optional.empty();
    }

    /** The certificate {@code identity} presents in handshakes; empty for none. */
    default Optional<CertificateSource> certificateSource(LocalIdentity identity) {
        return Optional.empty();
    }

    /** The hook of this build. HOOK: return the real ledger benchmarks here once merged. */
    static LedgerHook load() {
        return new Pending();
    }

    /** The hook until the ledger is merged: every figure pending. */
    final class Pending implements LedgerHook {
        @Override
        public Map<String, Double> run(BenchProfile profile) {
            Map<String, Double> m = new LinkedHashMap<>();
            for (String k : KEYS) {
                m.put(k, null);
            }
            return m;
        }

        @Override
        public String note() {
            return "pending: the ledger CA (branch ledger) is not merged; fill in"
                    + " io.p2pchat.bench.LedgerHook.load()";
        }
    }
}
