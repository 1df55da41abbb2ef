package io.p2pchat.example.chat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.p2pchat.channel.ConversationDigest;
import io.p2pchat.identity.PeerId;
import io.p2pchat.proto.ChatMessage;
import io.p2pchat.proto.HistoryEntry;
import io.p2pchat.util.AtomicFiles;
import io.p2pchat.util.PrivateFiles;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The history of one conversation, encrypted at rest, appended durably, and the conversation digest
 * computed over it.
 *
 * <pre>
 * file   = header entry*
 * header = 89 50 32 50 48 49 53 54 ("\x89P2PHIST") || u32 version = 2
 * entry  = u32 n || nonce (12) || AES-256-GCM(HistoryEntry) (n - 12 bytes, tag included)
 * key    = {@link HistoryKey}: HKDF-SHA-256 of the identity file's storage root
 * aad    = "p2pchat history v2" || peer id (32) || u64 entry index
 * </pre>
 *
 * <p>The header's first byte is never that of a version 1 file (which starts with the big-endian
 * length of an entry of at most 1 MiB, so with a zero byte), and this class refuses a file without
 * it: a version 1 file is converted by {@link HistoryMigration}, never appended to.
 *
 * <p>A new file is created with its header atomically, mode {@code 0600}. Each entry is written and
 * forced to disk before the call returns. A torn last entry (the process died while writing it) is
 * cut off when the file is opened; an entry whose tag fails is reported as corruption and never
 * shown.
 *
 * <p>Thread-safe.
 */
