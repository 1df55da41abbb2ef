package io.p2pchat.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Renders a run's figures as one plain-text table: absolute figures, ratios, targets. */
final class Table {
    private static final String[] HEAD = {
        "figure",
        "p2pchat",
        "TLS JDK",
        "BoringSSL",
        "plain",
        "x JDK",
        "x Boring",
        "x plain",
        "target"
    };

    private Table() {}

    static String render(Results r) {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEAD);
        String bulkTarget = "x1.8 JDK, x1.1 Boring, x0.45 plain";
        rows.add(
                row(
                        r,
                        "bulk 16 KiB MB/s",
                        "bulk_mbps_p2pchat",
                        "bulk_mbps_tls_jdk",
                        "bulk_mbps_tls_openssl",
                        "bulk_mbps_plain",
                        "bulk_ratio_vs_tls_jdk",
                        "bulk_ratio_vs_tls_openssl",
                        "bulk_ratio_vs_plain",
                        bulkTarget));
        rows.add(
                row(
                        r,
                        "bulk AES-256 MB/s",
                        "bulk_mbps_p2pchat_aes256",
                        null,
                        null,
                        null,
                        "bulk_aes256_ratio_vs_tls_jdk",
                        "bulk_aes256_ratio_vs_tls_openssl",
                        "bulk_aes256_ratio_vs_plain",
                        ""));
        rows.add(
                row(
                        r,
                        "bulk ratchet/record MB/s",
                        "bulk_mbps_p2pchat_ratchet1",
                        null,
                        null,
                        null,
                        "bulk_ratchet1_ratio_vs_tls_jdk",
                        "bulk_ratchet1_ratio_vs_tls_openssl",
                        "bulk_ratchet1_ratio_vs_plain",
                        ""));
        rows.add(
                row(
                        r,
                        "RTT 100 B p50 us",
                        "rtt_p50_us_p2pchat",
                        "rtt_p50_us_tls_jdk",
                        "rtt_p50_us_tls_openssl",
                        "rtt_p50_us_plain",
                        "rtt_p50_ratio_vs_tls_jdk",
                        "rtt_p50_ratio_vs_tls_openssl",
                        "rtt_p50_ratio_vs_plain",
                        "<= x1.4 plain"));
        rows.add(
                row(
                        r,
                        "RTT 100 B p99 us",
                        "rtt_p99_us_p2pchat",
                        "rtt_p99_us_tls_jdk",
                        "rtt_p99_us_tls_openssl",
                        "rtt_p99_us_plain",
                        "rtt_p99_ratio_vs_tls_jdk",
                        "rtt_p99_ratio_vs_tls_openssl",
                        "rtt_p99_ratio_vs_plain",
                        "<= x1.0 Boring"));
        rows.add(
                row(
                        r,
                        "RTT 100 B p999 us",
                        "rtt_p999_us_p2pchat",
                        "rtt_p999_us_tls_jdk",
                        "rtt_p999_us_tls_openssl",
                        "rtt_p999_us_plain",
                        null,
                        null,
                        null,
                        ""));
        for (int c = 1; c <= 2; c++) {
            rows.add(
                    row(
                            r,
                            "handshakes/s " + c + " client" + (c > 1 ? "s" : ""),
                            "handshakes_per_s_p2pchat_" + c,
                            "handshakes_per_s_tls_jdk_" + c,
                            "handshakes_per_s_tls_openssl_" + c,
                            null,
                            "handshake_ratio_vs_tls_jdk_" + c,
                            "handshake_ratio_vs_tls_openssl_" + c,
                            null,
                            c == 2 ? "x1.5 JDK, x1.0 Boring" : ""));
            rows.add(
                    row(
                            r,
                            "  delegated credentials, " + c + " client" + (c > 1 ? "s" : ""),
                            "handshakes_per_s_p2pchat_dc_" + c,
                            null,
                            null,
                            null,
                            "handshake_dc_ratio_vs_tls_jdk_" + c,
                            "handshake_dc_ratio_vs_tls_openssl_" + c,
                            null,
                            c == 2 ? "x3 Boring" : ""));
            rows.add(
                    row(
                            r,
                            "  resumed, " + c + " client" + (c > 1 ? "s" : ""),
                            "handshakes_per_s_p2pchat_resumed_" + c,
                            null,
                            null,
                            null,
                            "handshake_resumed_ratio_vs_tls_jdk_" + c,
                            "handshake_resumed_ratio_vs_tls_openssl_" + c,
                            null,
                            c == 2 ? "x8 Boring" : ""));
            rows.add(
                    row(
                            r,
                            "  X25519-only, " + c + " client" + (c > 1 ? "s" : ""),
                            "handshakes_per_s_p2pchat_x25519_" + c,
                            null,
                            null,
                            null,
                            "handshake_x25519_ratio_vs_tls_jdk_" + c,
                            "handshake_x25519_ratio_vs_tls_openssl_" + c,
                            null,
                            ""));
        }
        rows.add(
                new String[] {
                    "  2 clients / RSA-sign ceiling",
                    num(r.get("handshake_fraction_of_rsa_ceiling_2")),
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "~0.75 of " + num(r.get("handshake_ceiling_rsa_sign_per_s")) + "/s"
                });
        rows.add(
                row(
                        r,
                        "resumed reconnect p50 us",
                        "reconnect_p50_us_p2pchat_resumed",
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        "connect to first byte"));
        for (String n : new String[] {"1k", "10k"}) {
            rows.add(
                    row(
                            r,
                            "heap B/idle session " + n,
                            "heap_bytes_per_idle_session_" + n,
                            null,
                            null,
                            "heap_bytes_per_idle_session_plain_" + n,
                            null,
                            null,
                            null,
                            "<= 16384"));
        }
        single(rows, r, "ledger blocks validated/s", "ledger_blocks_validated_per_s", ">= 2000");
        single(rows, r, "ledger sync 10k regs s", "ledger_sync_10k_registrations_s", "< 5");
        single(rows, r, "ledger reopen 100k ids s", "ledger_reopen_100k_identities_s", "< 2");
        single(rows, r, "  no snapshot (rebuild) s", "ledger_reopen_100k_identities_rebuild_s", "");
        single(rows, r, "  warm JVM s", "ledger_reopen_100k_identities_warm_s", "");
        single(rows, r, "CA verifications/s", "ca_verifications_per_s", "");
        single(rows, r, "ceil AES-128-GCM seal 16K MB/s", "ceiling_aes128gcm_seal_16k_mbps", "");
        single(rows, r, "ceil AES-128-GCM open 16K MB/s", "ceiling_aes128gcm_open_16k_mbps", "");
        single(
                rows,
                r,
                "ceil AES-GCM seal direct MB/s",
                "ceiling_aes128gcm_seal_16k_direct_mbps",
                "");
        single(rows, r, "ceil RSA-3072 PSS sign/s", "ceiling_rsa3072_sign_per_s", "");
        single(rows, r, "ceil RSA-3072 PSS verify/s", "ceiling_rsa3072_verify_per_s", "");
        single(rows, r, "ceil X25519 BC /s", "ceiling_x25519_bc_per_s", "");
        single(rows, r, "ceil X25519 JDK /s", "ceiling_x25519_jdk_per_s", "");
        single(rows, r, "ceil ML-KEM-768 keygen/s", "ceiling_mlkem768_keygen_per_s", "");
        single(rows, r, "ceil ML-KEM-768 encaps/s", "ceiling_mlkem768_encaps_per_s", "");
        single(rows, r, "ceil ML-KEM-768 decaps/s", "ceiling_mlkem768_decaps_per_s", "");
        single(rows, r, "record seal 64 B ns", "record_seal_64b_ns", "");
        single(rows, r, "record open 64 B ns", "record_open_64b_ns", "");
        single(rows, r, "record seal 16K MB/s", "record_seal_16k_mbps", "");
        single(rows, r, "record open 16K MB/s", "record_open_16k_mbps", "");
        single(rows, r, "record seal direct 16K MB/s", "record_seal_direct_16k_mbps", "");
        single(rows, r, "record open direct 16K MB/s", "record_open_direct_16k_mbps", "");

