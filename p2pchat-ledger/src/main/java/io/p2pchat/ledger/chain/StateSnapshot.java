package io.p2pchat.ledger.chain;

import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.RegisteredAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The identity state of the best chain at one block, serialized so that a ledger reopens without
 * decoding and replaying every transaction ({@code docs/ledger.md} §9.4). The store wraps the
 * payload in a checksummed container; this class only encodes and decodes the state.
 *
 * <pre>
 * payload  = height (8) | block hash (32)
 *          | identity count (4) | identity...
 *          | key index count (4) | (key id (32) | same (1) | [identity id (32) unless same])...
 *          | name index count (4) | (name length (2) | name (UTF-8) | identity id (32))...
 *
 * identity = id (32) | flags (1) | sequence (8) | [current key id (32) unless flag 1]
 *          | current key length (2) | current key (DER SubjectPublicKeyInfo)
 *          | key count (2) | key event...
 *          | address count (2) | (host length (2) | host (UTF-8) | port (4) | expiry (8))...
 *          | [commitment length (2) | commitment, if flag 2] | commitment height (8)
 *          | [name length (2) | name (UTF-8), if flag 4]
 *          | revoked at height (8) | registered at height (8)
 * key event = same (1) | [key id (32) unless same] | height (8) | block hash (32) | tx index (4)
 *
 * flags: 1 = the current key id is the identity id, 2 = a pending commitment, 4 = a name;
 * same = 1 when the key id is the identity id (then the id object is shared, not repeated)
 * </pre>
 *
 * All integers big-endian. A snapshot is only a cache of a deterministic function of the chain: it
 * is used only when its block is on the chain the log replays, at its height, and is otherwise
 * ignored and rebuilt.
 *
 * @param height the height of {@code block}
 * @param block the block whose state this is
 * @param state the state after {@code block}
 */
record StateSnapshot(long height, BlockHash block, IdentityState state) {
    private static final int CURRENT_KEY_IS_ID = 1;
    private static final int HAS_COMMITMENT = 2;
    private static final int HAS_NAME = 4;

    /** Encodes {@code state}, the state after {@code block} at {@code height}. */
    public static byte[] encode(long height, BlockHash block, IdentityState state) {
        Out out = new Out(1 << 16);
        out.putLong(height);
        out.put(block.toBytes());
        out.putInt(state.identityMap().size());
        for (IdentityEntry e : state.identityMap().values()) {
            byte[] id = e.id().toBytes();
            out.put(id);
            boolean keyIsId = e.currentKeyId().equals(e.id());
            out.putByte(
                    (keyIsId ? CURRENT_KEY_IS_ID : 0)
                            | (e.pendingCommitment() != null ? HAS_COMMITMENT : 0)
                            | (e.name() != null ? HAS_NAME : 0));
            out.putLong(e.sequence());
            if (!keyIsId) {
                out.put(e.currentKeyId().toBytes());
            }
            out.putShortBytes(e.currentKey());
            out.putShort(e.keys().size());
            for (IdentityEntry.KeyEvent k : e.keys()) {
                putMaybeSame(out, k.keyId(), e.id());
                out.putLong(k.height());
                out.put(k.block().toBytes());
                out.putInt(k.txIndex());
            }
            out.putShort(e.addresses().size());
            for (RegisteredAddress a : e.addresses()) {
                out.putShortBytes(a.host().getBytes(StandardCharsets.UTF_8));
                out.putInt(a.port());
                out.putLong(a.expiresAtMillis());
            }
            if (e.pendingCommitment() != null) {
                out.putShortBytes(e.pendingCommitment());
            }
            out.putLong(e.commitmentHeight());
            if (e.name() != null) {
                out.putShortBytes(e.name().getBytes(StandardCharsets.UTF_8));
            }
            out.putLong(e.revokedAtHeight());
            out.putLong(e.registeredAtHeight());
        }
        out.putInt(state.keyMap().size());
        for (Map.Entry<PeerId, PeerId> k : state.keyMap().entrySet()) {
            out.put(k.getKey().toBytes());
            boolean same = k.getKey().equals(k.getValue());
            out.putByte(same ? 1 : 0);
            if (!same) {
                out.put(k.getValue().toBytes());
            }
        }
        out.putInt(state.nameMap().size());
        for (Map.Entry<String, PeerId> n : state.nameMap().entrySet()) {
            out.putShortBytes(n.getKey().getBytes(StandardCharsets.UTF_8));
            out.put(n.getValue().toBytes());
        }
        return out.toByteArray();
    }

