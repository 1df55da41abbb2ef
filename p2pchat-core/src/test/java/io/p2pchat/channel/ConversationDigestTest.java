package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.p2pchat.crypto.TranscriptHash;
import io.p2pchat.identity.PeerId;
import io.p2pchat.proto.ChatMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The conversation fingerprint over messages (docs/protocol.md §7 and §12.3), checked against the
 * committed vector {@code vectors/conversation.txt}: two peer ids, the chat client's messages in
 * each direction (their fields and canonical {@code ChatMessage} encodings), every chain value and
 * the fingerprint. The example module checks that the chat client's history computes the same
 * number from the same messages ({@code ChatHistoryVectorTest}).
 *
 * <p>Regenerate (only after a deliberate change) with {@code -Dp2pchat.vectors.regenerate=true}.
 */
class ConversationDigestTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final String FILE = "conversation";

    /** The messages of the vector: sender, text, milliseconds (0 is left out of the encoding). */
    private static final String[][] SCRIPT = {
        {"a", "hello bob", "1767225600000"},
        {"b", "hi alice \u2014 long time", "1767225601500"},
        {"a", "caf\u00e9 at 5?", "0"},
        {"b", "yes", "1767225663000"},
        {"b", "\u2615 see you", "1767225664000"},
    };

    private final Map<String, String> v = compute();
    private final PeerId a = PeerId.fromHex(v.get("peer_a_id"));
    private final PeerId b = PeerId.fromHex(v.get("peer_b_id"));

    @Test
    void vector_messagesChainsAndFingerprint_matchTheCommittedFile() throws Exception {
        Map<String, String> committed = load();
        Map<String, String> computed = v;
        if (Boolean.getBoolean("p2pchat.vectors.regenerate") || committed.isEmpty()) {
            write(computed);
            committed = computed;
        }
        assertThat(computed).containsExactlyEntriesOf(committed);
    }

    @Test
    void fingerprint_doesNotDependOnInterleavingOrOnWhoComputesIt() throws Exception {
        ConversationDigest bSide = new ConversationDigest(b, a);
        // b's messages first, then a's: the chains are per sender.
        for (String who : new String[] {"b", "a"}) {
            for (int i = 0; v.containsKey(who + "_message_" + i); i++) {
                bSide.add(who.equals("a") ? a : b, HEX.parseHex(v.get(who + "_message_" + i)));
            }
        }
        assertThat(bSide.fingerprint()).isEqualTo(v.get("fingerprint"));
    }

    @Test
    void fingerprint_changesWithAnyMessageOrItsOrder() throws Exception {
        byte[] m0 = HEX.parseHex(v.get("a_message_0"));
        byte[] m1 = HEX.parseHex(v.get("a_message_1"));
        ConversationDigest swapped = new ConversationDigest(a, b);
        swapped.add(a, m1);
        swapped.add(a, m0);
        ConversationDigest dropped = new ConversationDigest(a, b);
        dropped.add(a, m0);
        ConversationDigest changed = new ConversationDigest(a, b);
        m0[m0.length - 1] ^= 1;
        changed.add(a, m0);
        changed.add(a, m1);
        ConversationDigest right = new ConversationDigest(a, b);
        right.add(a, HEX.parseHex(v.get("a_message_0")));
        right.add(a, m1);
        assertThat(List.of(swapped, dropped, changed))
                .extracting(ConversationDigest::fingerprint)
                .doesNotContain(right.fingerprint());
    }

    /**
     * The key-bound number: the same from either side and argument order, another number when a
     * party's key changes (the chains unchanged), and never the unbound fingerprint.
     */
    @Test
    void keyBoundFingerprint_changesWithAKey_notWithWhoComputesIt() throws Exception {
        ConversationDigest d = new ConversationDigest(b, a);
        d.add(a, HEX.parseHex(v.get("a_message_0")));
        d.add(b, HEX.parseHex(v.get("b_message_0")));
        PeerId bKey2 = PeerId.fromHex(v.get("peer_b_key_id"));
        PeerId bKey3 = PeerId.of(sha256("another key of b"));
        String before = d.keyBoundFingerprint(a, a, b, bKey2);
        assertThat(d.keyBoundFingerprint(b, bKey2, a, a)).isEqualTo(before);
        assertThat(d.keyBoundFingerprint(a, a, b, bKey3)).isNotEqualTo(before);
        assertThat(d.keyBoundFingerprint(a, a, b, b))
                .isNotEqualTo(before)
                .isNotEqualTo(d.fingerprint());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> d.keyBoundFingerprint(a, a, a, a))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** The record layer's chain is another thing: same bytes, different labels, other number. */
    @Test
    void recordDigest_overTheSameBytes_isNotTheConversationFingerprint() throws Exception {
        byte[] m = HEX.parseHex(v.get("a_message_0"));
        ConversationDigest conversation = new ConversationDigest(a, b);
        conversation.add(a, m);
        RecordDigest records = new RecordDigest(a, b);
        records.add(a, m, 0, m.length);
        byte[] start =
                TranscriptHash.sha256("p2pchat/1 record chain".getBytes(StandardCharsets.US_ASCII));
        assertThat(records.head(a)).isEqualTo(link(start, 0, m));
        assertThat(records.fingerprint()).isNotEqualTo(conversation.fingerprint());
    }

    private static Map<String, String> compute() {
        Map<String, String> out = new LinkedHashMap<>();
        PeerId a = PeerId.of(sha256("p2pchat/1 vector conversation peer a"));
        PeerId b = PeerId.of(sha256("p2pchat/1 vector conversation peer b"));
        out.put("peer_a_id", a.toHex());
        out.put("peer_b_id", b.toHex());
        byte[] start =
                TranscriptHash.sha256("p2pchat/1 conversation".getBytes(StandardCharsets.US_ASCII));
        out.put("chain_0", HEX.formatHex(start));
        Map<String, List<byte[]>> bySender = new LinkedHashMap<>();
        bySender.put("a", new ArrayList<>());
        bySender.put("b", new ArrayList<>());
        ConversationDigest digest = new ConversationDigest(a, b);
        for (String[] line : SCRIPT) {
            String who = line[0];
            List<byte[]> sent = bySender.get(who);
            String p = who + "_message_" + sent.size();
            byte[] id = java.util.Arrays.copyOf(sha256("p2pchat/1 vector message " + p), 16);
            long millis = Long.parseLong(line[2]);
            byte[] text = line[1].getBytes(StandardCharsets.UTF_8);
            byte[] m =
                    ChatMessage.newBuilder()
                            .setMessageId(ByteString.copyFrom(id))
                            .setSentAtMs(millis)
                            .setText(line[1])
                            .build()
                            .toByteArray();
            // The canonical encoding, spelled out as protocol.md §12.3 does.
            assertThat(m).isEqualTo(canonical(id, millis, text));
            out.put(p + "_id", HEX.formatHex(id));
            out.put(p + "_sent_at_ms", Long.toString(millis));
            out.put(p + "_text_utf8", HEX.formatHex(text));
            out.put(p, HEX.formatHex(m));
            digest.add(who.equals("a") ? a : b, m);
            sent.add(m);
        }
        for (String who : bySender.keySet()) {
            byte[] chain = start;
            List<byte[]> messages = bySender.get(who);
            for (int n = 0; n < messages.size(); n++) {
                chain = link(chain, n, messages.get(n));
                out.put(who + "_chain_" + (n + 1), HEX.formatHex(chain));
            }
            assertThat(digest.head(who.equals("a") ? a : b)).isEqualTo(chain);
        }
        out.put("fingerprint_hash", HEX.formatHex(digest.fingerprintHash()));
        out.put("fingerprint", digest.fingerprint());
        // The chat client's number is bound to the current keys (§12.3): a never rotated, so its
        // key id is its id; b rotated once.
        PeerId bKey = PeerId.of(sha256("p2pchat/1 vector conversation peer b key 2"));
        out.put("peer_a_key_id", a.toHex());
        out.put("peer_b_key_id", bKey.toHex());
        byte[] keyBound = digest.keyBoundFingerprintHash(a, a, b, bKey);
        boolean aLow = java.util.Arrays.compareUnsigned(a.toBytes(), b.toBytes()) < 0;
        PeerId low = aLow ? a : b;
        PeerId high = aLow ? b : a;
        assertThat(keyBound)
                .isEqualTo(
                        TranscriptHash.sha256(
                                "p2pchat/1 conversation fingerprint with keys"
                                        .getBytes(StandardCharsets.US_ASCII),
                                low.toBytes(),
                                digest.head(low),
                                high.toBytes(),
                                digest.head(high),
                                (aLow ? a : bKey).toBytes(),
                                (aLow ? bKey : a).toBytes()));
        out.put("keys_fingerprint_hash", HEX.formatHex(keyBound));
        out.put("keys_fingerprint", digest.keyBoundFingerprint(a, a, b, bKey));
        return out;
    }

    /** {@code H(chain || u64 n || u32 len(m) || m)}, written out independently of the class. */
    private static byte[] link(byte[] chain, long n, byte[] m) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(chain.length + 12 + m.length);
        b.put(chain).putLong(n).putInt(m.length).put(m);
        return TranscriptHash.sha256(b.array());
    }

    private static byte[] canonical(byte[] id, long millis, byte[] text) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        if (id.length > 0) {
            out.write(0x0a);
            varint(out, id.length);
            out.writeBytes(id);
        }
        if (millis != 0) {
            out.write(0x10);
            varint(out, millis);
        }
        if (text.length > 0) {
            out.write(0x1a);
            varint(out, text.length);
            out.writeBytes(text);
        }
        return out.toByteArray();
    }

    private static void varint(java.io.ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static byte[] sha256(String s) {
        return TranscriptHash.sha256(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static Map<String, String> load() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (InputStream in =
                ConversationDigestTest.class.getResourceAsStream("/vectors/" + FILE + ".txt")) {
            if (in == null) {
                return out;
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                int eq = line.indexOf(" = ");
                out.put(line.substring(0, eq), line.substring(eq + 3).trim());
            }
        }
        return out;
    }

    private static void write(Map<String, String> values) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("# p2pchat protocol version 1: conversation fingerprint vector (docs/protocol.md")
                .append(" 7 and 12.3).\n")
                .append("# Generated by ConversationDigestTest. Lowercase hex, except *_sent_at_ms")
                .append(" (decimal)\n# and fingerprint (the safety number). a_message_i is the")
                .append(" canonical ChatMessage encoding\n# of a_message_i_id, _sent_at_ms and")
                .append(" _text_utf8; x_chain_n is the chain of sender x after its\n# first n")
                .append(" messages; the fingerprint hash takes the chains after all of them.\n")
                .append("# keys_fingerprint is the chat client's number, bound to the parties'")
                .append(" current key ids\n# peer_a_key_id (a never rotated: its id) and")
                .append(" peer_b_key_id (b rotated once).\n");
        values.forEach((k, v) -> sb.append(k).append(" = ").append(v).append('\n'));
        Path path = Path.of("src/test/resources/vectors", FILE + ".txt");
        Files.createDirectories(path.getParent());
        Files.writeString(path, sb.toString(), StandardCharsets.US_ASCII);
    }
}
