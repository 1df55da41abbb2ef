package io.p2pchat.example.web;

import java.util.List;

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

    private static String quote(String s) {
        return new com.google.gson.Gson().toJson(s);
    }
}