        int[] width = new int[HEAD.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append(
                String.format(
                        Locale.ROOT,
                        "p2pchat bench (%s) on %s, %d cores, %s%n",
                        text(r, "profile"),
                        text(r, "cpu"),
                        (int) r.get("cores"),
                        text(r, "jdk")));
        for (int k = 0; k < rows.size(); k++) {
            String[] row = rows.get(k);
            sb.append("|");
            for (int i = 0; i < row.length; i++) {
                String cell = row[i];
                String pad = " ".repeat(width[i] - cell.length());
                sb.append(' ').append(i == 0 || i == row.length - 1 ? cell + pad : pad + cell);
                sb.append(" |");
            }
            sb.append('\n');
            if (k == 0) {
                sb.append("|");
                for (int w : width) {
                    sb.append("-".repeat(w + 2)).append('|');
                }
                sb.append('\n');
            }
        }
        Object note = r.asMap().get("ledger_note");
        if (note == null) {
            note = r.asMap().get("ledger_blocks_validated_per_s_note");
        }
        if (note != null) {
            sb.append("ledger figures: ").append(note).append('\n');
        }
        return sb.toString();
    }

    private static void single(List<String[]> rows, Results r, String name, String key, String t) {
        rows.add(row(r, name, key, null, null, null, null, null, null, t));
    }

    private static String[] row(
            Results r,
            String name,
            String mine,
            String jdk,
            String boring,
            String plain,
            String xJdk,
            String xBoring,
            String xPlain,
            String target) {
        return new String[] {
            name,
            cell(r, mine),
            cell(r, jdk),
            cell(r, boring),
            cell(r, plain),
            ratio(r, xJdk),
            ratio(r, xBoring),
            ratio(r, xPlain),
            target
        };
    }

    private static String cell(Results r, String key) {
        if (key == null) {
            return "";
        }
        return r.asMap().containsKey(key) && r.asMap().get(key) == null
                ? (r.asMap().containsKey(key + "_note") ? "pending" : "-")
                : num(r.get(key));
    }

    private static String ratio(Results r, String key) {
        if (key == null) {
            return "";
        }
        double v = r.get(key);
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String num(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        if (Math.abs(v) >= 100) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (Math.abs(v) >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String text(Results r, String key) {
        Object v = r.asMap().get(key);
        return v == null ? "?" : v.toString();
    }
}
