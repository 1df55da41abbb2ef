package io.p2pchat.example.web;

import io.p2pchat.ledger.model.LedgerHashes;
import io.p2pchat.ledger.model.Merkle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Events a node would send, as the console's {@code --json} prints them, for the page tests. */
final class Fixtures {
    private Fixtures() {}

    static final String SNAPSHOT =
            """
            {"event":"snapshot",
             "identity":{"name":"alice","id":"9f3c2a61d0b84e17a5c3f0e2d19b7c44","key_id":"0d2f","key_bits":3072,"state":"confirmed"},
             "network":{"name":"demo","id":"77aa01"},
             "ledger":{"height":12,"tip":"00000a3be19c7d4f55e2","identities":3,"mempool":0,"mining":false,
               "blocks":[{"height":12,"hash":"00000a3be19c7d4f55e2","transactions":1,"time_ms":1765100000000},
                         {"height":11,"hash":"00000f19ac02bb7e9d10","transactions":2,"time_ms":1765099000000}]},
             "peers":[{"peer":"bob","key_id":"k-bob","identity_id":"b0b","access":"FULL","direction":"outbound",
                       "listen_address":"127.0.0.1:7001","suite":"X25519_MLKEM768_AES128GCM_SHA256"},
                      {"peer":"carol","key_id":"k-carol","access":"SYNC","direction":"inbound",
                       "listen_address":"127.0.0.1:7002","suite":"X25519_MLKEM768_AES128GCM_SHA256"}],
             "conversations":[
               {"peer":"bob","identity_id":"b0b","unread":0,"messages":[
                 {"direction":"in","text":"hi alice, it's bob","message_id":"m1","at_ms":1765100100000,"state":"received"},
                 {"direction":"out","text":"hello bob","message_id":"m2","at_ms":1765100160000,"state":"delivered"}]},
               {"peer":"carol","identity_id":"ca201","unread":2,"messages":[
                 {"direction":"in","text":"are you there?","message_id":"m3","at_ms":1765100200000,"state":"received"}]}]}
            """;

    static final List<String> HANDSHAKE =
            List.of(
                    "{\"event\":\"handshake\",\"peer\":\"bob\",\"step\":\"tcp\",\"detail\":\"127.0.0.1:7001\",\"ms\":1}",
                    "{\"event\":\"handshake\",\"peer\":\"bob\",\"step\":\"certificate\",\"detail\":\"block"
                        + " #3, 9 confirmations\",\"ms\":2}",
                    "{\"event\":\"handshake\",\"peer\":\"bob\",\"step\":\"authentication\",\"detail\":\"RSA-PSS"
                        + " SHA-256, both sides\",\"ms\":14}",
                    "{\"event\":\"handshake\",\"peer\":\"bob\",\"step\":\"key_agreement\",\"detail\":\"X25519"
                        + " + ML-KEM-768, AES-128-GCM\",\"ms\":3}");

    static final String FINGERPRINT =
            "{\"event\":\"fingerprint\",\"peer\":\"bob\",\"conversation_fingerprint\":\"31415 92653"
                    + " 58979 32384 62643 38327\",\"session_fingerprint\":\"27182 81828 45904"
                    + " 52353\",\"identity_fingerprint\":\"16180 33988"
                    + " 74989\",\"own_fingerprint\":\"14142 13562 37309\",\"verified\":false}";

    static String message(String from, String text) {
        return "{\"event\":\"message\",\"from\":\""
                + from
                + "\",\"text\":"
                + quote(text)
                + ",\"message_id\":\"m"
                + Math.abs(text.hashCode())
                + "\",\"sent_at_ms\":1765100300000}";
    }

    static String sent(String to, String text, String id) {
        return "{\"event\":\"sent\",\"to\":\""
                + to
                + "\",\"text\":"
                + quote(text)
                + ",\"message_id\":\""
                + id
                + "\",\"queued\":false}";
    }

    static String delivered(String to, String id) {
        return "{\"event\":\"delivered\",\"to\":\"" + to + "\",\"message_id\":\"" + id + "\"}";
    }

