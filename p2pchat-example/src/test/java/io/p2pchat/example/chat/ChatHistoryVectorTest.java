package io.p2pchat.example.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.p2pchat.identity.PeerId;
import io.p2pchat.proto.ChatMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chat client's history computes the conversation fingerprint of the committed vector
 * (p2pchat-core's {@code vectors/conversation.txt}, docs/protocol.md §12.3: the number bound to the
 * parties' current keys) from the vector's messages, on both sides, after a reopen, and whatever
 * encoding a message arrived in.
 */
class ChatHistoryVectorTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final Path VECTOR =
            Path.of("../p2pchat-core/src/test/resources/vectors/conversation.txt");
    private static final HistoryKey KEY = HistoryKey.ofBytes(new byte[32]);

    @TempDir Path dir;

    private final Map<String, String> v = load();
    private final PeerId a = PeerId.fromHex(v.get("peer_a_id"));
    private final PeerId b = PeerId.fromHex(v.get("peer_b_id"));
    private final PeerId aKey = PeerId.fromHex(v.get("peer_a_key_id"));
    private final PeerId bKey = PeerId.fromHex(v.get("peer_b_key_id"));

    @Test
    void bothSides_computeTheVectorsFingerprint_alsoAfterReopening() throws IOException {
        for (PeerId self : List.of(a, b)) {
            PeerId other = self.equals(a) ? b : a;
            Path home = dir.resolve(self.shortId());
            try (ChatHistory h = ChatHistory.open(home, KEY, self, other)) {
                for (byte[] m : messages(self)) {
                    h.sent(ChatMessage.parseFrom(m), 1);
                }
                for (byte[] m : messages(other)) {
                    assertThat(h.received(ByteString.copyFrom(m), 2)).isTrue();
                }
                assertThat(fingerprint(h, self)).isEqualTo(v.get("keys_fingerprint"));
            }
            try (ChatHistory h = ChatHistory.open(home, KEY, self, other)) {
                assertThat(fingerprint(h, self)).isEqualTo(v.get("keys_fingerprint"));
            }
        }
    }

    /**
     * A received message carrying a field this version does not know (a newer sender's) adds the
     * canonical encoding of its known fields, as the sender's did; a resend adds nothing.
     */
    @Test
    void receivedMessageWithAnUnknownField_andResends_leaveTheFingerprintUnchanged()
            throws IOException {
        try (ChatHistory h = ChatHistory.open(dir, KEY, b, a)) {
            for (byte[] m : messages(b)) {
                h.sent(ChatMessage.parseFrom(m), 1);
            }
            List<byte[]> fromA = messages(a);
            for (int i = 0; i < fromA.size(); i++) {
                byte[] m = fromA.get(i);
                // Field 15 (varint 1) in front, where a canonical encoder would never put it.
                byte[] wire = i == 0 ? concat(new byte[] {0x78, 0x01}, m) : m;
                assertThat(h.received(ByteString.copyFrom(wire), 2)).isTrue();
                assertThat(h.received(ByteString.copyFrom(m), 3)).as("resend").isFalse();
            }
            assertThat(fingerprint(h, b)).isEqualTo(v.get("keys_fingerprint"));
        }
    }

    /** The chat client's number, as {@code self} computes it with the vector's current keys. */
    private String fingerprint(ChatHistory h, PeerId self) {
        return self.equals(a) ? h.fingerprint(aKey, bKey) : h.fingerprint(bKey, aKey);
    }

    private List<byte[]> messages(PeerId sender) {
        String who = sender.equals(a) ? "a" : "b";
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; v.containsKey(who + "_message_" + i); i++) {
            out.add(HEX.parseHex(v.get(who + "_message_" + i)));
        }
        assertThat(out).isNotEmpty();
        return out;
    }

    private static byte[] concat(byte[] x, byte[] y) {
        byte[] out = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }

    private static Map<String, String> load() {
        Map<String, String> out = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(VECTOR, StandardCharsets.UTF_8)) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    int eq = line.indexOf(" = ");
                    out.put(line.substring(0, eq), line.substring(eq + 3).trim());
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot read the vector " + VECTOR.toAbsolutePath(), e);
        }
        return out;
    }
}