public final class ChatHistory implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ChatHistory.class);
    private static final byte[] AAD_LABEL =
            "p2pchat history v2".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MAGIC = {(byte) 0x89, 'P', '2', 'P', 'H', 'I', 'S', 'T'};
    private static final int VERSION = 2;
    static final int HEADER_LENGTH = MAGIC.length + 4;
    static final int NONCE = 12;
    static final int TAG = 16;
    static final int MAX_ENTRY = 1 << 20;

    private final Path file;
    private final HistoryKey key;
    private final PeerId self;
    private final PeerId peer;
    private final FileChannel channel;
    private final SecureRandom random = new SecureRandom();
    private final List<HistoryEntry> entries = new ArrayList<>();
    private final Set<ByteString> seen = new HashSet<>();
    private final Map<ByteString, ChatMessage> unacked = new LinkedHashMap<>();
    private final ConversationDigest digest;

    private ChatHistory(Path file, HistoryKey key, PeerId self, PeerId peer, FileChannel channel) {
        this.file = file;
        this.key = key;
        this.self = self;
        this.peer = peer;
        this.channel = channel;
        this.digest = new ConversationDigest(self, peer);
    }

    /** The file of the conversation with {@code peer} in {@code dir}. */
    static Path file(Path dir, PeerId peer) {
        return dir.resolve(peer.toHex() + ".log");
    }

    /**
     * Opens (or creates) the history of the conversation with {@code peer} in {@code dir}.
     *
     * @throws IOException if the file cannot be read or written, is not in this format (a file of
     *     an earlier version, which is left as it is), or does not decrypt under {@code key}
     */
    public static ChatHistory open(Path dir, HistoryKey key, PeerId self, PeerId peer)
            throws IOException {
        PrivateFiles.createDirectories(dir);
        Path file = file(dir, peer);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            try {
                AtomicFiles.write(file, header(), false);
            } catch (FileAlreadyExistsException e) {
                // created meanwhile: open it
            }
        }
        if (!hasHeader(file)) {
            throw new IOException(
                    "history "
                            + file
                            + " is not in the format of this version (an earlier version's file,"
                            + " or damaged); it is left as it is");
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        ChatHistory history = new ChatHistory(file, key, self, peer, ch);
        try {
            history.load();
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return history;
    }

    private static byte[] header() {
        return ByteBuffer.allocate(HEADER_LENGTH).put(MAGIC).putInt(VERSION).array();
    }

    /** Whether {@code file} starts with this version's header. */
    static boolean hasHeader(Path file) throws IOException {
        byte[] start;
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            start = in.readNBytes(HEADER_LENGTH);
        }
        return Arrays.equals(start, header());
    }

    /**
     * Writes a whole history file atomically (temporary file, fsync, rename over {@code file},
     * directory fsync): {@link HistoryMigration} converts an earlier version's file with it.
     */
    static void write(Path file, HistoryKey key, PeerId peer, List<HistoryEntry> entries)
            throws IOException {
        SecureRandom random = new SecureRandom();
        AtomicFiles.write(
                file,
                true,
                out -> {
                    out.write(header());
                    for (int i = 0; i < entries.size(); i++) {
                        ByteBuffer record = encrypt(key, peer, i, entries.get(i), random);
                        out.write(record.array(), 0, record.limit());
                    }
                });
    }

    private void load() throws IOException {
        long size = channel.size();
        long pos = HEADER_LENGTH;
        ByteBuffer len = ByteBuffer.allocate(4);
        while (pos < size) {
            len.clear();
            if (size - pos < 4 || channel.read(len, pos) < 4) {
                truncate(pos, "torn length");
                return;
            }
            int n = len.getInt(0);
            if (n < NONCE + TAG || n > MAX_ENTRY) {
                throw new IOException(
                        "history " + file + " is corrupted at entry " + entries.size());
            }
            if (size - pos - 4 < n) {
                truncate(pos, "torn entry");
                return;
            }
            ByteBuffer body = ByteBuffer.allocate(n);
            while (body.hasRemaining()) {
                channel.read(body, pos + 4 + body.position());
            }
            apply(decrypt(body.array(), entries.size()));
            pos += 4 + n;
        }
    }

    private void truncate(long pos, String why) throws IOException {
        log.warn("Cutting a torn last entry off {} ({}) at byte {}", file, why, pos);
        channel.truncate(pos);
        channel.force(true);
    }

    /**
     * Decrypts one entry's body (nonce, ciphertext and tag), authenticated with {@code aadLabel},
     * the peer and the entry's index.
     */
    static HistoryEntry decrypt(
            HistoryKey key, byte[] aadLabel, PeerId peer, long index, byte[] body)
            throws GeneralSecurityException, InvalidProtocolBufferException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, key.secretKey(), new GCMParameterSpec(128, body, 0, NONCE));
        c.updateAAD(aad(aadLabel, peer, index));
        return HistoryEntry.parseFrom(c.doFinal(body, NONCE, body.length - NONCE));
    }

    private HistoryEntry decrypt(byte[] body, long index) throws IOException {
        try {
            return decrypt(key, AAD_LABEL, peer, index, body);
        } catch (GeneralSecurityException | InvalidProtocolBufferException e) {
            throw new IOException(
                    "history "
                            + file
                            + " cannot be decrypted at entry "
                            + index
                            + ": corrupted or altered");
        }
    }

    private static byte[] aad(byte[] label, PeerId peer, long index) {
        ByteBuffer b = ByteBuffer.allocate(label.length + PeerId.LENGTH + 8);
        b.put(label).put(peer.toBytes()).putLong(index);
        return b.array();
    }

    private void apply(HistoryEntry e) throws InvalidProtocolBufferException {
        entries.add(e);
        if (!e.getAckedMessageId().isEmpty()) {
            unacked.remove(e.getAckedMessageId());
            return;
        }
        ChatMessage m = ChatMessage.parseFrom(e.getMessage());
        seen.add(m.getMessageId());
        digest.add(e.getDirection() == HistoryEntry.Direction.SENT ? self : peer, digestBytes(m));
        if (e.getDirection() == HistoryEntry.Direction.SENT) {
            unacked.put(m.getMessageId(), m);
        }
    }

    /**
     * What a message adds to the conversation digest (docs/protocol.md §12.3): the canonical
     * encoding of its three fields, whatever encoding it arrived in, so that both sides hash the
     * same bytes even when a sender added a field this version does not know.
     */
    static byte[] digestBytes(ChatMessage m) {
        return ChatMessage.newBuilder()
                .setMessageId(m.getMessageId())
                .setSentAtMs(m.getSentAtMs())
                .setText(m.getText())
                .build()
                .toByteArray();
    }

    /** One entry as stored: length, nonce, ciphertext and tag; flipped for reading. */
    private static ByteBuffer encrypt(
            HistoryKey key, PeerId peer, long index, HistoryEntry e, SecureRandom random)
            throws IOException {
        byte[] nonce = new byte[NONCE];
        random.nextBytes(nonce);
        byte[] ct;
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key.secretKey(), new GCMParameterSpec(128, nonce));
            c.updateAAD(aad(AAD_LABEL, peer, index));
            ct = c.doFinal(e.toByteArray());
        } catch (GeneralSecurityException ex) {
            throw new IOException("cannot encrypt history entry", ex);
        }
        ByteBuffer out = ByteBuffer.allocate(4 + NONCE + ct.length);
        out.putInt(NONCE + ct.length).put(nonce).put(ct).flip();
        return out;
    }

    private void append(HistoryEntry e) throws IOException {
        ByteBuffer out = encrypt(key, peer, entries.size(), e, random);
        long pos = channel.size();
        while (out.hasRemaining()) {
            pos += channel.write(out, pos);
        }
        channel.force(false);
        apply(e);
    }

    /** Records a message this peer sent; it stays unacknowledged until {@link #acknowledged}. */
    public synchronized void sent(ChatMessage message, long nowMillis) throws IOException {
        append(
                HistoryEntry.newBuilder()
                        .setDirection(HistoryEntry.Direction.SENT)
                        .setMessage(message.toByteString())
                        .setStoredAtMs(nowMillis)
                        .build());
    }

    /**
     * Records a received message, unless its id was stored before.
     *
     * @param exactBytes the ChatMessage bytes exactly as received
     * @return false for a duplicate, which the caller must not show again
     */
    public synchronized boolean received(ByteString exactBytes, long nowMillis) throws IOException {
        ChatMessage m = ChatMessage.parseFrom(exactBytes);
        if (seen.contains(m.getMessageId())) {
            return false;
        }
        append(
                HistoryEntry.newBuilder()
                        .setDirection(HistoryEntry.Direction.RECEIVED)
                        .setMessage(exactBytes)
                        .setStoredAtMs(nowMillis)
                        .build());
        return true;
    }

    /** Records that the peer stored a message we sent. Returns false if it was not pending. */
    public synchronized boolean acknowledged(ByteString messageId, long nowMillis)
            throws IOException {
        if (!unacked.containsKey(messageId)) {
            return false;
        }
        append(
                HistoryEntry.newBuilder()
                        .setAckedMessageId(messageId)
                        .setStoredAtMs(nowMillis)
                        .build());
        return true;
    }

    /** Sent messages the peer has not acknowledged yet, oldest first: resend them on reconnect. */
    public synchronized List<ChatMessage> unacknowledged() {
        return new ArrayList<>(unacked.values());
    }

    /** Whether the message is pending acknowledgement. */
    public synchronized boolean isAcknowledged(ByteString messageId) {
        return !unacked.containsKey(messageId);
    }

    /** The message entries (sent and received), oldest first. */
    public synchronized List<HistoryEntry> messages() {
        List<HistoryEntry> out = new ArrayList<>();
        for (HistoryEntry e : entries) {
            if (e.getAckedMessageId().isEmpty()) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * The conversation fingerprint over all stored messages, bound to both parties' current keys
     * (docs/protocol.md §12.3, the chat client's rule), as both peers compute it.
     *
     * @param selfKey the id of the key this client holds now
     * @param peerKey the id of the peer identity's current key
     */
    public synchronized String fingerprint(PeerId selfKey, PeerId peerKey) {
        return digest.keyBoundFingerprint(self, selfKey, peer, peerKey);
    }

    /** The peer of this conversation. */
    public PeerId peer() {
        return peer;
    }

    /** This side's id in the conversation. */
    public PeerId self() {
        return self;
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }
}
