package io.p2pchat.channel;

import io.p2pchat.crypto.TranscriptHash;
import io.p2pchat.identity.Fingerprints;
import io.p2pchat.identity.PeerId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A SHA-256 hash chain over the messages of a conversation, one chain per sender, and the
 * conversation fingerprint that both people can compare (docs/protocol.md §7, "Conversation
 * integrity", and §12.3).
 *
 * <pre>
 * chain_0     = SHA-256("p2pchat/1 conversation")
 * chain_{n+1} = SHA-256(chain_n || uint64 n || uint32 len(message) || message)
 * fingerprint = safety number of SHA-256("p2pchat/1 conversation fingerprint"
 *                   || id_low || chain_low || id_high || chain_high)
 * key-bound   = safety number of SHA-256("p2pchat/1 conversation fingerprint with keys"
 *                   || id_low || chain_low || id_high || chain_high || key_low || key_high)
 * </pre>
 *
 * where {@code low} is the peer with the smaller id. A message is the application's own unit,
 * passed to {@link #add} by the application on both sides: the sender when it sends one, the
 * receiver when it accepts one (the chat client passes each {@code ChatMessage}, in the encoding
 * protocol.md §12.3 fixes). Records are not messages: the record layer cuts the stream wherever
 * writes and flushes fall, so only messages give a number two people can compare. Both sides
 * compute the same fingerprint after the same messages in the same order per sender; changing,
 * dropping or reordering any message changes it. The chat client persists its history, from which
 * the chains are recomputed, so that the fingerprint survives restarts. The record layer's own
 * chain over records is a different thing with its own labels: {@link RecordDigest}.
 *
 * <p>Where a party is a long-lived identity whose key can change (a ledger identity, whose id stays
 * when its key rotates), {@link #keyBoundFingerprint} also covers each party's current key, so that
 * a key change gives a new number to compare while the chains go on: the chat client's rule
 * (protocol.md §12.3).
 *
 * <p>Thread-safe.
 */
public final class ConversationDigest {
    /** The labels of a kind of chain: its start and the prefix of its fingerprint hash. */
    static final class Labels {
        final byte[] chainStart;
        final byte[] fingerprintLabel;

        Labels(String chain, String fingerprint) {
            this.chainStart = TranscriptHash.sha256(chain.getBytes(StandardCharsets.US_ASCII));
            this.fingerprintLabel = fingerprint.getBytes(StandardCharsets.US_ASCII);
        }
    }

    private static final Labels CONVERSATION =
            new Labels("p2pchat/1 conversation", "p2pchat/1 conversation fingerprint");

    private static final byte[] KEY_BOUND_LABEL =
            "p2pchat/1 conversation fingerprint with keys".getBytes(StandardCharsets.US_ASCII);

    private final Labels labels;
    private final PeerId low;
    private final PeerId high;
    private final Chain lowChain;
    private final Chain highChain;

    /** Starts a digest of the conversation between {@code a} and {@code b}. */
    public ConversationDigest(PeerId a, PeerId b) {
        this(CONVERSATION, a, b);
    }

    /** Starts chains with other labels, for {@link RecordDigest}. */
    ConversationDigest(Labels labels, PeerId a, PeerId b) {
        this(labels, a, b, labels.chainStart, 0, labels.chainStart, 0);
    }

    private ConversationDigest(
            Labels labels,
            PeerId a,
            PeerId b,
            byte[] headA,
            long countA,
            byte[] headB,
            long countB) {
        this.labels = labels;
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        if (a.equals(b)) {
            throw new IllegalArgumentException("a conversation needs two distinct peers");
        }
        boolean aLow = a.compareTo(b) < 0;
        this.low = aLow ? a : b;
        this.high = aLow ? b : a;
        this.lowChain = aLow ? new Chain(headA, countA) : new Chain(headB, countB);
        this.highChain = aLow ? new Chain(headB, countB) : new Chain(headA, countA);
    }

    /**
     * Resumes a digest from saved chain heads and message counts.
     *
     * @throws IllegalArgumentException if a head is not 32 bytes or a count is negative
     */
    public static ConversationDigest resume(
            PeerId a, byte[] headA, long countA, PeerId b, byte[] headB, long countB) {
        if (headA.length != 32 || headB.length != 32 || countA < 0 || countB < 0) {
            throw new IllegalArgumentException("chain heads must be 32 bytes and counts >= 0");
        }
        return new ConversationDigest(
                CONVERSATION, a, b, headA.clone(), countA, headB.clone(), countB);
    }

    /** Extends the chain of {@code sender} with {@code message}. */
    public synchronized void add(PeerId sender, byte[] message) {
        add(sender, message, 0, message.length);
    }

    /** Extends the chain of {@code sender} with {@code message[off, off+len)}. */
    public synchronized void add(PeerId sender, byte[] message, int off, int len) {
        Chain chain = chainOf(sender);
        MessageDigest md = TranscriptHash.sha256();
        md.update(chain.head);
        long n = chain.count;
        md.update(
                new byte[] {
                    (byte) (n >>> 56), (byte) (n >>> 48), (byte) (n >>> 40), (byte) (n >>> 32),
                    (byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n,
                    (byte) (len >>> 24), (byte) (len >>> 16), (byte) (len >>> 8), (byte) len
                });
        md.update(message, off, len);
        chain.head = md.digest();
        chain.count++;
    }

    /** The current head of {@code sender}'s chain (a copy). */
    public synchronized byte[] head(PeerId sender) {
        return chainOf(sender).head.clone();
    }

    /** Messages absorbed from {@code sender}. */
    public synchronized long count(PeerId sender) {
        return chainOf(sender).count;
    }

    /** The fingerprint hash that the safety number renders. */
    public synchronized byte[] fingerprintHash() {
        return TranscriptHash.sha256(
                labels.fingerprintLabel,
                low.toBytes(),
                lowChain.head,
                high.toBytes(),
                highChain.head);
    }

    /** The conversation fingerprint as a 30-digit safety number. */
    public String fingerprint() {
        return Fingerprints.safetyNumber(fingerprintHash());
    }

    /**
     * The fingerprint hash bound to the parties' current keys (docs/protocol.md §12.3): {@code
     * SHA-256("p2pchat/1 conversation fingerprint with keys" || id_low || chain_low || id_high ||
     * chain_high || key_low || key_high)}, where {@code key_x} is the id of party {@code x}'s
     * current key. A party whose key never changed passes its own id.
     *
     * @param a one party of this conversation
     * @param keyOfA the id of {@code a}'s current key
     * @param b the other party
     * @param keyOfB the id of {@code b}'s current key
     * @throws IllegalArgumentException if {@code a} and {@code b} are not the two parties
     */
    public synchronized byte[] keyBoundFingerprintHash(
            PeerId a, PeerId keyOfA, PeerId b, PeerId keyOfB) {
        Objects.requireNonNull(keyOfA, "keyOfA");
        Objects.requireNonNull(keyOfB, "keyOfB");
        if (chainOf(a) == chainOf(b)) {
            throw new IllegalArgumentException("a and b must be the two parties");
        }
        boolean aLow = a.equals(low);
        return TranscriptHash.sha256(
                KEY_BOUND_LABEL,
                low.toBytes(),
                lowChain.head,
                high.toBytes(),
                highChain.head,
                (aLow ? keyOfA : keyOfB).toBytes(),
                (aLow ? keyOfB : keyOfA).toBytes());
    }

    /** {@link #keyBoundFingerprintHash} as a 30-digit safety number. */
    public String keyBoundFingerprint(PeerId a, PeerId keyOfA, PeerId b, PeerId keyOfB) {
        return Fingerprints.safetyNumber(keyBoundFingerprintHash(a, keyOfA, b, keyOfB));
    }

    private Chain chainOf(PeerId sender) {
        if (sender.equals(low)) {
            return lowChain;
        }
        if (sender.equals(high)) {
            return highChain;
        }
        throw new IllegalArgumentException(
                "sender " + sender.shortId() + " is not in this conversation");
    }

    @Override
    public String toString() {
        return "ConversationDigest[" + low.shortId() + " <-> " + high.shortId() + "]";
    }

    private static final class Chain {
        byte[] head;
        long count;

        Chain(byte[] head, long count) {
            this.head = head;
            this.count = count;
        }
    }
}