    private static void putMaybeSame(Out out, PeerId value, PeerId id) {
        boolean same = value.equals(id);
        out.putByte(same ? 1 : 0);
        if (!same) {
            out.put(value.toBytes());
        }
    }

    /**
     * Decodes a payload. Plain array reads, and ids shared rather than repeated: this runs at every
     * open, mostly before the JIT has compiled it.
     *
     * @throws IllegalArgumentException if it is not well formed
     */
    public static StateSnapshot decode(byte[] payload) {
        In in = new In(payload);
        long height = in.getLong();
        BlockHash block = BlockHash.of(in.bytes(32));
        int count = in.count(32 + 1 + 8 + 2 + 2 + 2 + 8 + 8 + 8);
        Map<PeerId, IdentityEntry> identities = new HashMap<>(capacity(count));
        // Consecutive identities were mostly registered in the same block: share its hash.
        BlockHash lastBlock = block;
        byte[] lastHash = block.toBytes();
        for (int i = 0; i < count; i++) {
            PeerId id = in.peerId();
            int flags = in.getByte();
            long sequence = in.getLong();
            PeerId currentKeyId = (flags & CURRENT_KEY_IS_ID) != 0 ? id : in.peerId();
            byte[] currentKey = in.bytes(in.getShort());
            int keyCount = in.getShort();
            if (keyCount == 0) {
                throw new IllegalArgumentException("identity without keys");
            }
            IdentityEntry.KeyEvent[] keys = new IdentityEntry.KeyEvent[keyCount];
            for (int k = 0; k < keyCount; k++) {
                PeerId keyId = in.getByte() != 0 ? id : in.peerId();
                long keyHeight = in.getLong();
                if (!in.nextEquals(lastHash)) {
                    lastHash = in.bytes(32);
                    lastBlock = BlockHash.of(lastHash);
                } else {
                    in.skip(32);
                }
                keys[k] = new IdentityEntry.KeyEvent(keyId, keyHeight, lastBlock, in.getInt());
            }
            int addressCount = in.getShort();
            RegisteredAddress[] addresses = new RegisteredAddress[addressCount];
            for (int a = 0; a < addressCount; a++) {
                String host = in.string(in.getShort());
                addresses[a] = new RegisteredAddress(host, in.getInt(), in.getLong());
            }
            byte[] commitment = (flags & HAS_COMMITMENT) != 0 ? in.bytes(in.getShort()) : null;
            long commitmentHeight = in.getLong();
            String name = (flags & HAS_NAME) != 0 ? in.string(in.getShort()) : null;
            long revokedAt = in.getLong();
            long registeredAt = in.getLong();
            identities.put(
                    id,
                    new IdentityEntry(
                            id,
                            sequence,
                            currentKey,
                            currentKeyId,
                            List.of(keys),
                            List.of(addresses),
                            commitment,
                            commitmentHeight,
                            name,
                            revokedAt,
                            registeredAt));
        }
        int keyCount = in.count(33);
        Map<PeerId, PeerId> keyIndex = new HashMap<>(capacity(keyCount));
        for (int i = 0; i < keyCount; i++) {
            PeerId keyId = in.peerId();
            PeerId owner = in.getByte() != 0 ? keyId : in.peerId();
            // Share the identity's own id object where there is one.
            IdentityEntry e = identities.get(owner);
            keyIndex.put(keyId, e != null ? e.id() : owner);
        }
        int nameCount = in.count(34);
        Map<String, PeerId> nameIndex = new HashMap<>(capacity(nameCount));
        for (int i = 0; i < nameCount; i++) {
            String name = in.string(in.getShort());
            PeerId owner = in.peerId();
            IdentityEntry e = identities.get(owner);
            nameIndex.put(name, e != null ? e.id() : owner);
        }
        if (in.remaining() != 0) {
            throw new IllegalArgumentException(in.remaining() + " trailing bytes");
        }
        return new StateSnapshot(height, block, IdentityState.of(identities, keyIndex, nameIndex));
    }