    /**
     * A {@code whois} answer for {@code name} whose certificate is real: five transactions, the
     * identity's the fourth (an audit path of three hashes), under a 156-byte header holding their
     * Merkle root, built with the ledger's own {@link Merkle} and {@link LedgerHashes}. With {@code
     * flipByte}, one byte of the transaction is changed after the proof was made, as a node lying
     * about it would.
     */
    static String whois(String name, boolean flipByte) {
        List<byte[]> txs = new java.util.ArrayList<>();
        List<byte[]> leaves = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            byte[] tx = (name + " transaction " + i).getBytes(StandardCharsets.UTF_8);
            txs.add(tx);
            leaves.add(LedgerHashes.leafHash(tx));
        }
        int index = 3;
        ByteBuffer header = ByteBuffer.allocate(156);
        header.putInt(1).putLong(7).put(new byte[32]).put(Merkle.root(leaves));
        header.putLong(1765100000000L);
        byte[] target = new byte[32];
        java.util.Arrays.fill(target, (byte) 0xff); // any hash meets it
        header.put(target).putLong(42).put(new byte[32]);
        byte[] headerBytes = header.array();
        byte[] tx = txs.get(index).clone();
        if (flipByte) {
            tx[5] ^= 0x01;
        }
        HexFormat hex = HexFormat.of();
        List<String> path = Merkle.proof(leaves, index).stream().map(hex::formatHex).toList();
        Map<String, Object> cert = new LinkedHashMap<>();
        cert.put("identity_id", "ca201".repeat(12) + "ca20");
        cert.put("name", name);
        cert.put("key_id", "0c".repeat(32));
        cert.put("block", hex.formatHex(LedgerHashes.sha256(headerBytes)));
        cert.put("block_height", 7);
        cert.put("merkle_root", hex.formatHex(Merkle.root(leaves)));
        cert.put("tx_index", index);
        cert.put("tx_count", txs.size());
        cert.put("proof", path);
        cert.put("confirmations", 5);
        cert.put("verified", !flipByte);
        cert.put("block_header", hex.formatHex(headerBytes));
        cert.put("transaction", hex.formatHex(tx));
        Map<String, Object> identity = new LinkedHashMap<>();
        identity.put("name", name);
        identity.put("identity_id", cert.get("identity_id"));
        identity.put("state", "active");
        identity.put("key_id", cert.get("key_id"));
        identity.put("key_height", 7);
        identity.put("confirmations", 5);
        identity.put("required_confirmations", 2);
        identity.put(
                "key_history",
                List.of(Map.of("key_id", cert.get("key_id"), "height", 7, "state", "active")));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", "whois");
        m.put("identity", identity);
        m.put("certificate", cert);
        return new com.google.gson.Gson().toJson(m);
    }

    /**
     * {@link #whois} with one lie the node's answer could tell: {@code path} flips a byte of the
     * audit path's first hash, {@code index} claims the neighbouring position, {@code header}
     * changes the header's nonce (its Merkle root stays right, its hash is no longer the block's).
     */
    static String whoisTampered(String name, String what) {
        com.google.gson.JsonObject o =
                com.google.gson.JsonParser.parseString(whois(name, false)).getAsJsonObject();
        com.google.gson.JsonObject cert = o.getAsJsonObject("certificate");
        switch (what) {
            case "path" -> {
                com.google.gson.JsonArray path = cert.getAsJsonArray("proof");
                path.set(
                        0,
                        new com.google.gson.JsonPrimitive(flipHex(path.get(0).getAsString(), 0)));
            }
            case "index" -> cert.addProperty("tx_index", 2);
            case "header" ->
                    cert.addProperty(
                            "block_header", flipHex(cert.get("block_header").getAsString(), 116));
            default -> throw new IllegalArgumentException(what);
        }
        return o.toString();
    }

    /** {@code hex} with the low bit of byte {@code at} flipped. */
    private static String flipHex(String hex, int at) {
        byte[] b = HexFormat.of().parseHex(hex);
        b[at] ^= 0x01;
        return HexFormat.of().formatHex(b);
    }

    private static String quote(String s) {
        return new com.google.gson.Gson().toJson(s);
    }
}