    /** Bytes of the payload that {@link #head} reads. */
    public static final int HEAD_LENGTH = 8 + 32;

    /** The height and block a payload claims, without decoding the rest. */
    public static Head head(byte[] payload) {
        In in = new In(payload);
        return new Head(in.getLong(), BlockHash.of(in.bytes(32)));
    }

    /** Where a snapshot claims to be. */
    public record Head(long height, BlockHash block) {}

    private static int capacity(int count) {
        return (int) Math.min(1 << 30, count * 4L / 3 + 16);
    }

    /** Big-endian reads from an array, each bounds-checked. */
    private static final class In {
        private final byte[] a;
        private int pos;

        In(byte[] a) {
            this.a = a;
        }

        private int need(int n) {
            if (n < 0 || n > a.length - pos) {
                throw new IllegalArgumentException("snapshot cut short at " + pos);
            }
            int p = pos;
            pos += n;
            return p;
        }

        int remaining() {
            return a.length - pos;
        }

        int getByte() {
            return a[need(1)] & 0xFF;
        }

        int getShort() {
            int p = need(2);
            return ((a[p] & 0xFF) << 8) | (a[p + 1] & 0xFF);
        }

        int getInt() {
            int p = need(4);
            return ((a[p] & 0xFF) << 24)
                    | ((a[p + 1] & 0xFF) << 16)
                    | ((a[p + 2] & 0xFF) << 8)
                    | (a[p + 3] & 0xFF);
        }

        long getLong() {
            long hi = getInt() & 0xFFFF_FFFFL;
            return (hi << 32) | (getInt() & 0xFFFF_FFFFL);
        }

        byte[] bytes(int n) {
            int p = need(n);
            return Arrays.copyOfRange(a, p, p + n);
        }

        PeerId peerId() {
            int p = need(PeerId.LENGTH);
            return PeerId.of(Arrays.copyOfRange(a, p, p + PeerId.LENGTH));
        }

        boolean nextEquals(byte[] b) {
            return b.length <= a.length - pos
                    && Arrays.equals(a, pos, pos + b.length, b, 0, b.length);
        }

        void skip(int n) {
            need(n);
        }

        String string(int n) {
            int p = need(n);
            return new String(a, p, n, StandardCharsets.UTF_8);
        }

        int count(int minBytesEach) {
            int n = getInt();
            if (n < 0 || (long) n * minBytesEach > remaining()) {
                throw new IllegalArgumentException("count " + n + " out of range");
            }
            return n;
        }
    }

    /** A growable big-endian output buffer. */
    private static final class Out {
        private byte[] buf;
        private int size;

        Out(int initial) {
            buf = new byte[initial];
        }

        private void ensure(int n) {
            if (size + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(size + n, buf.length * 2));
            }
        }

        void put(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, size, b.length);
            size += b.length;
        }

        void putByte(int v) {
            ensure(1);
            buf[size++] = (byte) v;
        }

        void putShort(int v) {
            if (v < 0 || v > 0xFFFF) {
                throw new IllegalArgumentException("value " + v + " does not fit 16 bits");
            }
            ensure(2);
            buf[size++] = (byte) (v >>> 8);
            buf[size++] = (byte) v;
        }

        void putShortBytes(byte[] b) {
            putShort(b.length);
            put(b);
        }

        void putInt(int v) {
            ensure(4);
            for (int i = 3; i >= 0; i--) {
                buf[size++] = (byte) (v >>> (8 * i));
            }
        }

        void putLong(long v) {
            ensure(8);
            for (int i = 7; i >= 0; i--) {
                buf[size++] = (byte) (v >>> (8 * i));
            }
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buf, size);
        }
    }
}
